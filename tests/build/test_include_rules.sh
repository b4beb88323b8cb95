#!/usr/bin/env bash
# test_include_rules.sh - the build refuses a file that includes a header its folder may not
# use: a copy of the tree gets deliberately bad files, and make must fail on each of them.
set -u
cd "$(dirname "$0")/../.."
export LC_ALL=C
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r Makefile src scripts "$tmp"/
fails=0

# put FILE LINE...: writes a C file of the given lines into the copy.
put() {
    local f=$1
    shift
    mkdir -p "$(dirname "$tmp/$f")"
    printf '%s\n' "$@" >"$tmp/$f"
}

# compiles SRC in the copy the way the build does; want is "ok" or "fail"
obj() {
    local want=$1 src=$2 why=$3
    local out
    out=$(make -C "$tmp" --no-print-directory BUILD=b "b/${src%.c}.o" 2>&1)
    local rc=$?
    if [ "$want" = ok ] && [ $rc -ne 0 ]; then
        echo "FAIL: $src should compile ($why):"
        echo "$out" | tail -n 5
        fails=$((fails + 1))
    elif [ "$want" = fail ] && [ $rc -eq 0 ]; then
        echo "FAIL: $src compiled but must not ($why)"
        fails=$((fails + 1))
    elif [ "$want" = fail ] && ! grep -qE 'No such file|no include list' <<<"$out"; then
        echo "FAIL: $src failed for another reason than a forbidden include:"
        echo "$out" | tail -n 5
        fails=$((fails + 1))
    else
        echo "ok: $src $want ($why)"
    fi
}

# Controls: allowed includes compile, so the failures below are the rules and not the setup.
put src/lib/flow/zz_probe_ok.c '#include "flowkey.h"' '#include "eth.h"' 'int zz_probe;'
obj ok src/lib/flow/zz_probe_ok.c "flow may use packet"
put src/dump/zz_probe_ok.c '#include "rpc.h"' '#include "trafstats.h"' 'int zz_probe;'
obj ok src/dump/zz_probe_ok.c "dump may use control and metrics"
put src/ctl/zz_probe_ok.c '#include "vnic_json.h"' 'int zz_probe;'
obj ok src/ctl/zz_probe_ok.c "ctl may use vnic"

# A library folder never sees a program's headers, nor a library folder it does not list.
put src/lib/packet/zz_probe_bad1.c '#include "dataplane.h"' 'int zz_probe;'
obj fail src/lib/packet/zz_probe_bad1.c "library includes the switch"
put src/lib/flow/zz_probe_bad2.c '#include "print.h"' 'int zz_probe;'
obj fail src/lib/flow/zz_probe_bad2.c "library includes sluicedump"
put src/lib/packet/zz_probe_bad3.c '#include "json.h"' 'int zz_probe;'
obj fail src/lib/packet/zz_probe_bad3.c "packet does not list control"
put src/lib/memif/zz_probe_bad4.c '#include "sluice_memif.h"' 'int zz_probe;'
obj fail src/lib/memif/zz_probe_bad4.c "library includes the memif client"
# sluicectl and sluicedump never see the switch's headers.
put src/ctl/zz_probe_bad5.c '#include "l2switch.h"' 'int zz_probe;'
obj fail src/ctl/zz_probe_bad5.c "sluicectl includes the switch"
put src/dump/zz_probe_bad6.c '#include "ports.h"' 'int zz_probe;'
obj fail src/dump/zz_probe_bad6.c "sluicedump includes the switch"
put src/dump/zz_probe_bad7.c '#include "flowkey.h"' 'int zz_probe;'
obj fail src/dump/zz_probe_bad7.c "dump does not list flow"
# A folder with no list of its own gets nothing by default.
put src/newtool/zz_probe_bad8.c 'int zz_probe;'
obj fail src/newtool/zz_probe_bad8.c "folder without an include list"

# A path in the #include would reach around the include lists: the checker refuses it.
rm -f "$tmp"/src/*/zz_probe_* "$tmp"/src/lib/*/zz_probe_*
rm -rf "$tmp/src/newtool"
if ! out=$(make -C "$tmp" --no-print-directory BUILD=b b/includes-checked 2>&1); then
    echo "FAIL: the clean tree fails the include check:"
    echo "$out" | tail -n 5
    fails=$((fails + 1))
else
    echo "ok: the tree as it is passes the include check"
fi
put src/lib/flow/zz_probe_bad9.c '#include "../../switch/dataplane.h"'
if out=$(make -C "$tmp" --no-print-directory BUILD=b b/includes-checked 2>&1); then
    echo "FAIL: an include by relative path passed the check"
    fails=$((fails + 1))
elif ! grep -q 'zz_probe_bad9.c:1:.*name the header alone' <<<"$out"; then
    echo "FAIL: the check failed without naming the file:"
    echo "$out" | tail -n 5
    fails=$((fails + 1))
else
    echo "ok: an include by relative path fails the build"
fi

echo "$fails failures"
[ "$fails" -eq 0 ]
