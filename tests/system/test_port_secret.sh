#!/usr/bin/env bash
# test_port_secret.sh - a memif port's secret is never in a reply (port.list, show, --json):
# replies say secret=set; the stored configuration keeps it, across a restart and a re-save.
source "$(dirname "$0")/lib.sh"

SECRET="Pw${T}xQ7zK"
start_sluiced
ctl add-port ms type=memif socket="$WORK/memif.sock" id=0 secret="$SECRET" >/dev/null
chmod 0711 "$WORK"
chmod 0666 "$SOCK"
as_reader() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

/usr/bin/python3 - "$SOCK" >"$WORK/list.json" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b'{"jsonrpc":"2.0","id":1,"method":"port.list","params":{}}')
print(s.recv(1 << 20).decode())
PY
as_reader /usr/bin/python3 - "$SOCK" >"$WORK/list-reader.json" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b'{"jsonrpc":"2.0","id":1,"method":"port.list","params":{}}')
print(s.recv(1 << 20).decode())
PY
check "port.list as a read-only client answers" grep -q '"name":"ms"' "$WORK/list-reader.json"
check "port.list as a read-only client: no secret" bash -c '! grep -q "$1" "$2"' _ "$SECRET" "$WORK/list-reader.json"
check "port.list as root: no secret" bash -c '! grep -q "$1" "$2"' _ "$SECRET" "$WORK/list.json"
check "port.list says the secret is set" \
    python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["result"]["ports"][0]; assert p["options"]["secret"] == "set", p' "$WORK/list-reader.json"
out=$(as_reader "$SLUICECTL" --sock "$SOCK" --json show 2>&1)
check "show --json: no secret" bash -c '! grep -q "$1" <<<"$2" && grep -q "\"secret\": *\"set\"" <<<"$2"' _ "$SECRET" "$out"
out=$(as_reader "$SLUICECTL" --sock "$SOCK" show 2>&1)
echo "$out"
check "show: secret=set, not the secret" bash -c '! grep -q "$1" <<<"$2" && grep -q "secret=set" <<<"$2"' _ "$SECRET" "$out"
check "the stored configuration keeps the secret" grep -q "$SECRET" "$STATE/config.json"

stop_sluiced
start_sluiced
ctl add-flow "priority=3,actions=normal" >/dev/null # saves the configuration again
check "after a restart and a save the stored secret is intact" grep -q "\"secret\": *\"$SECRET\"" "$STATE/config.json"
out=$(ctl --json show)
check "after a restart replies still hide it" bash -c '! grep -q "$1" <<<"$2"' _ "$SECRET" "$out"
finish
