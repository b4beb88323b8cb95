#!/usr/bin/env bash
# test_control_socket.sh - the control socket refuses garbage, oversized and malformed
# requests with an error reply and keeps serving; mode 0660; non-members cannot configure.
source "$(dirname "$0")/lib.sh"

start_sluiced
check "socket mode 0660" test "$(stat -c %a "$SOCK")" = 660
python3 - "$SOCK" <<'PY' >"$WORK/replies.txt" 2>&1
import json, socket, sys
path = sys.argv[1]
def ask(payload):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.setsockopt(socket.SOL_SOCKET, 32, 4 << 20)  # SO_SNDBUFFORCE: room for one big message
    s.connect(path)
    s.send(payload)
    r = s.recv(1 << 20)
    s.close()
    return json.loads(r)
cases = {
    "garbage": b"\x00\xffnot json at all",
    "truncated": b'{"jsonrpc":"2.0","id":1,"method":"port.li',
    "oversized": b"[" * (300 * 1024),
    "not an object": b"[1,2,3]",
    "no method": b'{"jsonrpc":"2.0","id":2}',
    "unknown method": b'{"jsonrpc":"2.0","id":3,"method":"nope"}',
    "bad params": b'{"jsonrpc":"2.0","id":4,"method":"port.add","params":[1]}',
    "missing fields": b'{"jsonrpc":"2.0","id":5,"method":"port.add","params":{}}',
    "deep nesting": b'{"a":' * 100 + b"1" + b"}" * 100,
}
for name, payload in cases.items():
    r = ask(payload)
    print(name, "->", r.get("error", {}).get("code"), r.get("error", {}).get("message"))
    assert "error" in r and "result" not in r, name
r = ask(b'{"jsonrpc":"2.0","id":9,"method":"port.list","params":{}}')
assert r["id"] == 9 and "ports" in r["result"]
print("still serving")
PY
rc=$?
cat "$WORK/replies.txt"
check "every bad request got an error reply and the daemon still serves" test $rc -eq 0
check "oversized named as too large" grep -q "oversized -> -32600 message too large" "$WORK/replies.txt"
check "daemon alive" kill -0 "$SLUICED_PID"
# A user outside the admin group may read but not change the configuration.
chmod 0777 "$WORK" "$SOCK"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$SLUICECTL" --sock "$SOCK" add-port t1 type=tap 2>&1)
echo "$out"
check "non-member denied" grep -q "permission denied" <<<"$out"
check "non-member may read" setpriv --reuid=65534 --regid=65534 --clear-groups "$SLUICECTL" --sock "$SOCK" show
finish
