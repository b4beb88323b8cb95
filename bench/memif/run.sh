#!/usr/bin/env bash
# bench/memif/run.sh - memif forwarding rate: sluice-pktgen sends on one memif port and
# receives on another, through sluiced (data plane on core 1, generator on core 0), for 64 and
# 1500-byte frames; then, in the same run, the same generator through DPDK testpmd's io
# forwarding between two memif ports (testpmd as the memif server, forwarding on core 1).
# Usage: bench/memif/run.sh [SECONDS]   (needs `make` first; run as root for testpmd)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SECS=${1:-5}
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

gen() { # gen TX RX SIZE: one generator run on core 0, JSON summary
    taskset -c 0 "$BUILD/sluice-pktgen" --tx "$1" --rx "$2" --size "$3" --duration "$SECS" \
        --no-verify --poll --wait-ms 200 --json 2>>"$W/gen.err"
}
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d['$2'])" "$1"; }
report() { # report WHO SIZE JSON
    local j=$3
    printf '%-10s %5s bytes: %7.3f Mpps received (%7.3f Mpps sent, %s lost), latency p50 %s us p99 %s us\n' \
        "$1" "$2" "$(python3 -c "print($(field "$j" rx_pps)/1e6)")" \
        "$(python3 -c "print($(field "$j" tx_pps)/1e6)")" "$(field "$j" lost)" \
        "$(field "$j" lat_p50_us)" "$(field "$j" lat_p99_us)"
}

declare -A SLUICE TESTPMD
"$BUILD/sluiced" --sock "$W/ctl.sock" --state-dir "$W/state" --log-level warn >"$W/sluiced.log" 2>&1 &
SPID=$!
PIDS+=($SPID)
for _ in $(seq 1 100); do [ -S "$W/ctl.sock" ] && break; sleep 0.05; done
taskset -apc 1 "$SPID" >/dev/null # the data plane (and the idle management thread) on core 1
ctl() { "$BUILD/sluicectl" --sock "$W/ctl.sock" "$@"; }
ctl add-port m0 type=memif socket="$W/memif.sock" id=0 >/dev/null
ctl add-port m1 type=memif socket="$W/memif.sock" id=1 >/dev/null
for s in $SIZES; do
    j=$(gen "$W/memif.sock:0" "$W/memif.sock:1" "$s")
    SLUICE[$s]=$j
    report sluice "$s" "$j"
done
kill "$SPID"
wait "$SPID" 2>/dev/null

if command -v dpdk-testpmd >/dev/null; then
    mkfifo "$W/tp.in"
    sleep 3600 >"$W/tp.in" &
    PIDS+=($!)
    dpdk-testpmd -l 0-1 --main-lcore 0 --no-huge -m 1024 --no-pci --file-prefix="bench$$" \
        --vdev="net_memif0,role=server,id=0,socket=$W/tp.sock,socket-abstract=no" \
        --vdev="net_memif1,role=server,id=1,socket=$W/tp.sock,socket-abstract=no" \
        -- --forward-mode=io --auto-start --stats-period 0 --total-num-mbufs=32768 \
        <"$W/tp.in" >"$W/testpmd.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 100); do [ -S "$W/tp.sock" ] && break; sleep 0.1; done
    for s in $SIZES; do
        j=$(gen "$W/tp.sock:0" "$W/tp.sock:1" "$s")
        if [ -z "$j" ]; then
            echo "testpmd: no result for $s bytes:"; tail -5 "$W/gen.err" "$W/testpmd.log"
            continue
        fi
        TESTPMD[$s]=$j
        report testpmd "$s" "$j"
    done
else
    echo "testpmd: dpdk-testpmd not installed (Debian package dpdk-dev): no comparison"
fi

for s in $SIZES; do
    [ -n "${TESTPMD[$s]:-}" ] || continue
    python3 -c "
s=$(field "${SLUICE[$s]}" rx_pps); t=$(field "${TESTPMD[$s]}" rx_pps)
print('ratio      %5s bytes: sluice/testpmd = %.2f' % ('$s', s / t if t else float('nan')))"
done
