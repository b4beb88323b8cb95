#!/usr/bin/env python3
# analyze_check.py - reads sluicedump --analyze reports and checks them against other tools'
# views of the same packets (tshark's protocol hierarchy and fields, tcpdump's lengths) or
# against the counters a set of known frames must produce.
import json
import re
import subprocess
import sys

L3 = ["ipv4", "ipv6", "arp", "other"]
L4 = ["tcp", "udp", "icmp", "other"]
SIZES = ["64", "65-127", "128-255", "256-511", "512-1023", "1024-1518", "1519+"]
EDGES = [64, 127, 255, 511, 1023, 1518]


def reports(text):
    """Every report as {title, packets, bytes, l3, l4, size, pairs, flows}."""
    out = []
    for block in re.split(r"^(?==== )", text, flags=re.M):
        m = re.match(r"=== (.*?): ", block)
        if not m:
            continue
        r = {"title": m.group(1), "l3": {}, "l4": {"ipv4": {}, "ipv6": {}}, "size": {},
             "pairs": [], "flows": []}
        m = re.search(r"^packets (\d+) bytes (\d+)", block, re.M)
        r["packets"], r["bytes"] = int(m.group(1)), int(m.group(2))
        section, cur = None, None
        for line in block.splitlines():
            if line.startswith("protocol "):
                section = "proto"
            elif line.startswith("size "):
                section = "size"
            elif line.startswith("top talkers by IP pair"):
                section = "pairs"
            elif line.startswith("top talkers by 5-tuple"):
                section = "flows"
            elif section == "proto":
                w = line.split()
                if not line.startswith("  "):
                    cur = w[0]
                    r["l3"][cur] = (int(w[1]), int(w[3]))
                else:
                    name = "icmp" if w[0] == "icmp6" else w[0]
                    r["l4"][cur][name] = (int(w[1]), int(w[3]))
            elif section == "size" and line.strip():
                w = line.split()
                r["size"][w[0]] = int(w[1])
            elif section in ("pairs", "flows") and line.strip():
                w = line.split()
                packets, octets = int(w[-3]), int(w[-1])
                if section == "pairs":
                    r["pairs"].append((w[1], w[3], packets, octets))
                else:
                    r["flows"].append((w[1], w[2], w[4], packets, octets))
        out.append(r)
    return out


def phs(path):
    """tshark's protocol hierarchy reduced to our classes: the first network protocol under
    Ethernet (looking through VLAN tags) and the first transport protocol under IP."""
    text = subprocess.run(["tshark", "-q", "-z", "io,phs", "-r", path], capture_output=True,
                          text=True, check=True).stdout
    l3 = {k: [0, 0] for k in L3}
    l4 = {v: {k: [0, 0] for k in L4} for v in ("ipv4", "ipv6")}
    stack = []  # (depth, name)
    for line in text.splitlines():
        m = re.match(r"^( *)(\S+)\s+frames:(\d+) bytes:(\d+)$", line)
        if not m:
            continue
        depth, name, frames, octets = len(m.group(1)) // 2, m.group(2), int(m.group(3)), int(m.group(4))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        path_names = [n for _, n in stack]
        stack.append((depth, name))
        if not path_names or path_names[0] != "eth":
            continue
        inner = path_names[1:]
        if any(n not in ("vlan", "ieee8021ad") for n in inner):
            # below a network protocol: only IP's direct children count
            if inner and inner[-1] in ("ip", "ipv6") and all(n in ("vlan", "ieee8021ad") for n in inner[:-1]):
                v = "ipv4" if inner[-1] == "ip" else "ipv6"
                k = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmp"}.get(name, "other")
                l4[v][k][0] += frames
                l4[v][k][1] += octets
            continue
        if name in ("vlan", "ieee8021ad"):
            continue
        k = {"ip": "ipv4", "ipv6": "ipv6", "arp": "arp"}.get(name, "other")
        l3[k][0] += frames
        l3[k][1] += octets
    return l3, l4


def tcpdump_sizes(path, extra=()):
    text = subprocess.run(["tcpdump", "-e", "-nn", "-r", path, *extra], capture_output=True,
                          text=True, check=True).stdout
    sizes = {k: 0 for k in SIZES}
    n = 0
    for line in text.splitlines():
        m = re.search(r", length (\d+):", line)
        if not m:
            continue
        n += 1
        length = int(m.group(1))
        sizes[next((SIZES[i] for i, e in enumerate(EDGES) if length <= e), SIZES[-1])] += 1
    return n, sizes


def tshark_conversations(path):
    """Packets and bytes per IP pair and per (protocol, endpoints) from tshark's own fields."""
    fields = ["ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "frame.len", "tcp.srcport",
              "tcp.dstport", "udp.srcport", "udp.dstport", "icmp.type", "icmpv6.type"]
    cmd = ["tshark", "-r", path, "-T", "fields", "-E", "occurrence=f"]
    for f in fields:
        cmd += ["-e", f]
    pairs, flows = {}, {}
    for line in subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines():
        v = line.split("\t")
        src, dst = (v[0], v[1]) if v[0] else (v[2], v[3])
        if not src:
            continue
        length = int(v[4])
        key = tuple(sorted([src, dst]))
        p = pairs.setdefault(key, [0, 0])
        p[0] += 1
        p[1] += length
        if v[5]:
            proto, a, b = "tcp", (src, int(v[5])), (dst, int(v[6]))
        elif v[7]:
            proto, a, b = "udp", (src, int(v[7])), (dst, int(v[8]))
        else:
            proto, a, b = ("icmp" if v[9] else "icmp6"), (src, 0), (dst, 0)
        fk = (proto,) + tuple(sorted([a, b]))
        f = flows.setdefault(fk, [0, 0])
        f[0] += 1
        f[1] += length
    return pairs, flows


def endpoint(text, with_port):
    if not with_port:
        return (text, 0)
    if text.startswith("["):
        a, p = text[1:].split("]:")
    else:
        a, p = text.rsplit(":", 1)
    return (a, int(p))


def check_file(report_text, path):
    rs = reports(report_text)
    total = rs[-1]
    assert total["title"] == "total", total["title"]
    bad = []
    l3, l4 = phs(path)
    for k in L3:
        if list(total["l3"][k]) != l3[k]:
            bad.append(f"l3 {k}: analyze {total['l3'][k]} tshark {l3[k]}")
    for v in ("ipv4", "ipv6"):
        for k in L4:
            if list(total["l4"][v][k]) != l4[v][k]:
                bad.append(f"{v}/{k}: analyze {total['l4'][v][k]} tshark {l4[v][k]}")
    n, sizes = tcpdump_sizes(path)
    if n != total["packets"]:
        bad.append(f"packets: analyze {total['packets']} tcpdump {n}")
    if sizes != total["size"]:
        bad.append(f"sizes: analyze {total['size']} tcpdump {sizes}")
    pairs, flows = tshark_conversations(path)
    if len(total["pairs"]) != min(10, len(pairs)):
        bad.append(f"{len(total['pairs'])} IP pairs listed of {len(pairs)}")
    for a, b, packets, octets in total["pairs"]:
        got = pairs.get(tuple(sorted([a, b])))
        if got != [packets, octets]:
            bad.append(f"pair {a} {b}: analyze {packets} {octets} tshark {got}")
    # The ten listed are the largest by bytes.
    tenth = sorted((o for _, o in pairs.values()), reverse=True)[:10]
    if [p[3] for p in total["pairs"]] != tenth:
        bad.append(f"pair order {[p[3] for p in total['pairs']]} != {tenth}")
    for proto, a, b, packets, octets in total["flows"]:
        ports = proto in ("tcp", "udp")
        key = (proto,) + tuple(sorted([endpoint(a, ports), endpoint(b, ports)]))
        got = flows.get(key)
        if got != [packets, octets]:
            bad.append(f"flow {proto} {a} {b}: analyze {packets} {octets} tshark {got}")
    tenth = sorted((o for _, o in flows.values()), reverse=True)[:10]
    if [f[4] for f in total["flows"]] != tenth:
        bad.append(f"flow order {[f[4] for f in total['flows']]} != {tenth}")
    print(f"{total['packets']} packets: protocols, sizes, {len(total['pairs'])} pairs and "
          f"{len(total['flows'])} 5-tuples compared")
    return bad


def check_expected(report_text, expect_path, factor):
    """The total report against traffic_frames.py's expectations (times factor)."""
    total = reports(report_text)[-1]
    exp = json.load(open(expect_path))
    t = exp["traffic"]
    bad = []
    if total["packets"] != factor * exp["packets"] or total["bytes"] != factor * exp["bytes"]:
        bad.append(f"totals {total['packets']} {total['bytes']} != {factor} x {exp['packets']} {exp['bytes']}")
    for k in L3:
        want = (factor * t["l3"][k]["packets"], factor * t["l3"][k]["bytes"])
        if total["l3"][k] != want:
            bad.append(f"l3 {k}: {total['l3'][k]} != {want}")
    for k in L4:
        got = tuple(map(sum, zip(total["l4"]["ipv4"][k], total["l4"]["ipv6"][k])))
        want = (factor * t["l4"][k]["packets"], factor * t["l4"][k]["bytes"])
        if got != want:
            bad.append(f"l4 {k}: {got} != {want}")
    for k in SIZES:
        if total["size"][k] != factor * t["size"][k]:
            bad.append(f"size {k}: {total['size'][k]} != {factor * t['size'][k]}")
    return bad


def main():
    mode = sys.argv[1]
    text = open(sys.argv[2]).read()
    if mode == "file":  # file REPORT PCAP
        bad = check_file(text, sys.argv[3])
    elif mode == "expect":  # expect REPORT EXPECT.json FACTOR
        bad = check_expected(text, sys.argv[3], int(sys.argv[4]))
    elif mode == "intervals":  # intervals REPORT: count, and that they add up to the total
        rs = reports(text)
        parts = [r for r in rs if r["title"].startswith("interval")]
        print(len(parts))
        bad = [] if sum(r["packets"] for r in parts) == rs[-1]["packets"] else ["intervals do not add up"]
        sys.stderr.write("\n".join(bad))
        sys.exit(1 if bad else 0)
    else:
        sys.exit("usage: analyze_check.py file REPORT PCAP | expect REPORT EXPECT FACTOR | intervals REPORT")
    print("\n".join(bad))
    sys.exit(1 if bad else 0)


main()
