#!/usr/bin/env python3
# capclient.py - opens captures with raw classic-BPF programs over the control socket and
# keeps them open until stdin closes; the tests use it for programs libpcap never writes.
import json
import os
import socket
import sys


def program(kind):
    # ALU-only straight line: every instruction runs on every packet, the longest legal path.
    if kind == "longest":
        return [[0x04, 0, 0, 1]] * 4095 + [[0x06, 0, 0, 0]]
    # The dearest loads and divides the cost bound admits (cost 4096 each).
    if kind == "ldind":
        return [[0x01, 0, 0, 3]] + [[0x40, 0, 0, i % 1400] for i in range(1, 4095)] + [[0x06, 0, 0, 0]]
    if kind == "div":
        return [[0x01, 0, 0, 3], [0x00, 0, 0, 0xFFFFFFFF]] + [[0x3C, 0, 0, 0]] * 511 + [[0x06, 0, 0, 0]]
    # jeq; ja -2; ret: a loop whose head is a test, the shape the old validator accepted.
    if kind == "spin":
        return [[0x15, 0, 0, 1], [0x05, 0, 0, 0xFFFFFFFE], [0x06, 0, 0, 0]]
    if kind.startswith("file:"):
        with open(kind[5:]) as f:
            return json.load(f)
    raise SystemExit("unknown program kind " + kind)


def main():
    sock_path, port, direction, count, kind = sys.argv[1:6]
    ring = int(sys.argv[6]) if len(sys.argv) > 6 else 65536
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sock_path)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    prog = program(kind)
    fds = []
    for i in range(int(count)):
        req = {"jsonrpc": "2.0", "id": i + 1, "method": "capture.open",
               "params": {"port": port, "direction": direction, "ring_size": ring,
                          "snaplen": 96, "program": prog, "filter": kind}}
        s.send(json.dumps(req).encode())
        msg, anc, _, _ = s.recvmsg(1 << 18, socket.CMSG_SPACE(4 * 4))
        for level, typ, data in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                fds += list(memoryview(data).cast("i"))
        rep = json.loads(msg)
        if "error" in rep:
            print("error: " + rep["error"]["message"], flush=True)
            sys.exit(1)
        print("opened %d" % rep["result"]["id"], flush=True)
    print("ready", flush=True)
    sys.stdin.read()
    for fd in fds:
        os.close(fd)


main()
