#!/usr/bin/env python3
# analyze_pcap.py - writes a deterministic capture file for checking sluicedump --analyze
# against tshark and tcpdump: IPv4 and IPv6 TCP/UDP/ICMP conversations of very different
# sizes, ARP, one and two VLAN tags, IPv6 extension headers, other EtherTypes, frames of every
# RMON size bucket. No IP fragments (tshark reassembles them; the switch counts them by the
# protocol in their IP header).
# usage: analyze_pcap.py FILE PACKETS [SEED] [SECONDS] [MAX_FRAME_LENGTH]
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


def eth(dst, src, etype, payload, tags=()):
    h = dst + src
    for tpid, vid in tags:
        h += struct.pack("!HH", tpid, vid)
    return h + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, 64, proto, 0,
                      bytes(src), bytes(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def ipv6(src, dst, nh, payload, hop_by_hop=False):
    if hop_by_hop:  # a router-alert style option header in front of the transport header
        payload = struct.pack("!BB", nh, 0) + b"\x05\x02\x00\x00\x01\x00" + payload
        nh = 0
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64, bytes(src),
                       bytes(dst)) + payload


def l4(proto, sport, dport, data, v6):
    if proto == 6:
        return struct.pack("!HHIIBBHHH", sport, dport, 1, 1, 0x50, 0x18, 8192, 0, 0) + data
    if proto == 17:
        return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    return struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, sport, 1) + data  # echo request


SIZES = [60, 64, 65, 100, 127, 128, 200, 255, 256, 400, 511, 512, 800, 1023, 1024, 1400, 1514,
         1518, 1519, 2000, 9000]


def make_pool(rng, max_size):
    hosts4 = [[10, 1, 0, i] for i in range(1, 30)] + [[192, 168, 7, 1], [172, 20, 0, 9]]
    hosts6 = [[0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [i] for i in range(1, 12)]
    pool = []  # (weight, frame, None or (kind, offset of the sequence number, TCP peer's entry))
    for i in range(400):
        kind = rng.choice(["v4", "v4", "v4", "v6", "v6", "arp", "other", "mcast"])
        size = rng.choice([x for x in SIZES if x <= max_size])
        tags = rng.choice([(), (), (), ((0x8100, 10),), ((0x88A8, 100), (0x8100, 20))])
        src, dst = rng.sample(range(1, 40), 2)
        weight = rng.choice([1, 1, 1, 2, 5, 20, 100])  # a few heavy conversations
        seq_off = None
        if kind == "arp":
            body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac(src), bytes(hosts4[0]),
                               b"\0" * 6, bytes(hosts4[1]))
            f = eth(b"\xff" * 6, mac(src), 0x0806, body, tags)
        elif kind == "other":
            f = eth(mac(dst), mac(src), 0x88B5, b"", tags)
        elif kind == "mcast":
            f = eth(bytes.fromhex("01005e010101"), mac(src), 0x0800,
                    ipv4(rng.choice(hosts4), [239, 1, 1, 1], 17, l4(17, 40000, 47004, b"", False)), tags)
        else:
            v6 = kind == "v6"
            proto = rng.choice([6, 6, 17, 17, 1])
            if v6 and proto == 1:
                proto = 58
            sport, dport = rng.choice([33001, 34002, 40003, 50004]), rng.choice([47001, 47002, 47003])
            if rng.random() < 0.5:
                sport, dport = dport, sport
            s, d = rng.sample(hosts6 if v6 else hosts4, 2)
            hbh = v6 and rng.random() < 0.2

            def build(s, d, sport, dport, smac, dmac, size):
                if v6:
                    ip = ipv6(s, d, proto, l4(proto, sport, dport, b"", True), hop_by_hop=hbh)
                    f = eth(mac(dmac), mac(smac), 0x86DD, ip, tags)
                    l4_off = 14 + 4 * len(tags) + 40 + (8 if hbh else 0)
                else:
                    f = eth(mac(dmac), mac(smac), 0x0800,
                            ipv4(s, d, proto, l4(proto, sport, dport, b"", False)), tags)
                    l4_off = 14 + 4 * len(tags) + 20
                size = max(size, len(f))
                if proto == 6 and size == len(f):
                    size += 6  # segments carry data: empty ones in a row are duplicate ACKs
                return pad(f, size), l4_off

            f, l4_off = build(s, d, sport, dport, src, dst, size)
            if proto == 6:
                # Both directions of a TCP connection, each acknowledging what the other
                # sent, as in real traffic (tshark's analysis slows down badly on one-way
                # streams whose data is never acknowledged).
                back, _ = build(d, s, dport, sport, dst, src, rng.choice([60, 64, 100]))
                me = len(pool)
                pool.append((weight, f, ("tcp", l4_off + 4, me + 1)))
                pool.append((weight, back, ("tcp", l4_off + 4, me)))
                continue
            if proto in (1, 58):
                seq_off = ("icmp", l4_off + 6, None)
        if len(f) > size:
            size = len(f)  # a header longer than the size drawn
        f = pad(f, size)
        pool.append((weight, f, seq_off))
    return pool


def pad(f, size):
    """Grows the frame to size bytes, keeping IP/UDP length fields consistent."""
    extra = size - len(f)
    if extra <= 0:
        return f
    off = 12
    while f[off:off + 2] in (b"\x81\x00", b"\x88\xa8"):
        off += 4
    etype = f[off:off + 2]
    off += 2
    f = bytearray(f + b"\0" * extra)
    if etype == b"\x08\x00":
        total = struct.unpack("!H", f[off + 2:off + 4])[0] + extra
        f[off + 2:off + 4] = struct.pack("!H", total)
        f[off + 10:off + 12] = b"\0\0"
        f[off + 10:off + 12] = struct.pack("!H", csum(bytes(f[off:off + 20])))
        if f[off + 9] == 17:
            f[off + 24:off + 26] = struct.pack("!H", total - 20)
    elif etype == b"\x86\xdd":
        plen = struct.unpack("!H", f[off + 4:off + 6])[0] + extra
        f[off + 4:off + 6] = struct.pack("!H", plen)
        nh, p = f[off + 6], off + 40
        if nh == 0:
            nh, p = f[p], p + 8
        if nh == 17:
            f[p + 4:p + 6] = struct.pack("!H", plen - (p - off - 40))
    return bytes(f)


def main():
    path, count = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
    pool = make_pool(rng, int(sys.argv[5]) if len(sys.argv) > 5 else 9000)
    weights = [w for w, _, _ in pool]
    frames = [f for _, f, _ in pool]
    # TCP sequence numbers advance by the payload and echo requests count up, as in real
    # traffic (tshark's tracking slows down badly on endless repetitions).
    seq_offs = [o for _, _, o in pool]
    seq = [1] * len(pool)
    picks = rng.choices(range(len(frames)), weights=weights, k=count)
    step = int(seconds * 1e9 / max(count, 1))
    t = 1700000000 * 10**9
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))  # nanosecond pcap
        chunks = []
        for i in picks:
            f = frames[i]
            if seq_offs[i] is not None:
                kind, o, peer = seq_offs[i]
                if kind == "tcp":  # sequence and acknowledgment numbers
                    f = f[:o] + struct.pack("!II", seq[i], seq[peer]) + f[o + 8:]
                    seq[i] = (seq[i] + len(f) - (o - 4 + 20)) & 0xFFFFFFFF
                else:  # echo requests count up
                    f = f[:o] + struct.pack("!H", seq[i] & 0xFFFF) + f[o + 2:]
                    seq[i] += 1
            chunks.append(struct.pack("<IIII", t // 10**9, t % 10**9, len(f), len(f)))
            chunks.append(f)
            t += step
            if len(chunks) >= 20000:
                out.write(b"".join(chunks))
                chunks = []
        out.write(b"".join(chunks))


main()
