#!/usr/bin/env bash
# test_vnic_scale.sh - 1,024 virtual NICs, each in its own namespace: created in one command,
# each pinged once from the uplink host, then deleted, leaving no namespace, device, port or
# descriptor behind.
source "$(dirname "$0")/lib.sh"

N=${VNIC_SCALE_COUNT:-1024}
NSP="vs$T-"
NET=10.64
HOSTIP=$NET.255.254

# The kernel's neighbour table is shared by all namespaces: the uplink host learns N
# neighbours and every virtual NIC one. Raise its limits for the test, then put them back.
GC=/proc/sys/net/ipv4/neigh/default
saved_gc=$(cat $GC/gc_thresh1 $GC/gc_thresh2 $GC/gc_thresh3)
need=$((4 * N))
set_gc() { echo "$1" >$GC/gc_thresh1 && echo "$2" >$GC/gc_thresh2 && echo "$3" >$GC/gc_thresh3; }
scale_cleanup() {
    local rc=$?
    # shellcheck disable=SC2086
    set_gc $saved_gc
    if [ -n "$SLUICED_PID" ]; then ctl vnic-del --all >/dev/null 2>&1; fi
    for n in $(ip netns list | awk '{print $1}' | grep "^$NSP"); do ip netns del "$n"; done
    (exit $rc)
    cleanup
}
trap scale_cleanup EXIT
read -r g1 g2 g3 <<<"$saved_gc"
set_gc $((g1 > need ? g1 : need)) $((g2 > 2 * need ? g2 : 2 * need)) $((g3 > 4 * need ? g3 : 4 * need))

add_host up $HOSTIP/16 02:5c:00:01:ff:fe
start_sluiced
check "uplink port" ctl add-port uplink type=afpacket dev="$(veth up)"
fds_before=$(ls /proc/"$SLUICED_PID"/fd | wc -l)

start=$(date +%s.%N)
out=$(ctl vnic-add --count "$N" --mac 02:5c:00:01:00:00 --ip $NET.0.1/16 --netns "$NSP" --name vs)
rc=$?
echo "$out (command returned after $(echo "$(date +%s.%N) - $start" | bc) s)"
check "$N virtual NICs created" test "$rc" -eq 0
check "$N namespaces" test "$(ip netns list | grep -c "^$NSP")" -eq "$N"
check "$N listed" test "$(ctl vnic-list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')" -eq "$N"

start=$(date +%s.%N)
# One shell inside the uplink host for all the pings (not one `ip netns exec` each).
missed=$(in_ns up bash -c '
    for i in $(seq 0 $(('"$N"' - 1))); do
        ip='"$NET"'.$(((i + 1) / 256)).$(((i + 1) % 256))
        ping -c 1 -W 5 -q "$ip" >/dev/null || echo "$ip"
    done')
answered=$((N - $(grep -c . <<<"$missed")))
echo "pinged $N in $(echo "$(date +%s.%N) - $start" | bc) s; no answer from: ${missed:-none}"
check "every virtual NIC answered ($answered of $N)" test "$answered" -eq "$N"

out=$(ctl vnic-del --all)
echo "$out"
check "deleted all" grep -q "^deleted $N virtual NICs" <<<"$out"
check "no namespace left" test "$(ip netns list | grep -c "^$NSP")" -eq 0
check "no virtual NIC listed" test "$(ctl vnic-list | grep -c '^vs')" -eq 0
check "no tap port left" test "$(ctl show | grep -c ' tap ')" -eq 0
check "no device of ours in the switch's namespace" test "$(ip -br link | grep -c '^vs[0-9]')" -eq 0
leftover=0
for n in $(ip netns list | awk '{print $1}'); do
    ip -n "$n" -br link 2>/dev/null | grep -q '^vs[0-9]' && leftover=$((leftover + 1))
done
check "no device of ours in any named namespace" test "$leftover" -eq 0
fds_after=$(ls /proc/"$SLUICED_PID"/fd | wc -l)
check "descriptors back to where they were ($fds_before -> $fds_after)" \
    test "$fds_after" -le "$fds_before"
finish
