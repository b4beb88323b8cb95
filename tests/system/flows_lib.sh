# tests/system/flows_lib.sh - shared by the flow-rule system tests (after lib.sh): captures in
# namespaces, static neighbours, hand-built frames, rule counters.
SENDFRAME="python3 $ROOT/tests/system/sendframe.py"
CSUMCHECK="$ROOT/tests/system/csumcheck.py"

# capture NAME HOST TCPDUMP-ARGS...: tcpdump in HOST's namespace on eth0, received frames
# only, output in $WORK/NAME.txt; returns once tcpdump listens. Stop with stop_capture NAME.
# capture_start/capture_ready do the same in two steps, to start several at once.
capture_start() {
    local name=$1 host=$2
    shift 2
    ip netns exec "$(ns "$host")" tcpdump -i eth0 -Q in -nn -l "$@" >"$WORK/$name.txt" 2>"$WORK/$name.err" &
    local pid=$!
    BG_PIDS+=("$pid")
    eval "CAP_$name=$pid"
}
capture_ready() {
    wait_listening "$WORK/$1.err" || {
        echo "tcpdump did not start: $(cat "$WORK/$1.err")" >&2
        return 1
    }
}
capture() {
    capture_start "$@" && capture_ready "$1"
}
stop_capture() {
    local pid
    eval "pid=\$CAP_$1"
    sleep 0.3 # let the last frames through
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    echo "--- $1:"
    head -n 20 "$WORK/$1.txt"
}

# wait_listening FILE: until a capture's stderr says it listens (at most 10 s).
wait_listening() {
    for _ in $(seq 1 200); do
        grep -q "listening on" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# csum_check NAME HOST PORT: csumcheck.py in the background, result in $WORK/NAME.json;
# returns once it listens. End it with `kill -TERM $CSUM_PID; wait $CSUM_PID`.
csum_check() {
    local name=$1 host=$2 port=$3
    ip netns exec "$(ns "$host")" python3 "$CSUMCHECK" eth0 "$port" 60 >"$WORK/$name.json" 2>"$WORK/$name.err" &
    CSUM_PID=$!
    BG_PIDS+=("$CSUM_PID")
    wait_listening "$WORK/$name.err"
}

# neigh HOST IP MAC: a permanent neighbour entry, so no ARP depends on the rules under test.
neigh() { ip -n "$(ns "$1")" neigh replace "$2" lladdr "$3" dev eth0 nud permanent; }

# udp_from HOST SRC_MAC DST_MAC SRC_IP DST_IP DPORT [sendframe options]: one UDP frame.
udp_from() {
    local host=$1 smac=$2 dmac=$3 sip=$4 dip=$5 dport=$6
    shift 6
    in_ns "$host" $SENDFRAME eth0 --src "$smac" --dst "$dmac" --src-ip "$sip" --dst-ip "$dip" \
        --dport "$dport" "$@"
}

# rule_packets MATCH: n_packets of the rule whose match dump-flows prints as MATCH, e.g.
# "priority=100,udp,tp_dst=7001" (empty if there is none).
rule_packets() {
    ctl dump-flows | grep -F " $1 actions=" | sed -n 's/.*n_packets=\([0-9]*\),.*/\1/p' | head -n 1
}
