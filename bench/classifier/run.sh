#!/usr/bin/env bash
# bench/classifier/run.sh - the flow table's numbers: the in-process benchmark (load time of
# 100,000 rules in ovs-ofctl syntax, lookups per second on the cache hit and miss paths), then
# end to end (as root): 64-byte packets per second through sluiced with 1,000 rules beside Open
# vSwitch's userspace datapath with the same rules, in the same run (e2e.sh).
# Usage: bench/classifier/run.sh [--quick] [--no-e2e] [--runs N] [--seconds S] [--flows 1|256]
#   (results also go to $OUT, default /tmp/sluice-bench-classifier.txt)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/sluice-bench-classifier.txt}
BENCH_ARGS=()
E2E_ARGS=()
E2E=1
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) BENCH_ARGS+=(--quick); E2E_ARGS+=(--runs 1 --seconds 2); shift ;;
    --no-e2e) E2E=0; shift ;;
    --runs | --seconds | --flows) E2E_ARGS+=("$1" "$2"); shift 2 ;;
    -h | --help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
make -j2 build/bench/classifier/classifier_bench build/sluiced build/sluicectl >/dev/null
{
    echo "# sluice classifier benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "# $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    build/bench/classifier/classifier_bench "${BENCH_ARGS[@]}"
    if [ "$E2E" = 1 ]; then
        echo
        echo "== end to end: 64-byte frames through the switch with 1,000 rules"
        if [ "$(id -u)" = 0 ]; then
            bench/classifier/e2e.sh "${E2E_ARGS[@]}"
        else
            echo "(skipped: needs root for namespaces; run as root or pass --no-e2e)"
        fi
    fi
} 2>&1 | tee "$OUT"
echo "(saved to $OUT)"
