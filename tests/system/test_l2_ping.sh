#!/usr/bin/env bash
# test_l2_ping.sh - two namespaces joined through sluiced's afpacket ports: ping both ways,
# the MAC table learns both stations, and every received packet is accounted for.
source "$(dirname "$0")/lib.sh"

add_host a 10.77.0.1/24 02:00:00:00:0a:01
add_host b 10.77.0.2/24 02:00:00:00:0a:02
start_sluiced
check "add port a" ctl add-port pa type=afpacket dev="$(veth a)"
check "add port b" ctl add-port pb type=afpacket dev="$(veth b)"
check "ping a -> b" in_ns a ping -c 3 -i 0.2 -W 2 10.77.0.2
check "ping b -> a" in_ns b ping -c 3 -i 0.2 -W 2 10.77.0.1
ctl show
fdb=$(ctl fdb-show)
echo "$fdb"
check "fdb learned a on pa" grep -q "^pa .* 02:00:00:00:0a:01" <<<"$fdb"
check "fdb learned b on pb" grep -q "^pb .* 02:00:00:00:0a:02" <<<"$fdb"
check "show lists both ports up" test "$(ctl show | grep -c ' up ')" -eq 2

# Accounting: every received packet was sent somewhere or counted as a named drop.
balance() {
    ctl --json port-stats | python3 -c '
import json,sys
ports=json.load(sys.stdin)["ports"]
rx=sum(p["stats"]["rx_packets"] for p in ports)
rxd=sum(sum(p["stats"]["rx_drops"].values()) for p in ports)
tx=sum(p["stats"]["tx_packets"] for p in ports)
txd=sum(sum(p["stats"]["tx_drops"].values()) for p in ports)
# With two ports every forwarded packet leaves exactly once.
print(rx, rxd, tx, txd)
sys.exit(0 if rx == rxd + tx + txd and rx > 0 else 1)'
}
check "rx = forwarded + drops" balance

check "errors are one line" \
    test "$(ctl add-port px type=afpacket dev=nonexist0 2>&1 | wc -l)" -eq 1
msg=$(ctl add-port px type=afpacket dev=nonexist0 2>&1)
check "no such interface message" grep -q "no such interface: nonexist0" <<<"$msg"
msg=$(ctl add-port pa type=afpacket dev="$(veth a)" 2>&1)
check "port exists message" grep -q "port exists: pa" <<<"$msg"
msg=$("$SLUICECTL" --sock "$WORK/nothing.sock" show 2>&1)
check "daemon not running message" grep -q "switch not running" <<<"$msg"
finish
