#!/usr/bin/env bash
# test_iperf_offload.sh - TCP through sluiced with the veths' default offloads left on: the
# kernel hands over partial checksums and 64 KiB segments, and the connection must work.
source "$(dirname "$0")/lib.sh"

add_host a 10.78.0.1/24
add_host b 10.78.0.2/24
echo "offloads on $(veth a): $(ethtool -k "$(veth a)" 2>/dev/null | grep -E '^(tx-checksumming|tcp-segmentation-offload):' | tr '\n' ' ')"
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"
in_ns b iperf3 -s -1 -B 10.78.0.2 >"$WORK/iperf-server.log" 2>&1 &
BG_PIDS+=($!)
sleep 0.5
if in_ns a timeout 20 iperf3 -c 10.78.0.2 -t 5 -J >"$WORK/iperf.json" 2>&1; then
    gbps=$(python3 -c "import json;d=json.load(open('$WORK/iperf.json'));print('%.2f'%(d['end']['sum_received']['bits_per_second']/1e9))")
    echo "iperf3 TCP through sluiced: $gbps Gbit/s"
    check "TCP carried data" python3 -c "import sys; sys.exit(0 if $gbps > 0.05 else 1)"
else
    cat "$WORK/iperf.json"
    fail "iperf3 could not connect or failed"
fi
ctl port-stats
finish
