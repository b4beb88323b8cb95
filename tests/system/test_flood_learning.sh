#!/usr/bin/env bash
# test_flood_learning.sh - broadcast from one port reaches the three others; once both
# stations are learned, unicast between them no longer floods to the bystanders.
source "$(dirname "$0")/lib.sh"

i=0
for h in a b c d; do
    i=$((i + 1))
    add_host $h 10.79.0.$i/24
done
start_sluiced
for h in a b c d; do ctl add-port p$h type=afpacket dev="$(veth $h)"; done
sleep 0.3
before_c=$(port_stat pc tx_packets)
before_d=$(port_stat pd tx_packets)
before_b=$(port_stat pb tx_packets)
# Five ARP broadcasts from a: each must leave on b, c and d.
in_ns a arping -c 5 -w 5 -b -I eth0 10.79.0.99 >/dev/null 2>&1
sleep 0.3
for p in pb pc pd; do
    eval before=\$before_${p#p}
    after=$(port_stat $p tx_packets)
    check "broadcast reached $p ($((after - before)) >= 5)" test $((after - before)) -ge 5
done
# Learn a and b, then count what c and d receive during 20 unicast pings a <-> b.
in_ns a ping -c 2 -i 0.2 -W 1 10.79.0.2 >/dev/null
sleep 0.2
before_c=$(port_stat pc tx_packets)
before_d=$(port_stat pd tx_packets)
check "unicast a -> b" in_ns a ping -c 20 -i 0.05 -W 1 10.79.0.2
after_c=$(port_stat pc tx_packets)
after_d=$(port_stat pd tx_packets)
echo "bystanders saw: c $((after_c - before_c)), d $((after_d - before_d)) packets"
check "no flooding to c after learning" test $((after_c - before_c)) -le 1
check "no flooding to d after learning" test $((after_d - before_d)) -le 1
finish
