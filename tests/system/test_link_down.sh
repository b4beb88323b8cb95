#!/usr/bin/env bash
# test_link_down.sh - the interface under an afpacket port disappears: the port is reported
# down, the switch keeps serving, and re-adding the port once the interface is back works.
source "$(dirname "$0")/lib.sh"

add_host a 10.82.0.1/24
add_host b 10.82.0.2/24 02:00:00:00:82:02
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"
check "ping before" in_ns a ping -c 1 -W 2 10.82.0.2
ip link del "$(veth b)"
sleep 0.5
check "daemon alive" kill -0 "$SLUICED_PID"
check "port reported down" bash -c "$SLUICECTL --sock $SOCK show pb | grep -q ' down '"
check "traffic toward the dead port is dropped, not crashing" bash -c "! ip netns exec $(ns a) ping -c 2 -i 0.2 -W 1 10.82.0.2 >/dev/null"
# Bring the interface back and re-add the port.
ip link add "$(veth b)" type veth peer name eth0 netns "$(ns b)"
ip -n "$(ns b)" link set eth0 address 02:00:00:00:82:02
ip -n "$(ns b)" addr add 10.82.0.2/24 dev eth0
ip -n "$(ns b)" link set eth0 up
ip link set "$(veth b)" up
check "del-port" ctl del-port pb
check "re-add port" ctl add-port pb type=afpacket dev="$(veth b)"
check "ping after re-adding" in_ns a ping -c 2 -i 0.2 -W 2 10.82.0.2
finish
