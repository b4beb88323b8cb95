#!/usr/bin/env bash
# bench/memif/run.sh - memif forwarding rate: sluice-pktgen sends on one memif port and
# receives on another, through sluiced (data plane on core 1, generator on core 0), for 64 and
# 1500-byte frames; and in the same run, the same generator through DPDK testpmd's io
# forwarding between two memif ports (testpmd as the memif server, forwarding on core 1).
# The two alternate for ROUNDS rounds and the median round of each is reported, so that load from
# other programs on a shared machine weighs on both alike.
# Usage: bench/memif/run.sh [SECONDS] [ROUNDS]   (needs `make` first; root for testpmd)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SECS=${1:-5}
ROUNDS=${2:-3}
SIZES=${SIZES:-"64 1500"}
W=$(mktemp -d /tmp/sluice-bench-memif.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    [ -n "${KEEP:-}" ] && echo "kept $W" || rm -rf "$W"
}
trap cleanup EXIT

gen() { # gen TX RX SIZE: one generator run on core 0, its JSON summary
    taskset -c 0 "$BUILD/sluice-pktgen" --tx "$1" --rx "$2" --size "$3" --duration "$SECS" \
        --no-verify --poll --wait-ms 200 --json 2>>"$W/gen.err"
}
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['$2'])" "$1"; }
collect() { # collect LIST NEW: LIST with the JSON line NEW appended, one per line
    if [ -n "$1" ]; then printf '%s\n%s\n' "$1" "$2"; else printf '%s\n' "$2"; fi
}
median() { # median LIST: the JSON line whose receive rate is the median of the rounds
    python3 -c "
import json,sys
rows=sorted((json.loads(l) for l in sys.argv[1].splitlines() if l.strip()), key=lambda r: r['rx_pps'])
print(json.dumps(rows[len(rows)//2]) if rows else '')" "$1"
}
report() { # report WHO SIZE JSON
    local j=$3
    printf '%-8s %5s bytes: %7.3f Mpps received (%7.3f sent, %s lost), latency p50 %s us, p99 %s us\n' \
        "$1" "$2" "$(python3 -c "print($(field "$j" rx_pps)/1e6)")" \
        "$(python3 -c "print($(field "$j" tx_pps)/1e6)")" "$(field "$j" lost)" \
        "$(field "$j" lat_p50_us)" "$(field "$j" lat_p99_us)"
}

declare -A SLUICE TESTPMD

sluice_round() {
    rm -rf "$W/state" "$W/ctl.sock"
    "$BUILD/sluiced" --sock "$W/ctl.sock" --state-dir "$W/state" --log-level warn \
        >>"$W/sluiced.log" 2>&1 &
    local spid=$!
    PIDS+=($spid)
    for _ in $(seq 1 100); do [ -S "$W/ctl.sock" ] && break; sleep 0.05; done
    taskset -apc 1 "$spid" >/dev/null # the data plane (and the idle management thread)
    "$BUILD/sluicectl" --sock "$W/ctl.sock" add-port m0 type=memif socket="$W/memif.sock" id=0 >/dev/null
    "$BUILD/sluicectl" --sock "$W/ctl.sock" add-port m1 type=memif socket="$W/memif.sock" id=1 >/dev/null
    for s in $SIZES; do
        local j
        j=$(gen "$W/memif.sock:0" "$W/memif.sock:1" "$s")
        [ -n "$j" ] && SLUICE[$s]=$(collect "${SLUICE[$s]:-}" "$j") && report "  sluice" "$s" "$j"
    done
    kill "$spid"
    wait "$spid" 2>/dev/null
}

testpmd_round() {
    rm -f "$W/tp.in" "$W/tp.sock"
    mkfifo "$W/tp.in"
    sleep 3600 >"$W/tp.in" &
    local holder=$!
    PIDS+=($holder)
    dpdk-testpmd -l 0-1 --main-lcore 0 --no-huge -m 1024 --no-pci --file-prefix="bench$$" \
        --vdev="net_memif0,role=server,id=0,socket=$W/tp.sock,socket-abstract=no" \
        --vdev="net_memif1,role=server,id=1,socket=$W/tp.sock,socket-abstract=no" \
        -- --forward-mode=io --auto-start --stats-period 0 --total-num-mbufs=32768 \
        <"$W/tp.in" >>"$W/testpmd.log" 2>&1 &
    local tpid=$!
    PIDS+=($tpid)
    for _ in $(seq 1 100); do [ -S "$W/tp.sock" ] && break; sleep 0.1; done
    for s in $SIZES; do
        local j
        j=$(gen "$W/tp.sock:0" "$W/tp.sock:1" "$s")
        [ -n "$j" ] && TESTPMD[$s]=$(collect "${TESTPMD[$s]:-}" "$j") && report "  testpmd" "$s" "$j"
    done
    kill "$holder" 2>/dev/null # end of input: testpmd exits
    for _ in $(seq 1 50); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$tpid" 2>/dev/null
    wait "$tpid" 2>/dev/null
}

HAVE_TESTPMD=$(command -v dpdk-testpmd || true)
[ -n "$HAVE_TESTPMD" ] || echo "dpdk-testpmd not installed (Debian package dpdk-dev): no comparison"
for r in $(seq 1 "$ROUNDS"); do
    echo "round $r of $ROUNDS ($SECS s a run):"
    sluice_round
    [ -n "$HAVE_TESTPMD" ] && testpmd_round
done

echo "median of $ROUNDS rounds:"
for s in $SIZES; do
    [ -n "${SLUICE[$s]:-}" ] && SLUICE[$s]=$(median "${SLUICE[$s]}")
    [ -n "${TESTPMD[$s]:-}" ] && TESTPMD[$s]=$(median "${TESTPMD[$s]}")
    [ -n "${SLUICE[$s]:-}" ] && report sluice "$s" "${SLUICE[$s]}"
    [ -n "${TESTPMD[$s]:-}" ] && report testpmd "$s" "${TESTPMD[$s]}"
    if [ -n "${SLUICE[$s]:-}" ] && [ -n "${TESTPMD[$s]:-}" ]; then
        python3 -c "
s=$(field "${SLUICE[$s]}" rx_pps); t=$(field "${TESTPMD[$s]}" rx_pps)
print('ratio    %5s bytes: sluice / testpmd = %.2f' % ('$s', s / t if t else float('nan')))"
    fi
done
