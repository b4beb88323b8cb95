#!/usr/bin/env bash
# bench/classifier/e2e.sh - end to end: 64-byte packets per second through a switch holding
# 1,000 flow rules, sluice beside Open vSwitch's userspace datapath (datapath_type=netdev) with
# the same rules, and sluice without rules for reference, measured in the same run.
# A generator namespace floods one UDP flow (trafgen, pinned to GEN_CPU) through the switch
# (pinned to SWITCH_CPU) to a sink namespace; the sink's veth counts what arrives. The switches
# run in a namespace of their own, so this may run beside other Open vSwitch instances.
# Usage: bench/classifier/e2e.sh [--runs N] [--seconds S] [--rules N] [--flows 1|256]
# (BIG_RULES=N: size of the rule set whose load time is measured at the end, default 100000)
set -u
RUNS=3
SECS=5
NRULES=1000
FLOWS=1
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    --rules) NRULES=$2; shift 2 ;;
    --flows) FLOWS=$2; shift 2 ;;
    -h | --help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
case "$RUNS$SECS$NRULES" in *[!0-9]*) echo "numbers expected" >&2; exit 2 ;; esac
case "$FLOWS" in 1 | 256) ;; *) echo "--flows: 1 or 256" >&2; exit 2 ;; esac

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SLUICE_BUILD:-$ROOT/build}
GEN_CPU=${GEN_CPU:-1}
SWITCH_CPU=${SWITCH_CPU:-0}
# The generator and every switch run at this nice level, so other work on a shared machine takes
# less of their cores (NICE=0 to turn off). Under autogroup scheduling nice counts only within a
# session's group, so the level also goes to this session's group (restored at exit) and to the
# group of a daemon that detaches into its own session.
NICE=${NICE:--15}
AUTOGROUP_WAS=
autogroup_nice() { [ -w "/proc/$1/autogroup" ] && echo "$NICE" >"/proc/$1/autogroup" 2>/dev/null; return 0; }
if [ -r /proc/$$/autogroup ]; then
    AUTOGROUP_WAS=$(sed -n 's/.* nice //p' /proc/$$/autogroup)
    autogroup_nice $$
fi
T=$(printf '%04x' $((RANDOM % 65536)))
WORK=$(mktemp -d /tmp/sluice-e2e.XXXXXX)
NSG="cg$T" NSK="ck$T" NSS="cs$T"
VG="vc${T}g" VK="vc${T}k" # also the port names in both switches, so one rule file serves both
BR="sc$T"
GEN_MAC=02:00:00:78:00:01 SINK_MAC=02:00:00:78:00:02 DST_MAC=02:00:00:78:00:99
GEN_IP=10.78.0.1 SINK_IP=10.78.0.2 DST_IP=10.78.0.9
SLUICED_PID= OVS_DIR= TRAFGEN_PID=

log() { echo "# $*" >&2; }
die() {
    echo "error: $*" >&2
    exit 1
}

cleanup() {
    trap - EXIT INT TERM
    flood_stop
    sluice_down
    ovs_down
    ip netns del "$NSG" 2>/dev/null
    ip netns del "$NSK" 2>/dev/null
    ip netns del "$NSS" 2>/dev/null
    rm -rf "$WORK"
    [ -n "$AUTOGROUP_WAS" ] && echo "$AUTOGROUP_WAS" >/proc/$$/autogroup 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "run as root (namespaces, veth pairs)"
for t in trafgen taskset ovs-vswitchd ovsdb-server ovsdb-tool ovs-vsctl ovs-ofctl ovs-appctl; do
    command -v "$t" >/dev/null || die "missing $t (apt-get install netsniff-ng openvswitch-switch)"
done
[ -x "$BUILD/sluiced" ] && [ -x "$BUILD/sluicectl" ] || die "build sluiced and sluicectl first (make)"

# ---- topology: generator and sink namespaces, veths whose other ends the switches attach in
# the switch namespace ----
ip netns add "$NSG" && ip netns add "$NSK" && ip netns add "$NSS" || die "cannot create namespaces"
ip -n "$NSS" link add "$VG" type veth peer name eth0 netns "$NSG" || die "cannot create veth"
ip -n "$NSS" link add "$VK" type veth peer name eth0 netns "$NSK" || die "cannot create veth"
ip -n "$NSG" link set eth0 address $GEN_MAC
ip -n "$NSK" link set eth0 address $SINK_MAC
ip -n "$NSG" addr add $GEN_IP/24 dev eth0
ip -n "$NSK" addr add $SINK_IP/24 dev eth0
for n in "$NSG" "$NSK"; do
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n "$n" link set lo up
    ip -n "$n" link set eth0 up
done
ip netns exec "$NSS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip -n "$NSS" link set lo up
for v in "$VG" "$VK"; do ip -n "$NSS" link set "$v" up; done
ip -n "$NSG" neigh replace $SINK_IP lladdr $SINK_MAC dev eth0 nud permanent
ip -n "$NSK" neigh replace $GEN_IP lladdr $GEN_MAC dev eth0 nud permanent

# ---- the rules: NRULES-1 of four shapes that the flood does not match, and the one it does
# (port names resolve in both switches) ----
rules_file() { # rules_file N FILE
python3 - "$1" "$VG" "$VK" "$DST_IP" >"$2" <<'EOF'
import sys
n, vg, vk, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
for i in range(n - 1):
    h, a, b = i >> 16, (i >> 8) & 255, i & 255
    k = i % 4
    if k == 0:
        print("priority=100,tcp,nw_dst=10.%d.%d.%d,tp_dst=80,actions=drop" % (100 + h, a, b))
    elif k == 1:
        print("priority=200,udp,in_port=%s,nw_src=172.%d.%d.%d,tp_dst=53,actions=mod_nw_tos:32,output:%s" % (vg, 16 + h, a, b, vk))
    elif k == 2:
        print("priority=150,ip,nw_dst=%d.%d.%d.0/24,actions=dec_ttl,output:%s" % (150 + h, a, b, vk))
    else:
        print("priority=120,dl_dst=02:aa:00:%02x:%02x:%02x,actions=mod_vlan_vid:%d,output:%s" % (h, a, b, i % 4000 + 1, vk))
print("priority=300,udp,in_port=%s,nw_dst=%s,tp_dst=5001,actions=output:%s" % (vg, dst, vk))
EOF
}
rules_file "$NRULES" "$WORK/rules.txt"

# ---- switches ----
sctl() { "$BUILD/sluicectl" --sock "$WORK/sluiced.sock" "$@"; }
sluice_up() { # sluice_up [RULES-FILE]
    nice -n "$NICE" ip netns exec "$NSS" "$BUILD/sluiced" --sock "$WORK/sluiced.sock" --state-dir "$WORK/sluice-state" --log-level warn \
        >>"$WORK/sluiced.log" 2>&1 &
    SLUICED_PID=$!
    taskset -a -p -c "$SWITCH_CPU" "$SLUICED_PID" >/dev/null
    for _ in $(seq 1 100); do
        sctl show >/dev/null 2>&1 && break
        sleep 0.05
    done
    sctl add-port "$VG" type=afpacket dev="$VG" >/dev/null && sctl add-port "$VK" type=afpacket dev="$VK" >/dev/null ||
        die "sluiced did not start: $(tail -n 5 "$WORK/sluiced.log")"
    if [ -n "${1:-}" ]; then
        local t0 t1
        t0=$(date +%s.%N)
        sctl add-flows "$1" || die "sluicectl add-flows failed"
        t1=$(date +%s.%N)
        LOAD_S=$(echo "$t1 - $t0" | bc)
    fi
    taskset -a -p -c "$SWITCH_CPU" "$SLUICED_PID" >/dev/null
    SWITCH_PID=$SLUICED_PID
}
sluice_down() {
    [ -n "$SLUICED_PID" ] || return 0
    kill -TERM "$SLUICED_PID" 2>/dev/null
    wait "$SLUICED_PID" 2>/dev/null
    SLUICED_PID=
    rm -rf "$WORK/sluice-state"
}

ovs_ctl() { ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=30 "$@"; }
ovs_up() { # ovs_up RULES-FILE: a netdev (userspace) bridge over the two veths, rules added
    OVS_DIR="$WORK/ovs"
    mkdir -p "$OVS_DIR"
    export OVS_RUNDIR="$OVS_DIR" OVS_LOGDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" OVS_SYSCONFDIR="$OVS_DIR"
    ovsdb-tool create "$OVS_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema || die "ovsdb-tool failed"
    ovsdb-server "$OVS_DIR/conf.db" --remote="punix:$OVS_DIR/db.sock" --pidfile="$OVS_DIR/ovsdb-server.pid" \
        --unixctl="$OVS_DIR/ovsdb-server.ctl" --log-file="$OVS_DIR/ovsdb-server.log" --detach 2>>"$OVS_DIR/start.log" ||
        die "ovsdb-server did not start"
    ovs_ctl --no-wait init
    nice -n "$NICE" ip netns exec "$NSS" taskset -c "$SWITCH_CPU" ovs-vswitchd "unix:$OVS_DIR/db.sock" --pidfile="$OVS_DIR/ovs-vswitchd.pid" \
        --unixctl="$OVS_DIR/ovs-vswitchd.ctl" --log-file="$OVS_DIR/ovs-vswitchd.log" --detach 2>>"$OVS_DIR/start.log" ||
        die "ovs-vswitchd did not start"
    ovs_ctl add-br "$BR" -- set bridge "$BR" datapath_type=netdev \
        -- add-port "$BR" "$VG" -- add-port "$BR" "$VK" || die "cannot build the Open vSwitch bridge"
    ovs-ofctl add-flows "$BR" "$1" || die "ovs-ofctl add-flows failed"
    SWITCH_PID=$(cat "$OVS_DIR/ovs-vswitchd.pid")
    taskset -a -p -c "$SWITCH_CPU" "$SWITCH_PID" >/dev/null
    autogroup_nice "$SWITCH_PID"
}
ovs_down() {
    [ -n "$OVS_DIR" ] || return 0
    local d pid
    ovs-appctl -t "$OVS_DIR/ovs-vswitchd.ctl" exit --cleanup >/dev/null 2>&1
    for d in ovs-vswitchd ovsdb-server; do
        pid=$(cat "$OVS_DIR/$d.pid" 2>/dev/null) || continue
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
    done
    rm -rf "$OVS_DIR"
    OVS_DIR=
}

# The sink announces the flood's destination MAC (for NORMAL) and both ways answer pings.
path_check() {
    for _ in $(seq 1 10); do
        ip netns exec "$NSK" python3 -c '
import socket, sys
m = lambda s: bytes.fromhex(s.replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
s.send(m(sys.argv[1]) + m(sys.argv[2]) + b"\x88\xb5" + bytes(46))' $GEN_MAC $DST_MAC
        ip netns exec "$NSG" ping -c 1 -W 1 $SINK_IP >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

# ---- the flood: one 60-byte UDP frame (64 on the wire) to DST, from trafgen on GEN_CPU;
# with --flows 256 the source port's low byte counts through 256 values ----
sport_low="0x00"
[ "$FLOWS" = 256 ] && sport_low="dinc(0, 255, 1)"
mac_bytes() { echo "0x$1" | sed 's/:/, 0x/g'; }
cat >"$WORK/flood.cfg" <<EOF
cpu($GEN_CPU): {
  $(mac_bytes $DST_MAC), $(mac_bytes $GEN_MAC), 0x08, 0x00,
  0x45, 0x00, const16(46), const16(0), 0x40, 0x00, 64, 17, csumip(14, 33),
  $(echo $GEN_IP | tr . ,), $(echo $DST_IP | tr . ,),
  0x04, $sport_low, const16(5001), const16(26), const16(0),
  fill(0x00, 18)
}
EOF
flood_stop() {
    [ -n "$TRAFGEN_PID" ] || return 0
    kill -TERM -- -"$TRAFGEN_PID" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 -- -"$TRAFGEN_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 -- -"$TRAFGEN_PID" 2>/dev/null
    wait "$TRAFGEN_PID" 2>/dev/null
    TRAFGEN_PID=
}
ticks() { [ -r "/proc/$1/stat" ] && sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}' || echo 0; }
# The generator's transmissions are the switch-side veth's receptions, and the other way round.
snap() {
    echo "$(date +%s.%N) $(ip netns exec "$NSS" cat /sys/class/net/$VG/statistics/rx_packets \
        /sys/class/net/$VK/statistics/tx_packets | tr '\n' ' ') $(ticks "$1")"
}
measure() { # sets OFFERED DELIVERED CPU
    set -m
    nice -n "$NICE" ip netns exec "$NSG" trafgen -i "$WORK/flood.cfg" -o eth0 -P "$(nproc)" -Q >"$WORK/trafgen.log" 2>&1 &
    TRAFGEN_PID=$!
    set +m
    sleep 1
    local a b
    a=$(snap "$SWITCH_PID")
    sleep "$SECS"
    b=$(snap "$SWITCH_PID")
    flood_stop
    read -r OFFERED DELIVERED CPU < <(echo "$a $b" | awk -v tck="$(getconf CLK_TCK)" '{
        dt = $5 - $1; printf "%.0f %.0f %.0f\n", ($6 - $2) / dt, ($7 - $3) / dt, ($8 - $4) / tck / dt * 100 }')
}

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), kernel $(uname -r)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); generator on cpu $GEN_CPU, switch on cpu $SWITCH_CPU, nice $NICE"
echo "$NRULES rules ($(wc -l <"$WORK/rules.txt") lines), $FLOWS flow(s), $RUNS rounds of $SECS s"
SWITCHES=(sluice-normal sluice-rules ovs-rules)
: >"$WORK/results"
for round in $(seq 1 "$RUNS"); do
    for k in 0 1 2; do
        sw=${SWITCHES[$(((k + round - 1) % 3))]}
        LOAD_S=-
        case $sw in
        sluice-normal) sluice_up ;;
        sluice-rules) sluice_up "$WORK/rules.txt" ;;
        ovs-rules) ovs_up "$WORK/rules.txt" ;;
        esac
        path_check || die "$sw: no path from the generator to the sink"
        measure
        case $sw in
        sluice-rules)
            n=$(sctl flow-stats | sed -n 's/^flow table: \([0-9]*\) rules.*/\1/p')
            [ "$n" = $((NRULES + 1)) ] || die "sluice holds $n rules, expected $((NRULES + 1))"
            hit=$(sctl dump-flows "udp,nw_dst=$DST_IP" | sed -n 's/.*n_packets=\([0-9]*\),.*/\1/p')
            ;;
        ovs-rules)
            n=$(ovs-ofctl dump-flows "$BR" | grep -c "cookie=")
            [ "$n" = $((NRULES + 1)) ] || die "Open vSwitch holds $n rules, expected $((NRULES + 1))"
            hit=$(ovs-ofctl dump-flows "$BR" "udp,nw_dst=$DST_IP" | sed -n 's/.*n_packets=\([0-9]*\),.*/\1/p')
            ;;
        *) hit=- ;;
        esac
        log "round $round $sw: offered $OFFERED pps, delivered $DELIVERED pps, switch cpu $CPU%, matching rule n_packets $hit, load ${LOAD_S}s"
        echo "$sw $OFFERED $DELIVERED $CPU $LOAD_S" >>"$WORK/results"
        case $sw in sluice*) sluice_down ;; ovs*) ovs_down ;; esac
    done
done
# Load time of a large rule set into the running switch, end to end (sluicectl add-flows: file
# read, sent in messages, parsed, one table version built and published, configuration saved).
BIG=${BIG_RULES:-100000}
rules_file "$BIG" "$WORK/big.txt"
for round in $(seq 1 "$RUNS"); do
    sluice_up "$WORK/big.txt"
    n=$(sctl flow-stats | sed -n 's/^flow table: \([0-9]*\) rules.*/\1/p')
    [ "$n" = $((BIG + 1)) ] || die "sluice holds $n rules after loading $BIG"
    log "round $round: sluicectl add-flows of $BIG rules: ${LOAD_S}s"
    echo "big-load 0 0 0 $LOAD_S" >>"$WORK/results"
    sluice_down
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$WORK/results" "$RUNS" "$SECS" "$NRULES" "$FLOWS" "$BIG" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    sw, off, dlv, cpu, load = line.split()
    if sw == "big-load":
        rows.setdefault(sw, []).append((0, 0, 0, load))
        continue
    rows.setdefault(sw, []).append((float(off), float(dlv), float(cpu), load))
runs, secs, nrules, flows = sys.argv[2:6]
names = {"sluice-normal": "sluice, no rules (NORMAL)",
         "sluice-rules": "sluice, %s rules" % nrules,
         "ovs-rules": "Open vSwitch netdev, %s rules" % nrules}
med = lambda sw, i: statistics.median(r[i] for r in rows[sw])
print()
print("Medians of %s rounds of %s s, 64-byte UDP frames, %s flow(s), the flood matches one rule." % (runs, secs, flows))
print()
print("| switch | offered pps | delivered pps | switch CPU % | CPU µs per packet | delivered / Open vSwitch |")
print("|---|---|---|---|---|---|")
ovs = med("ovs-rules", 1) if "ovs-rules" in rows else None
for sw in ("sluice-normal", "sluice-rules", "ovs-rules"):
    if sw in rows:
        us = statistics.median(r[2] * 1e4 / r[1] for r in rows[sw] if r[1] > 0)
        print("| %s | %.0f | %.0f | %.0f | %.2f | %s |" % (names[sw], med(sw, 0), med(sw, 1), med(sw, 2),
              us, "%.2f" % (med(sw, 1) / ovs) if ovs else "-"))
print()
print("Delivered equal to offered means the switch kept up with the generator (one core each);")
print("the CPU time per packet then compares the switches.")
print()
for sw, what in (("sluice-rules", nrules), ("big-load", sys.argv[6])):
    loads = [float(r[3]) for r in rows.get(sw, []) if r[3] != "-"]
    if loads:
        print("sluicectl add-flows of %s rules into the running switch: median %.3f s (%s)"
              % (what, statistics.median(loads), ", ".join("%.3f" % x for x in loads)))
EOF
