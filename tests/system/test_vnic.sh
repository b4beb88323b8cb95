#!/usr/bin/env bash
# test_vnic.sh - 64 virtual NICs, each in its own namespace, behind one uplink (an afpacket
# port on a veth whose other end is a host namespace): every one answers ping, an ARP
# broadcast from the uplink reaches all of them, traffic between two crosses the switch
# without flooding, they come back after a restart, bad requests create nothing, a failure
# part-way rolls back, and deletion leaves no device or namespace behind.
source "$(dirname "$0")/lib.sh"

N=64
NSP="vn$T-"     # namespace prefix: vn<tag>-0 .. vn<tag>-63
MACBASE=02:5c:00:00:10:00
NET=10.61
HOSTIP=$NET.255.254

for i in $(seq 0 $((N - 1))); do CREATED_NS+=("$NSP$i"); done # only if deletion failed
add_host up $HOSTIP/16 02:5c:00:00:ff:fe
start_sluiced
check "uplink port" ctl add-port uplink type=afpacket dev="$(veth up)"

out=$(ctl vnic-add --count $N --mac $MACBASE --ip $NET.0.1/16 --netns "$NSP" --name vt)
echo "$out"
check "vnic-add reports the time taken" grep -qE "^created $N virtual NICs vt0..vt63 .* in [0-9.]+ s$" <<<"$out"
check "$N namespaces" test "$(ip netns list | grep -c "^$NSP[0-9]")" -eq $N
check "vt5 lives in its namespace with its MAC and address" \
    bash -c "ip -n ${NSP}5 -br addr show vt5 | grep -q '$NET.0.6/16' &&
             ip -n ${NSP}5 link show vt5 | grep -q '02:5c:00:00:10:05'"
check "vt5 is not in the switch's namespace" bash -c "! ip link show vt5 >/dev/null 2>&1"
list=$(ctl vnic-list)
check "vnic-list shows all" test "$(grep -c '^vt[0-9]' <<<"$list")" -eq $N
check "vnic-list --json total" \
    test "$(ctl vnic-list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')" -eq $N
fdb=$(ctl fdb-show)
check "static MAC entry for every virtual NIC" \
    test "$(grep -cE '^vt[0-9]+ .*02:5c:00:00:10:' <<<"$fdb")" -eq $N

# Every virtual NIC answers the uplink host.
answered=0
for i in $(seq 0 $((N - 1))); do
    ip=$NET.$(((i + 1) / 256)).$(((i + 1) % 256))
    in_ns up ping -c 1 -W 2 -q "$ip" >/dev/null && answered=$((answered + 1))
done
check "all $N answer ping from the uplink ($answered)" test "$answered" -eq $N

# One ARP broadcast from the uplink reaches every virtual NIC.
tx_counts() {
    ctl vnic-list --json | python3 -c '
import json,sys
for v in json.load(sys.stdin)["vnics"]: print(v["name"], v["tx_packets"])'
}
before=$(tx_counts)
check "one ARP broadcast sent" in_ns up python3 "$ROOT/tests/system/sendraw.py" eth0 arp \
    02:5c:00:00:ff:fe $HOSTIP $NET.200.200
sleep 0.3
after=$(tx_counts)
reached=$(join <(sort <<<"$before") <(sort <<<"$after") | awk '$3 > $2' | wc -l)
check "the broadcast reached all $N ($reached)" test "$reached" -eq $N

# Traffic between two virtual NICs crosses the switch; unicast to them is never flooded.
stat_of() { ctl vnic-list --json | python3 -c "
import json,sys
print([v['$2'] for v in json.load(sys.stdin)['vnics'] if v['name']=='$1'][0])"; }
vt3_rx0=$(stat_of vt3 rx_packets)
vt9_tx0=$(stat_of vt9 tx_packets)
# Watch the uplink host's side for ICMP while vt3 pings vt9 (and once itself, to show the
# capture was live): none of vt3's and vt9's frames may show up there.
in_ns up tcpdump -i eth0 -nn -U -w "$WORK/up.pcap" icmp 2>"$WORK/tcpdump.err" &
BG_PIDS+=($!)
for _ in $(seq 1 50); do grep -q listening "$WORK/tcpdump.err" && break; sleep 0.1; done
check "vt3 pings vt9" ip netns exec "${NSP}3" ping -c 5 -i 0.2 -W 2 -q $NET.0.10
check "the uplink host pings vt3" in_ns up ping -c 1 -W 2 -q $NET.0.4
sleep 0.5
kill "${BG_PIDS[-1]}" 2>/dev/null
wait "${BG_PIDS[-1]}" 2>/dev/null
vt3_rx=$(($(stat_of vt3 rx_packets) - vt3_rx0))
vt9_tx=$(($(stat_of vt9 tx_packets) - vt9_tx0))
seen=$(tcpdump -r "$WORK/up.pcap" -nn 2>/dev/null)
between=$(grep -c "$NET.0.4 > $NET.0.10\|$NET.0.10 > $NET.0.4" <<<"$seen")
own=$(grep -c "$HOSTIP > $NET.0.4" <<<"$seen")
echo "vt3 sent $vt3_rx, vt9 received $vt9_tx; the uplink saw $between of their pings, $own of its own"
check "the switch carried vt3's frames" test "$vt3_rx" -ge 5
check "the switch delivered them to vt9" test "$vt9_tx" -ge 5
check "the uplink capture was live" test "$own" -ge 1
check "unicast between virtual NICs did not reach the uplink" test "$between" -eq 0

# Each namespace behaves as a host: arping, ss and a server bound to its address.
check "arping from vt7 finds the uplink host" \
    ip netns exec "${NSP}7" arping -q -c 1 -w 2 -i vt7 $HOSTIP
ip netns exec "${NSP}7" python3 -m http.server 18080 --bind $NET.0.8 >/dev/null 2>&1 &
BG_PIDS+=($!)
served=1
for _ in $(seq 1 50); do
    ip netns exec "${NSP}7" ss -ltn | grep -q "$NET.0.8:18080" && { served=0; break; }
    sleep 0.1
done
check "server listening on vt7's address (ss)" test "$served" -eq 0
check "uplink host fetches from vt7's server" \
    in_ns up curl -sf -o /dev/null --max-time 5 "http://$NET.0.8:18080/"
kill "${BG_PIDS[-1]}" 2>/dev/null
wait "${BG_PIDS[-1]}" 2>/dev/null

# Bad requests: a clear error and nothing created.
count_ns() { ip netns list | grep -c "^$NSP" || true; }
EXPECT_NS=$N
expect_refused() { # expect_refused WHAT PATTERN ARGS...
    local what=$1 pattern=$2
    shift 2
    local msg rc=0
    msg=$(ctl vnic-add "$@" 2>&1) || rc=$?
    echo "$what: $msg"
    check "$what is refused" test "$rc" -ne 0
    check "$what: clear error" grep -q "$pattern" <<<"$msg"
    check "$what: nothing created" test "$(count_ns)" -eq "$EXPECT_NS" -a \
        "$(ctl vnic-list | grep -c '^[a-z]')" -eq $N
}
expect_refused "overlapping addresses" "overlaps" --count 4 --mac 02:5c:00:00:20:00 \
    --ip $NET.0.60/16 --netns "$NSP"
expect_refused "overlapping MACs" "overlaps" --count 4 --mac 02:5c:00:00:10:3e \
    --ip $NET.1.1/16 --netns "$NSP"
expect_refused "count beyond the limit" "limit" --count 4090 --mac 02:5c:00:01:00:00 \
    --ip 10.62.0.1/16
ip netns add "${NSP}66" && CREATED_NS+=("${NSP}66")
EXPECT_NS=$((N + 1))
expect_refused "existing namespace name" "namespace ${NSP}66 exists" --count 4 \
    --mac 02:5c:00:00:20:00 --ip $NET.1.1/16 --netns "$NSP" --name vt
check "the existing namespace is left alone" test -e "/run/netns/${NSP}66"
ip netns del "${NSP}66"
EXPECT_NS=$N
ip link add "vx${T}1" type veth peer name "vy$T" && CREATED_LINKS+=("vx${T}1")
msg=$(ctl vnic-add --count 2 --mac 02:5c:00:00:20:00 --ip $NET.1.1/16 --name "vx$T" 2>&1)
echo "existing interface: $msg"
check "existing interface name is refused" grep -q "interface vx${T}1 exists" <<<"$msg"
check "existing interface: nothing created" test "$(ip -br link | grep -c "^vx${T}")" -eq 1
ip link del "vx${T}1"

# Restart: the virtual NICs come back, namespaces and addresses included.
stop_sluiced
check "namespaces outlive the switch" test "$(count_ns)" -eq $N
start_sluiced
check "restored after restart" test "$(ctl vnic-list | grep -c '^vt[0-9]')" -eq $N
check "vt0 answers after restart" in_ns up ping -c 2 -i 0.3 -W 2 -q $NET.0.1
check "vt63 answers after restart" in_ns up ping -c 2 -i 0.3 -W 2 -q $NET.0.64

# Deletion by name and by range, then everything.
check "vnic-del by name" ctl vnic-del vt0
check "vnic-del by range" ctl vnic-del vt10..vt19
check "11 gone" test "$(ctl vnic-list | grep -c '^vt[0-9]')" -eq $((N - 11)) -a "$(count_ns)" -eq $((N - 11))
check "unknown name is an error" bash -c "! $SLUICECTL --sock $SOCK vnic-del vt0 2>/dev/null"
check "vnic-del --all" ctl vnic-del --all
check "no virtual NIC left" test "$(ctl vnic-list | grep -c '^vt')" -eq 0
check "no namespace left" test "$(count_ns)" -eq 0
check "no port left but the uplink" test "$(ctl show | grep -c ' tap ')" -eq 0
check "the uplink still works" ctl show uplink

# A failure part-way (the MAC table takes 16 static entries) rolls back everything.
stop_sluiced
start_sluiced --mac-max 16
for mode in netns host; do
    args=(--count 20 --mac 02:5c:00:00:30:00 --ip $NET.2.1/16 --name "vr$T")
    [ $mode = netns ] && args+=(--netns "$NSP")
    msg=$(ctl vnic-add "${args[@]}" 2>&1)
    echo "$mode: $msg"
    check "$mode: failure reported" grep -q "MAC table is full.*nothing was created" <<<"$msg"
    check "$mode: no virtual NIC recorded" test "$(ctl vnic-list | grep -c '^vr')" -eq 0
    check "$mode: no port left" test "$(ctl show | grep -c ' tap ')" -eq 0
    check "$mode: no namespace left" test "$(count_ns)" -eq 0
    check "$mode: no device left" test "$(ip -br link | grep -c "^vr$T")" -eq 0
done
finish
