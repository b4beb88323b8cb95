#!/usr/bin/env bash
# bench/vnic/run.sh - how long sluice takes to create and delete 256, 1,024 and 4,096 virtual
# NICs with addresses (in the switch's namespace, and one namespace each), against the same
# number of Linux macvlan interfaces made with one `ip` command per step and with one
# `ip -batch`; then the ping round-trip time to a virtual NIC through sluice against a direct
# veth. Needs root and a built tree (make); traffic stays in namespaces it creates.
#   COUNTS="256 1024 4096" MODES="host netns macvlan-ip macvlan-batch" PINGS=200 bench/vnic/run.sh
set -u
cd "$(dirname "$0")/../.."
BUILD=${SLUICE_BUILD:-build}
COUNTS=${COUNTS:-256 1024 4096}
MODES=${MODES:-host netns macvlan-ip macvlan-batch}
PINGS=${PINGS:-200}
T=$(printf '%04x' $((RANDOM % 65536)))
WORK=$(mktemp -d /tmp/sluice-bench.XXXXXX)
SOCK=$WORK/sluiced.sock
PARENT=bvp$T
NSP=bv$T-
SLUICED_PID=

ctl() { "$BUILD/sluicectl" --sock "$SOCK" "$@"; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

start_sluiced() {
    "$BUILD/sluiced" --sock "$SOCK" --state-dir "$WORK/state" --log-level warn \
        --mac-max 16384 >>"$WORK/sluiced.log" 2>&1 &
    SLUICED_PID=$!
    for _ in $(seq 1 100); do
        ctl show >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "sluiced did not start" >&2
    cat "$WORK/sluiced.log" >&2
    exit 1
}

cleanup() {
    [ -n "$SLUICED_PID" ] && { ctl vnic-del --all >/dev/null 2>&1; kill "$SLUICED_PID"; wait "$SLUICED_PID"; }
    for n in $(ip netns list | awk '{print $1}' | grep -E "^($NSP|bvh$T|bva$T|bvb$T)"); do
        ip netns del "$n"
    done
    ip link del "$PARENT" 2>/dev/null
    ip link del "bvu$T" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 1; }
[ -x "$BUILD/sluiced" ] || { echo "build first (make)" >&2; exit 1; }
echo "# vnic bench $(date -u +%FT%TZ), kernel $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# /run/netns is on $(stat -f -c %T /run/netns 2>/dev/null || echo '?')"
printf '%-16s %6s %10s %10s\n' "method" "count" "create_s" "delete_s"

ip link add "$PARENT" type veth peer name "${PARENT}q"
ip link set "$PARENT" up
start_sluiced

bench_sluice() { # bench_sluice MODE COUNT
    local mode=$1 n=$2 args=(--count "$2" --mac 02:5b:00:00:00:00 --ip 10.250.0.1/16 --name bv)
    [ "$mode" = netns ] && args+=(--netns "$NSP")
    local t0 out c d
    t0=$(now)
    out=$(ctl vnic-add "${args[@]}") || { echo "$mode $n: $out" >&2; return; }
    c=$(since "$t0")
    # The kernel finishes tearing down earlier namespaces in the background: let it settle.
    sleep 1
    t0=$(now)
    ctl vnic-del --all >/dev/null
    d=$(since "$t0")
    printf '%-16s %6d %10.3f %10.3f\n' "sluice-$mode" "$n" "$c" "$d"
    sleep 2
}

macvlan_cmds() { # macvlan_cmds COUNT: the `ip` arguments to make COUNT macvlans with addresses
    local n=$1 i
    for ((i = 0; i < n; i++)); do
        printf 'link add link %s name bm%d address 02:5b:01:00:%02x:%02x type macvlan mode bridge\n' \
            "$PARENT" "$i" $((i >> 8)) $((i & 255))
        printf 'address add 10.251.%d.%d/16 dev bm%d\n' $(((i + 1) >> 8)) $(((i + 1) & 255)) "$i"
        printf 'link set bm%d up\n' "$i"
    done
}

bench_macvlan_ip() {
    local n=$1 t0 c d line
    macvlan_cmds "$n" >"$WORK/mv.cmds"
    t0=$(now)
    while read -r line; do
        # shellcheck disable=SC2086
        ip $line || return
    done <"$WORK/mv.cmds"
    c=$(since "$t0")
    sleep 1
    t0=$(now)
    for ((i = 0; i < n; i++)); do ip link del "bm$i"; done
    d=$(since "$t0")
    printf '%-16s %6d %10.3f %10.3f\n' "macvlan-ip" "$n" "$c" "$d"
    sleep 2
}

bench_macvlan_batch() {
    local n=$1 t0 c d
    macvlan_cmds "$n" >"$WORK/mv.cmds"
    for ((i = 0; i < n; i++)); do echo "link del bm$i"; done >"$WORK/mv.del"
    t0=$(now)
    ip -batch "$WORK/mv.cmds" || return
    c=$(since "$t0")
    sleep 1
    t0=$(now)
    ip -batch "$WORK/mv.del"
    d=$(since "$t0")
    printf '%-16s %6d %10.3f %10.3f\n' "macvlan-batch" "$n" "$c" "$d"
    sleep 2
}

for n in $COUNTS; do
    for mode in $MODES; do
        case $mode in
        host | netns) bench_sluice "$mode" "$n" ;;
        macvlan-ip) bench_macvlan_ip "$n" ;;
        macvlan-batch) bench_macvlan_batch "$n" ;;
        esac
    done
done

# Round-trip time: uplink host -> sluice (afpacket on a veth) -> virtual NIC in its namespace,
# against two namespaces joined by a veth directly.
rtt() { # rtt NS IP: "min avg max" in ms
    ip netns exec "$1" ping -c 3 -W 2 -q "$2" >/dev/null
    ip netns exec "$1" ping -c "$PINGS" -i 0.005 -W 2 -q "$2" |
        awk -F'[/ ]' '/^rtt/ {print $7, $8, $9}'
}
ip netns add "bvh$T"
ip link add "bvu$T" type veth peer name eth0 netns "bvh$T"
ip -n "bvh$T" addr add 10.252.255.254/16 dev eth0
ip -n "bvh$T" link set eth0 up
ip link set "bvu$T" up
ctl add-port uplink type=afpacket dev="bvu$T" >/dev/null
ctl vnic-add --count 1 --mac 02:5b:02:00:00:01 --ip 10.252.0.1/16 --netns "$NSP" --name bvr >/dev/null
read -r smin savg smax <<<"$(rtt "bvh$T" 10.252.0.1)"
ip netns add "bva$T"
ip netns add "bvb$T"
ip -n "bva$T" link add eth0 type veth peer name eth0 netns "bvb$T"
ip -n "bva$T" addr add 10.253.0.1/24 dev eth0
ip -n "bvb$T" addr add 10.253.0.2/24 dev eth0
ip -n "bva$T" link set eth0 up
ip -n "bvb$T" link set eth0 up
read -r vmin vavg vmax <<<"$(rtt "bva$T" 10.253.0.2)"
echo
printf '%-34s %8s %8s %8s\n' "ping rtt ($PINGS pings, ms)" min avg max
printf '%-34s %8s %8s %8s\n' "through sluice to a virtual NIC" "$smin" "$savg" "$smax"
printf '%-34s %8s %8s %8s\n' "direct veth" "$vmin" "$vavg" "$vmax"
