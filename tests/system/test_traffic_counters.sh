#!/usr/bin/env bash
# test_traffic_counters.sh - known frames (ARP, TCP, UDP, ICMP, ICMPv6, tagged, short, jumbo;
# every RMON bucket edge) sent through the switch: every classification counter is exact on
# the receiving and the sending port, the others stay zero, and --detail prints the same.
source "$(dirname "$0")/lib.sh"
FRAMES="$ROOT/tests/system/traffic_frames.py"

# A host that sends nothing by itself: no addresses, IPv6 off before the link comes up, and
# an MTU that lets the 1519..1600-byte frames through.
quiet_host() {
    local name=$1 mac=$2 ns="sl$T$1" outer="v$T$1"
    ip netns add "$ns" && CREATED_NS+=("$ns")
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip link add "$outer" type veth peer name eth0 netns "$ns" && CREATED_LINKS+=("$outer")
    sysctl -qw "net.ipv6.conf.$outer.disable_ipv6=1"
    ip -n "$ns" link set eth0 address "$mac" mtu 2000
    ip link set "$outer" mtu 2000
    ip -n "$ns" link set eth0 up
    ip link set "$outer" up
}
quiet_host a 02:00:00:00:0c:01
quiet_host b 02:00:00:00:0c:02
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"
sleep 0.5
python3 "$FRAMES" expect >"$WORK/expect.json"
want=$(python3 -c "import json; print(json.load(open('$WORK/expect.json'))['packets'])")
in_ns a python3 "$FRAMES" send eth0
for _ in $(seq 50); do
    [ "$(port_stat pb tx_packets)" -ge "$want" ] && break
    sleep 0.1
done
sleep 0.5 # anything beyond the known frames would arrive now and fail the checks below
ctl --json port-stats >"$WORK/stats.json"
ctl port-stats pa --detail
ctl port-stats pb --detail

python3 - "$WORK/expect.json" "$WORK/stats.json" <<'PY'
import json, sys
exp = json.load(open(sys.argv[1]))
ports = {p["name"]: p["stats"] for p in json.load(open(sys.argv[2]))["ports"]}
zero = {"l3": {k: {"packets": 0, "bytes": 0} for k in exp["traffic"]["l3"]},
        "l4": {k: {"packets": 0, "bytes": 0} for k in exp["traffic"]["l4"]},
        "cast": {k: 0 for k in exp["traffic"]["cast"]},
        "size": {k: 0 for k in exp["traffic"]["size"]}}
bad = []
checked = 0
def same(what, got, want):
    global checked
    if isinstance(want, dict):
        if set(got) != set(want):
            bad.append(f"{what}: keys {sorted(got)} != {sorted(want)}")
        for k in want:
            same(f"{what}.{k}", got.get(k), want[k])
    else:
        checked += 1
        if got != want:
            bad.append(f"{what}: {got} != {want}")
same("pa.traffic_rx", ports["pa"]["traffic_rx"], exp["traffic"])
same("pb.traffic_tx", ports["pb"]["traffic_tx"], exp["traffic"])
same("pa.traffic_tx", ports["pa"]["traffic_tx"], zero)
same("pb.traffic_rx", ports["pb"]["traffic_rx"], zero)
same("pa.rx_packets", ports["pa"]["rx_packets"], exp["packets"])
same("pa.rx_bytes", ports["pa"]["rx_bytes"], exp["bytes"])
same("pb.tx_packets", ports["pb"]["tx_packets"], exp["packets"])
same("pb.tx_bytes", ports["pb"]["tx_bytes"], exp["bytes"])
for p in ("pa", "pb"):
    for d in ("rx_drops", "tx_drops"):
        for r, v in ports[p][d].items():
            same(f"{p}.{d}.{r}", v, 0)
same("pa.tx_packets", ports["pa"]["tx_packets"], 0)
same("pb.rx_packets", ports["pb"]["rx_packets"], 0)
print(checked, "counters checked exactly")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
check "every counter exact" test $? -eq 0

# The --detail table shows the same numbers as the JSON, row by row.
detail_matches() {
    ctl port-stats "$1" --detail >"$WORK/detail.txt"
    python3 - "$1" "$WORK/detail.txt" "$WORK/stats.json" <<'PY'
import json, sys
port = sys.argv[1]
s = next(p["stats"] for p in json.load(open(sys.argv[3]))["ports"] if p["name"] == port)
rows = {}
for line in open(sys.argv[2]):
    w = line.split()
    if len(w) == 6 and w[0] in ("l3", "l4", "cast", "size"):
        rows[(w[0], w[1])] = w[2:]
n = 0
for group in ("l3", "l4", "cast", "size"):
    for cls, rxv in s["traffic_rx"][group].items():
        txv = s["traffic_tx"][group][cls]
        if isinstance(rxv, dict):
            want = [str(rxv["packets"]), str(rxv["bytes"]), str(txv["packets"]), str(txv["bytes"])]
        else:
            want = [str(rxv), "-", str(txv), "-"]
        assert rows.get((group, cls)) == want, (group, cls, rows.get((group, cls)), want)
        n += 1
assert n == len(rows) == 18, (n, len(rows))
PY
}
check "port-stats pa --detail matches the counters" detail_matches pa
check "port-stats pb --detail matches the counters" detail_matches pb
check "plain port-stats has no traffic table" test -z "$(ctl port-stats pa | grep '^    l3 ')"
finish
