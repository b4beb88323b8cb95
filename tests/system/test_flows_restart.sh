#!/usr/bin/env bash
# test_flows_restart.sh - rules are stored with the configuration and come back after a
# restart: with their cookies, timeouts and tie order, pointing at the same ports even when the
# ports come back under other numbers; an emptied table stays empty (nothing forwarded).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/flows_lib.sh"

MAC_A=02:00:00:00:64:01
MAC_B=02:00:00:00:64:02
MAC_C=02:00:00:00:64:03
add_host z 10.64.0.9/24
add_host a 10.64.0.1/24 $MAC_A
add_host b 10.64.0.2/24 $MAC_B
add_host c 10.64.0.3/24 $MAC_C
for h in a b c; do
    for n in 1 2 3; do neigh $h 10.64.0.$n 02:00:00:00:64:0$n; done
done
start_sluiced
ctl add-port pz type=afpacket dev="$(veth z)"
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"
ctl add-port pc type=afpacket dev="$(veth c)"
# Two rules of equal priority both match UDP to 10.64.0.3:7200; the one added first wins.
ctl add-flows - <<EOF
priority=100,icmp,in_port=pa,nw_dst=10.64.0.3,actions=output:pb
cookie=0x1234,priority=50,udp,tp_dst=7200,actions=output:pb
priority=50,udp,nw_dst=10.64.0.3,actions=output:pc
idle_timeout=600,priority=40,udp,tp_dst=7300,actions=drop
EOF
ctl del-port pz # the ports after it come back one number lower
ctl dump-flows

# tie_winner: sends one datagram for c's port 7200 and says where it arrived.
tie_winner() {
    capture tb b udp
    capture tc c udp
    udp_from a $MAC_A $MAC_C 10.64.0.1 10.64.0.3 7200
    stop_capture tb >/dev/null
    stop_capture tc >/dev/null
    echo "b=$(grep -c 7200 "$WORK/tb.txt") c=$(grep -c 7200 "$WORK/tc.txt")"
}
check "before restart: the first-added rule wins the tie (b)" test "$(tie_winner)" = "b=1 c=0"
check "before restart: pings for c are steered to b" bash -c "! ip netns exec $(ns a) ping -c 1 -W 1 10.64.0.3 >/dev/null"

stop_sluiced
python3 -c "import json; d=json.load(open('$STATE/config.json'))['sections']['flows']; print(d['ports']); print('\n'.join(d['rules']))"
start_sluiced
after=$(ctl dump-flows)
echo "$after"
check "5 rules restored (4 added and NORMAL)" test "$(wc -l <<<"$after")" -eq 5
check "ports renumbered in the rules (pa: 1 -> 0, pb: 2 -> 1)" \
    grep -q " priority=100,icmp,in_port=0,nw_dst=10.64.0.3 actions=output:1$" <<<"$after"
check "cookie kept" grep -q "cookie=0x1234, .* priority=50,udp,tp_dst=7200 actions=output:1$" <<<"$after"
check "idle timeout kept" grep -q "idle_timeout=600, .*priority=40,udp,tp_dst=7300 actions=drop$" <<<"$after"
check "pc renumbered (3 -> 2)" grep -q " priority=50,udp,nw_dst=10.64.0.3 actions=output:2$" <<<"$after"
check "the NORMAL rule is back" grep -q " priority=0 actions=NORMAL$" <<<"$after"
check "after restart: the same rule wins the tie (b)" test "$(tie_winner)" = "b=1 c=0"
check "after restart: pings for c still go to b" bash -c "! ip netns exec $(ns a) ping -c 1 -W 1 10.64.0.3 >/dev/null"
check "after restart: a reaches b" in_ns a ping -c 1 -W 2 10.64.0.2

# An emptied table is stored as such: after a restart nothing is forwarded.
ctl del-flows
stop_sluiced
start_sluiced
check "empty table restored" test -z "$(ctl dump-flows)"
check "nothing forwarded" bash -c "! ip netns exec $(ns a) ping -c 1 -W 1 10.64.0.2 >/dev/null"
check "counted as flow drops" test "$(port_stat pa rx_drops.flow)" -ge 1
finish
