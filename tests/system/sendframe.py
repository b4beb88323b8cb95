#!/usr/bin/env python3
# sendframe.py - sends hand-built Ethernet/IPv4/UDP frames out of an interface, with any stack
# of VLAN tags, TTL and TOS (flow tests need tagged frames this kernel has no device to make).
# Checksums are computed, so the frames are valid as sent.
import argparse
import socket
import struct


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(a):
    payload = a.payload.encode()
    udp_len = 8 + len(payload)
    src, dst = socket.inet_aton(a.src_ip), socket.inet_aton(a.dst_ip)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", a.sport, a.dport, udp_len, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, a.tos, 20 + udp_len, 1, 0, a.ttl, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = mac(a.dst) + mac(a.src)
    for t in a.tag:  # outermost first: TPID:VID[:PCP]
        parts = [int(x, 0) for x in t.split(":")]
        tpid, vid, pcp = parts[0], parts[1], parts[2] if len(parts) > 2 else 0
        eth += struct.pack("!HH", tpid, pcp << 13 | vid)
    eth += struct.pack("!H", 0x0800)
    return (eth + ip + udp).ljust(60, b"\0")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("iface")
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--src-ip", required=True)
    p.add_argument("--dst-ip", required=True)
    p.add_argument("--sport", type=int, default=4000)
    p.add_argument("--dport", type=int, required=True)
    p.add_argument("--tag", action="append", default=[], help="TPID:VID[:PCP], outermost first")
    p.add_argument("--ttl", type=int, default=64)
    p.add_argument("--tos", type=int, default=0)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--payload", default="sluice")
    a = p.parse_args()
    f = frame(a)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    for _ in range(a.count):
        s.send(f)


main()
