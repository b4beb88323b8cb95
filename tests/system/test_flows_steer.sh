#!/usr/bin/env bash
# test_flows_steer.sh - flow rules steer real traffic between namespaces: output:PORT (by name)
# and drop, mod-flows keeping counters, in_port and the receiving port, flood, all and normal
# next to an access port, del-flows without a match (nothing forwarded any more), and idle and
# hard timeouts expiring rules.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/flows_lib.sh"

MAC_A=02:00:00:00:62:01
MAC_B=02:00:00:00:62:02
MAC_C=02:00:00:00:62:03
MAC_D=02:00:00:00:62:04
add_host a 10.62.0.1/24 $MAC_A
add_host b 10.62.0.2/24 $MAC_B
add_host c 10.62.0.3/24 $MAC_C
add_host d 10.62.0.4/24 $MAC_D
for h in a b c d; do
    for n in 1 2 3 4; do neigh $h 10.62.0.$n 02:00:00:00:62:0$n; done
done
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"
ctl add-port pc type=afpacket dev="$(veth c)"
ctl add-port pd type=afpacket dev="$(veth d)" tag=10
check "no rules: the implied NORMAL rule forwards" in_ns a ping -c 1 -W 2 10.62.0.2
out=$(ctl dump-flows)
echo "$out"
check "dump-flows shows the implied rule" grep -q " priority=0 actions=NORMAL$" <<<"$out"
in_ns b ping -c 1 -W 2 10.62.0.3 >/dev/null # the switch learns b and c

# output:PORT steers a's pings for c to b instead.
ctl add-flow "priority=100,icmp,in_port=pa,nw_dst=10.62.0.3,actions=output:pb"
capture_start sb b icmp
capture_start sc c icmp
capture_ready sb && capture_ready sc
check "steered ping gets no answer" bash -c "! ip netns exec $(ns a) ping -c 3 -i 0.2 -W 1 10.62.0.3 >/dev/null"
stop_capture sb
stop_capture sc
check "b received a's 3 echo requests for c" test "$(grep -c '10.62.0.1 > 10.62.0.3: ICMP echo request' "$WORK/sb.txt")" -eq 3
check "c received none" test "$(grep -c 'echo request' "$WORK/sc.txt")" -eq 0
check "the rule counted 3" test "$(rule_packets "priority=100,icmp,in_port=0,nw_dst=10.62.0.3")" -eq 3

# mod-flows changes the actions and keeps the counters.
ctl mod-flows --strict "priority=100,icmp,in_port=pa,nw_dst=10.62.0.3,actions=output:pc"
check "after mod-flows the ping reaches c" in_ns a ping -c 2 -i 0.2 -W 2 10.62.0.3
check "counters kept across mod-flows (3 + 2)" test "$(rule_packets "priority=100,icmp,in_port=0,nw_dst=10.62.0.3")" -eq 5

# drop, counted per rule and as `flow` drops on the receiving port.
before=$(port_stat pa rx_drops.flow)
ctl add-flow "priority=200,icmp,nw_dst=10.62.0.3,actions=drop"
check "drop rule: no answer" bash -c "! ip netns exec $(ns a) ping -c 3 -i 0.2 -W 1 10.62.0.3 >/dev/null"
check "drop rule counted 3" test "$(rule_packets "priority=200,icmp,nw_dst=10.62.0.3")" -eq 3
check "3 flow drops on pa" test $(($(port_stat pa rx_drops.flow) - before)) -eq 3
ctl del-flows --strict "priority=200,icmp,nw_dst=10.62.0.3"
check "del-flows --strict removed only the drop rule" in_ns a ping -c 1 -W 2 10.62.0.3
check "the steering rule is still there" test -n "$(rule_packets "priority=100,icmp,in_port=0,nw_dst=10.62.0.3")"

# in_port sends back out of the receiving port; output to the receiving port does not.
ctl add-flow "priority=100,udp,tp_dst=7002,actions=in_port"
ctl add-flow "priority=100,udp,tp_dst=7003,actions=output:pa"
capture ia a udp
udp_from a $MAC_A $MAC_B 10.62.0.1 10.62.0.2 7002 --count 2
udp_from a $MAC_A $MAC_B 10.62.0.1 10.62.0.2 7003 --count 2
stop_capture ia
check "in_port: a got its 2 datagrams back" test "$(grep -c '10.62.0.1.4000 > 10.62.0.2.7002' "$WORK/ia.txt")" -eq 2
check "output to the receiving port: nothing back" test "$(grep -c '7003' "$WORK/ia.txt")" -eq 0

# flood, all and normal. d is an access port of VLAN 10: flood keeps to the frame's VLAN
# (untagged, VLAN 0), all sends to every other port as the frame is.
ctl add-flow "priority=100,udp,tp_dst=7010,actions=flood"
ctl add-flow "priority=100,udp,tp_dst=7011,actions=all"
ctl add-flow "priority=100,udp,tp_dst=7012,actions=normal"
for h in a b c d; do capture_start f$h $h udp; done
for h in a b c d; do capture_ready f$h; done
udp_from a $MAC_A $MAC_B 10.62.0.1 10.62.0.2 7010
udp_from a $MAC_A $MAC_B 10.62.0.1 10.62.0.2 7011
udp_from a $MAC_A $MAC_B 10.62.0.1 10.62.0.2 7012
for h in a b c d; do stop_capture f$h; done
seen() { grep -c "> 10.62.0.2.$2" "$WORK/f$1.txt"; }
check "flood: b and c got it" test "$(seen b 7010)$(seen c 7010)" = 11
check "flood: not d (VLAN 10), not a" test "$(seen d 7010)$(seen a 7010)" = 00
check "all: b, c and d got it" test "$(seen b 7011)$(seen c 7011)$(seen d 7011)" = 111
check "all: not back to a" test "$(seen a 7011)" = 0
check "normal: only b (its address is learned)" test "$(seen b 7012)$(seen c 7012)$(seen d 7012)$(seen a 7012)" = 1000

# Timeouts: a hard timeout expires however busy the rule is, an idle one when unused.
ctl add-flow "priority=300,icmp,hard_timeout=1,actions=drop"
ctl add-flow "priority=300,udp,idle_timeout=1,actions=drop"
out=$(ctl dump-flows)
check "dump shows hard_timeout=1" grep -q "hard_timeout=1, .*priority=300,icmp actions=drop" <<<"$out"
check "dump shows idle_timeout=1" grep -q "idle_timeout=1, .*priority=300,udp actions=drop" <<<"$out"
check "while the hard-timeout rule lives, pings drop" bash -c "! ip netns exec $(ns a) ping -c 1 -W 1 10.62.0.2 >/dev/null"
sleep 2
out=$(ctl dump-flows)
check "both timed-out rules are gone" bash -c "! grep -q priority=300 <<<'$out'"
check "pings pass again" in_ns a ping -c 1 -W 2 10.62.0.2

# del-flows without a match deletes every rule, the NORMAL one too: nothing is forwarded.
ctl del-flows
check "dump-flows is empty" test -z "$(ctl dump-flows)"
before=$(port_stat pa rx_drops.flow)
check "no rules: ping fails" bash -c "! ip netns exec $(ns a) ping -c 2 -i 0.2 -W 1 10.62.0.2 >/dev/null"
check "no rules: counted as flow drops" test $(($(port_stat pa rx_drops.flow) - before)) -ge 2
ctl add-flow "priority=0,actions=normal"
check "priority=0,actions=normal restores switching" in_ns a ping -c 1 -W 2 10.62.0.2
stats=$(ctl flow-stats)
echo "$stats"
check "flow-stats counts cache hits" grep -Eq "cache hits [1-9]" <<<"$stats"
finish
