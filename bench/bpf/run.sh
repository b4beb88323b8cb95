#!/usr/bin/env bash
# bench/bpf/run.sh - builds and runs the BPF filter benchmark: ns per packet of the JIT (per
# packet and per burst), the interpreter and libpcap's bpf_filter(), per filter and geomean.
# Usage: bench/bpf/run.sh [--reps N] [--ms MILLISECONDS_PER_REP]   (defaults: 9 reps, 20 ms)
set -eu
cd "$(dirname "$0")/../.."
make -s -j2 build/bench/bpf/bpf_bench
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--reps 9 --ms 20)
# Pin to one CPU when possible so the runs compare like with like.
if command -v taskset >/dev/null 2>&1; then
    exec taskset -c "$(($(nproc) - 1))" build/bench/bpf/bpf_bench "${args[@]}"
fi
exec build/bench/bpf/bpf_bench "${args[@]}"
