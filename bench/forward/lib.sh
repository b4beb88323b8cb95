# bench/forward/lib.sh - shared by the forwarding and capture benchmarks: the two-namespace
# topology, the switches under test (sluiced, Linux bridge, Open vSwitch userspace), the
# trafgen flood and its counters, iperf3, and cleanup of everything on any exit.
set -u
[ "$(id -u)" = 0 ] || {
    echo "error: run as root (network namespaces, veth pairs, scheduling priority)" >&2
    exit 1
}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${SLUICE_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
SLUICED="$BUILD/sluiced"
SLUICECTL="$BUILD/sluicectl"
SLUICEDUMP="$BUILD/sluicedump"

# The generator runs on one core, every switch's data plane on the other.
GEN_CPU=${GEN_CPU:-1}
SWITCH_CPU=${SWITCH_CPU:-0}
# The benchmark and everything it starts (generator, switches, iperf3, capture tools) run at
# this nice level so that other work on a shared machine takes less of their cores (the same
# for every switch; NICE=0 to turn off). With the kernel's autogroup scheduling a process's
# nice only counts inside its session's group, so the level is also given to this session's
# group (restored at exit) and to daemons that detach into sessions of their own. Nothing
# gets a level of its own: the script's short-lived readers must not wait behind the flood.
NICE=${NICE:--15}

T=$(printf '%04x' $((RANDOM % 65536)))
WORK=$(mktemp -d /tmp/sluice-bench.XXXXXX)
NSG="bg$T"  # namespace of the generator (iperf3 client)
NSK="bk$T"  # namespace of the sink (iperf3 server)
VG="vb${T}g" # root-side end of the generator's veth
VK="vb${T}k" # root-side end of the sink's veth
BR="sb$T"   # Linux bridge or Open vSwitch bridge
GEN_IP=10.77.0.1
SINK_IP=10.77.0.2
GEN_MAC=02:00:00:77:00:01
SINK_MAC=02:00:00:77:00:02
# The flood goes to a MAC address the switches learn behind the sink's port but that is not the
# sink's own: the sink's eth0 counts every frame and its IP layer drops it at once (a frame for
# another host), so the sink costs the same little whichever core it runs on.
FLOOD_DST_MAC=02:00:00:77:00:99
FLOOD_DST_IP=10.77.0.9
FLOOD_DST_PORT=${FLOOD_DST_PORT:-5001}

SLUICED_PID=
OVS_DIR=
OVS_HAD_NETDEV=0
TRAFGEN_PGID=
BG_PIDS=()
EXTRA_LINKS=()
SYSCTL_RESTORE=()
AUTOGROUP_NICE_WAS=

# autogroup_nice PID: the scheduler group of PID's session gets the benchmark's nice level.
autogroup_nice() {
    [ -w "/proc/$1/autogroup" ] && echo "$NICE" >"/proc/$1/autogroup" 2>/dev/null
    return 0
}
renice -n "$NICE" -p $$ >/dev/null
if [ -r /proc/$$/autogroup ]; then
    AUTOGROUP_NICE_WAS=$(sed -n 's/.* nice //p' /proc/$$/autogroup)
    autogroup_nice $$
fi

log() { echo "# $*" >&2; }
die() {
    echo "error: $*" >&2
    exit 1
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    flood_stop
    for p in "${BG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    sluice_down
    ovs_down
    ip link del "$BR" 2>/dev/null
    for l in "${EXTRA_LINKS[@]}"; do ip link del "$l" 2>/dev/null; done
    ip link del "$VG" 2>/dev/null
    ip link del "$VK" 2>/dev/null
    ip netns del "$NSG" 2>/dev/null
    ip netns del "$NSK" 2>/dev/null
    for s in "${SYSCTL_RESTORE[@]}"; do sysctl -qw "$s" 2>/dev/null; done
    [ -n "$AUTOGROUP_NICE_WAS" ] && echo "$AUTOGROUP_NICE_WAS" >/proc/$$/autogroup 2>/dev/null
    if [ "${KEEP_WORK:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need_root_and_tools() {
    [ "$(id -u)" = 0 ] || die "run as root (network namespaces, veth pairs)"
    local t
    for t in "$@"; do command -v "$t" >/dev/null || die "missing $t (apt-get install $t)"; done
}

# build_sluice TARGET...: the plain build in build/; with SLUICE_BUILD set, the binaries found
# there are used as they are.
build_sluice() {
    if [ -n "${SLUICE_BUILD:-}" ]; then
        log "using the binaries in $BUILD"
        return
    fi
    log "building $*"
    make -C "$ROOT" -j2 "$@" >"$WORK/build.log" 2>&1 || {
        tail -n 30 "$WORK/build.log" >&2
        die "build failed"
    }
}

print_machine() {
    echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), kernel $(uname -r)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews absolute numbers; ratios are from the same run)"
    echo "generator on cpu $GEN_CPU, switch data plane on cpu $SWITCH_CPU"
}

# ---- topology ----

# pair_up NS_A VETH_A MAC_A IP_A NS_B VETH_B MAC_B IP_B: two namespaces, each with an eth0
# veth-paired to VETH_x in the root namespace (where the switch attaches), addressed, up, no
# IPv6 chatter, and static neighbours so no ARP is on the measured path.
pair_up() {
    local ns_a=$1 veth_a=$2 mac_a=$3 ip_a=$4 ns_b=$5 veth_b=$6 mac_b=$7 ip_b=$8
    ip netns add "$ns_a" || die "cannot create namespace $ns_a"
    ip netns add "$ns_b" || die "cannot create namespace $ns_b"
    ip link add "$veth_a" type veth peer name eth0 netns "$ns_a" || die "cannot create veth $veth_a"
    ip link add "$veth_b" type veth peer name eth0 netns "$ns_b" || die "cannot create veth $veth_b"
    ip -n "$ns_a" link set eth0 address "$mac_a"
    ip -n "$ns_b" link set eth0 address "$mac_b"
    ip -n "$ns_a" addr add "$ip_a/24" dev eth0
    ip -n "$ns_b" addr add "$ip_b/24" dev eth0
    local n
    for n in "$ns_a" "$ns_b"; do
        ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
        ip -n "$n" link set lo up
        ip -n "$n" link set eth0 up
    done
    for n in "$veth_a" "$veth_b"; do
        sysctl -qw "net.ipv6.conf.$n.disable_ipv6=1"
        ip link set "$n" up
    done
    ip -n "$ns_a" neigh replace "$ip_b" lladdr "$mac_b" dev eth0 nud permanent
    ip -n "$ns_b" neigh replace "$ip_a" lladdr "$mac_a" dev eth0 nud permanent
}

topo_up() {
    pair_up "$NSG" "$VG" "$GEN_MAC" "$GEN_IP" "$NSK" "$VK" "$SINK_MAC" "$SINK_IP"
}

# learn_frame NS DST_MAC SRC_MAC: one frame from NS's eth0, so a learning switch knows SRC_MAC
# is behind that port (and does not flood traffic to it).
learn_frame() {
    ip netns exec "$1" python3 -c '
import socket, sys
mac = lambda m: bytes.fromhex(m.replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
s.send(mac(sys.argv[1]) + mac(sys.argv[2]) + b"\x88\xb5" + bytes(46))' "$2" "$3"
}

# Every MAC learned and the path works (a switch that floods unknown unicast would otherwise
# also send the flood to its own internal port): the sink sends one frame from the flood's
# destination MAC.
path_check() {
    local i
    for i in $(seq 1 10); do
        learn_frame "$NSK" "$GEN_MAC" "$FLOOD_DST_MAC" || return 1
        ip netns exec "$NSK" ping -c 1 -W 1 "$GEN_IP" >/dev/null 2>&1 &&
            ip netns exec "$NSG" ping -c 1 -W 1 "$SINK_IP" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

# ---- switches under test ----

sluice_up() { # sluice_up [auto|v2|v3]: the afpacket ports' receive rings (default: the port's own)
    local ring=${1:+rx_ring=$1}
    SLUICE_RING_OPT=$ring
    "$SLUICED" --sock "$WORK/sluiced.sock" --state-dir "$WORK/sluice-state" --log-level info \
        >>"$WORK/sluiced.log" 2>&1 &
    SLUICED_PID=$!
    # The whole daemon (data plane and management thread) stays on the switch's core.
    taskset -a -p -c "$SWITCH_CPU" "$SLUICED_PID" >/dev/null
    local i
    for i in $(seq 1 100); do
        [ -S "$WORK/sluiced.sock" ] && sluicectl show >/dev/null 2>&1 && break
        kill -0 "$SLUICED_PID" 2>/dev/null || break
        sleep 0.05
    done
    sluicectl add-port p1 type=afpacket dev="$VG" $ring >/dev/null &&
        sluicectl add-port p2 type=afpacket dev="$VK" $ring >/dev/null || {
        tail -n 20 "$WORK/sluiced.log" >&2
        die "sluiced did not start"
    }
    # Threads created after the first taskset (the data plane starts with the daemon; this
    # repeats it in case a port kind starts its own).
    taskset -a -p -c "$SWITCH_CPU" "$SLUICED_PID" >/dev/null
    SWITCH_PID=$SLUICED_PID
}
sluicectl() { "$SLUICECTL" --sock "$WORK/sluiced.sock" "$@"; }

# sluice_counters: the time, then the daemon's port counters (JSON), read right after a snapshot.
sluice_counters() {
    echo "$EPOCHREALTIME $(sluicectl --json port-stats | tr -d '\n')"
}

# sluice_breakdown: where the offered packets went during the last flood (HOOK_A/HOOK_B), as
# shares of what the generator sent in the window.
sluice_breakdown() {
    python3 - "$HOOK_A" "$HOOK_B" "$OFFERED_PPS" "$DELIVERED_PPS" <<'PY'
import json, sys
def load(s):
    t, j = s.split(" ", 1)
    return float(t), {p["name"]: p["stats"] for p in json.loads(j)["ports"]}
(ta, a), (tb, b) = load(sys.argv[1]), load(sys.argv[2])
off, dlv = float(sys.argv[3]), float(sys.argv[4])
rate = lambda f: (f(b) - f(a)) / (tb - ta)
rx = rate(lambda s: s["p1"]["rx_packets"])
tx = rate(lambda s: s["p2"]["tx_packets"])
full = rate(lambda s: s["p2"]["tx_drops"]["tx_full"])
err = rate(lambda s: s["p2"]["tx_drops"]["tx_error"])
pct = lambda x: 100 * x / off if off else 0
print("sluice: received %.0f pps (%.1f%% of offered never reached it: receive ring full), "
      "sent %.0f pps, tx_full %.0f/s, tx_error %.0f/s, %.1f%% lost after sendmmsg"
      % (rx, pct(off - rx), tx, full, err, pct(tx - dlv)))
PY
}

sluice_down() {
    [ -n "$SLUICED_PID" ] || return 0
    kill -TERM "$SLUICED_PID" 2>/dev/null
    wait "$SLUICED_PID" 2>/dev/null
    SLUICED_PID=
    rm -rf "$WORK/sluice-state" "$WORK/sluiced.sock"
}

# Bridge netfilter (br_netfilter) makes every bridged IPv4 frame walk the iptables hooks.
# It is switched off for the run when the module is loaded and restored afterwards.
BRIDGE_NF_NOTE=
bridge_nf_off() {
    if [ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
        BRIDGE_NF_NOTE="bridge netfilter: br_netfilter not loaded (off)"
        return
    fi
    local k was=""
    for k in iptables ip6tables arptables; do
        local f=/proc/sys/net/bridge/bridge-nf-call-$k
        [ -e "$f" ] || continue
        was="$was $k=$(cat "$f")"
        SYSCTL_RESTORE+=("net.bridge.bridge-nf-call-$k=$(cat "$f")")
        sysctl -qw "net.bridge.bridge-nf-call-$k=0"
    done
    BRIDGE_NF_NOTE="bridge netfilter: br_netfilter loaded, was$was; set to 0 for the run (restored at exit)"
}

bridge_up() {
    ip link add "$BR" type bridge || die "cannot create bridge"
    ip link set "$VG" master "$BR"
    ip link set "$VK" master "$BR"
    ip link set "$BR" up
    SWITCH_PID=
}
bridge_down() { ip link del "$BR" 2>/dev/null; }

ovs_ctl() { ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=30 "$@"; }

ovs_up() { # ovs_up [tso]
    OVS_DIR="$WORK/ovs"
    mkdir -p "$OVS_DIR"
    export OVS_RUNDIR="$OVS_DIR" OVS_LOGDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" OVS_SYSCONFDIR="$OVS_DIR"
    ip link show ovs-netdev >/dev/null 2>&1 && OVS_HAD_NETDEV=1
    ovsdb-tool create "$OVS_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema ||
        die "ovsdb-tool create failed"
    ovsdb-server "$OVS_DIR/conf.db" --remote="punix:$OVS_DIR/db.sock" \
        --pidfile="$OVS_DIR/ovsdb-server.pid" --unixctl="$OVS_DIR/ovsdb-server.ctl" \
        --log-file="$OVS_DIR/ovsdb-server.log" --detach >>"$OVS_DIR/start.log" 2>&1 ||
        die "ovsdb-server did not start"
    ovs_ctl --no-wait init
    # userspace TSO is read once, when ovs-vswitchd starts: set it before the daemon runs.
    [ "${1:-}" = tso ] && ovs_ctl --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true
    taskset -c "$SWITCH_CPU" ovs-vswitchd "unix:$OVS_DIR/db.sock" \
        --pidfile="$OVS_DIR/ovs-vswitchd.pid" --unixctl="$OVS_DIR/ovs-vswitchd.ctl" \
        --log-file="$OVS_DIR/ovs-vswitchd.log" --detach >>"$OVS_DIR/start.log" 2>&1 ||
        die "ovs-vswitchd did not start"
    ovs_ctl add-br "$BR" -- set bridge "$BR" datapath_type=netdev \
        -- add-port "$BR" "$VG" -- add-port "$BR" "$VK" || {
        tail -n 20 "$OVS_DIR/ovs-vswitchd.log" >&2
        die "cannot build the Open vSwitch bridge"
    }
    SWITCH_PID=$(cat "$OVS_DIR/ovs-vswitchd.pid")
    autogroup_nice "$SWITCH_PID" # it started its own session when it detached
}

ovs_down() {
    [ -n "$OVS_DIR" ] || return 0
    local d pid pids=()
    for d in ovs-vswitchd ovsdb-server; do
        pid=$(cat "$OVS_DIR/$d.pid" 2>/dev/null) && pids+=("$pid")
    done
    if [ -f "$OVS_DIR/ovs-vswitchd.pid" ]; then
        ovs_ctl --if-exists del-br "$BR" >/dev/null 2>&1
        ovs-appctl -t "$OVS_DIR/ovs-vswitchd.ctl" exit --cleanup >/dev/null 2>&1
    fi
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
    done
    ip link del "$BR" 2>/dev/null
    [ "$OVS_HAD_NETDEV" = 0 ] && ip link del ovs-netdev 2>/dev/null
    rm -rf "$OVS_DIR"
    OVS_DIR=
    unset OVS_RUNDIR OVS_LOGDIR OVS_DBDIR OVS_SYSCONFDIR
}

# switch_up NAME / switch_down NAME for NAME in gen (nothing), sluice, sluice-v2 and sluice-v3
# (afpacket ports with rx_ring=v2 or v3), bridge, ovs, ovs-tso.
switch_up() {
    SWITCH_PID=
    case "$1" in
    gen) ;;
    sluice) sluice_up ;;
    sluice-v2) sluice_up v2 ;;
    sluice-v3) sluice_up v3 ;;
    bridge) bridge_up ;;
    ovs) ovs_up ;;
    ovs-tso) ovs_up tso ;;
    *) die "unknown switch $1" ;;
    esac
}
switch_down() {
    case "$1" in
    sluice | sluice-v2 | sluice-v3) sluice_down ;;
    bridge) bridge_down ;;
    ovs | ovs-tso) ovs_down ;;
    esac
}

# ---- the flood ----

# trafgen_conf FILE [any]: one 60-byte frame (64 on the wire with the FCS) of UDP towards the
# sink, sent only by trafgen's worker on GEN_CPU (trafgen pins worker i to cpu i itself);
# with "any", sent by every worker (trafgen runs one worker when its rate is limited).
trafgen_conf() {
    local cpu="cpu($GEN_CPU): "
    [ "${2:-}" = any ] && cpu=
    cat >"$1" <<EOF
$cpu{
  $(mac_bytes "$FLOOD_DST_MAC"), $(mac_bytes "$GEN_MAC"), 0x08, 0x00,
  0x45, 0x00, const16(46), const16(0), 0x40, 0x00, 64, 17, csumip(14, 33),
  $(echo "$GEN_IP" | tr . ,), $(echo "$FLOOD_DST_IP" | tr . ,),
  const16(1024), const16($FLOOD_DST_PORT), const16(26), const16(0),
  fill(0x00, 18)
}
EOF
}
mac_bytes() { echo "0x$1" | sed 's/:/, 0x/g'; }

# flood_start [PPS]: the flood runs until flood_stop, as fast as trafgen goes or at PPS packets
# per second. It runs in its own process group (job control on for that moment) so the whole
# group can be stopped, in this session so that it shares the session's scheduling group.
flood_start() {
    local pps=${1:-} cfg="$WORK/flood.cfg" opts=(-P "$(nproc)")
    if [ -n "$pps" ]; then
        # A limited rate makes trafgen run one worker, which it pins to cpu 0: it is moved.
        cfg="$WORK/flood-rate.cfg"
        opts=(-P 1 -b "${pps}pps")
        [ -f "$cfg" ] || trafgen_conf "$cfg" any
    fi
    [ -f "$cfg" ] || trafgen_conf "$cfg"
    set -m
    ip netns exec "$NSG" trafgen -i "$cfg" -o eth0 -Q "${opts[@]}" \
        >"$WORK/trafgen.log" 2>&1 &
    TRAFGEN_PGID=$!
    set +m
    if [ -n "$pps" ]; then
        local i p
        for i in $(seq 1 50); do
            [ "$(pgrep -g "$TRAFGEN_PGID" | wc -l)" -ge 2 ] && break
            sleep 0.02
        done
        for p in $(pgrep -g "$TRAFGEN_PGID"); do taskset -a -p -c "$GEN_CPU" "$p" >/dev/null 2>&1; done
    fi
}
flood_stop() {
    [ -n "$TRAFGEN_PGID" ] || return 0
    kill -TERM -- -"$TRAFGEN_PGID" 2>/dev/null
    local i
    for i in $(seq 1 30); do kill -0 -- -"$TRAFGEN_PGID" 2>/dev/null || break; sleep 0.1; done
    kill -9 -- -"$TRAFGEN_PGID" 2>/dev/null
    wait "$TRAFGEN_PGID" 2>/dev/null
    TRAFGEN_PGID=
}

# The generator's tx and the sink's rx counters, read from the root-side ends of their veths
# (a veth reports its peer's transmissions as its own receptions and the other way round).
gen_tx() { cat "/sys/class/net/$VG/statistics/rx_packets"; }
sink_rx() { cat "/sys/class/net/$VK/statistics/tx_packets"; }
# The readers below run in this shell (no process started) so that a snapshot is taken in
# one go even when the cores are busy.
cpu_ticks() { # user+system clock ticks of a process, all threads
    local stat
    if [ -z "${1:-}" ] || ! read -r stat <"/proc/$1/stat" 2>/dev/null; then
        echo 0
        return
    fi
    stat=${stat##*) }
    set -- $stat
    echo $((${12} + ${13}))
}
snapshot() { # snapshot [PID]: "time generator_tx sink_rx cpu_ticks"
    local t=$EPOCHREALTIME g k
    read -r g <"/sys/class/net/$VG/statistics/rx_packets"
    read -r k <"/sys/class/net/$VK/statistics/tx_packets"
    echo "$t $g $k $(cpu_ticks "${1:-}")"
}

# measure_flood SECONDS [PID [PPS]]: runs the flood, and after one second of
# warm-up measures SECONDS of it. Sets OFFERED_PPS (generator's tx), DELIVERED_PPS (sink's rx)
# and CPU_PCT (PID's CPU time as a percentage of one core, "-" without PID). When FLOOD_HOOK
# names a command, its output at the start and the end of the window goes to HOOK_A and HOOK_B.
FLOOD_HOOK=
measure_flood() {
    local secs=$1 pid=${2:-}
    flood_start "${3:-}"
    sleep 1
    local a b
    a=$(snapshot "$pid")
    [ -n "$FLOOD_HOOK" ] && HOOK_A=$($FLOOD_HOOK)
    sleep "$secs"
    b=$(snapshot "$pid")
    [ -n "$FLOOD_HOOK" ] && HOOK_B=$($FLOOD_HOOK)
    flood_stop
    read -r OFFERED_PPS DELIVERED_PPS CPU_PCT < <(echo "$a $b" | awk -v tck="$(getconf CLK_TCK)" -v havepid="${pid:+1}" '{
        dt = $5 - $1
        printf "%.0f %.0f %s\n", ($6 - $2) / dt, ($7 - $3) / dt, havepid ? sprintf("%.0f", ($8 - $4) / tck / dt * 100) : "-"
    }')
}

# measure_iperf SECONDS: TCP from the generator to the sink; sets IPERF_GBPS ("0" when no
# connection was made or nothing arrived).
measure_iperf() {
    local secs=$1
    ip netns exec "$NSK" iperf3 -s -1 >"$WORK/iperf-server.log" 2>&1 &
    local srv=$!
    BG_PIDS+=("$srv")
    local i
    for i in $(seq 1 50); do
        ip netns exec "$NSK" ss -Hltn 'sport = :5201' | grep -q . && break
        sleep 0.05
    done
    ip netns exec "$NSG" taskset -c "$GEN_CPU" timeout $((secs + 15)) \
        iperf3 -c "$SINK_IP" -t "$secs" --connect-timeout 3000 -J >"$WORK/iperf.json" 2>/dev/null
    IPERF_GBPS=$(python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print("%.2f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("0")' "$WORK/iperf.json")
    kill -9 "$srv" 2>/dev/null
    wait "$srv" 2>/dev/null
}
