#!/usr/bin/env python3
# sendraw.py - sends hand-built Ethernet frames out of an interface (tests craft tagged ARP
# and similar frames that this kernel has no device to produce).
import socket
import struct
import sys


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip4(s):
    return socket.inet_aton(s)


def arp_request(src_mac, src_ip, target_ip, vlan=None):
    eth = mac("ff:ff:ff:ff:ff:ff") + mac(src_mac)
    if vlan is not None:
        eth += struct.pack("!HH", 0x8100, vlan)
    eth += struct.pack("!H", 0x0806)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac(src_mac) + ip4(src_ip)
    arp += b"\0" * 6 + ip4(target_ip)
    return (eth + arp).ljust(60 if vlan is None else 64, b"\0")


def main():
    # sendraw.py IFACE arp SRC_MAC SRC_IP TARGET_IP [VLAN] [COUNT]
    iface, kind = sys.argv[1], sys.argv[2]
    if kind != "arp":
        sys.exit("unknown frame kind " + kind)
    vlan = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[6] != "-" else None
    count = int(sys.argv[7]) if len(sys.argv) > 7 else 1
    frame = arp_request(sys.argv[3], sys.argv[4], sys.argv[5], vlan)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for _ in range(count):
        s.send(frame)


main()
