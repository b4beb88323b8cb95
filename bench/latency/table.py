# bench/latency/table.py - turns the latency benchmark's raw results ("switch round metric
# value" lines) into markdown tables of medians, the ratios to the anchors and the targets.
import statistics
import sys

NAMES = {
    "sluice": "sluice (afpacket, rx_ring=auto: the default)",
    "sluice-v2": "sluice (afpacket, rx_ring=v2)",
    "sluice-v3": "sluice (afpacket, rx_ring=v3)",
    "bridge": "Linux bridge",
    "ovs": "Open vSwitch userspace (netdev), NORMAL",
}
ORDER = ["sluice", "sluice-v2", "sluice-v3", "bridge", "ovs"]


def load(path):
    runs = {}
    for line in open(path):
        sw, _round, metric, value = line.split()
        if value in ("-", ""):
            continue
        runs.setdefault(sw, {}).setdefault(metric, []).append(float(value))
    return runs


def med(runs, sw, metric):
    vals = runs.get(sw, {}).get(metric)
    return statistics.median(vals) if vals else None


def num(v, fmt):
    return fmt % v if v is not None else "–"


def ratio(a, b):
    return a / b if a is not None and b else None


def table(runs, present, sfx):
    print("| switch | ping 10 ms: median / p99 (ms) | ping 2 ms: median / p99 (ms) "
          "| UDP req/resp per s | p50 / p99 (µs) | RTT ÷ bridge | RTT ÷ OVS | req/resp ÷ bridge |")
    print("|---|---|---|---|---|---|---|---|")
    b = med(runs, "bridge", "ping10_p50" + sfx)
    o = med(runs, "ovs", "ping10_p50" + sfx)
    bt = med(runs, "bridge", "rr_tps" + sfx)
    for sw in present:
        g = lambda m: med(runs, sw, m + sfx)
        p = g("ping10_p50")
        print(f"| {NAMES[sw]} | {num(p, '%.3f')} / {num(g('ping10_p99'), '%.3f')} "
              f"| {num(g('ping2_p50'), '%.3f')} / {num(g('ping2_p99'), '%.3f')} "
              f"| {num(g('rr_tps'), '%.0f')} | {num(g('rr_p50'), '%.0f')} / {num(g('rr_p99'), '%.0f')} "
              f"| {num(ratio(p, b), '%.2f')} | {num(ratio(p, o), '%.2f')} "
              f"| {num(ratio(g('rr_tps'), bt), '%.2f')} |")
    print()


def verdict(name, value, op, limit):
    if value is None:
        return f"- {name}: not measured"
    ok = value <= limit if op == "<=" else value >= limit
    return f"- {name}: {value:.2f} (target {op} {limit}) {'met' if ok else 'NOT met'}"


def main():
    path, nruns, secs, flood = sys.argv[1:5]
    runs = load(path)
    present = [s for s in ORDER if s in runs]
    print(f"Medians of {nruns} rounds. ping: 200 at 10 ms and 1000 at 2 ms intervals; UDP "
          f"request/response: 64-byte datagrams, one outstanding, {secs} s.")
    print()
    print("Quiet switch:")
    print()
    table(runs, present, "")
    if any("ping10_p50_f" in runs[s] for s in present):
        print(f"While a 64-byte flood ({flood} pps offered) crosses the same switch on a second "
              "pair of ports:")
        print()
        table(runs, present, "_f")
        print("Side flood delivered (pps): " + ", ".join(
            f"{sw} {num(med(runs, sw, 'flood_pps'), '%.0f')}" for sw in present))
        print()
    m = lambda sw, k: med(runs, sw, k)
    print("Targets (sluice, default ring):")
    print(verdict("median RTT ÷ bridge (ping 10 ms)", ratio(m("sluice", "ping10_p50"),
                                                           m("bridge", "ping10_p50")), "<=", 1.5))
    print(verdict("median RTT ÷ Open vSwitch (ping 10 ms)", ratio(m("sluice", "ping10_p50"),
                                                                 m("ovs", "ping10_p50")), "<=", 0.5))
    print(verdict("request/response rate ÷ bridge", ratio(m("sluice", "rr_tps"),
                                                         m("bridge", "rr_tps")), ">=", 0.7))
    p99 = m("sluice", "rr_p99_f")
    print(verdict("UDP p99 under the side flood (ms)", p99 / 1000 if p99 is not None else None,
                  "<=", 0.5))
    p99p = m("sluice", "ping2_p99_f")
    print(verdict("ping 2 ms p99 under the side flood (ms)", p99p, "<=", 0.5))
    print()
    print("Every run:")
    for sw in present:
        print(f"  {sw}: " + "; ".join(
            k + " " + " ".join("%g" % v for v in vals) for k, vals in sorted(runs[sw].items())))


main()
