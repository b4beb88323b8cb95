#!/usr/bin/env bash
# test_vlan.sh - 802.1Q access and trunk ports: hosts in the same VLAN reach each other,
# different VLANs are isolated, and a trunk carries both with their tags.
# (This kernel has no VLAN devices, so the trunk host sends hand-built tagged frames.)
source "$(dirname "$0")/lib.sh"
SENDRAW="python3 $ROOT/tests/system/sendraw.py"

add_host a 10.80.10.1/24 02:00:00:00:10:01
add_host b 10.80.10.2/24 02:00:00:00:10:02
add_host c 10.80.20.3/24 02:00:00:00:20:03
add_host t 192.0.2.1/32 02:00:00:00:99:09
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)" tag=10
ctl add-port pb type=afpacket dev="$(veth b)" tag=10
ctl add-port pc type=afpacket dev="$(veth c)" tag=20
ctl add-port pt type=afpacket dev="$(veth t)" trunks=10,20
check "same access VLAN: a -> b" in_ns a ping -c 2 -i 0.2 -W 1 10.80.10.2
# Give a an address in c's subnet: the switch, not routing, must keep them apart.
ip -n "$(ns a)" addr add 10.80.20.1/24 dev eth0
check "VLAN isolation: a cannot reach c" bash -c "! ip netns exec $(ns a) ping -c 2 -i 0.2 -W 1 10.80.20.3 >/dev/null"

# Trunk ingress: a tagged ARP request for a in VLAN 10 is answered, and the answer comes
# back tagged 10; c (VLAN 20) sees none of it.
in_ns t timeout 4 tcpdump -nn -e -l -i eth0 arp >"$WORK/t.txt" 2>/dev/null &
BG_PIDS+=($!)
in_ns c timeout 4 tcpdump -nn -e -l -i eth0 arp >"$WORK/c.txt" 2>/dev/null &
BG_PIDS+=($!)
sleep 1
in_ns t $SENDRAW eth0 arp 02:00:00:00:99:09 10.80.10.9 10.80.10.1 10 2
sleep 0.5
# Trunk egress: c's ARP broadcast must leave the trunk tagged 20.
in_ns c arping -c 1 -w 1 -I eth0 10.80.20.9 >/dev/null 2>&1
sleep 2.5
echo "--- trunk host saw:"; cat "$WORK/t.txt"
echo "--- c saw:"; cat "$WORK/c.txt"
check "a's reply reached the trunk tagged 10" grep -q "vlan 10.*Reply 10.80.10.1 is-at 02:00:00:00:10:01" "$WORK/t.txt"
check "c's broadcast reached the trunk tagged 20" grep -q "vlan 20.*Request who-has 10.80.20.9 tell 10.80.20.3" "$WORK/t.txt"
check "VLAN 10 broadcast did not reach c" bash -c "! grep -q 10.80.10 $WORK/c.txt"

# A tagged frame on an access port is dropped and counted.
before=$(port_stat pa rx_drops.vlan)
in_ns a $SENDRAW eth0 arp 02:00:00:00:10:01 10.80.30.1 10.80.30.2 30 3
sleep 0.3
after=$(port_stat pa rx_drops.vlan)
check "tagged frames on an access port counted as vlan drops ($before -> $after)" test $((after - before)) -eq 3
# VLAN 30 is not on the trunk: dropped there too.
before=$(port_stat pt rx_drops.vlan)
in_ns t $SENDRAW eth0 arp 02:00:00:00:99:09 10.80.30.9 10.80.30.1 30 2
sleep 0.3
check "VLAN outside the trunk list dropped" test $(($(port_stat pt rx_drops.vlan) - before)) -eq 2
finish
