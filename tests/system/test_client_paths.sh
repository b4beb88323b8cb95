#!/usr/bin/env bash
# test_client_paths.sh - a non-root member of the admin group reaches files and sockets only
# with its own rights: pcap files are opened by sluicectl and passed to the switch, memif
# sockets stay inside the socket directory; root keeps naming any path.
source "$(dirname "$0")/lib.sh"

GRP="sl${T}adm"
groupadd "$GRP" || exit 1
trap 'rc=$?; groupdel "$GRP" 2>/dev/null; (exit $rc); cleanup' EXIT
GID=$(getent group "$GRP" | cut -d: -f3)
# A uid nobody has: the client is a member of the admin group through its supplementary groups.
CUID=61000
while getent passwd "$CUID" >/dev/null; do CUID=$((CUID + 1)); done
as_user() { setpriv --reuid="$CUID" --regid=65534 --groups="$GID" "$@"; }
uctl() { as_user "$SLUICECTL" --sock "$SOCK" "$@"; }

chmod 0711 "$WORK"
UDIR="$WORK/user"
mkdir -p "$UDIR" "$WORK/outdir"
chown "$CUID:65534" "$UDIR"
chmod 0700 "$UDIR"

python3 - "$UDIR/in.pcap" "$WORK/secret.pcap" <<'PY'
import struct, sys
for path in sys.argv[1:]:
    out = open(path, "wb")
    out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(20):
        frame = b"\xff" * 6 + bytes([2, 0, 0, 0, 0x20, i]) + b"\x08\x00" + bytes(46)
        out.write(struct.pack("<IIII", 1000 + i, 0, len(frame), len(frame)) + frame)
PY
chown "$CUID:65534" "$UDIR/in.pcap"
chmod 0600 "$WORK/secret.pcap"
echo "root's own data" >"$WORK/secret"
chmod 0600 "$WORK/secret"
cp "$WORK/secret" "$WORK/secret.orig"

start_sluiced --group "$GRP"
chgrp "$GRP" "$SOCK" # the client reaches the socket through the admin group

# pcap out=: a root-owned file cannot be overwritten, by sluicectl or by a raw request.
out=$(uctl add-port o1 type=pcap out="$WORK/secret" 2>&1)
echo "$out"
check "out= on a root-owned 0600 file is refused" grep -q "Permission denied" <<<"$out"
check "the root-owned file is unchanged" cmp -s "$WORK/secret" "$WORK/secret.orig"
check "no port was made" bash -c "! $(printf %q "$SLUICECTL") --sock $(printf %q "$SOCK") show o1"
raw() { # raw OPTION PATH: port.add as the client without passing a descriptor
    as_user /usr/bin/python3 - "$SOCK" "$1" "$2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
req = {"jsonrpc": "2.0", "id": 1, "method": "port.add",
       "params": {"name": "raw", "type": "pcap", "options": {sys.argv[2]: sys.argv[3]}}}
s.send(json.dumps(req).encode())
print(json.loads(s.recv(65536)))
PY
}
out=$(raw out "$WORK/secret" 2>&1)
echo "$out"
check "a raw out= request without a descriptor is refused" grep -q "must open the file itself" <<<"$out"
check "the root-owned file is still unchanged" cmp -s "$WORK/secret" "$WORK/secret.orig"

# pcap in=: a root-owned capture cannot be read.
out=$(uctl add-port i1 type=pcap in="$WORK/secret.pcap" 2>&1)
echo "$out"
check "in= on a root-owned 0600 capture is refused" grep -q "Permission denied" <<<"$out"
out=$(raw in "$WORK/secret.pcap" 2>&1)
echo "$out"
check "a raw in= request without a descriptor is refused" grep -q "must open the file itself" <<<"$out"
check "nothing was replayed" test -z "$(ctl show | awk 'NR > 1')"

# The client's own files work; out= is created by the client, relative names are its own.
# (The recording port comes first: the replay starts as soon as in= is added.)
check "out= in the client's directory, named relative to its cwd" \
    bash -c "cd $(printf %q "$UDIR") && setpriv --reuid=$CUID --regid=65534 --groups=$GID \
        $(printf %q "$SLUICECTL") --sock $(printf %q "$SOCK") add-port uout type=pcap out=rel.pcap"
check "in= on the client's own capture" uctl add-port uin type=pcap in="$UDIR/in.pcap"
for _ in $(seq 1 50); do
    [ "$(port_stat uout tx_packets)" -ge 20 ] && break
    sleep 0.1
done
check "20 frames recorded" test "$(port_stat uout tx_packets)" -eq 20
check "the recording belongs to the client" test "$(stat -c %u "$UDIR/rel.pcap")" = "$CUID"
check "the recording holds the frames" test "$(tcpdump -r "$UDIR/rel.pcap" 2>/dev/null | wc -l)" -eq 20
show=$(ctl --json show uout)
check "show names the file by its absolute path" grep -q "\"out\": \"$UDIR/rel.pcap\"" <<<"$show"
check "show says the file was passed" grep -q '"files_passed": true' <<<"$show"
check "show says it is not reopened at a restart" grep -q '"reopened_at_restart": false' <<<"$show"
check "show's table marks it" grep -q "not restored after a restart" <<<"$(ctl show uout)"

# memif socket=: only inside the socket directory.
mkdir -p "$SOCKDIR"
ln -s "$WORK/outdir" "$SOCKDIR/link" || fail "cannot make the test's symbolic link"
echo "not a socket" >"$SOCKDIR/victim"
mref() { # mref DESCRIPTION SOCKET EXPECTED-ERROR
    local out
    out=$(uctl add-port mx type=memif socket="$2" 2>&1)
    echo "$out"
    check "$1" grep -q -- "$3" <<<"$out"
}
mref "memif socket outside the socket directory refused" "$WORK/evil.sock" "outside the socket directory"
mref "memif socket with .. refused" "$SOCKDIR/../evil.sock" "must not contain . or .."
mref "memif socket through a symbolic link refused" "$SOCKDIR/link/evil.sock" "symbolic link"
mref "abstract memif socket refused" "@sluice$T" "abstract socket names"
mref "memif socket on a regular file refused" "$SOCKDIR/victim" "not a socket"
mref "memif socket relative path refused" "evil.sock" "must be absolute"
check "nothing was bound outside" test ! -e "$WORK/evil.sock" -a ! -e "$WORK/outdir/evil.sock"
check "the regular file is untouched" grep -q "not a socket" "$SOCKDIR/victim"
check "no memif port was made" bash -c "! $(printf %q "$SLUICECTL") --sock $(printf %q "$SOCK") show mx"
check "memif socket inside the socket directory" uctl add-port mok type=memif socket="$SOCKDIR/ok.sock"
check "its socket exists" test -S "$SOCKDIR/ok.sock"
check "second memif port" uctl add-port mswap type=memif socket="$SOCKDIR/swap.sock"
# What replaces a bound socket's name is not removed with the port.
rm -f "$SOCKDIR/swap.sock"
echo "kept" >"$SOCKDIR/swap.sock"
check "port removed" uctl del-port mswap
check "the file that took the socket's name is kept" grep -q kept "$SOCKDIR/swap.sock"

# Root still names any path, abstract sockets included, and opens any file.
check "root: memif socket anywhere" ctl add-port rm type=memif socket="$WORK/root.sock"
check "root: abstract memif socket" ctl add-port ra type=memif socket="@sluice-$T-root"
check "root: pcap in= a root-owned capture" ctl add-port rin type=pcap in="$WORK/secret.pcap"
check "root: pcap out= anywhere" ctl add-port rout type=pcap out="$WORK/root-out.pcap"
check "root's pcap port is reopened at a restart" \
    grep -q '"reopened_at_restart": true' <<<"$(ctl --json show rout)"

for _ in $(seq 1 50); do
    [ "$(port_stat uout tx_packets)" -ge 40 ] && break
    sleep 0.1
done
check "root's capture was replayed too" test "$(port_stat uout tx_packets)" -eq 40
# A restart reopens root's files by name, not the client's; the client's socket is checked again.
size_before=$(stat -c %s "$UDIR/rel.pcap")
stop_sluiced
start_sluiced --group "$GRP"
check "root's pcap ports restored" ctl show rout
check "root's memif ports restored" ctl show rm
check "the client's memif port restored" ctl show mok
check "the client's pcap ports are not restored" \
    bash -c "! $(printf %q "$SLUICECTL") --sock $(printf %q "$SOCK") show uout"
check "the log says why" grep -q "port uout not restored: not reopened at start" "$WORK/sluiced.log"
check "the client's recording was not touched by the restart" \
    test "$(stat -c %s "$UDIR/rel.pcap")" -eq "$size_before"
check "switch still running" kill -0 "$SLUICED_PID"
finish
