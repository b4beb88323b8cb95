#!/usr/bin/env bash
# test_metrics.sh - sluiced --metrics: off by default; GET /metrics passes promtool's format
# and lint checks and agrees with port-stats, capture-list and flow-stats; 404/405/400
# answers; clients that connect and stay silent, or read slowly, neither block the control
# socket nor stop a scrape, and are dropped after their deadlines.
source "$(dirname "$0")/lib.sh"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
command -v promtool >/dev/null || { echo "FAIL: promtool is not installed (package prometheus)"; exit 1; }

# Off by default: no listening TCP socket belongs to the daemon.
start_sluiced
check "no metrics listener by default" test -z "$(ss -Hltnp | grep "pid=$SLUICED_PID,")"
stop_sluiced

msg=$("$SLUICED" --sock "$SOCK" --state-dir "$STATE" --metrics 127.0.0.1:99999 2>&1)
rc=$?
check "bad --metrics address refused" test $rc -ne 0
check "bad --metrics address message" grep -q "port must be 1..65535" <<<"$msg"

MPORT=$(free_port)
URL="http://127.0.0.1:$MPORT/metrics"
add_host a 10.78.0.1/24 02:00:00:00:0b:01
add_host b 10.78.0.2/24 02:00:00:00:0b:02
start_sluiced --metrics "127.0.0.1:$MPORT"
check "listening on loopback only" test "$(ss -Hltnp | grep "pid=$SLUICED_PID," | awk '{print $4}')" = "127.0.0.1:$MPORT"
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"
sleep 0.3

# A capture session held open by a client, so that its counters are exported.
python3 - "$SOCK" "$WORK/capture.ready" <<'PY' &
import json, os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
req = {"jsonrpc": "2.0", "id": 1, "method": "capture.open",
       "params": {"port": "pa", "direction": "in", "snaplen": 128, "filter": "",
                  "program": [[6, 0, 0, 262144]]}}
s.send(json.dumps(req).encode())
msg, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(16))
r = json.loads(msg)
assert "result" in r, r
open(sys.argv[2], "w").write(str(r["result"].get("id")))
time.sleep(60)  # held until the test kills it
PY
BG_PIDS+=($!)
for _ in $(seq 50); do [ -s "$WORK/capture.ready" ] && break; sleep 0.1; done
check "capture opened" test -s "$WORK/capture.ready"


in_ns a python3 "$ROOT/tests/system/sendraw.py" eth0 arp 02:00:00:00:0b:01 10.78.0.1 10.78.0.99 - 10
check "ping through the switch" in_ns a ping -c 3 -i 0.2 -W 2 -q 10.78.0.2
sleep 0.5

curl -s -D "$WORK/headers" -o "$WORK/metrics.txt" "$URL"
check "GET /metrics answers 200" grep -q "^HTTP/1.0 200 OK" "$WORK/headers"
check "content type is the text format 0.0.4" \
    grep -qi "^Content-Type: text/plain; version=0.0.4; charset=utf-8" "$WORK/headers"
promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.txt" 2>&1
rc=$?
cat "$WORK/promtool.txt"
check "promtool check metrics passes (format and lint)" test $rc -eq 0
check "rx counter in the issue's form" grep -Eq '^sluice_port_rx_packets_total\{port="pa"\} [0-9]+$' "$WORK/metrics.txt"

# Every exported port and capture counter equals what the control socket reports.
compare() {
    curl -s "$URL" >"$WORK/m.txt"
    ctl --json port-stats >"$WORK/ps.json"
    ctl --json capture-list >"$WORK/cl.json"
    python3 - "$WORK/m.txt" "$WORK/ps.json" "$WORK/cl.json" <<'PY'
import json, re, sys
samples = {}
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    m = re.fullmatch(r'([a-z0-9_]+)(?:\{(.*)\})? (\S+)\n', line)
    assert m, line
    labels = tuple(sorted(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m.group(2) or "")))
    samples[(m.group(1), labels)] = int(m.group(3))
def get(name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]
bad = []
def eq(what, a, b):
    if a != b:
        bad.append(f"{what}: metrics {a} != control {b}")
n = 0
for p in json.load(open(sys.argv[2]))["ports"]:
    port, s = p["name"], p["stats"]
    for f in ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes"):
        eq(f"{port} {f}", get(f"sluice_port_{f}_total", port=port), s[f]); n += 1
    for d in ("rx", "tx"):
        for reason, v in s[f"{d}_drops"].items():
            eq(f"{port} {d} drop {reason}", get(f"sluice_port_{d}_drops_total", port=port, reason=reason), v); n += 1
        t = s[f"traffic_{d}"]
        for layer in ("l3", "l4"):
            for proto, c in t[layer].items():
                eq(f"{port} {d} {layer} {proto} packets", get(f"sluice_port_{layer}_packets_total", port=port, direction=d, protocol=proto), c["packets"])
                eq(f"{port} {d} {layer} {proto} bytes", get(f"sluice_port_{layer}_bytes_total", port=port, direction=d, protocol=proto), c["bytes"]); n += 2
        for cast, c in t["cast"].items():
            eq(f"{port} {d} {cast}", get("sluice_port_cast_packets_total", port=port, direction=d, cast=cast), c); n += 1
        cum = 0
        for (bucket, c), le in zip(t["size"].items(), ["64", "127", "255", "511", "1023", "1518", "+Inf"]):
            cum += c
            eq(f"{port} {d} size <= {le}", get("sluice_port_frame_size_bytes_bucket", port=port, direction=d, le=le), cum); n += 1
        eq(f"{port} {d} size count", get("sluice_port_frame_size_bytes_count", port=port, direction=d), cum)
        eq(f"{port} {d} size sum", get("sluice_port_frame_size_bytes_sum", port=port, direction=d), s[f"{d}_bytes"]); n += 2
caps = json.load(open(sys.argv[3]))["captures"]
eq("captures open", get("sluice_captures_open"), len(caps))
for c in caps:
    for f in ("seen", "matched", "dropped"):
        eq(f"capture {c['id']} {f}", get(f"sluice_capture_{f}_packets_total", id=str(c["id"]), port=c["port"], direction=c["direction"]), c[f]); n += 1
print(n, "counters compared")
assert not bad, "\n".join(bad)
# The known traffic: 10 ARP requests from a, 3 pings' requests and replies (and their ARP).
assert get("sluice_port_l3_packets_total", port="pa", direction="rx", protocol="arp") >= 10
assert get("sluice_port_l4_packets_total", port="pa", direction="rx", protocol="icmp") == 3
assert get("sluice_port_l4_packets_total", port="pb", direction="rx", protocol="icmp") == 3
assert get("sluice_capture_seen_packets_total", id=str(caps[0]["id"]), port="pa", direction="in") > 0
PY
}
check "metrics equal port-stats and capture-list" compare

# Flow caches: with a flow table the data plane looks packets up; its hits and misses per
# thread are exported as flow-stats reports them.
ctl add-flow "priority=0,actions=normal"
in_ns a ping -c 5 -i 0.1 -W 2 -q 10.78.0.2 >/dev/null
flow_cache_matches() {
    curl -s "$URL" >"$WORK/m2.txt"
    ctl --json flow-stats >"$WORK/fs.json"
    python3 - "$WORK/m2.txt" "$WORK/fs.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
threads = json.load(open(sys.argv[2]))["threads"]
assert threads and sum(t["cache_hits"] + t["cache_misses"] for t in threads) > 0, threads
for i, t in enumerate(threads):
    for name, key in (("hits", "cache_hits"), ("misses", "cache_misses"), ("revalidated", "cache_revalidated")):
        line = f'sluice_flow_cache_{name}_total{{thread="{i}"}} {t[key]}\n'
        assert line in text, (line, re.findall(r"sluice_flow_cache.*", text))
print(threads)
PY
}
check "flow-cache hits and misses equal flow-stats" flow_cache_matches

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "404 for another path" test "$(code "http://127.0.0.1:$MPORT/")" = 404
check "405 for POST" test "$(code -X POST "$URL")" = 405
check "HEAD: headers only" test "$(curl -s -I "$URL" | grep -c '^HTTP/1.0 200')" = 1 -a \
    "$(curl -s -X HEAD --max-time 2 -o /dev/null -w '%{size_download}' "$URL")" = 0
raw() { # raw BYTES: the status line the server answers on a plain TCP connection
    python3 - "$MPORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1"))
s.shutdown(socket.SHUT_WR)  # asked and half-closed: the answer must still come
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
print(data.split(b"\r\n")[0].decode())
PY
}
check "a half-closed client is answered" test "$(raw 'GET /metrics HTTP/1.0\r\n\r\n')" = "HTTP/1.0 200 OK"
check "400 for a malformed request line" test "$(raw 'GARBAGE\r\n\r\n')" = "HTTP/1.0 400 Bad Request"
check "400 for a bad header line" test "$(raw 'GET /metrics HTTP/1.1\r\nno colon\r\n\r\n')" = "HTTP/1.0 400 Bad Request"
check "431 for headers that never end" \
    test "$(raw "GET /metrics HTTP/1.1\\r\\n$(printf 'X-Pad: %0200d\\r\\n' $(seq 30))")" = "HTTP/1.0 431 Request Header Fields Too Large"

# Clients that hold slots without using them cannot stop a scrape. Many memif ports make the
# answer larger than the socket buffers (the slow readers also advertise a small MSS and
# window), so that a reader that never reads, and one that takes 512 bytes every 0.2 s, are
# still being sent their answer when its deadline passes; 40 silent connections come after
# them. A scrape is still answered at once (a new connection evicts the oldest silent one),
# and every one of them is closed within the deadlines (5 s to ask, 5 s to take the answer).
for i in $(seq 0 59); do ctl add-port mm$i type=memif socket="$WORK/m.sock" id=$i >/dev/null; done
answer_size=$(curl -s --max-time 3 "$URL" | wc -c)
check "the answer is large ($answer_size bytes)" test "$answer_size" -gt 300000
python3 - "$MPORT" "$WORK/squat.ready" "$WORK/squat.out" <<'PY' &
import errno, socket, sys, time
port, ready, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def slow_reader():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    s.setblocking(False)
    return s
never, trickle = slow_reader(), slow_reader()
idle = []
for i in range(40):  # not blocking: a full accept queue must not stall the test
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", port))
    idle.append(c)
    if i % 8 == 7:
        time.sleep(0.05)
time.sleep(0.2)
open(ready, "w").write(f"{never.getsockname()[1]} {trickle.getsockname()[1]}\n")
t0, got, eof = time.time(), 0, None
while time.time() - t0 < 7.5:
    try:
        d = trickle.recv(512)
        if not d:
            eof = time.time() - t0
            break
        got += len(d)
    except BlockingIOError:
        pass
    except OSError as e:
        eof = time.time() - t0
        print("trickle:", e, file=sys.stderr)
        break
    time.sleep(0.2)
print("trickle: eof at", eof, "after", got, "bytes", file=sys.stderr)
closed = 0
for c in idle:
    try:
        closed += c.recv(1) == b""
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
open(out, "w").write(f"{closed} {got}\n")
time.sleep(30)  # the slow readers stay open (never read) until the test ends
PY
SQUAT=$!
BG_PIDS+=($SQUAT)
for _ in $(seq 50); do [ -s "$WORK/squat.ready" ] && break; sleep 0.1; done
check "squatters connected" test -s "$WORK/squat.ready"
read -r NEVER_PORT TRICKLE_PORT <"$WORK/squat.ready"
held_by_sluiced() { # held_by_sluiced CLIENT_PORT: sluiced still has that connection open
    ss -Htnp "( sport = :$MPORT and dport = :$1 )" | grep -q "pid=$SLUICED_PID,"
}
released_by_sluiced() { ! held_by_sluiced "$1"; }
start=$(date +%s%N)
check "a scrape is answered while 42 clients hold connections" test "$(code --max-time 3 "$URL")" = 200
elapsed=$((($(date +%s%N) - start) / 1000000))
check "and promptly (${elapsed} ms)" test "$elapsed" -lt 1500
start=$(date +%s%N)
show_quietly() { ctl show >/dev/null; }
check "control socket answers meanwhile" show_quietly
check "it answers promptly (well inside the 5 s client deadlines)" test $((($(date +%s%N) - start) / 1000000)) -lt 2000
check "the slow readers are still being sent their answer" held_by_sluiced "$NEVER_PORT"
check "(both)" held_by_sluiced "$TRICKLE_PORT"
sleep 6.5
check "a reader that never reads is closed after the answer's deadline" \
    released_by_sluiced "$NEVER_PORT"
check "a reader that trickles is closed after the answer's deadline" \
    released_by_sluiced "$TRICKLE_PORT"
check "sluiced holds no metrics connection" \
    test "$(ss -Htnp "( sport = :$MPORT )" | grep -c "pid=$SLUICED_PID,")" = 0
for _ in $(seq 30); do [ -s "$WORK/squat.out" ] && break; sleep 0.1; done
read -r idle_closed trickle_got <"$WORK/squat.out"
echo "silent connections closed: $idle_closed of 40; the trickling reader got $trickle_got bytes"
check "every silent connection was closed" test "$idle_closed" = 40
check "the trickling reader did not get the whole answer" test "$trickle_got" -lt "$answer_size"
check "scrapes work again" test "$(code --max-time 3 "$URL")" = 200
check "sluiced still running" kill -0 "$SLUICED_PID"
finish
