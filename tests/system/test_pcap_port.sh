#!/usr/bin/env bash
# test_pcap_port.sh - deterministic switching between pcap ports: a capture file replayed on
# one port is flooded unchanged to two recording ports, and the counters say so.
source "$(dirname "$0")/lib.sh"

python3 - "$WORK/in.pcap" <<'PY'
import struct, sys, random
random.seed(3)
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
for i in range(200):
    size = random.choice([60, 64, 128, 512, 1514])
    dst = bytes([0xff] * 6) if i % 3 == 0 else bytes([0x02, 0, 0, 0, 0x10, i % 7])
    src = bytes([0x02, 0, 0, 0, 0x20, 1])
    body = bytes(random.getrandbits(8) for _ in range(size - 14))
    frame = dst + src + b"\x08\x00" + body
    out.write(struct.pack("<IIII", 1000 + i, 0, len(frame), len(frame)) + frame)
PY
start_sluiced
ctl add-port out1 type=pcap out="$WORK/out1.pcap"
ctl add-port out2 type=pcap out="$WORK/out2.pcap"
ctl add-port in type=pcap in="$WORK/in.pcap"
for _ in $(seq 1 50); do
    [ "$(port_stat out2 tx_packets)" -ge 200 ] && break
    sleep 0.1
done
check "200 received" test "$(port_stat in rx_packets)" -eq 200
check "200 sent to out1" test "$(port_stat out1 tx_packets)" -eq 200
check "200 sent to out2" test "$(port_stat out2 tx_packets)" -eq 200
same() { cmp <(tcpdump -r "$1" -x 2>/dev/null | grep -v '^[0-9]') <(tcpdump -r "$2" -x 2>/dev/null | grep -v '^[0-9]'); }
check "out1 holds the input frames unchanged" same "$WORK/in.pcap" "$WORK/out1.pcap"
check "out2 holds the input frames unchanged" same "$WORK/in.pcap" "$WORK/out2.pcap"
finish
