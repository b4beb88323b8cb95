#!/usr/bin/env bash
# test_capture_limits.sh - capture ring memory is bounded per client and in total
# (--capture-mem-per-client, --capture-mem-total), refused with one clear message, and given
# back when captures close; a looping filter is refused when the capture opens.
source "$(dirname "$0")/lib.sh"

add_host a 10.81.0.1/24
start_sluiced --capture-mem-per-client 8 --capture-mem-total 12
ctl add-port pa type=afpacket dev="$(veth a)"
CAPCLIENT="$ROOT/tests/system/capclient.py"
ncaps() { ctl --json capture-list | grep -c '"id"'; }

# client NAME COUNT [KIND]: a client opening COUNT captures with 1 MiB rings, kept open until
# its stdin closes; its output goes to $WORK/NAME.out.
client() {
    exec {fd}> >(python3 "$CAPCLIENT" "$SOCK" pa in "$2" "${3:-longest}" 1048576 >"$WORK/$1.out" 2>&1)
    eval "FD_$1=$fd"
    BG_PIDS+=($!)
    for _ in $(seq 1 100); do grep -qE "^(ready|error)" "$WORK/$1.out" 2>/dev/null && return; sleep 0.05; done
}
opened() { grep -c '^opened' "$WORK/$1.out"; }

# A 1 MiB ring takes 1 MiB and a 4 KiB header: seven fit in 8 MiB, the eighth does not.
client one 8
cat "$WORK/one.out" | tail -1
check "per client: 7 rings of 1 MiB open" test "$(opened one)" -eq 7
check "per client: the 8th is refused with the limit" grep -qx "error: capture ring memory limit: 7.0 MiB in use by this client, 1.0 MiB more asked, at most 8 MiB per client (sluiced --capture-mem-per-client)" "$WORK/one.out"
# The refused client closed its connection, so its captures are gone; hold 7 again.
for _ in $(seq 1 50); do [ "$(ncaps)" -eq 0 ] && break; sleep 0.1; done
client two 7
check "7 held by a second client" test "$(opened two)" -eq 7
client three 8
tail -1 "$WORK/three.out"
check "total: 4 more fit in 12 MiB" test "$(opened three)" -eq 4
check "total: the next is refused with the limit" grep -qx "error: capture ring memory limit: 11.0 MiB in use, 1.0 MiB more asked, at most 12 MiB in total (sluiced --capture-mem-total)" "$WORK/three.out"
for _ in $(seq 1 50); do [ "$(ncaps)" -eq 7 ] && break; sleep 0.1; done
check "the refused client's captures closed with it" test "$(ncaps)" -eq 7
eval "exec $FD_two>&-"
for _ in $(seq 1 50); do [ "$(ncaps)" -eq 0 ] && break; sleep 0.1; done
check "closing captures gives the memory back" test "$(ncaps)" -eq 0
client four 7
check "a new client gets the memory again" test "$(opened four)" -eq 7
eval "exec $FD_four>&-"

# sluicedump's default ring (4 MiB) still works within the limits; a 1 GiB ring does not.
out=$("$SLUICEDUMP" -i pa --ring-size 1G -c 1 -w /dev/null 2>&1)
echo "$out"
check "sluicedump --ring-size 1G refused with the limit" grep -q "capture ring memory limit" <<<"$out"

# The looping filter is refused when the capture opens, with the reason.
client spin 1 spin
cat "$WORK/spin.out"
check "a looping filter is refused" grep -q "^error: filter rejected: insn 1: backward jump to insn 0 is not a protochain loop" "$WORK/spin.out"

out=$("$SLUICED" --capture-mem-total 0 2>&1)
check "a bad limit is refused" grep -q "expected 1..1048576 MiB" <<<"$out"
finish
