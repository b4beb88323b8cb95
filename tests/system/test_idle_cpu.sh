#!/usr/bin/env bash
# test_idle_cpu.sh - adaptive polling: a switch with ports but no traffic sleeps in epoll and
# uses (almost) no CPU; after a burst of traffic it goes back to sleep.
source "$(dirname "$0")/lib.sh"

add_host a 10.83.0.1/24
add_host b 10.83.0.2/24
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"
ctl add-port pt type=tap dev="i$T"
CREATED_LINKS+=("i$T")
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SLUICED_PID/stat"; }
idle_for() { # ticks used over $1 seconds
    local t0 t1
    t0=$(cpu_ticks)
    sleep "$1"
    t1=$(cpu_ticks)
    echo $((t1 - t0))
}
hz=$(getconf CLK_TCK)
used=$(idle_for 3)
echo "idle: $used ticks of $((3 * hz)) in 3 s"
check "idle switch uses under 3% of a core" test "$used" -le $((3 * hz * 3 / 100))
in_ns a ping -f -c 2000 -W 1 10.83.0.2 >/dev/null
sleep 0.5
used=$(idle_for 3)
echo "after traffic: $used ticks in 3 s"
check "back to sleep after traffic" test "$used" -le $((3 * hz * 3 / 100))
finish
