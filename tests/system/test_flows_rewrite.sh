#!/usr/bin/env bash
# test_flows_rewrite.sh - mod_nw_dst/mod_tp_dst (and the reverse mod_nw_src/mod_tp_src) turn a
# virtual address and port into a server's: a TCP connection through the rewrite works, and the
# receivers see correct checksums, both for frames whose checksum the sender left to offload
# (the pseudo-header sum must follow the new addresses) and for complete checksums (tcpdump -vv
# verifies them, with the senders' checksum offload off). UDP likewise.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/flows_lib.sh"

MAC_A=02:00:00:00:61:01
MAC_B=02:00:00:00:61:02
VIP=10.61.0.100
add_host a 10.61.0.1/24 $MAC_A
add_host b 10.61.0.2/24 $MAC_B
neigh a $VIP 02:00:00:00:61:64 # the virtual address has no host behind it
neigh a 10.61.0.2 $MAC_B
neigh b 10.61.0.1 $MAC_A
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"
ctl add-flow "priority=100,tcp,in_port=pa,nw_dst=$VIP,tp_dst=8080,actions=mod_nw_dst:10.61.0.2,mod_tp_dst:9090,mod_dl_dst:$MAC_B,output:pb"
ctl add-flow "priority=100,tcp,in_port=pb,nw_src=10.61.0.2,tp_src=9090,actions=mod_nw_src:$VIP,mod_tp_src:8080,output:pa"
ctl add-flow "priority=100,udp,in_port=pa,nw_dst=$VIP,tp_dst=5353,actions=mod_nw_dst:10.61.0.2,mod_tp_dst:5454,mod_dl_dst:$MAC_B,output:pb"
ctl dump-flows

# The server only listens on the real address and port; it answers with what it received.
SERVER='
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
s.settimeout(15)
c, peer = s.accept()
n = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    n += len(d)
c.sendall(("got %d bytes from %s" % (n, peer[0])).encode())
c.close()'
CLIENT='
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
c.sendall(b"x" * int(sys.argv[3]))
c.shutdown(socket.SHUT_WR)
print(c.recv(200).decode())'

# connect_through_vip TAG BYTES: one connection to VIP:8080, checksums checked on both ends.
connect_through_vip() {
    local tag=$1 bytes=$2
    in_ns b python3 -c "$SERVER" 10.61.0.2 9090 >"$WORK/server-$tag.txt" 2>&1 &
    local srv=$!
    BG_PIDS+=("$srv")
    csum_check "csum-b-$tag" b 9090
    local cb=$CSUM_PID
    csum_check "csum-a-$tag" a 8080
    local ca=$CSUM_PID
    for _ in $(seq 1 100); do
        in_ns b ss -Hltn 'sport = :9090' | grep -q . && break
        sleep 0.05
    done
    out=$(in_ns a timeout 15 python3 -c "$CLIENT" $VIP 8080 "$bytes" 2>&1)
    echo "client ($tag): $out"
    check "$tag: TCP through the rewrite works (server got all $bytes bytes from 10.61.0.1)" \
        test "$out" = "got $bytes bytes from 10.61.0.1"
    wait "$srv"
    sleep 0.3 # the last frames reach the checkers
    kill -TERM "$cb" "$ca"
    wait "$cb" "$ca"
    echo "checksums at b ($tag): $(cat "$WORK/csum-b-$tag.json")"
    echo "checksums at a ($tag): $(cat "$WORK/csum-a-$tag.json")"
}

json_field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); v=d[sys.argv[2]]; print(len(v) if isinstance(v, list) else v)" "$@"; }

# 1. Offload on (the veths' default): the senders leave TCP checksums to offload, so the frames
# carry partial checksums (pseudo-header sums) that the switch must update for new addresses.
connect_through_vip offload 300000
check "offload: b received rewritten frames with partial checksums" \
    test "$(json_field "$WORK/csum-b-offload.json" partial)" -gt 0
check "offload: every checksum at b correct (partial sums match the new addresses)" \
    test "$(json_field "$WORK/csum-b-offload.json" bad)" -eq 0
check "offload: every checksum at a correct" test "$(json_field "$WORK/csum-a-offload.json" bad)" -eq 0
check "offload: a received the answers from $VIP:8080" \
    test "$(json_field "$WORK/csum-a-offload.json" packets)" -gt 0

# 2. Offload off: complete checksums, updated incrementally; tcpdump -vv verifies them.
in_ns a ethtool -K eth0 tx off >/dev/null
in_ns b ethtool -K eth0 tx off >/dev/null
capture tb b -vv tcp port 9090
capture ta a -vv tcp port 8080
connect_through_vip full 100000
stop_capture tb
stop_capture ta
check "full: checksums at b were complete" test "$(json_field "$WORK/csum-b-full.json" full)" -gt 0
check "full: tcpdump -vv at b: TCP checksums correct" grep -q "cksum 0x[0-9a-f]* (correct)" "$WORK/tb.txt"
check "full: tcpdump -vv at b: no incorrect checksum" bash -c "! grep -Eq 'incorrect|bad cksum' $WORK/tb.txt"
check "full: tcpdump -vv at b: the server's port" grep -q "10.61.0.1.[0-9]* > 10.61.0.2.9090:" "$WORK/tb.txt"
check "full: tcpdump -vv at a: answers from $VIP.8080 correct" grep -q "$VIP.8080 > 10.61.0.1.[0-9]*: .*(correct)" "$WORK/ta.txt"
check "full: tcpdump -vv at a: no incorrect checksum" bash -c "! grep -Eq 'incorrect|bad cksum' $WORK/ta.txt"
check "full: no checksum error found at b" test "$(json_field "$WORK/csum-b-full.json" bad)" -eq 0

# 3. UDP with a checksum: rewritten address and port, checksum still right.
capture ub b -vv udp port 5454
udp_from a $MAC_A 02:00:00:00:61:64 10.61.0.1 $VIP 5353 --count 3
stop_capture ub
check "udp: b got 3 datagrams for 10.61.0.2.5454" test "$(grep -c '10.61.0.1.4000 > 10.61.0.2.5454: \[udp sum ok\]' "$WORK/ub.txt")" -eq 3
check "udp: IP header checksums fine" bash -c "! grep -q 'bad cksum' $WORK/ub.txt"

ctl dump-flows
check "forward rule counted the connection" test "$(rule_packets "priority=100,tcp,in_port=0,nw_dst=$VIP,tp_dst=8080")" -gt 10
check "reverse rule counted the answers" test "$(rule_packets "priority=100,tcp,in_port=1,nw_src=10.61.0.2,tp_src=9090")" -gt 2
check "udp rule counted 3" test "$(rule_packets "priority=100,udp,in_port=0,nw_dst=$VIP,tp_dst=5353")" -eq 3
finish
