#!/usr/bin/env bash
# bench/analysis/run.sh - what traffic analysis costs: (1) the always-on classification
# counters on 64-byte forwarding, sluiced built with and without them, measured alternately
# in the same run (frames replayed from a pcap port at full speed, and a trafgen flood into an
# afpacket port), plus the counters' own cost per packet; (2) sluicedump --analyze -r on a
# 1-million-packet file beside tshark -q -z io,phs and tcpdump -r -w /dev/null. Run as root.
usage() {
    cat <<EOF
usage: $0 [--runs N] [--seconds S] [--packets N] [--tshark-runs N] [--no-forward] [--no-analyze]
  --runs N      measurements of each variant / tool, alternating (default 5)
  --tshark-runs N  runs of tshark, the slowest by far (default 1)
  --seconds S   length of each forwarding measurement (default 4)
  --packets N   packets in the capture file (default 1000000)
EOF
}
RUNS=5
SECS=4
PACKETS=1000000
TSHARK_RUNS=1
FORWARD=1
ANALYZE=1
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    --packets) PACKETS=$2; shift 2 ;;
    --tshark-runs) TSHARK_RUNS=$2; shift 2 ;;
    --no-forward) FORWARD=0; shift ;;
    --no-analyze) ANALYZE=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
case "$RUNS$SECS$PACKETS$TSHARK_RUNS" in *[!0-9]*) usage >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 1; }
for tool in /usr/bin/time tshark tcpdump python3 taskset setsid; do
    command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install time tshark tcpdump)" >&2; exit 1; }
done
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
T=$(printf '%04x' $((RANDOM % 65536)))
WORK=$(mktemp -d /tmp/sluice-bench-analysis.XXXXXX)
NSG="ag$T" NSK="ak$T" VG="va${T}g" VK="va${T}k"
SLUICED_PID= GEN_PID=
GEN_CPU=${GEN_CPU:-1}
SWITCH_CPU=${SWITCH_CPU:-0}

cleanup() {
    gen_stop
    [ -n "$SLUICED_PID" ] && kill "$SLUICED_PID" 2>/dev/null && wait "$SLUICED_PID" 2>/dev/null
    ip link del "$VG" 2>/dev/null
    ip link del "$VK" 2>/dev/null
    ip netns del "$NSG" 2>/dev/null
    ip netns del "$NSK" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "# machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# building sluiced with the counters (build/) and without (build/notrafstats/)"
make -j2 build/sluiced build/sluicectl build/sluicedump build/bench/analysis/trafstats_bench \
    >"$WORK/build.log" 2>&1 &&
    CFLAGS=-DSLUICE_NO_TRAFSTATS make -j2 BUILD=build/notrafstats build/notrafstats/sluiced \
        >>"$WORK/build.log" 2>&1 || {
    tail -20 "$WORK/build.log"
    exit 1
}

echo "== the counters alone (trafstats_count on bursts of 32 64-byte frames)"
build/bench/analysis/trafstats_bench | tee "$WORK/micro.txt"
TS_NS=$(awk '/^trafstats_ns_per_packet/ {print $2}' "$WORK/micro.txt")

# ---- forwarding: a 64-byte flood from one namespace to another through sluiced ----
ctl() { build/sluicectl --sock "$WORK/s.sock" "$@"; }
stat_of() { # stat_of PORT FIELD
    ctl --json port-stats "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['ports'][0]['stats']['$2'])"
}
topo_up() {
    for side in g k; do
        local ns=$NSG veth=$VG mac=02:00:00:00:ee:01
        [ $side = k ] && ns=$NSK veth=$VK mac=02:00:00:00:ee:02
        ip netns add "$ns"
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip link add "$veth" type veth peer name eth0 netns "$ns"
        sysctl -qw "net.ipv6.conf.$veth.disable_ipv6=1"
        ip -n "$ns" link set eth0 address $mac up
        ip link set "$veth" up
    done
}
switch_up() { # switch_up BINARY
    rm -rf "$WORK/state"
    taskset -c "$SWITCH_CPU" "$1" --sock "$WORK/s.sock" --state-dir "$WORK/state" \
        --log-level warn >>"$WORK/sluiced.log" 2>&1 &
    SLUICED_PID=$!
    for _ in $(seq 100); do ctl show >/dev/null 2>&1 && break; sleep 0.05; done
    ctl add-port pk type=afpacket dev="$VK" >/dev/null || exit 1
    # The switch learns the sink behind pk, so the flood goes to pk alone.
    ip netns exec "$NSK" python3 -c '
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("eth0", 0))
s.send(bytes.fromhex("020000" "00ee01" "020000" "00ee02" "88b5").ljust(60, b"\0"))'
    sleep 0.3
}
switch_down() {
    kill "$SLUICED_PID" 2>/dev/null
    wait "$SLUICED_PID" 2>/dev/null
    SLUICED_PID=
}
# 60-byte IPv4/UDP frames (64 bytes on a wire with the FCS) from the generator to the sink.
FLOOD='{ 0x02,0x00,0x00,0x00,0xee,0x02, 0x02,0x00,0x00,0x00,0xee,0x01, 0x08,0x00,
  0x45,0x00,0x00,0x2e, 0x00,0x01,0x00,0x00, 0x40,0x11,csum16(14,33), 10,99,0,1, 10,99,0,2,
  0x9c,0x41,0x13,0x89, 0x00,0x1a,0x00,0x00, fill(0x00, 18) }'
gen_stop() {
    [ -n "$GEN_PID" ] || return 0
    kill -INT -- "-$GEN_PID" 2>/dev/null
    for _ in $(seq 20); do kill -0 "$GEN_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$GEN_PID" 2>/dev/null
    wait "$GEN_PID" 2>/dev/null
    GEN_PID=
}
offered() { ip -s -j link show "$VG" | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['stats64']['rx']['packets'])"; }
flood() { # flood VARIANT BINARY: trafgen's 64-byte flood from pg to pk for $SECS seconds
    switch_up "$2"
    ctl add-port pg type=afpacket dev="$VG" >/dev/null || exit 1
    # In its own process group: trafgen's worker stops on SIGINT only.
    setsid ip netns exec "$NSG" taskset -c "$GEN_CPU" trafgen --dev eth0 --cpus 1 \
        --no-sock-mem --notouch-irq --no-cpu-stats "$FLOOD" >"$WORK/trafgen.log" 2>&1 &
    GEN_PID=$!
    sleep 1.5
    local tx0 o0 t0 tx1 o1 t1
    tx0=$(stat_of pk tx_packets) o0=$(offered) t0=$(date +%s.%N)
    sleep "$SECS"
    tx1=$(stat_of pk tx_packets) o1=$(offered) t1=$(date +%s.%N)
    gen_stop
    local pps
    pps=$(python3 -c "print(round(($tx1 - $tx0) / ($t1 - $t0)))")
    echo "$pps" >>"$WORK/flood.$1"
    printf '  flood   %-12s forwarded %9s pkt/s of %9s offered\n' "$1" "$pps" \
        "$(python3 -c "print(round(($o1 - $o0) / ($t1 - $t0)))")"
    switch_down
}
replay() { # replay VARIANT BINARY: forwarding every frame of a pcap port to pk
    switch_up "$2"
    # The switch's CPU time (all its threads, from schedstat, in ns) per forwarded frame is
    # what counts: on a shared machine the wall time also holds other programs' turns.
    python3 - "$WORK/s.sock" "$WORK/replay.pcap" "$REPLAY_N" "$SLUICED_PID" >>"$WORK/replay.$1" <<'PY'
import glob, json, socket, sys, time
path, pcap, n, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(path)
def call(method, params):
    s.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode())
    return json.loads(s.recv(1 << 20))
def sent():
    return call("port.list", {"name": "pk"})["result"]["ports"][0]["stats"]["tx_packets"]
def cpu_ns():
    return sum(int(open(f).read().split()[0]) for f in glob.glob(f"/proc/{pid}/task/*/schedstat"))
base, c0, t0 = sent(), cpu_ns(), time.monotonic()
r = call("port.add", {"name": "src", "type": "pcap", "options": {"in": pcap}})
assert "result" in r, r
while sent() - base < n:
    if time.monotonic() - t0 > 300:
        sys.exit("replay did not finish")
    time.sleep(0.02)
t1 = time.monotonic()
time.sleep(0.05)  # the data plane goes idle
print(f"{(cpu_ns() - c0) / n:.1f} {n / (t1 - t0):.0f}")
PY
    read -r ns pps < <(tail -1 "$WORK/replay.$1")
    printf '  replay  %-12s %7s ns of switch CPU per frame (%s pkt/s wall)\n' "$1" "$ns" "$pps"
    switch_down
}
if [ "$FORWARD" = 1 ]; then
    command -v trafgen >/dev/null || { echo "trafgen (netsniff-ng) is needed" >&2; exit 1; }
    topo_up
    REPLAY_N=$((2000000))
    python3 - "$WORK/replay.pcap" "$REPLAY_N" <<'PY'
import struct, sys
f = bytes.fromhex("020000" "00ee02" "020000" "00ee01" "0800" "4500002e00010000401100000a6300010a630002"
                  "9c411389001a0000") + bytes(18)
rec = struct.pack("<IIII", 1700000000, 0, len(f), len(f)) + f
with open(sys.argv[1], "wb") as out:
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for _ in range(int(sys.argv[2]) // 10000):
        out.write(rec * 10000)
PY
    echo "== 64-byte forwarding to an afpacket port, sluiced on CPU $SWITCH_CPU"
    echo "   flood: trafgen on CPU $GEN_CPU into an afpacket port for $SECS s;" \
        "replay: $REPLAY_N frames from a pcap port at full speed"
    for r in $(seq "$RUNS"); do
        a=counters b=no-counters
        [ $((r % 2)) = 0 ] && a=no-counters b=counters
        for v in $a $b; do
            bin=build/sluiced
            [ $v = no-counters ] && bin=build/notrafstats/sluiced
            replay $v $bin
            flood $v $bin
        done
    done
    python3 - "$WORK/replay.counters" "$WORK/replay.no-counters" "$TS_NS" <<'PY'
import statistics, sys
w = statistics.median(float(l.split()[0]) for l in open(sys.argv[1]))
wo = statistics.median(float(l.split()[0]) for l in open(sys.argv[2]))
ts = float(sys.argv[3])
print(f"replay: median switch CPU per forwarded frame {w:.1f} ns with the counters, {wo:.1f} ns "
      f"without: cost {100 * (w - wo) / wo:.2f}% (target < 3%)")
print(f"        the counting function's own {2 * ts:.1f} ns per frame (received and sent) is "
      f"{100 * 2 * ts / wo:.2f}% of {wo:.1f} ns")
PY
    python3 - "$(median <"$WORK/flood.counters")" "$(median <"$WORK/flood.no-counters")" <<'PY'
import sys
w, wo = float(sys.argv[1]), float(sys.argv[2])
print(f"flood: median forwarded {w:.0f} pkt/s with the counters, {wo:.0f} pkt/s without "
      f"({100 * (wo - w) / wo:+.2f}%; this rate also depends on the generator's core, which "
      f"the kernel's receive path shares)")
PY
fi

# ---- --analyze -r against tshark and tcpdump on the same file ----
if [ "$ANALYZE" = 1 ]; then
    echo "== $PACKETS-packet capture file (frames of 60 to 1518 bytes)"
    python3 tests/system/analyze_pcap.py "$WORK/bench.pcap" "$PACKETS" 7 100 1518
    ls -l "$WORK/bench.pcap" | awk '{print "  " $5 " bytes"}'
    cat "$WORK/bench.pcap" >/dev/null # in the page cache for every tool alike
    timed() { # timed NAME COMMAND...: "wall user+sys" seconds appended to $WORK/t.NAME
        /usr/bin/time -f "%e %U %S" -o "$WORK/time.out" "${@:2}" >/dev/null 2>&1 ||
            echo "  $1 failed" >&2
        awk '{print $1, $2 + $3}' "$WORK/time.out" >>"$WORK/t.$1"
    }
    for r in $(seq "$RUNS"); do
        timed analyze build/sluicedump --analyze=0 -r "$WORK/bench.pcap"
        timed tcpdump tcpdump -r "$WORK/bench.pcap" -w /dev/null
        [ "$r" -le "$TSHARK_RUNS" ] && timed tshark tshark -q -z io,phs -r "$WORK/bench.pcap"
    done
    for tool in analyze tshark tcpdump; do
        python3 - "$tool" "$WORK/t.$tool" "$PACKETS" <<'PY'
import statistics, sys
tool, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [tuple(map(float, l.split())) for l in open(path)]
wall = statistics.median(r[0] for r in rows)
cpu = statistics.median(r[1] for r in rows)
print(f"  {tool:8s} median {wall:8.2f} s wall {n / wall:11.0f} pkt/s, {cpu:8.2f} s CPU "
      f"{n / cpu:11.0f} pkt/s  ({len(rows)} runs)")
PY
    done
fi
