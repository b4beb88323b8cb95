#!/usr/bin/env bash
# test_config_unsaved.sh - a change the switch cannot store is refused: port.add, flows.add
# and vnic.add are taken back and answer an error naming the cause; a deletion that cannot be
# stored is refused with an error saying the stored configuration still has the port.
source "$(dirname "$0")/lib.sh"

start_sluiced
ctl add-port keep type=tap dev="tk$T" >/dev/null
# The state directory replaced by a file: nothing can be written under it, even by root.
mv "$STATE" "$STATE.aside"
echo "not a directory" >"$STATE"
CREATED_LINKS+=("tu$T" "vu${T}0" "vu${T}1")

rc=0
out=$(ctl add-port unsaved type=tap dev="tu$T" 2>&1) || rc=$?
echo "$out"
check "port.add fails" test "$rc" -ne 0
check "port.add names the cause" grep -q "configuration not saved: cannot write $STATE/.config.json.tmp: Not a directory; change rolled back" <<<"$out"
check "the port is not there" bash -c '! grep -q "^unsaved" <<<"$1"' _ "$(ctl show)"
check "its device is gone" bash -c '! ip link show "$1" 2>/dev/null' _ "tu$T"

rc=0
out=$(ctl add-flow "priority=77,actions=drop" 2>&1) || rc=$?
echo "$out"
check "flows.add fails" test "$rc" -ne 0
check "flows.add names the cause" grep -q "configuration not saved: .*; change rolled back" <<<"$out"
rules=$(ctl dump-flows)
echo "$rules"
check "the flow is not there, the implied rule is" bash -c '! grep -q priority=77 <<<"$1" && grep -q "priority=0 actions=NORMAL" <<<"$1"' _ "$rules"
check "forwarding still works: the switch has no table" test "$(ctl --json flow-stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["rules"])')" = 1

rc=0
out=$(ctl vnic-add --count 2 --mac 02:5c:00:00:31:00 --ip 10.231.0.1/24 --name "vu$T" 2>&1) || rc=$?
echo "$out"
check "vnic.add fails" test "$rc" -ne 0
check "vnic.add names the cause" grep -q "configuration not saved: .*; change rolled back" <<<"$out"
check "no virtual NIC is listed" bash -c '! grep -q "vu$1" <<<"$2"' _ "$T" "$(ctl vnic-list)"
check "no virtual NIC device is left" bash -c '! ip link show "vu${1}0" 2>/dev/null && ! ip link show "vu${1}1" 2>/dev/null' _ "$T"

rc=0
out=$(ctl del-port keep 2>&1) || rc=$?
echo "$out"
check "port.del that cannot be stored fails" test "$rc" -ne 0
check "port.del says the stored configuration still has the port" grep -q "configuration not saved: .*; port keep is removed, but the stored configuration still has it" <<<"$out"

# Storable again: the port whose removal was not stored comes back at a restart, and changes
# are accepted and stored again.
rm -f "$STATE"
mv "$STATE.aside" "$STATE"
stop_sluiced
start_sluiced
check "the port whose removal was not stored is back" grep -q "^keep" <<<"$(ctl show)"
check "none of the refused changes is" bash -c '! grep -qE "^(unsaved|vu)" <<<"$1"' _ "$(ctl show)"
check "flows.add succeeds once the state can be written" ctl add-flow "priority=78,actions=normal"
stop_sluiced
start_sluiced
check "the stored flow is back" grep -q "priority=78" <<<"$(ctl dump-flows)"
finish
