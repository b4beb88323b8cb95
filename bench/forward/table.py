# bench/forward/table.py - turns the forwarding benchmark's raw results ("switch round metric
# value" lines) into the markdown table of medians and the ratios between switches.
import statistics
import sys

NAMES = {
    "gen": "generator alone (nothing attached)",
    "sluice": "sluice (afpacket ports, rx_ring=auto: the default)",
    "sluice-v2": "sluice (afpacket ports, rx_ring=v2)",
    "sluice-v3": "sluice (afpacket ports, rx_ring=v3)",
    "bridge": "Linux bridge",
    "ovs": "Open vSwitch userspace (netdev), NORMAL",
    "ovs-tso": "Open vSwitch userspace, userspace-tso-enable=true",
}
ORDER = ["gen", "sluice", "sluice-v2", "sluice-v3", "bridge", "ovs", "ovs-tso"]


def load(path):
    runs = {}
    for line in open(path):
        sw, _round, metric, value = line.split()
        if value == "-":
            continue
        runs.setdefault(sw, {}).setdefault(metric, []).append(float(value))
    return runs


def med(runs, sw, metric):
    vals = runs.get(sw, {}).get(metric)
    return statistics.median(vals) if vals else None


def ratio(a, b):
    return "%.2f" % (a / b) if a is not None and b else "–"


def num(v, fmt="%.0f"):
    return fmt % v if v is not None else "–"


def main():
    path, nruns, secs = sys.argv[1], sys.argv[2], sys.argv[3]
    runs = load(path)
    present = [s for s in ORDER if s in runs]
    bridge = med(runs, "bridge", "delivered")
    sluice = med(runs, "sluice", "delivered")
    print(f"Medians of {nruns} runs of {secs} s (64-byte UDP flood: 60-byte frames + FCS).")
    print()
    print("| switch | offered pps | delivered pps | delivered/bridge | sluice/that "
          "| switch CPU % | switch CPU µs/pkt | iperf3 Gbit/s |")
    print("|---|---|---|---|---|---|---|---|")
    for sw in present:
        if sw == "gen":
            print(f"| {NAMES[sw]} | {num(med(runs, sw, 'offered'))} | – | – | – | – | – | – |")
            continue
        d = med(runs, sw, "delivered")
        cpu = med(runs, sw, "cpu")
        us = cpu / 100 / d * 1e6 if cpu is not None and d else None
        print(f"| {NAMES[sw]} | {num(med(runs, sw, 'offered'))} | {num(d)} | {ratio(d, bridge)} "
              f"| {ratio(sluice, d)} | {num(cpu)} | {num(us, '%.2f')} "
              f"| {num(med(runs, sw, 'iperf'), '%.2f')} |")
    print()
    for other in ("ovs", "bridge"):
        if "sluice" in runs and other in runs:
            print(f"sluice/{other}: delivered pps {ratio(sluice, med(runs, other, 'delivered'))}, "
                  f"iperf3 {ratio(med(runs, 'sluice', 'iperf'), med(runs, other, 'iperf'))}")
    for kind in ("sluice-v2", "sluice-v3"):
        if "sluice" in runs and kind in runs:
            print(f"sluice (rx_ring=auto)/{kind}: delivered pps "
                  f"{ratio(sluice, med(runs, kind, 'delivered'))}, iperf3 "
                  f"{ratio(med(runs, 'sluice', 'iperf'), med(runs, kind, 'iperf'))}")
    if "sluice" in runs and "ovs-tso" in runs:
        print(f"sluice/ovs-tso: iperf3 "
              f"{ratio(med(runs, 'sluice', 'iperf'), med(runs, 'ovs-tso', 'iperf'))}")
    print()
    print("Every run (offered / delivered pps, switch CPU %, iperf3 Gbit/s):")
    for sw in present:
        m = runs[sw]
        cols = []
        for metric in ("offered", "delivered", "cpu", "iperf"):
            if metric in m:
                cols.append(metric + " " + " ".join("%g" % v for v in m[metric]))
        print(f"  {sw}: " + "; ".join(cols))


main()
