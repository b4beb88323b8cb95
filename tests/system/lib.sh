# tests/system/lib.sh - shared by system tests: namespaces joined to sluiced by veth pairs,
# a private daemon, and cleanup of everything created, whatever way the test ends.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${SLUICE_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
SLUICED="$BUILD/sluiced"
SLUICECTL="$BUILD/sluicectl"
SLUICEDUMP="$BUILD/sluicedump"
# A short random tag keeps names unique (interface names are limited to 15 bytes).
T=${T:-$(printf '%04x' $((RANDOM % 65536)))}
WORK=$(mktemp -d /tmp/sluice-test.XXXXXX)
SOCK="$WORK/sluiced.sock"
STATE="$WORK/state"
# Where non-root clients' sockets go (sluiced --socket-dir): inside the test's directory.
SOCKDIR="$WORK/sockets"
export SLUICE_SOCK="$SOCK"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
CREATED_NS=()
CREATED_LINKS=()
CREATED_GROUPS=()
BG_PIDS=()
SLUICED_PID=
FAILS=0

cleanup() {
    local rc=$?
    for p in "${BG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    stop_sluiced
    for l in "${CREATED_LINKS[@]}"; do ip link del "$l" 2>/dev/null; done
    # Whatever still runs inside a namespace (a server started through a shell function, whose
    # own pid is not in BG_PIDS) goes with it.
    for n in "${CREATED_NS[@]}"; do
        ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$n" 2>/dev/null
    done
    for g in "${CREATED_GROUPS[@]}"; do groupdel "$g" 2>/dev/null; done
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL: $*" >&2
    FAILS=$((FAILS + 1))
}
ok() { echo "ok: $*"; }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}
finish() {
    if [ "$FAILS" -ne 0 ]; then
        echo "$FAILS check(s) failed"
        [ -f "$WORK/sluiced.log" ] && tail -n 30 "$WORK/sluiced.log"
        exit 1
    fi
    echo "all checks passed"
    exit 0
}

ctl() { "$SLUICECTL" --sock "$SOCK" "$@"; }

# add_group NAME: a system group that exists until the test ends; gid NAME prints its id.
add_group() { groupadd --system "$1" && CREATED_GROUPS+=("$1"); }
gid() { getent group "$1" | cut -d: -f3; }

start_sluiced() {
    "$SLUICED" --sock "$SOCK" --state-dir "$STATE" --socket-dir "$SOCKDIR" --log-level debug "$@" \
        >>"$WORK/sluiced.log" 2>&1 &
    SLUICED_PID=$!
    for _ in $(seq 1 100); do
        [ -S "$SOCK" ] && ctl show >/dev/null 2>&1 && return 0
        kill -0 "$SLUICED_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "sluiced did not start:" >&2
    cat "$WORK/sluiced.log" >&2
    return 1
}

stop_sluiced() {
    [ -n "$SLUICED_PID" ] || return 0
    kill -TERM "$SLUICED_PID" 2>/dev/null
    local rc=0
    wait "$SLUICED_PID" 2>/dev/null || rc=$?
    SLUICED_PID=
    if [ "$rc" -ne 0 ]; then
        echo "sluiced exited with status $rc" >&2
        tail -n 40 "$WORK/sluiced.log" >&2
        FAILS=$((FAILS + 1))
    fi
}

# add_host NAME IP[/PREFIX] [MAC]: namespace "sl$T$NAME" whose eth0 is veth-paired with
# "v$T$NAME" in the root namespace (the side sluiced attaches to).
add_host() {
    local name=$1 ip=$2 mac=${3:-}
    local ns="sl$T$name" outer="v$T$name"
    ip netns add "$ns" && CREATED_NS+=("$ns")
    ip link add "$outer" type veth peer name eth0 netns "$ns" && CREATED_LINKS+=("$outer")
    [ -n "$mac" ] && ip -n "$ns" link set eth0 address "$mac"
    ip -n "$ns" addr add "$ip" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip link set "$outer" up
    # No IPv6 autoconfiguration chatter: tests count packets exactly.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
    sysctl -qw "net.ipv6.conf.$outer.disable_ipv6=1" 2>/dev/null
}
ns() { echo "sl$T$1"; }
veth() { echo "v$T$1"; }
in_ns() {
    local n=$1
    shift
    ip netns exec "sl$T$n" "$@"
}

# port_stat PORT FIELD: a counter from port-stats --json (rx_packets, tx_packets, ...).
port_stat() {
    ctl --json port-stats "$1" | python3 -c "
import json,sys
d=json.load(sys.stdin)['ports'][0]['stats']
f='$2'
print(d[f] if f in d else d[f.split('.')[0]][f.split('.')[1]])"
}
