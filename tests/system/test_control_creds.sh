#!/usr/bin/env bash
# test_control_creds.sh - rights on the control socket come from the credentials a client had
# when it connected: neither groups gained afterwards nor a member's process that later gets
# the connector's pid lend it the admin group's rights.
source "$(dirname "$0")/lib.sh"

ADM="sl${T}adm"
add_group "$ADM"
ADM_GID=$(gid "$ADM")
start_sluiced --group "$ADM"
check "socket group is the admin group" test "$(stat -c %g "$SOCK")" = "$ADM_GID"
check "socket mode 0660" test "$(stat -c %a "$SOCK")" = 660
chmod 0711 "$WORK"

as_member() { setpriv --reuid=65534 --regid=65534 --groups="$ADM_GID" "$@"; }
check "a member by supplementary group may configure" \
    as_member "$SLUICECTL" --sock "$SOCK" add-flow "priority=11,actions=normal"
# Non-members must reach the socket for the rest: as if its mode had been widened.
chmod 0666 "$SOCK"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$SLUICECTL" --sock "$SOCK" \
    add-flow "priority=12,actions=normal" 2>&1)
check "a non-member may not configure" grep -q "permission denied: flows.add needs root or the admin group" <<<"$out"

# A process connects with no groups, then takes the admin group (it is root underneath, with
# only its effective uid dropped): the connection keeps the rights it was accepted with.
/usr/bin/python3 - "$SOCK" "$ADM_GID" >"$WORK/gained.txt" 2>&1 <<'PY'
import json, os, socket, sys
path, adm = sys.argv[1], int(sys.argv[2])
os.setgroups([])
os.setegid(65534)
os.seteuid(65534)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(path)
os.seteuid(0)
os.setgroups([adm])
os.seteuid(65534)
groups = [l for l in open("/proc/self/status") if l.startswith("Groups:")][0].split()[1:]
print("groups now", groups)
assert str(adm) in groups
s.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "flows.add",
                   "params": {"flows": ["priority=13,actions=normal"]}}).encode())
print(s.recv(65536).decode())
PY
cat "$WORK/gained.txt"
check "groups gained after connecting give no rights" grep -q '"code":-32001' "$WORK/gained.txt"

# A non-member connects and hands the connection to its child, then exits; a member's process
# is made to get the same pid. The child's requests stay a non-member's.
mkdir -m 0777 "$WORK/u"
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 - "$SOCK" "$WORK/u" <<'PY' &
import json, os, socket, sys, time
path, d = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(path)
if os.fork():
    os._exit(0)
for _ in range(400):
    if os.path.exists(d + "/go"):
        break
    time.sleep(0.05)
s.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "flows.add",
                   "params": {"flows": ["priority=14,actions=normal"]}}).encode())
open(d + "/reply", "w").write(s.recv(65536).decode())
PY
CONNECTOR=$!
wait "$CONNECTOR"
IMPOSTOR=
for _ in $(seq 1 50); do
    echo $((CONNECTOR - 1)) >/proc/sys/kernel/ns_last_pid
    setpriv --reuid=65534 --regid=65534 --groups="$ADM_GID" sleep 60 &
    p=$!
    if [ "$p" = "$CONNECTOR" ]; then
        IMPOSTOR=$p
        BG_PIDS+=("$p")
        break
    fi
    kill "$p"
    wait "$p" 2>/dev/null
done
check "a member's process got the connector's pid" test -n "$IMPOSTOR"
for _ in $(seq 1 40); do # until setpriv has set the groups and run sleep
    grep -q "^Name:.*sleep" "/proc/$CONNECTOR/status" 2>/dev/null && break
    sleep 0.05
done
grep -E "^(Name|Uid|Groups)" "/proc/$CONNECTOR/status"
check "it is in the admin group" grep -qE "^Groups:.*\b$ADM_GID\b" "/proc/$CONNECTOR/status"
touch "$WORK/u/go"
for _ in $(seq 1 100); do
    [ -s "$WORK/u/reply" ] && break
    sleep 0.05
done
cat "$WORK/u/reply"
echo
check "a reused pid gives no rights" grep -q '"code":-32001' "$WORK/u/reply"
[ -n "$IMPOSTOR" ] && kill "$IMPOSTOR"

rules=$(ctl dump-flows)
echo "$rules"
check "the member's flow is there" grep -q "priority=11" <<<"$rules"
check "no refused flow was added" bash -c '! grep -qE "priority=1[234]" <<<"$1"' _ "$rules"
finish
