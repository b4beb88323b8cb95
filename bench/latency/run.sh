#!/bin/bash
# bench/latency/run.sh - round-trip latency between two namespaces through sluiced, the Linux
# bridge and Open vSwitch's userspace datapath, in the same run: ping, UDP request/response,
# and both again while a 64-byte flood crosses the same switch on a second pair of ports.
usage() {
    cat <<EOF2
usage: $0 [--runs N] [--seconds S] [--only LIST] [--flood-pps PPS] [--no-flood]
  --runs N         rounds (default 3); every switch once per round, in rotating order
  --seconds S      length of each UDP request/response measurement (default 3)
  --only LIST      comma-separated subset of: sluice,sluice-v2,sluice-v3,bridge,ovs
                   (default: all but sluice-v2); sluice-v2, sluice-v3: sluice with its
                   afpacket ports on one ring kind (rx_ring=v2 or v3; sluice: rx_ring=auto)
  --flood-pps PPS  limit the side flood to PPS packets per second (default: as fast as
                   trafgen goes on one core)
  --no-flood       quiet measurements only
EOF2
}
RUNS=3
SECS=3
ONLY=sluice,sluice-v3,bridge,ovs
FLOOD=1
FLOOD_PPS=
need_arg() { [ $# -ge 2 ] || { usage >&2; exit 2; }; }
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) need_arg "$@"; RUNS=$2; shift 2 ;;
    --seconds) need_arg "$@"; SECS=$2; shift 2 ;;
    --only) need_arg "$@"; ONLY=$2; shift 2 ;;
    --flood-pps) need_arg "$@"; FLOOD_PPS=$2; shift 2 ;;
    --no-flood) FLOOD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
case "$RUNS$SECS$FLOOD_PPS" in *[!0-9]*) usage >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$SECS" -ge 1 ] || { usage >&2; exit 2; }

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../forward/lib.sh"

IFS=, read -r -a SWITCHES <<<"$ONLY"
[ ${#SWITCHES[@]} -gt 0 ] || die "nothing to measure"
for s in "${SWITCHES[@]}"; do
    case "$s" in sluice | sluice-v2 | sluice-v3 | bridge | ovs) ;; *) die "unknown switch '$s' in --only" ;; esac
done
tools=(trafgen taskset python3 ping cc)
case ",$ONLY," in *,ovs,*) tools+=(ovs-vswitchd ovsdb-server ovsdb-tool ovs-vsctl ovs-appctl) ;; esac
need_root_and_tools "${tools[@]}"
case ",$ONLY," in *,sluice*) build_sluice build/sluiced build/sluicectl ;; esac
cc -O2 -std=c11 -Wall -Wextra -Werror -o "$WORK/udp_rr" "$HERE/udp_rr.c" || die "cannot build udp_rr"

# The second pair of namespaces carries the side flood; the measured pair is lib.sh's
# generator and sink namespaces, used here as a client and a server.
NSF="bf$T"   # flood source
NSD="bd$T"   # flood sink
VF="vb${T}f"
VD="vb${T}d"
F_MAC=02:00:00:78:00:01
D_MAC=02:00:00:78:00:02
F_IP=10.78.0.1
D_IP=10.78.0.2
FLOOD2_DST_MAC=02:00:00:78:00:99
RR_PORT=7007

RR_PID=
latency_cleanup() {
    local rc=$?
    flood_stop
    if [ -n "$RR_PID" ]; then
        kill -9 "$RR_PID" 2>/dev/null
        wait "$RR_PID" 2>/dev/null
    fi
    ip link del "$VF" 2>/dev/null
    ip link del "$VD" 2>/dev/null
    ip netns del "$NSF" 2>/dev/null
    ip netns del "$NSD" 2>/dev/null
    (exit $rc)
    cleanup
}
trap latency_cleanup EXIT

pair2_up() {
    pair_up "$NSF" "$VF" "$F_MAC" "$F_IP" "$NSD" "$VD" "$D_MAC" "$D_IP"
    cat >"$WORK/flood2.cfg" <<EOF2
cpu($GEN_CPU): {
  $(mac_bytes "$FLOOD2_DST_MAC"), $(mac_bytes "$F_MAC"), 0x08, 0x00,
  0x45, 0x00, const16(46), const16(0), 0x40, 0x00, 64, 17, csumip(14, 33),
  $(echo "$F_IP" | tr . ,), 10, 78, 0, 9,
  const16(1024), const16(5001), const16(26), const16(0),
  fill(0x00, 18)
}
EOF2
    sed 's/^cpu([0-9]*): //' "$WORK/flood2.cfg" >"$WORK/flood2-rate.cfg"
}

# The switch under test also joins the second pair.
pair2_attach() {
    case "$1" in
    sluice*)
        sluicectl add-port p3 type=afpacket dev="$VF" $SLUICE_RING_OPT >/dev/null &&
            sluicectl add-port p4 type=afpacket dev="$VD" $SLUICE_RING_OPT >/dev/null
        ;;
    bridge) ip link set "$VF" master "$BR" && ip link set "$VD" master "$BR" ;;
    ovs) ovs_ctl add-port "$BR" "$VF" -- add-port "$BR" "$VD" ;;
    esac
}
pair2_detach() { # the bridges release their ports when deleted; sluiced's go with it
    case "$1" in ovs) ovs_ctl --if-exists del-port "$BR" "$VF" -- --if-exists del-port "$BR" "$VD" ;; esac
    return 0
}
pair2_check() {
    local i
    for i in $(seq 1 10); do
        learn_frame "$NSD" "$F_MAC" "$FLOOD2_DST_MAC" || return 1
        ip netns exec "$NSF" ping -c 1 -W 1 "$D_IP" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

flood2_start() {
    local cfg="$WORK/flood2.cfg" opts=(-P "$(nproc)")
    if [ -n "$FLOOD_PPS" ]; then
        cfg="$WORK/flood2-rate.cfg"
        opts=(-P 1 -b "${FLOOD_PPS}pps")
    fi
    set -m
    ip netns exec "$NSF" trafgen -i "$cfg" -o eth0 -Q "${opts[@]}" >"$WORK/trafgen2.log" 2>&1 &
    TRAFGEN_PGID=$!
    set +m
    if [ -n "$FLOOD_PPS" ]; then
        local i p
        for i in $(seq 1 50); do
            [ "$(pgrep -g "$TRAFGEN_PGID" | wc -l)" -ge 2 ] && break
            sleep 0.02
        done
        for p in $(pgrep -g "$TRAFGEN_PGID"); do taskset -a -p -c "$GEN_CPU" "$p" >/dev/null 2>&1; done
    fi
}
flood2_delivered() { cat "/sys/class/net/$VD/statistics/tx_packets"; }

# ping_stats COUNT INTERVAL: "median p99" of the round trips, in ms.
ping_stats() {
    ip netns exec "$NSG" ping -c "$1" -i "$2" -W 1 "$SINK_IP" 2>/dev/null |
        sed -n 's/.*time=\([0-9.]*\).*/\1/p' | sort -g |
        awk '{v[NR] = $1} END {
            if (NR == 0) { print "- -"; exit }
            i = int(NR * 0.99); if (i < 1) i = 1
            printf "%s %s\n", v[int((NR + 1) / 2)], v[i] }'
}

# measure_all SW SUFFIX: the three measurements, recorded as "SW ROUND METRIC VALUE".
measure_all() {
    local sw=$1 sfx=$2 r
    read -r a b < <(ping_stats 200 0.01)
    echo "$sw $round ping10_p50$sfx $a" >>"$RESULTS"
    echo "$sw $round ping10_p99$sfx $b" >>"$RESULTS"
    read -r c d < <(ping_stats 1000 0.002)
    echo "$sw $round ping2_p50$sfx $c" >>"$RESULTS"
    echo "$sw $round ping2_p99$sfx $d" >>"$RESULTS"
    r=$(ip netns exec "$NSG" "$WORK/udp_rr" client "$SINK_IP" "$RR_PORT" "$SECS")
    set -- $r
    echo "$sw $round rr_tps$sfx $2" >>"$RESULTS"
    echo "$sw $round rr_p50$sfx $4" >>"$RESULTS"
    echo "$sw $round rr_p99$sfx $6" >>"$RESULTS"
    log "round $round $sw${sfx:+ (side flood)}: ping 10 ms median $a p99 $b ms; ping 2 ms median $c p99 $d ms; udp rr $2/s p50 $4 p99 $6 us (lost $8)"
}

print_machine
case ",$ONLY," in *,bridge,*) bridge_nf_off; echo "$BRIDGE_NF_NOTE" ;; esac
topo_up
pair2_up
ip netns exec "$NSK" "$WORK/udp_rr" server "$RR_PORT" &
RR_PID=$!
RESULTS="$WORK/results"
: >"$RESULTS"

for round in $(seq 1 "$RUNS"); do
    n=${#SWITCHES[@]}
    for k in $(seq 0 $((n - 1))); do
        sw=${SWITCHES[$(((k + round - 1) % n))]}
        switch_up "$sw"
        pair2_attach "$sw" || { switch_down "$sw"; die "$sw: cannot attach the second pair"; }
        if ! path_check || ! pair2_check; then
            switch_down "$sw"
            die "$sw: no path between the namespaces"
        fi
        measure_all "$sw" ""
        if [ "$FLOOD" = 1 ]; then
            flood2_start
            sleep 1
            f0=$(flood2_delivered) t0=$EPOCHREALTIME
            measure_all "$sw" _f
            f1=$(flood2_delivered) t1=$EPOCHREALTIME
            flood_stop
            pps=$(awk -v a="$f0" -v b="$f1" -v s="$t0" -v e="$t1" 'BEGIN {printf "%.0f", (b - a) / (e - s)}')
            echo "$sw $round flood_pps $pps" >>"$RESULTS"
            log "round $round $sw: side flood delivered $pps pps"
        fi
        pair2_detach "$sw"
        switch_down "$sw"
    done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 "$HERE/table.py" "$RESULTS" "$RUNS" "$SECS" "${FLOOD_PPS:-unlimited}"
