#!/usr/bin/env bash
# test_top.sh - sluicectl top: rates from a known steady stream (--once --json), sort keys,
# and the live view in a real terminal (tmux): keys re-sort, q and Ctrl-C restore the terminal.
source "$(dirname "$0")/lib.sh"
TMUX_SOCK="sluicetop$T"
trap 'rc=$?; tmux -L "$TMUX_SOCK" kill-server 2>/dev/null; (exit $rc); cleanup' EXIT

add_host a 10.80.0.1/24 02:00:00:00:0d:01
add_host b 10.80.0.2/24 02:00:00:00:0d:02
add_host c 10.80.0.3/24 02:00:00:00:0d:03
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"
ctl add-port pc type=afpacket dev="$(veth c)"
# Only pb may receive a's frames: the switch learns b's address from one frame of b's.
in_ns b python3 -c '
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("eth0", 0))
s.send(bytes.fromhex("02000000" "0d01" "02000000" "0d02" "88b5").ljust(60, b"\0"))'
sleep 0.3

# 20 UDP frames of 100 bytes every 0.1 s: 200 frames/s, 160 kbit/s, for 20 s.
STREAM_PY='
import socket, struct, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("eth0", 0))
eth = bytes.fromhex("02000000" "0d02" "02000000" "0d01" "0800")
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 86, 0, 0, 64, 17, 0, bytes([10,80,0,1]), bytes([10,80,0,2]))
f = (eth + ip + struct.pack("!HHHH", 1000, 9, 66, 0)).ljust(100, b"\0")
t = time.monotonic()
for i in range(200):
    for _ in range(20):
        s.send(f)
    t += 0.1
    time.sleep(max(0, t - time.monotonic()))'
ip netns exec "$(ns a)" python3 -c "$STREAM_PY" &
BG_PIDS+=($!)
# The stream has begun (a loaded machine may take a while to start python), then one more
# second so every interval measured lies inside it.
for _ in $(seq 1 100); do
    [ "$(port_stat pa rx_packets)" -ge 20 ] && break
    sleep 0.1
done
sleep 1
ctl top --once --json --interval 2 >"$WORK/top.json"
ctl top --once --json --sort tx >"$WORK/top_tx.json"
ctl top --once --json --sort name >"$WORK/top_name.json"
ctl top --once --interval 1 >"$WORK/top.txt"
cat "$WORK/top.json" "$WORK/top.txt"
check "rates of the known stream" python3 - "$WORK/top.json" "$WORK/top_tx.json" "$WORK/top_name.json" <<'PY'
import json, sys
snap = json.load(open(sys.argv[1]))
p = {x["name"]: x for x in snap["ports"]}
assert abs(snap["interval_s"] - 2) < 0.3, snap["interval_s"]
pa, pb, pc = p["pa"], p["pb"], p["pc"]
assert 160 <= pa["rx_pps"] <= 240, pa
assert abs(pa["rx_bps"] - 800 * pa["rx_pps"]) < 1e-6 * pa["rx_bps"], pa   # 100-byte frames
assert abs(pb["tx_pps"] - pa["rx_pps"]) <= 0.02 * pa["rx_pps"], (pa, pb)
assert abs(pa["l4_pps"]["udp"] - pa["rx_pps"]) < 1e-9 and pa["l3_pps"]["ipv4"] == pa["l4_pps"]["udp"]
assert pc["rx_pps"] == 0 and pc["tx_pps"] == 0 and pa["tx_pps"] == 0, pc
assert snap["sort"] == "rx+tx" and [x["name"] for x in snap["ports"]][2] == "pc"
assert [x["name"] for x in json.load(open(sys.argv[2]))["ports"]][0] == "pb"
assert [x["name"] for x in json.load(open(sys.argv[3]))["ports"]] == ["pa", "pb", "pc"]
PY
check "text snapshot lists the ports" test "$(grep -cE '^p[abc] +up ' "$WORK/top.txt")" -eq 3
check "text snapshot shows the udp mix" grep -qE '^pa .*ipv4 100% \| udp 100%' "$WORK/top.txt"

# The live view in a terminal: sort keys, then q (and Ctrl-C) leave the terminal as it was.
live() { # live KEY-TO-END
    local out="$WORK/stty.$1"
    tmux -L "$TMUX_SOCK" new-session -d -s "top" -x 160 -y 30 \
        "SLUICE_SOCK=$SOCK $SLUICECTL top --sort rx; echo status=\$? >$out; stty -a >>$out; sleep 30"
    sleep 2.5
    tmux -L "$TMUX_SOCK" capture-pane -p -t top >"$WORK/pane1.txt"
    tmux -L "$TMUX_SOCK" send-keys -t top t
    sleep 0.5
    tmux -L "$TMUX_SOCK" capture-pane -p -t top >"$WORK/pane2.txt"
    tmux -L "$TMUX_SOCK" send-keys -t top "$1"
    for _ in $(seq 30); do [ -s "$out" ] && break; sleep 0.1; done
    tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
    cat "$WORK/pane1.txt" "$WORK/pane2.txt" "$out"
}
live q
check "live view sorted by rx, pa first" grep -A1 -q "^PORT" "$WORK/pane1.txt"
check "live view: header names the sort" grep -q "sorted by rx$" "$WORK/pane1.txt"
check "live view: pa on top by rx" test "$(grep -A1 '^PORT' "$WORK/pane1.txt" | tail -1 | cut -c1-2)" = pa
check "key t re-sorts by tx, pb on top" test "$(grep -A1 '^PORT' "$WORK/pane2.txt" | tail -1 | cut -c1-2)" = pb
check "q quits with status 0" grep -q "^status=0" "$WORK/stty.q"
check "q restores the terminal" grep -Eq '(^| )icanon( |$)' "$WORK/stty.q"
check "echo restored after q" grep -Eq '(^| )echo( |$)' "$WORK/stty.q"
live C-c
check "Ctrl-C quits with status 0" grep -q "^status=0" "$WORK/stty.C-c"
check "Ctrl-C restores the terminal" grep -Eq '(^| )icanon( |$)' "$WORK/stty.C-c"
check "--json without --once refused" test "$(ctl top --json 2>&1 | grep -c 'needs --once')" = 1
finish
