#!/usr/bin/env python3
# traffic_frames.py - a fixed set of hand-built frames of known protocol, cast and length
# (every RMON bucket edge, tagged and short frames): sends them, writes them to a pcap file,
# or prints the counters they must produce, computed from how each frame was built.
import json
import socket
import struct
import sys

SRC = bytes.fromhex("02000000" "0c01")
DST = bytes.fromhex("02000000" "0c02")
BCAST = b"\xff" * 6
MCAST4 = bytes.fromhex("01005e010101")
MCAST6 = bytes.fromhex("333300000001")
SIZE_EDGES = [64, 127, 255, 511, 1023, 1518]
SIZE_NAMES = ["64", "65-127", "128-255", "256-511", "512-1023", "1024-1518", "1519+"]

# (l3, l4 or None, destination, frame length, count, vlan or None)
CATALOGUE = [
    ("arp", None, BCAST, 42, 2, None),  # unpadded: shorter than the Ethernet minimum
    ("arp", None, BCAST, 60, 4, None),
    ("ipv4", "tcp", DST, 64, 3, None),
    ("ipv4", "tcp", DST, 65, 2, None),
    ("ipv4", "tcp", DST, 127, 1, None),
    ("ipv4", "udp", DST, 128, 2, None),
    ("ipv4", "udp", DST, 255, 1, None),
    ("ipv4", "udp", DST, 256, 2, None),
    ("ipv4", "udp", DST, 511, 1, None),
    ("ipv4", "udp", MCAST4, 512, 2, None),
    ("ipv4", "icmp", DST, 98, 3, None),
    ("ipv4", "icmp", DST, 1023, 1, None),
    ("ipv4", "icmp", DST, 1024, 2, None),
    ("ipv4", "icmp", DST, 1518, 1, 5),  # 802.1Q tagged: the length includes the tag
    ("ipv4", "other", DST, 300, 1, None),  # GRE
    ("ipv6", "udp", DST, 1519, 1, None),
    ("ipv6", "icmp", MCAST6, 200, 2, None),
    ("ipv6", "tcp", DST, 90, 1, 7),
    ("other", None, DST, 1600, 1, None),  # an experimental EtherType
]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def l4_header(l4, v6):
    if l4 == "tcp":
        return struct.pack("!HHIIBBHHH", 40000, 9, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
    if l4 == "udp":
        return struct.pack("!HHHH", 40000, 9, 8, 0)
    if l4 == "icmp":
        return struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, 1, 1)
    return b"\0" * 4  # GRE: flags and protocol


def frame(l3, l4, dst, length, vlan):
    eth = dst + SRC
    if vlan is not None:
        eth += struct.pack("!HH", 0x8100, vlan)
    if l3 == "arp":
        body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + SRC + bytes([10, 79, 0, 1])
        body += b"\0" * 6 + bytes([10, 79, 0, 99])
        f = eth + struct.pack("!H", 0x0806) + body
    elif l3 == "ipv4":
        proto = {"tcp": 6, "udp": 17, "icmp": 1, "other": 47}[l4]
        total = length - len(eth) - 2
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0, 64, proto, 0,
                         bytes([10, 79, 0, 1]),
                         bytes([224, 1, 1, 1]) if dst == MCAST4 else bytes([10, 79, 0, 2]))
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        f = eth + struct.pack("!H", 0x0800) + ip + l4_header(l4, False)
    elif l3 == "ipv6":
        nh = {"tcp": 6, "udp": 17, "icmp": 58}[l4]
        plen = length - len(eth) - 2 - 40
        dst6 = bytes.fromhex("ff02" + "00" * 13 + "01") if dst == MCAST6 else \
            bytes.fromhex("fd00" + "00" * 13 + "02")
        ip = struct.pack("!IHBB", 6 << 28, plen, nh, 64) + bytes.fromhex("fd00" + "00" * 13 + "01") + dst6
        f = eth + struct.pack("!H", 0x86DD) + ip + l4_header(l4, True)
    else:
        f = eth + struct.pack("!H", 0x88B5)
    assert len(f) <= length, (l3, l4, length)
    return f.ljust(length, b"\xa5")


def frames():
    for l3, l4, dst, length, count, vlan in CATALOGUE:
        for _ in range(count):
            yield frame(l3, l4, dst, length, vlan)


def bucket(length):
    for i, edge in enumerate(SIZE_EDGES):
        if length <= edge:
            return SIZE_NAMES[i]
    return SIZE_NAMES[-1]


def expected():
    """The traffic counters the catalogue must produce, in port-stats' JSON shape."""
    t = {"l3": {k: {"packets": 0, "bytes": 0} for k in ("ipv4", "ipv6", "arp", "other")},
         "l4": {k: {"packets": 0, "bytes": 0} for k in ("tcp", "udp", "icmp", "other")},
         "cast": {k: 0 for k in ("unicast", "multicast", "broadcast")},
         "size": {k: 0 for k in SIZE_NAMES}}
    packets = octets = 0
    for l3, l4, dst, length, count, vlan in CATALOGUE:
        t["l3"][l3]["packets"] += count
        t["l3"][l3]["bytes"] += count * length
        if l4:
            t["l4"][l4]["packets"] += count
            t["l4"][l4]["bytes"] += count * length
        cast = "broadcast" if dst == BCAST else "multicast" if dst[0] & 1 else "unicast"
        t["cast"][cast] += count
        t["size"][bucket(length)] += count
        packets += count
        octets += count * length
    return {"packets": packets, "bytes": octets, "traffic": t}


def write_pcap(path):
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, f in enumerate(frames()):
            out.write(struct.pack("<IIII", 1700000000 + i // 10, (i % 10) * 100000, len(f), len(f)))
            out.write(f)


def main():
    cmd = sys.argv[1]
    if cmd == "send":  # send IFACE
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((sys.argv[2], 0))
        for f in frames():
            s.send(f)
    elif cmd == "pcap":  # pcap FILE
        write_pcap(sys.argv[2])
    elif cmd == "expect":
        print(json.dumps(expected()))
    else:
        sys.exit("usage: traffic_frames.py send IFACE | pcap FILE | expect")


main()
