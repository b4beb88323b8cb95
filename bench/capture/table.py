# bench/capture/table.py - turns the capture benchmark's raw results ("case round metric value"
# lines) into the table of medians, the ratios to the targets, and the rate sweep.
import statistics
import sys

CASES = [
    ("sluice-none", "sluice, no capture", "sluice-none"),
    ("sluice-nomatch", "sluice + sluicedump 'udp port 9' (matches nothing)", "sluice-none"),
    ("sluice-all", "sluice + sluicedump, everything", "sluice-none"),
    ("ovs-none", "Open vSwitch userspace, no capture", "ovs-none"),
    ("ovs-mirror", "Open vSwitch userspace + mirror to internal port + tcpdump", "ovs-none"),
]


def load(path):
    runs = {}
    for line in open(path):
        case, rnd, metric, value = line.split()
        if value == "-":
            continue
        runs.setdefault(case, {}).setdefault(metric, []).append(float(value))
    return runs


def med(runs, case, metric):
    vals = runs.get(case, {}).get(metric)
    return statistics.median(vals) if vals else None


def num(v, fmt="%.0f"):
    return fmt % v if v is not None else "–"


def ratio(a, b):
    return "%.2f" % (a / b) if a is not None and b else "–"


def verdict(ok):
    return "met" if ok else "NOT met"


def main():
    path, nruns, secs = sys.argv[1], sys.argv[2], sys.argv[3]
    runs = load(path)
    print(f"Medians of {nruns} runs of {secs} s; 64-byte UDP flood forwarded from p1 to p2.")
    print()
    print("| case | offered pps | forwarded pps | forwarded ÷ no capture | captured pps "
          "| missed % | drops reported by the tool | switch CPU % | capture tool CPU % |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key, label, base in CASES:
        if key not in runs:
            continue
        d = med(runs, key, "delivered")
        drops = runs[key].get("tooldrops")
        missed = num(med(runs, key, "loss"), "%.2f")
        if key == "sluice-nomatch":  # nothing is meant to be captured
            matched = runs[key].get("matched", [])
            missed = "– (matched: %s)" % " ".join("%d" % x for x in matched)
        print(f"| {label} | {num(med(runs, key, 'offered'))} | {num(d)} "
              f"| {ratio(d, med(runs, base, 'delivered'))} | {num(med(runs, key, 'captured'))} "
              f"| {missed} | {' '.join('%d' % x for x in drops) if drops else '–'} "
              f"| {num(med(runs, key, 'cpu'))} | {num(med(runs, key, 'toolcpu'))} |")
    print()
    a = med(runs, "sluice-none", "delivered")
    b = med(runs, "sluice-nomatch", "delivered")
    c = med(runs, "sluice-all", "delivered")
    cap_c = med(runs, "sluice-all", "captured")
    cap_d = med(runs, "ovs-mirror", "captured")
    c_drops = sum(runs.get("sluice-all", {}).get("tooldrops", [0]))
    if a and b:
        print(f"(b) filter matching nothing ÷ no capture: {b / a:.2f} "
              f"(target >= 0.97: {verdict(b / a >= 0.97)})")
    if a and c:
        print(f"(c) capturing everything ÷ no capture: {c / a:.2f}, ring drops {c_drops:.0f} "
              f"(target >= 0.7 with zero drops: {verdict(c / a >= 0.7 and c_drops == 0)})")
    if cap_c and cap_d:
        print(f"captured pps, sluicedump ÷ OVS mirror + tcpdump: {cap_c / cap_d:.2f} "
              f"(target >= 3: {verdict(cap_c / cap_d >= 3)})")
    d0 = med(runs, "ovs-none", "delivered")
    d1 = med(runs, "ovs-mirror", "delivered")
    if d0 and d1:
        print(f"(d) OVS forwarding kept while mirroring to tcpdump: {d1 / d0:.2f}")

    sweeps = {}
    for key in runs:
        if key.startswith("sweep-"):
            _, sw, rate = key.split("-", 2)
            sweeps.setdefault(sw, []).append((rate, runs[key]))
    if not sweeps:
        return
    print()
    print("Rate sweep (one run per step, capture of everything; a step passes with no drops "
          "reported and at least 99.9% of forwarded packets captured):")
    print()
    print("| way | trafgen rate | offered pps | forwarded pps | captured pps | missed % "
          "| drops reported | pass |")
    print("|---|---|---|---|---|---|---|---|")
    for sw in ("sluice", "ovs"):
        steps = sweeps.get(sw, [])
        steps.sort(key=lambda s: float("inf") if s[0] == "max" else float(s[0]))
        for rate, m in steps:
            print(f"| {'sluicedump' if sw == 'sluice' else 'OVS mirror + tcpdump'} "
                  f"| {'unlimited' if rate == 'max' else rate} | {m['offered'][0]:.0f} "
                  f"| {m['delivered'][0]:.0f} | {m['captured'][0]:.0f} | {m['loss'][0]:.2f} "
                  f"| {m['tooldrops'][0]:.0f} | {'yes' if passed(m, 0) else 'no'} |")
    print()
    # Every run that captured everything counts: the sweep's steps and the fixed cases' runs.
    best = {}
    for sw, fixed in (("sluice", "sluice-all"), ("ovs", "ovs-mirror")):
        cands = [m for _, m in sweeps.get(sw, [])]
        cands += [{k: [v[i]] for k, v in runs[fixed].items()}
                  for i in range(len(runs.get(fixed, {}).get("captured", [])))]
        for m in cands:
            if passed(m, 0) and m["captured"][0] > best.get(sw, (0, None))[0]:
                # what set that rate when the capture lost nothing
                gen_bound = m["delivered"][0] >= 0.95 * m["offered"][0]
                best[sw] = (m["captured"][0], "the generator" if gen_bound else "forwarding")
    print("Highest rate captured with no loss, over every run that captured everything "
          "(sweep and fixed cases):")
    for sw, label in (("sluice", "sluicedump"), ("ovs", "OVS mirror + tcpdump")):
        if sw in best:
            print(f"  {label}: {best[sw][0]:.0f} pps ({best[sw][1]} set that rate)")
    if "sluice" in best and "ovs" in best:
        print(f"  ratio sluicedump ÷ OVS mirror + tcpdump: {best['sluice'][0] / best['ovs'][0]:.2f}")


def passed(m, i):
    return m["tooldrops"][i] == 0 and m["loss"][i] <= 0.1


main()
