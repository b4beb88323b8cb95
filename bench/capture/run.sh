#!/bin/bash
# bench/capture/run.sh - what capturing costs while a 64-byte flood is forwarded: sluiced with
# no capture, a filter that matches nothing, everything captured by sluicedump, beside Open
# vSwitch's userspace datapath mirroring to an internal port read by tcpdump (as ovs-tcpdump).
usage() {
    cat <<EOF
usage: $0 [--runs N] [--seconds S] [--rates LIST] [--no-sweep]
  --runs N       rounds of the fixed cases (default 3); medians are reported
  --seconds S    length of each measurement (default 5)
  --rates LIST   comma-separated packet rates for the sweep that finds the highest rate
                 captured with no loss (default 100000,200000,300000,400000,500000)
  --no-sweep     the fixed cases only
EOF
}
RUNS=3
SECS=5
RATES=100000,200000,300000,400000,500000
SWEEP=1
need_arg() { [ $# -ge 2 ] || { usage >&2; exit 2; }; }
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) need_arg "$@"; RUNS=$2; shift 2 ;;
    --seconds) need_arg "$@"; SECS=$2; shift 2 ;;
    --rates) need_arg "$@"; RATES=$2; shift 2 ;;
    --no-sweep) SWEEP=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
case "$RUNS$SECS${RATES//,/}" in *[!0-9]*) usage >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$SECS" -ge 1 ] || { usage >&2; exit 2; }

. "$(dirname "$0")/../forward/lib.sh"

need_root_and_tools trafgen taskset python3 tcpdump ovs-vswitchd ovsdb-server ovsdb-tool \
    ovs-vsctl ovs-appctl
build_sluice build/sluiced build/sluicectl build/sluicedump
print_machine
topo_up
RESULTS="$WORK/results"
: >"$RESULTS"
# The capture tools run on the switch's core: what capturing costs is taken from forwarding,
# never from the generator.
CAPTURE_CPU=${CAPTURE_CPU:-$SWITCH_CPU}
MIRROR_PORT="mi$T"
EXTRA_LINKS+=("$MIRROR_PORT")
CAP_PID=
CAP_LOG="$WORK/capture.log"

# ---- capture tools: started before the flood, stopped after it ----

sluicedump_start() { # sluicedump_start [FILTER]
    taskset -c "$CAPTURE_CPU" "$SLUICEDUMP" --sock "$WORK/sluiced.sock" -i p2 -w /dev/null "$@" >"$CAP_LOG" 2>&1 &
    CAP_PID=$!
    BG_PIDS+=("$CAP_PID")
    wait_listening
}
tcpdump_start() {
    taskset -c "$CAPTURE_CPU" tcpdump -i "$MIRROR_PORT" -w /dev/null >"$CAP_LOG" 2>&1 &
    CAP_PID=$!
    BG_PIDS+=("$CAP_PID")
    wait_listening
}
wait_listening() {
    local i
    for i in $(seq 1 100); do
        grep -q "listening on" "$CAP_LOG" && return 0
        kill -0 "$CAP_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$CAP_LOG" >&2
    die "the capture did not start"
}
# capture_stop: ends the capture tool; CAP_CAPTURED, CAP_MATCHED and CAP_DROPPED come from
# the three lines both tools print at exit ("dropped by switch" / "dropped by kernel").
capture_stop() {
    kill -TERM "$CAP_PID" 2>/dev/null
    wait "$CAP_PID" 2>/dev/null
    CAP_PID=
    CAP_CAPTURED=$(sed -n 's/^\([0-9]*\) packets\? captured.*/\1/p' "$CAP_LOG")
    CAP_MATCHED=$(sed -n 's/^\([0-9]*\) packets\? received by filter.*/\1/p' "$CAP_LOG")
    CAP_DROPPED=$(sed -n 's/^\([0-9]*\) packets\? dropped by .*/\1/p' "$CAP_LOG")
    [ -n "$CAP_CAPTURED" ] && [ -n "$CAP_MATCHED" ] && [ -n "$CAP_DROPPED" ] || {
        cat "$CAP_LOG" >&2
        die "the capture tool did not report its counters"
    }
}

# The Open vSwitch way of capturing on a port (what ovs-tcpdump sets up): an internal port and
# a mirror of the bridge's traffic to it, read by tcpdump.
ovs_mirror_on() {
    ovs_ctl add-port "$BR" "$MIRROR_PORT" -- set interface "$MIRROR_PORT" type=internal \
        -- --id=@p get port "$MIRROR_PORT" \
        -- --id=@m create mirror name=m0 select-all=true output-port=@p \
        -- set bridge "$BR" mirrors=@m >/dev/null || die "cannot create the mirror"
    sysctl -qw "net.ipv6.conf.$MIRROR_PORT.disable_ipv6=1" 2>/dev/null
    ip link set "$MIRROR_PORT" up
}
ovs_mirror_off() {
    ovs_ctl -- clear bridge "$BR" mirrors -- --if-exists del-port "$BR" "$MIRROR_PORT" >/dev/null
}

# ---- one measurement ----

tool_ticks() { echo "$EPOCHREALTIME $(cpu_ticks "$CAP_PID")"; }

# run_case NAME ROUND START_COMMAND [PPS]: the flood (as fast as it goes, or at PPS) with the
# capture that START_COMMAND starts ("none" for no capture). Records forwarding and capture.
run_case() {
    local name=$1 round=$2 start=$3 pps=${4:-}
    local fwd0 fwd1
    fwd0=$(sink_rx)
    FLOOD_HOOK=
    if [ "$start" != none ]; then
        $start
        FLOOD_HOOK=tool_ticks
    fi
    measure_flood "$SECS" "${SWITCH_PID:-}" "$pps"
    # The capture tool drains what is left in its ring (tcpdump's kernel ring hands over a
    # partly filled block after its 1 s timeout).
    [ "$start" != none ] && sleep 1.5
    fwd1=$(sink_rx)
    {
        echo "$name $round offered $OFFERED_PPS"
        echo "$name $round delivered $DELIVERED_PPS"
        echo "$name $round cpu $CPU_PCT"
    } >>"$RESULTS"
    local msg="$name: offered $OFFERED_PPS pps, forwarded $DELIVERED_PPS pps, switch cpu $CPU_PCT%"
    if [ "$start" != none ]; then
        capture_stop
        # Packets captured per packet forwarded over the tool's lifetime, times the
        # forwarding rate of the measured window: the captured rate.
        local total=$((fwd1 - fwd0))
        CAPTURED_PPS=$(awk -v c="$CAP_CAPTURED" -v t="$total" -v d="$DELIVERED_PPS" \
            'BEGIN { printf "%.0f", (t > 0) ? d * (c < t ? c : t) / t : 0 }')
        LOSS_PCT=$(awk -v c="$CAP_CAPTURED" -v t="$total" \
            'BEGIN { printf "%.2f", (t > 0 && c < t) ? 100 * (t - c) / t : 0 }')
        TOOL_CPU=$(echo "$HOOK_A $HOOK_B" | awk -v tck="$(getconf CLK_TCK)" \
            '{ printf "%.0f", ($4 - $2) / tck / ($3 - $1) * 100 }')
        {
            echo "$name $round toolcpu $TOOL_CPU"
            echo "$name $round captured $CAPTURED_PPS"
            echo "$name $round loss $LOSS_PCT"
            echo "$name $round tooldrops $CAP_DROPPED"
            echo "$name $round matched $CAP_MATCHED"
        } >>"$RESULTS"
        msg="$msg; forwarded $total in all, captured $CAP_CAPTURED, received by filter $CAP_MATCHED, dropped $CAP_DROPPED, missed $LOSS_PCT%, capture tool cpu $TOOL_CPU%"
    fi
    log "round $round $msg"
}

sluice_cases() { # sluice_cases ROUND
    local order=(none nothing all) k
    switch_up sluice
    path_check || die "sluice: no path from the generator to the sink"
    for k in 0 1 2; do
        case ${order[$(((k + $1) % 3))]} in
        none) run_case sluice-none "$1" none ;;
        nothing) run_case sluice-nomatch "$1" "sluicedump_start udp port 9" ;;
        all) run_case sluice-all "$1" sluicedump_start ;;
        esac
    done
    switch_down sluice
}
ovs_cases() { # ovs_cases ROUND
    switch_up ovs
    path_check || die "ovs: no path from the generator to the sink"
    run_case ovs-none "$1" none
    ovs_mirror_on
    run_case ovs-mirror "$1" tcpdump_start
    ovs_mirror_off
    switch_down ovs
}

for round in $(seq 1 "$RUNS"); do
    if [ $((round % 2)) = 1 ]; then
        sluice_cases "$round"
        ovs_cases "$round"
    else
        ovs_cases "$round"
        sluice_cases "$round"
    fi
done

# ---- the sweep: the highest rate each way captures without losing a packet ----
# A step passes when the tool reports no drops and captured at least 99.9% of what was
# forwarded; the sweep of a switch stops at its first failing step.
sweep() { # sweep sluice|ovs
    local sw=$1 r
    switch_up "$sw"
    path_check || die "$sw: no path from the generator to the sink"
    [ "$sw" = ovs ] && ovs_mirror_on
    IFS=, read -r -a rates <<<"$RATES"
    for r in "${rates[@]}" max; do
        local pps=$r
        [ "$r" = max ] && pps=
        if [ "$sw" = sluice ]; then
            run_case "sweep-sluice-$r" 1 sluicedump_start "$pps"
        else
            run_case "sweep-ovs-$r" 1 tcpdump_start "$pps"
        fi
        awk -v d="$CAP_DROPPED" -v l="$LOSS_PCT" 'BEGIN { exit !(d == 0 && l <= 0.1) }' || break
    done
    [ "$sw" = ovs ] && ovs_mirror_off
    switch_down "$sw"
}
if [ "$SWEEP" = 1 ]; then
    sweep sluice
    sweep ovs
fi

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 "$(dirname "$0")/table.py" "$RESULTS" "$RUNS" "$SECS"
