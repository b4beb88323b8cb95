#!/bin/bash
# bench/forward/run.sh - forwarding between two namespaces through sluiced, the Linux bridge
# and Open vSwitch's userspace datapath, measured in the same run: 64-byte flood and iperf3.
usage() {
    cat <<EOF
usage: $0 [--runs N] [--seconds S] [--only LIST] [--no-iperf]
  --runs N      rounds (default 3); every switch is measured once per round, in rotating order
  --seconds S   length of each measurement (default 5)
  --only LIST   comma-separated subset of: gen,sluice,sluice-v2,sluice-v3,bridge,ovs,ovs-tso
                (default: all but sluice-v2 and sluice-v3)
                gen: the generator alone, nothing attached to its veth (flood only);
                sluice-v2, sluice-v3: sluice with its afpacket ports on one ring kind
                (rx_ring=v2 or v3; sluice: the default rx_ring=auto);
                ovs-tso: Open vSwitch with userspace-tso-enable=true (iperf3 only)
  --no-iperf    flood only
EOF
}
RUNS=3
SECS=5
ONLY=gen,sluice,bridge,ovs,ovs-tso
IPERF=1
need_arg() { [ $# -ge 2 ] || { usage >&2; exit 2; }; }
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) need_arg "$@"; RUNS=$2; shift 2 ;;
    --seconds) need_arg "$@"; SECS=$2; shift 2 ;;
    --only) need_arg "$@"; ONLY=$2; shift 2 ;;
    --no-iperf) IPERF=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
case "$RUNS$SECS" in *[!0-9]*) usage >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$SECS" -ge 1 ] || { usage >&2; exit 2; }

. "$(dirname "$0")/lib.sh"

IFS=, read -r -a SWITCHES <<<"$ONLY"
if [ "$IPERF" = 0 ]; then # ovs-tso is measured with iperf3 only
    kept=()
    for s in "${SWITCHES[@]}"; do [ "$s" = ovs-tso ] || kept+=("$s"); done
    SWITCHES=("${kept[@]}")
fi
[ ${#SWITCHES[@]} -gt 0 ] || die "nothing to measure"
for s in "${SWITCHES[@]}"; do
    case "$s" in gen | sluice | sluice-v2 | sluice-v3 | bridge | ovs | ovs-tso) ;; *) die "unknown switch '$s' in --only" ;; esac
done
tools=(trafgen taskset python3)
[ "$IPERF" = 1 ] && tools+=(iperf3)
case ",$ONLY," in *,ovs*) tools+=(ovs-vswitchd ovsdb-server ovsdb-tool ovs-vsctl ovs-appctl) ;; esac
need_root_and_tools "${tools[@]}"
case ",$ONLY," in *,sluice*) build_sluice build/sluiced build/sluicectl ;; esac

print_machine
case ",$ONLY," in *,bridge,*) bridge_nf_off; echo "$BRIDGE_NF_NOTE" ;; esac
topo_up
RESULTS="$WORK/results"
: >"$RESULTS"

# One round measures every switch once; the order rotates so slow drift of the machine
# (other work, thermal state) spreads over all switches.
for round in $(seq 1 "$RUNS"); do
    n=${#SWITCHES[@]}
    for k in $(seq 0 $((n - 1))); do
        sw=${SWITCHES[$(((k + round - 1) % n))]}
        switch_up "$sw"
        [ "$sw" = gen ] || path_check || {
            switch_down "$sw"
            die "$sw: no path from the generator to the sink"
        }
        if [ "$sw" != ovs-tso ]; then
            FLOOD_HOOK=
            case "$sw" in sluice*) FLOOD_HOOK=sluice_counters ;; esac
            measure_flood "$SECS" "${SWITCH_PID:-}"
            [ -n "$FLOOD_HOOK" ] && log "round $round $sw: $(sluice_breakdown | sed "s/^sluice: //")"
            echo "$sw $round offered $OFFERED_PPS" >>"$RESULTS"
            echo "$sw $round delivered $DELIVERED_PPS" >>"$RESULTS"
            echo "$sw $round cpu $CPU_PCT" >>"$RESULTS"
            log "round $round $sw: offered $OFFERED_PPS pps, delivered $DELIVERED_PPS pps, switch cpu $CPU_PCT%"
        fi
        if [ "$IPERF" = 1 ] && [ "$sw" != gen ]; then
            measure_iperf "$SECS"
            echo "$sw $round iperf $IPERF_GBPS" >>"$RESULTS"
            log "round $round $sw: iperf3 $IPERF_GBPS Gbit/s"
        fi
        switch_down "$sw"
    done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 "$(dirname "$0")/table.py" "$RESULTS" "$RUNS" "$SECS"
