#!/usr/bin/env bash
# test_flows_edit.sh - header-editing actions on real traffic, checked by tcpdump in the
# receiving namespace: dec_ttl (and the drop at TTL 1, counted), mod_vlan_vid, mod_vlan_pcp,
# strip_vlan, push_vlan (802.1ad over 802.1Q), mod_dl_src/dst, mod_nw_tos, and several actions
# in order with outputs between them. Tagged frames are hand-built (no VLAN devices here).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/flows_lib.sh"

MAC_A=02:00:00:00:63:01
MAC_B=02:00:00:00:63:02
add_host a 10.63.0.1/24 $MAC_A
add_host b 10.63.0.2/24 $MAC_B
neigh a 10.63.0.2 $MAC_B
neigh b 10.63.0.1 $MAC_A
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"

# dec_ttl: a's pings leave with TTL 64 and arrive with 63; with TTL 1 they are dropped.
ctl add-flow "priority=100,icmp,in_port=pa,actions=dec_ttl,output:pb"
capture tb b -v icmp
check "ping through dec_ttl" in_ns a ping -c 2 -i 0.2 -W 2 10.63.0.2
before=$(port_stat pa rx_drops.ttl)
check "TTL 1: no answer" bash -c "! ip netns exec $(ns a) ping -t 1 -c 3 -i 0.2 -W 1 10.63.0.2 >/dev/null"
in_ns a ping -t 2 -c 1 -W 2 10.63.0.2 >/dev/null
stop_capture tb
check "b saw the requests with TTL 63" test "$(grep -c 'ttl 63, .*ICMP' "$WORK/tb.txt")" -eq 2
check "TTL 2 arrives as 1" test "$(grep -c 'ttl 1, .*ICMP' "$WORK/tb.txt")" -eq 1
check "no request with TTL 64 or 0 reached b" test "$(grep -Ec 'ttl (64|0), .*ICMP' "$WORK/tb.txt")" -eq 0
check "3 ttl drops counted on pa" test $(($(port_stat pa rx_drops.ttl) - before)) -eq 3
check "the rule counted all 6" test "$(rule_packets "priority=100,icmp,in_port=0")" -eq 6

# VLAN and Ethernet edits on UDP frames from a to b, one destination port per case.
ctl add-flows - <<EOF
# case: one action list per destination port
priority=100,udp,tp_dst=7100,actions=mod_vlan_vid:42,output:pb
priority=100,udp,tp_dst=7101,actions=mod_vlan_pcp:5,output:pb
priority=100,udp,dl_vlan=43,tp_dst=7102,actions=strip_vlan,output:pb
priority=100,udp,dl_vlan=45,tp_dst=7103,actions=push_vlan:0x88a8,mod_vlan_vid:7,output:pb
priority=100,udp,dl_vlan=46,tp_dst=7104,actions=mod_vlan_vid:47,output:pb
priority=100,udp,tp_dst=7105,actions=mod_dl_src:02:00:00:00:aa:01,mod_dl_dst:02:00:00:00:bb:02,output:pb
priority=100,udp,tp_dst=7106,actions=mod_nw_tos:184,output:pb
priority=100,udp,tp_dst=7107,actions=output:pb,mod_nw_tos:32,mod_vlan_vid:9,output:pb,strip_vlan,mod_dl_src:02:00:00:00:aa:09,output:pb
EOF
capture eb b -e -vv
send() { udp_from a $MAC_A $MAC_B 10.63.0.1 10.63.0.2 "$@"; }
send 7100
send 7101
send 7102 --tag 0x8100:43
send 7103 --tag 0x8100:45
send 7104 --tag 0x8100:46:3
send 7105
send 7106
send 7107
stop_capture eb
cat "$WORK/eb.txt" | paste - - >"$WORK/eb1.txt" # tcpdump -vv prints two lines per frame
frame() { grep "10.63.0.2.$1:" "$WORK/eb1.txt"; }
check "mod_vlan_vid:42 tags the untagged frame" grep -q "802.1Q (0x8100), length 64: vlan 42, p 0, ethertype IPv4" <<<"$(frame 7100)"
check "mod_vlan_pcp:5 tags it with priority 5" grep -q "vlan 0, p 5, ethertype IPv4" <<<"$(frame 7101)"
check "strip_vlan removes tag 43" bash -c "f='$(frame 7102)'; grep -q '$MAC_B, ethertype IPv4 (0x0800), length 56' <<<\"\$f\" && ! grep -q vlan <<<\"\$f\""
check "push_vlan:0x88a8 + mod_vlan_vid:7 over tag 45" grep -q "802.1Q-QinQ (0x88a8), length 64: vlan 7, p 0, ethertype 802.1Q (0x8100), vlan 45, p 0, ethertype IPv4" <<<"$(frame 7103)"
check "mod_vlan_vid:47 keeps the priority (3)" grep -q "vlan 47, p 3, ethertype IPv4" <<<"$(frame 7104)"
check "mod_dl_src/mod_dl_dst" grep -q "02:00:00:00:aa:01 > 02:00:00:00:bb:02, ethertype IPv4" <<<"$(frame 7105)"
check "mod_nw_tos:184 (DSCP 46), checksums fine" bash -c "grep -q 'tos 0xb8,' <<<'$(frame 7106)' && grep -q 'udp sum ok' <<<'$(frame 7106)'"
check "no bad IP header checksum anywhere" bash -c "! grep -q 'bad cksum' $WORK/eb1.txt"
# Three outputs of one frame, each as the actions had left it at that point.
frame 7107 >"$WORK/order.txt"
cat "$WORK/order.txt"
check "in order: three copies" test "$(wc -l <"$WORK/order.txt")" -eq 3
check "1st: untagged, TOS 0" bash -c "sed -n 1p $WORK/order.txt | grep -q '$MAC_A > $MAC_B, ethertype IPv4.*tos 0x0,'"
check "2nd: VLAN 9, TOS 0x20" bash -c "sed -n 2p $WORK/order.txt | grep -q 'vlan 9, p 0, ethertype IPv4.*tos 0x20,'"
check "3rd: untagged again, TOS 0x20, new source" bash -c "sed -n 3p $WORK/order.txt | grep -q '02:00:00:00:aa:09 > $MAC_B, ethertype IPv4.*tos 0x20,'"
finish
