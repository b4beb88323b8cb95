#!/usr/bin/env python3
# gen_mixed_pcap.py - writes a deterministic capture file of mixed traffic (IPv4/IPv6, TCP with
# assorted flags, UDP, ICMP, ARP, 802.1Q-tagged, multicast, fragments, many sizes) for
# comparing filters against tcpdump's.
import random
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(n):
    return bytes([0x02, 0, 0, 0, (n >> 8) & 0xFF, n & 0xFF])


def ipv4(src, dst, proto, payload, ttl=64, frag=0, tos=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), random.getrandbits(16), frag,
                      ttl, proto, 0, bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 0x60000000 | random.getrandbits(20), len(payload), nh, hlim,
                       bytes(src), bytes(dst)) + payload


def tcp(sport, dport, flags, data):
    return struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32), random.getrandbits(32),
                       0x50, flags, 8192, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def icmp(t, code, data):
    return struct.pack("!BBHHH", t, code, 0, random.getrandbits(16), 1) + data


def eth(dst, src, etype, payload, vlan=None):
    h = dst + src
    if vlan is not None:
        h += struct.pack("!HH", 0x8100, vlan)
    return h + struct.pack("!H", etype) + payload


def main():
    random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    hosts4 = [[10, 0, 0, i] for i in range(1, 9)] + [[192, 168, 1, 5], [172, 16, 3, 4], [8, 8, 8, 8]]
    hosts6 = [[0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [i] for i in range(1, 5)] + [[0xfe, 0x80] + [0] * 13 + [7]]
    ports = [22, 53, 80, 443, 1000, 1500, 2000, 2001, 5000, 8080, 40000]
    frames = []
    for i in range(count):
        size = random.choice([0, 0, 10, 100, 400, 900, 1300, 1440])  # frames stay within a 1500-byte MTU
        data = bytes(random.getrandbits(8) for _ in range(size))
        kind = random.choice(["tcp", "tcp", "udp", "udp", "icmp", "arp", "tcp6", "udp6", "icmp6",
                              "vlan4", "vlan6", "frag", "mcast", "other"])
        src, dst = random.sample(range(1, 20), 2)
        s4, d4 = random.sample(hosts4, 2)
        s6, d6 = random.sample(hosts6, 2)
        sp, dp = random.choice(ports), random.choice(ports)
        flags = random.choice([0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x01, 0x29])
        if kind == "tcp":
            f = eth(mac(dst), mac(src), 0x0800, ipv4(s4, d4, 6, tcp(sp, dp, flags, data), ttl=random.choice([1, 32, 64, 128])))
        elif kind == "udp":
            f = eth(mac(dst), mac(src), 0x0800, ipv4(s4, d4, 17, udp(sp, dp, data), tos=random.choice([0, 0x10, 0xb8])))
        elif kind == "icmp":
            f = eth(mac(dst), mac(src), 0x0800, ipv4(s4, d4, 1, icmp(random.choice([0, 8, 3, 11]), 0, data[:200])))
        elif kind == "arp":
            op = random.choice([1, 2])
            f = eth(b"\xff" * 6 if op == 1 else mac(dst), mac(src), 0x0806,
                    struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, mac(src), bytes(s4), mac(dst) if op == 2 else b"\0" * 6, bytes(d4)))
        elif kind == "tcp6":
            f = eth(mac(dst), mac(src), 0x86DD, ipv6(s6, d6, 6, tcp(sp, dp, flags, data)))
        elif kind == "udp6":
            f = eth(mac(dst), mac(src), 0x86DD, ipv6(s6, d6, 17, udp(sp, dp, data)))
        elif kind == "icmp6":
            f = eth(mac(dst), mac(src), 0x86DD, ipv6(s6, d6, 58, icmp(random.choice([128, 129, 135]), 0, data[:100])))
        elif kind == "vlan4":
            f = eth(mac(dst), mac(src), 0x0800, ipv4(s4, d4, 6, tcp(sp, dp, flags, data[:1400])), vlan=random.choice([10, 20, 100]))
        elif kind == "vlan6":
            f = eth(mac(dst), mac(src), 0x86DD, ipv6(s6, d6, 17, udp(sp, dp, data[:1400])), vlan=random.choice([10, 20]))
        elif kind == "frag":
            f = eth(mac(dst), mac(src), 0x0800, ipv4(s4, d4, 17, data[:800] + b"x" * 8, frag=random.choice([0x2000, 0x0010, 0x2020])))
        elif kind == "mcast":
            f = eth(bytes([0x01, 0, 0x5E, 0, 0, 0xFB]), mac(src), 0x0800, ipv4(s4, [224, 0, 0, 251], 17, udp(5353, 5353, data[:300])))
        else:
            f = eth(mac(dst), mac(src), 0x88B5, data[:500] + b"\0" * 46)
        if len(f) < 60:
            f += b"\0" * (60 - len(f))
        frames.append(f)
    with open(sys.argv[1], "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, f in enumerate(frames):
            out.write(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(f), len(f)) + f)


main()
