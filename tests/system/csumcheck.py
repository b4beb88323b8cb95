#!/usr/bin/env python3
# csumcheck.py - receives on an interface (until SIGTERM, or at most SECONDS) and checks the IPv4 header and TCP/UDP
# checksums of every packet to or from a port. Frames whose checksum is left to offload
# (the kernel reports TP_STATUS_CSUMNOTREADY) must carry the pseudo-header sum in the field,
# as the sender's kernel wrote it; the others must carry a complete, correct checksum.
# Prints one JSON line: {"packets", "partial", "full", "bad": [...]}.
import json
import select
import signal
import socket
import struct
import sys
import time

SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_CSUMNOTREADY = 1 << 3
ETH_P_ALL = 3


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def sum16(data):
    if len(data) % 2:
        data += b"\0"
    return sum(struct.unpack("!%dH" % (len(data) // 2), data))


def main():
    iface, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    print("listening on %s" % iface, file=sys.stderr, flush=True)
    res = {"packets": 0, "partial": 0, "full": 0, "bad": []}
    end = time.time() + seconds
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        left = end - time.time()
        if left <= 0:
            break
        try:
            r, _, _ = select.select([s], [], [], min(left, 0.2))
        except InterruptedError:
            continue
        if not r:
            continue
        data, anc, _, addr = s.recvmsg(70000, socket.CMSG_SPACE(32))
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        status = 0
        for level, typ, val in anc:
            if level == SOL_PACKET and typ == PACKET_AUXDATA:
                status = struct.unpack("I", val[:4])[0]
        if len(data) < 34 or data[12:14] != b"\x08\x00":
            continue
        ip = data[14:]
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        proto = ip[9]
        if proto not in (6, 17) or len(ip) < ihl + 8:
            continue
        l4 = ip[ihl:total]
        sport, dport = struct.unpack("!HH", l4[:4])
        if port not in (sport, dport):
            continue
        res["packets"] += 1
        what = "%s:%d > %s:%d len %d" % (
            socket.inet_ntoa(ip[12:16]), sport, socket.inet_ntoa(ip[16:20]), dport, len(l4))
        if fold(sum16(ip[:ihl])) != 0xFFFF:
            res["bad"].append("ip header checksum: " + what)
        off = 16 if proto == 6 else 6
        field = struct.unpack("!H", l4[off:off + 2])[0]
        pseudo = sum16(ip[12:20]) + proto + len(l4)
        if status & TP_STATUS_CSUMNOTREADY:
            res["partial"] += 1
            if field != fold(pseudo):
                res["bad"].append("partial sum 0x%04x, expected 0x%04x: %s" % (field, fold(pseudo), what))
        else:
            res["full"] += 1
            if proto == 17 and field == 0:
                continue
            if fold(pseudo + sum16(l4)) != 0xFFFF:
                res["bad"].append("checksum 0x%04x incorrect: %s" % (field, what))
    print(json.dumps(res))


main()
