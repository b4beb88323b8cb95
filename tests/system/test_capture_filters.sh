#!/usr/bin/env bash
# test_capture_filters.sh - 25 captures at once on one port, each with its own filter: a mixed
# traffic file replayed into the port, and each capture keeps exactly the packets that
# `tcpdump -r FILE EXPR` keeps from that file (same packets, same bytes, same order).
source "$(dirname "$0")/lib.sh"

EXPRS=(
    "tcp" "udp" "icmp" "arp" "ip6" "vlan" "vlan and ip" "vlan 20" "host 10.0.0.3"
    "src net 10.0.0.0/8" "net 192.168.0.0 mask 255.255.0.0" "port 80" "portrange 1000-2000"
    "tcp[tcpflags] & tcp-syn != 0" "tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)"
    "less 100" "greater 1000" "len > 500 and udp" "ether[0] & 1 != 0" "ip[8] < 64"
    "icmp[icmptype] == icmp-echo" "ip6 and tcp port 443" "not port 22 and not arp"
    "ip[6:2] & 0x1fff != 0" "ether proto 0x88b5"
)
python3 "$ROOT/tests/system/gen_mixed_pcap.py" "$WORK/mixed.pcap" 7 3000
add_host a 192.0.2.1/32
ip -n "$(ns a)" addr flush dev eth0 # the sender must add nothing of its own
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
pids=()
for i in "${!EXPRS[@]}"; do
    "$SLUICEDUMP" -i pa -Q in --ring-size 1M -w "$WORK/got$i.pcap" "${EXPRS[$i]}" 2>"$WORK/dump$i.err" &
    pids+=($!)
    BG_PIDS+=($!)
done
for _ in $(seq 1 100); do
    [ "$(ctl --json capture-list | grep -c '"id"')" -ge ${#EXPRS[@]} ] && break
    sleep 0.1
done
check "${#EXPRS[@]} captures open at once" test "$(ctl --json capture-list | grep -c '"id"')" -eq ${#EXPRS[@]}
in_ns a tcpreplay -q -i eth0 --pps 20000 "$WORK/mixed.pcap" >/dev/null 2>&1
sleep 1
check "every frame received" test "$(port_stat pa rx_packets)" -eq 3000
for p in "${pids[@]}"; do kill -INT "$p"; done
for p in "${pids[@]}"; do wait "$p"; done
frames() { tcpdump -r "$1" -nn -x 2>/dev/null | sed -E 's/^[0-9:.]+ //'; }
for i in "${!EXPRS[@]}"; do
    tcpdump -r "$WORK/mixed.pcap" -w "$WORK/want$i.pcap" "${EXPRS[$i]}" 2>/dev/null
    want=$(tcpdump -r "$WORK/want$i.pcap" -nn 2>/dev/null | grep -c '^[0-9]')
    got=$(tcpdump -r "$WORK/got$i.pcap" -nn 2>/dev/null | grep -c '^[0-9]')
    if cmp -s <(frames "$WORK/want$i.pcap") <(frames "$WORK/got$i.pcap"); then
        ok "'${EXPRS[$i]}': $got packets, as tcpdump"
    else
        fail "'${EXPRS[$i]}': sluicedump kept $got packets, tcpdump $want"
        cat "$WORK/dump$i.err"
    fi
done
check "no capture left open" test "$(ctl --json capture-list | grep -c '"id"')" -eq 0
finish
