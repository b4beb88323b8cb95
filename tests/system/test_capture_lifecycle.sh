#!/usr/bin/env bash
# test_capture_lifecycle.sh - 16 captures at once on two ports; a killed sluicedump leaves no
# agent, ring or descriptor behind within a second; a full ring counts drops that the tool
# reports, while forwarding goes on; errors are one line with exit status 1.
source "$(dirname "$0")/lib.sh"

add_host a 10.85.0.1/24
add_host b 10.85.0.2/24
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"
ncaps() { ctl --json capture-list | grep -c '"id"'; }
nfds() { ls "/proc/$SLUICED_PID/fd" | wc -l; }
in_ns a ping -c 1 -W 2 10.85.0.2 >/dev/null
fds0=$(nfds)
pids=()
for i in $(seq 1 16); do
    port=$([ $((i % 2)) -eq 0 ] && echo pa || echo pb)
    dir=$(echo in out inout | cut -d' ' -f$((i % 3 + 1)))
    "$SLUICEDUMP" -i $port -Q $dir --ring-size 64K -w /dev/null "icmp or udp" 2>/dev/null &
    pids+=($!)
    BG_PIDS+=($!)
done
for _ in $(seq 1 100); do [ "$(ncaps)" -eq 16 ] && break; sleep 0.1; done
check "16 captures open" test "$(ncaps)" -eq 16
check "traffic flows with 16 captures" in_ns a ping -c 5 -i 0.1 -W 1 10.85.0.2
kill -9 "${pids[0]}"
sleep 1
check "a killed capture is gone within a second" test "$(ncaps)" -eq 15
for p in "${pids[@]:1}"; do kill -9 "$p"; done
sleep 1
check "all captures gone" test "$(ncaps)" -eq 0
check "no descriptor left behind ($fds0 before, $(nfds) after)" test "$(nfds)" -eq "$fds0"
check "no ring mapping left behind" bash -c "! grep -q memfd /proc/$SLUICED_PID/maps"

# A reader that stops reading: the ring fills, the switch counts drops and keeps forwarding.
"$SLUICEDUMP" -i pb --ring-size 64K -w "$WORK/slow.pcap" 2>"$WORK/slow.err" &
slow=$!
BG_PIDS+=($slow)
for _ in $(seq 1 50); do [ "$(ncaps)" -eq 1 ] && break; sleep 0.1; done
kill -STOP $slow
in_ns a python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(2000):
    s.sendto(bytes(1000), ('10.85.0.2', 9999))
"
dropped=$(ctl --json capture-list | python3 -c 'import json,sys; print(json.load(sys.stdin)["captures"][0]["dropped"])')
echo "ring drops while the reader sleeps: $dropped"
check "full ring counts drops" test "$dropped" -gt 0
check "forwarding unharmed by a full ring" in_ns a ping -c 3 -i 0.1 -W 1 10.85.0.2
kill -CONT $slow
sleep 0.5
kill -INT $slow
wait $slow
cat "$WORK/slow.err"
check "the tool reports the drops" grep -qE "^[1-9][0-9]* packets dropped by switch" "$WORK/slow.err"

# Errors: one line, exit status 1.
for args in "-i nosuch" "-i pa not-a-valid-filter-(" ; do
    out=$("$SLUICEDUMP" $args -w /dev/null 2>&1)
    rc=$?
    echo "sluicedump $args -> $rc: $out"
    lines=$(printf '%s\n' "$out" | wc -l)
    check "sluicedump $args fails with status 1 and one line" test "$rc" -eq 1 -a "$lines" -eq 1
done
out=$("$SLUICEDUMP" --sock "$WORK/none.sock" -i pa 2>&1)
check "switch not running is reported" grep -q "not running" <<<"$out"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$SLUICEDUMP" -i pa -w /dev/null 2>&1)
echo "$out"
check "an unprivileged user may not capture" grep -qi "permission denied" <<<"$out"
finish
