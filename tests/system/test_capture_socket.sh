#!/usr/bin/env bash
# test_capture_socket.sh - with a capture group of its own, members of it read and capture
# through SOCK.capture (group-owned by them) but change nothing; the admin socket stays closed
# to them, and users in neither group reach neither socket.
source "$(dirname "$0")/lib.sh"

ADM="sl${T}adm"
CAP="sl${T}cap"
add_group "$ADM"
add_group "$CAP"
ADM_GID=$(gid "$ADM")
CAP_GID=$(gid "$CAP")
start_sluiced --group "$ADM" --capture-group "$CAP"
chmod 0711 "$WORK"
check "admin socket: mode 0660, group $ADM" test "$(stat -c %a:%g "$SOCK")" = "660:$ADM_GID"
check "capture socket: mode 0660, group $CAP" test "$(stat -c %a:%g "$SOCK.capture")" = "660:$CAP_GID"
ctl add-port cp type=tap dev="t$T" >/dev/null

as_cap() { setpriv --reuid=65534 --regid=65534 --groups="$CAP_GID" "$@"; }
as_none() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

out=$(as_cap "$SLUICECTL" --sock "$SOCK" show 2>&1)
echo "$out"
check "a capture member reads the ports" grep -q "^cp" <<<"$out"
out=$(as_cap "$SLUICECTL" --sock "$SOCK" add-flow "priority=7,actions=drop" 2>&1)
echo "$out"
check "a capture member may not configure" grep -q "permission denied: flows.add is not served on the capture socket" <<<"$out"
as_cap timeout -s INT 2 "$SLUICEDUMP" --sock "$SOCK" -i cp >"$WORK/dump.out" 2>"$WORK/dump.err"
cat "$WORK/dump.err"
check "a capture member captures" grep -q "listening on cp" "$WORK/dump.err"

# Root on the capture socket still changes nothing: that socket never serves a change.
python3 - "$SOCK.capture" >"$WORK/root.txt" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "port.del",
                   "params": {"name": "cp"}}).encode())
print(s.recv(65536).decode())
PY
cat "$WORK/root.txt"
check "root on the capture socket may not configure" grep -q '"code":-32001' "$WORK/root.txt"

out=$(as_none "$SLUICECTL" --sock "$SOCK" show 2>&1)
echo "$out"
check "a user in neither group reaches neither socket" grep -q "permission denied on $SOCK" <<<"$out"
out=$(as_none "$SLUICECTL" --sock "$SOCK" add-flow "priority=8,actions=drop" 2>&1)
check "a user in neither group may not configure" grep -q "permission denied" <<<"$out"
check "an admin member configures" setpriv --reuid=65534 --regid=65534 --groups="$ADM_GID" \
    "$SLUICECTL" --sock "$SOCK" add-flow "priority=9,actions=normal"
rules=$(ctl dump-flows)
check "only the admin's flow was added" bash -c 'grep -q priority=9 <<<"$1" && ! grep -qE "priority=[78]" <<<"$1"' _ "$rules"
check "the port is still there" grep -q "^cp" <<<"$(ctl show)"
stop_sluiced
check "both sockets removed at exit" test ! -e "$SOCK" -a ! -e "$SOCK.capture"
finish
