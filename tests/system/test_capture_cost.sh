#!/usr/bin/env bash
# test_capture_cost.sh - 33 captures on one port running the costliest filters the switch
# admits (4096 instructions of loads, of adds, divides up to the cost bound) keep TCP
# forwarding through that port at half its rate without captures or better.
source "$(dirname "$0")/lib.sh"

add_host a 10.79.0.1/24
add_host b 10.79.0.2/24
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"
CAPCLIENT="$ROOT/tests/system/capclient.py"
ncaps() { ctl --json capture-list | grep -c '"id"'; }

in_ns b iperf3 -s -B 10.79.0.2 >"$WORK/iperf-server.log" 2>&1 &
BG_PIDS+=($!)
sleep 0.5

# rate: median received Gbit/s of three 2-second iperf3 runs from a to b.
rate() {
    local runs=()
    for i in 1 2 3; do
        in_ns a timeout 20 iperf3 -c 10.79.0.2 -t 2 -J >"$WORK/iperf.json" 2>&1 || { echo 0; return; }
        runs+=("$(python3 -c "import json;print('%.3f'%(json.load(open('$WORK/iperf.json'))['end']['sum_received']['bits_per_second']/1e9))")")
    done
    printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p
}

# hold NAME DIRECTION COUNT KIND: captures kept open by a client until the test ends.
hold() {
    exec {fd}> >(python3 "$CAPCLIENT" "$SOCK" pa "$2" "$3" "$4" >"$WORK/$1.out" 2>&1)
    BG_PIDS+=($!)
    for _ in $(seq 1 200); do grep -qE "^(ready|error)" "$WORK/$1.out" 2>/dev/null && break; sleep 0.05; done
    grep "^error" "$WORK/$1.out"
}

base=$(rate)
echo "without captures: $base Gbit/s"
# A loop that spends the whole budget on every packet must not be among them.
hold spin in 11 spin
check "the looping filter is refused" grep -q "^error: filter rejected: .*not a protochain loop" "$WORK/spin.out"
# pa receives the data: 32 captures on its receive point (the most a point takes), one more
# on its transmit point.
hold ldind in 11 ldind
hold div in 11 div
hold adds in 10 longest
hold out out 1 longest
check "33 captures open" test "$(ncaps)" -ge 33
with=$(rate)
echo "with 33 costliest captures: $with Gbit/s"
check "forwarding keeps at least half its rate ($with vs $base Gbit/s)" \
    python3 -c "import sys; sys.exit(0 if $base > 0.1 and $with >= 0.5 * $base else 1)"
seen=$(ctl --json capture-list | python3 -c 'import json,sys; print(min(c["seen"] for c in json.load(sys.stdin)["captures"]))')
check "every capture ran on the traffic (fewest seen: $seen)" test "$seen" -gt 1000
finish
