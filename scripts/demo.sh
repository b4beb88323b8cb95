#!/usr/bin/env bash
# scripts/demo.sh - sluice in one minute: installs what it needs, builds, joins two network
# namespaces through sluiced, pings across, shows counters and the MAC table, cleans up.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates namespaces)" >&2; exit 1; }
bash scripts/install-deps.sh
make -j"$(nproc)" build/sluiced build/sluicectl build/sluicedump >/dev/null

work=$(mktemp -d /tmp/sluice-demo.XXXXXX)
sock=$work/sluiced.sock
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    ip netns del demo-a 2>/dev/null || true
    ip netns del demo-b 2>/dev/null || true
    ip link del demo-va 2>/dev/null || true
    ip link del demo-vb 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ctl() { echo "+ sluicectl $*"; build/sluicectl --sock "$sock" "$@"; }

for h in a b; do
    ip netns add demo-$h
    ip link add demo-v$h type veth peer name eth0 netns demo-$h
    ip link set demo-v$h up
    ip -n demo-$h link set eth0 up
done
ip -n demo-a addr add 10.99.0.1/24 dev eth0
ip -n demo-b addr add 10.99.0.2/24 dev eth0

build/sluiced --sock "$sock" --state-dir "$work/state" 2>"$work/sluiced.log" &
pid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
ctl add-port a type=afpacket dev=demo-va
ctl add-port b type=afpacket dev=demo-vb
echo "+ ip netns exec demo-a ping -c 3 10.99.0.2"
ip netns exec demo-a ping -c 3 -i 0.3 10.99.0.2
ctl show
ctl port-stats a
ctl fdb-show
echo "demo done; the daemon's log:"
sed 's/^/    /' "$work/sluiced.log"
