#!/usr/bin/env python3
"""Merges the JSON lines of `make bench` (ours with default flags, ours with the README's flags,
the peers) into one Markdown table with ratios ours / fastest peer, measured in the same run."""
import json
import math
import sys


def load(path):
    rows = []
    try:
        with open(path) as handle:
            for line in handle:
                line = line.strip()
                if line.startswith("{"):
                    rows.append(json.loads(line))
    except FileNotFoundError:
        pass
    return rows


def main(paths):
    rows = [row for path in paths for row in load(path)]
    import os
    flags = os.environ.get("RECOMMENDED_FLAGS")
    if flags is not None:
        print(f"default: `swift build -c release`; recommended on this machine (Scripts/recommended-flags): "
              f"`swift build -c release {flags}`\n")
    shapes = []
    for row in rows:
        shape = tuple(row["shape"])
        if row["kind"] == "sample" and shape not in shapes:
            shapes.append(shape)
    labels = []
    for row in rows:
        if row["kind"] == "sample" and row["label"] not in labels:
            labels.append(row["label"])

    def ours(kind, label, shape, threads_max):
        found = [r for r in rows if r["kind"] == kind and r["label"] == label and tuple(r["shape"]) == shape]
        if not found:
            return None
        single = min(found, key=lambda r: r["threads"])
        most = max(found, key=lambda r: r["threads"])
        return single, most

    header = ["shape"]
    for label in labels:
        header += [f"ours 1 thread ({label})", f"ours all cores ({label})"]
    header += ["fastest peer"]
    header += [f"ratio ({label})" for label in labels]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    ratios = {label: [] for label in labels}

    def fmt(row):
        steal = f", steal {row['steal_percent']:.0f}%" if row.get("steal_percent", 0) >= 5 else ""
        return f"{row['ns_per_element']:.2f} ns, {row['elements_per_second'] / 1e6:.0f} M/s{steal}"

    for shape in shapes:
        cells = [f"[{shape[0]}, {shape[1]}]"]
        mosts = {}
        for label in labels:
            pair = ours("sample", label, shape, None)
            if pair is None:
                cells += ["-", "-"]
                continue
            cells += [fmt(pair[0]), fmt(pair[1])]
            mosts[label] = pair[1]
        peers = [r for r in rows if r["kind"] == "peer" and tuple(r["shape"]) == shape and "ns_per_element" in r]
        best = max(peers, key=lambda r: r["elements_per_second"]) if peers else None
        cells.append(f"{best['peer']} {fmt(best)}" if best else "-")
        for label in labels:
            if best and label in mosts:
                ratio = mosts[label]["elements_per_second"] / best["elements_per_second"]
                ratios[label].append(ratio)
                cells.append(f"{ratio:.2f}x")
            else:
                cells.append("-")
        print("| " + " | ".join(cells) + " |")
    for label in labels:
        if ratios[label]:
            geo = math.exp(sum(math.log(r) for r in ratios[label]) / len(ratios[label]))
            print(f"\n{label}: ratio ours (all cores) / fastest peer: min {min(ratios[label]):.2f}x, "
                  f"geometric mean {geo:.2f}x over {len(ratios[label])} shapes")
    print("\n(steal: the share of CPU time the hypervisor took during that measurement, from /proc/stat; "
          "shown when 5% or more)")
    print("\nAll peers measured (elements/s, M/s):")
    for shape in shapes:
        peers = [r for r in rows if r["kind"] == "peer" and tuple(r["shape"]) == shape]
        text = ", ".join(
            f"{r['peer']} {r['elements_per_second'] / 1e6:.0f}" if "ns_per_element" in r else f"{r['peer']} failed"
            for r in peers)
        print(f"- [{shape[0]}, {shape[1]}]: {text}")
    print("\nNoise alone (ours, all cores) and the memory-copy roof:")
    for label in labels:
        for shape in shapes:
            pair = ours("noise", label, shape, None)
            if pair:
                print(f"- {label} [{shape[0]}, {shape[1]}]: 1 thread {fmt(pair[0])}; all cores {fmt(pair[1])}")
        for r in rows:
            if r["kind"] == "memcpy" and r["label"] == label:
                print(f"- {label} memcpy of 16M floats: {r['gigabytes_per_second']} GB/s "
                      f"({r['ns_per_element']:.2f} ns per element read and written)")
    for r in rows:
        if r["kind"] == "memory":
            print(f"\nPeak resident memory, shape {r['shape']}: input + output {r['input_output_kib']} KiB; "
                  f"the sampling call added {r['call_added_kib']} KiB to the peak")


if __name__ == "__main__":
    main(sys.argv[1:])
