#!/usr/bin/env bash
# tests/run.sh - builds sluice (plain and ASan+UBSan, plus the fuzzers) and runs every test:
# the build's include rules, unit tests under both builds, system tests (root) against the
# sanitized daemon, fuzzers briefly.
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
ONLY=${ONLY:-}   # a substring: run only tests whose name contains it
LOGDIR=${LOGDIR:-/tmp/sluice-test-logs}
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
# On a fresh machine the first run installs the build and test dependencies (root only).
if [ "$(id -u)" -eq 0 ]; then
    bash scripts/install-deps.sh >"$LOGDIR/install-deps.log" 2>&1 || {
        tail -n 20 "$LOGDIR/install-deps.log"
        echo "0 passed, 1 failed"
        exit 1
    }
fi
pass=0
fail=0
failed=()

run() {
    local name=$1
    shift
    [ -n "$ONLY" ] && [[ "$name" != *"$ONLY"* ]] && return 0
    local log="$LOGDIR/$(echo "$name" | tr '/: ' '___').log"
    local start=$SECONDS
    if "$@" >"$log" 2>&1; then
        pass=$((pass + 1))
        echo "PASS $name ($((SECONDS - start))s)"
    else
        fail=$((fail + 1))
        failed+=("$name")
        echo "FAIL $name ($((SECONDS - start))s), last lines of $log:"
        tail -n 25 "$log" | sed 's/^/    /'
    fi
}

build() {
    make -j"$(nproc)" all >"$LOGDIR/build.log" 2>&1 &&
        make -j"$(nproc)" asan >"$LOGDIR/build-asan.log" 2>&1 &&
        make -j"$(nproc)" fuzz >"$LOGDIR/build-fuzz.log" 2>&1
}
run "build" build
if [ "$fail" -ne 0 ]; then
    tail -n 40 "$LOGDIR"/build*.log
    echo "0 passed, 1 failed"
    exit 1
fi

# Checks of the build itself (which folder may include what).
for t in tests/build/test_*.sh; do
    [ -f "$t" ] && run "build/$(basename "$t" .sh)" bash "$t"
done

for t in build/tests/test_*; do
    [ -x "$t" ] && run "unit/$(basename "$t")" "$t"
done
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in build-asan/tests/test_*; do
    [ -x "$t" ] && run "unit-asan/$(basename "$t")" "$t"
done

if [ "$(id -u)" -eq 0 ]; then
    export SLUICE_BUILD=${SLUICE_BUILD:-build-asan}
    for s in tests/system/test_*.sh; do
        [ -f "$s" ] && run "system/$(basename "$s" .sh)" bash "$s"
    done
else
    echo "system tests need root: not run"
    fail=$((fail + 1))
    failed+=("system (not root)")
fi

for f in build-fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    corpus="$LOGDIR/corpus-$name"
    mkdir -p "$corpus"
    seeds=tests/fuzz/seeds/$name
    [ -d "$seeds" ] || seeds=
    run "fuzz/$name" "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 "$corpus" $seeds
done

echo
[ "$fail" -ne 0 ] && printf 'failed: %s\n' "${failed[@]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
