# tests/system/memif_lib.sh - helpers for the memif system tests: the generator, the memif
# socket in the test's directory, and waiting for a port's link state.
PKTGEN="$BUILD/sluice-pktgen"
MSOCK="$WORK/memif.sock"

# link_is PORT true|false: the port's link state as `show --json` reports it.
link_is() {
    ctl --json show "$1" | python3 -c "
import json,sys
p=json.load(sys.stdin)['ports'][0]
sys.exit(0 if str(p['up']).lower()=='$2' else 1)"
}

# wait_link PORT true|false [SECONDS]: waits (without spinning) for the link state.
wait_link() {
    local port=$1 want=$2 secs=${3:-5}
    for _ in $(seq 1 $((secs * 10))); do
        link_is "$port" "$want" && return 0
        sleep 0.1
    done
    return 1
}

# pktgen_ok LOG ARGS...: runs the generator; passes if it exits 0 (no loss, nothing corrupt,
# nothing misdelivered) and the summary says so.
pktgen_ok() {
    local log=$1
    shift
    timeout 60 ${PKTGEN_PREFIX:-} "$PKTGEN" "$@" >"$log" 2>&1
    local rc=$?
    cat "$log"
    [ "$rc" -eq 0 ] && grep -q '^lost      0 ' "$log" && grep -q '^corrupt   0,' "$log"
}

# memif_json PORT KEY: a field of the port's memif description.
memif_json() {
    ctl --json show "$1" | python3 -c "
import json,sys
p=json.load(sys.stdin)['ports'][0]
print(json.dumps(p.get('$2')))"
}
