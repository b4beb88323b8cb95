#!/usr/bin/env bash
# test_capture_match.sh - what sluicedump captures on a port equals what tcpdump captures on
# the veth inside the namespace behind it, per direction: same count, bytes and order, for
# ping, TCP (iperf3, offloads on) and a UDP flood. Also pcapng with directions and -w -.
source "$(dirname "$0")/lib.sh"

add_host a 10.84.0.1/24
add_host b 10.84.0.2/24
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"
in_ns a ping -c 1 -W 2 10.84.0.2 >/dev/null # learn and resolve before capturing
# pb "out" is what b receives; pb "in" is what b sends. The reference tcpdump inside b must
# itself lose nothing for the comparison to mean anything: if the kernel dropped packets for
# it (a loaded machine), the round is repeated.
capture_round() {
    rm -f "$WORK"/sl-* "$WORK"/td-* "$WORK"/sl.pcapng
    # Rings large enough for 64 KiB TCP segments at full speed: nothing may be dropped.
    "$SLUICEDUMP" -i pb -Q out --ring-size 256M -w "$WORK/sl-out.pcap" 2>"$WORK/sl-out.err" &
    d1=$!
    "$SLUICEDUMP" -i pb -Q in --ring-size 256M -w "$WORK/sl-in.pcap" 2>"$WORK/sl-in.err" &
    d2=$!
    "$SLUICEDUMP" -i pb --ring-size 256M -w "$WORK/sl.pcapng" 2>"$WORK/sl-ng.err" &
    d3=$!
    BG_PIDS+=($d1 $d2 $d3)
    # ip netns exec replaces itself with tcpdump, so $! is tcpdump's pid.
    ip netns exec "$(ns b)" tcpdump -i eth0 -Q in -B 65536 -w "$WORK/td-in.pcap" 2>"$WORK/td-in.err" &
    t1=$!
    ip netns exec "$(ns b)" tcpdump -i eth0 -Q out -B 65536 -w "$WORK/td-out.pcap" 2>"$WORK/td-out.err" &
    t2=$!
    BG_PIDS+=($t1 $t2)
    sleep 1.5
    in_ns a ping -c 10 -i 0.05 10.84.0.2 >/dev/null
    in_ns b iperf3 -s -1 -B 10.84.0.2 >/dev/null 2>&1 &
    BG_PIDS+=($!)
    sleep 0.3
    # A bounded amount of TCP (offloads on: large segments) keeps the reference tcpdump's
    # disk writes within what it can sustain.
    in_ns a iperf3 -c 10.84.0.2 -n 40M >/dev/null 2>&1 || fail "iperf3 through the switch"
    in_ns a python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3000):
    s.sendto(bytes(18 + i % 1000), ('10.84.0.2', 9999))
"
    sleep 1
    kill -INT $t1 $t2 $d1 $d2 $d3
    wait $t1 $t2 $d1 $d2 $d3 2>/dev/null
    ! grep -qE "^[1-9][0-9]* packets dropped by kernel" "$WORK"/td-*.err
}
for round in 1 2 3; do
    capture_round && break
    echo "round $round: the reference tcpdump lost packets; again"
done
frames() { tcpdump -r "$1" -nn -x 2>/dev/null | sed -E 's/^[0-9:.]+ //'; }
n_out=$(tcpdump -r "$WORK/sl-out.pcap" 2>/dev/null | wc -l)
n_in=$(tcpdump -r "$WORK/sl-in.pcap" 2>/dev/null | wc -l)
echo "sluicedump: $n_out out, $n_in in; tcpdump in b: $(tcpdump -r "$WORK/td-in.pcap" 2>/dev/null | wc -l) in, $(tcpdump -r "$WORK/td-out.pcap" 2>/dev/null | wc -l) out"
check "port out == namespace in (count, bytes, order)" cmp -s <(frames "$WORK/sl-out.pcap") <(frames "$WORK/td-in.pcap")
check "port in == namespace out (count, bytes, order)" cmp -s <(frames "$WORK/sl-in.pcap") <(frames "$WORK/td-out.pcap")
check "a UDP flood was seen" test "$n_out" -gt 3000
check "tcpdump reads the pcap without a warning" bash -c "tcpdump -r $WORK/sl-out.pcap -nn 2>&1 >/dev/null | grep -v '^reading from file' | grep -q . && exit 1 || exit 0"
check "tshark reads the pcapng without a warning" bash -c "tshark -r $WORK/sl.pcapng -c 1 >/dev/null 2>$WORK/tshark.err && ! grep -qi -e warn -e error $WORK/tshark.err"
dirs=$(tshark -r "$WORK/sl.pcapng" -T fields -e frame.packet_flags_direction 2>"$WORK/tshark2.err" | sort | uniq -c); cat "$WORK/tshark2.err"
echo "pcapng directions: $dirs"
check "pcapng carries both directions" bash -c "grep -q 0x00000001 <<<'$dirs' && grep -q 0x00000002 <<<'$dirs'"
check "pcapng holds in + out" test "$(tshark -r "$WORK/sl.pcapng" 2>/dev/null | wc -l)" -eq $((n_in + n_out))
# Streaming to a pipe.
"$SLUICEDUMP" -i pa -c 5 -w - 2>/dev/null | tcpdump -r - -nn >"$WORK/pipe.txt" 2>/dev/null &
pp=$!
sleep 1
in_ns a ping -c 5 -i 0.1 10.84.0.2 >/dev/null
wait $pp
cat "$WORK/pipe.txt"
check "sluicedump -w - | tcpdump -r - shows the packets" test "$(grep -c ICMP "$WORK/pipe.txt")" -ge 5
tail -n 3 "$WORK"/sl-*.err "$WORK"/td-*.err
check "exit statistics printed" grep -q "packets captured" "$WORK/sl-out.err"
check "no packet dropped by the switch" bash -c "grep -h 'dropped by switch' $WORK/sl-*.err | grep -qv '^0 '; test \$? -ne 0"
finish
