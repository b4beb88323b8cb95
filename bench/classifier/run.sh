#!/usr/bin/env bash
# bench/classifier/run.sh - builds and runs the in-process flow table benchmark: load time for
# 100,000 rules in ovs-ofctl syntax and lookups per second on the cache hit and miss paths.
# Usage: bench/classifier/run.sh [--quick]   (results also go to $OUT, default /tmp)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/sluice-bench-classifier.txt}
make -j2 build/bench/classifier/classifier_bench >/dev/null
{
    echo "# sluice classifier benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "# $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    build/bench/classifier/classifier_bench "$@"
} | tee "$OUT"
echo "(saved to $OUT)"
