"""The issue-24 ratios estimated from CPU time per element (docs/benchmarks.md, "The floor"): ours from
small_calls.c (one thread, `median_cpu_ns_per_element`), the peers from peers_cpu.py (one
thread). On two cores, ours and JAX and PyTorch are taken to halve their time and NumPy (one
thread) to keep it; the ratio is the fastest peer's estimated wall time over ours.

  python3 Benchmarks/floor/ratios.py OURS.jsonl PEERS.jsonl [--cores 2] [--floor NS]

--floor POWER,GENERAL replaces our measured time by the floor of the power form (T 1 and 0.5)
and of the general form (ns per element, one core) to show the ratio the floor would give.
"""

import argparse
import collections
import json
import math


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ours")
    parser.add_argument("peers")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--floor", help="POWER,GENERAL: floors in ns per element, one core")
    args = parser.parse_args()
    ours = {}
    for line in open(args.ours):
        if line.startswith("{"):
            r = json.loads(line)
            ours[(tuple(r["shape"]), float(r["temperature"]))] = r["median_cpu_ns_per_element"]
    peers = collections.defaultdict(dict)
    for line in open(args.peers):
        r = json.loads(line)
        peers[(tuple(r["shape"]), float(r["temperature"]))][r["peer"]] = r["cpu_ns_per_element"]
    print("| shape | T | NumPy | JAX | PyTorch | fastest peer, wall est. | ours 1 thread | ours wall est. | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    ratios = []
    for key in sorted(peers, key=lambda k: (k[0][0] * k[0][1], k)):
        if key not in ours:
            continue
        p = peers[key]
        walls = {name: ns if name == "numpy" else ns / args.cores for name, ns in p.items()}
        fastest = min(walls, key=walls.get)
        mine = ours[key]
        if args.floor:
            power, general = (float(x) for x in args.floor.split(","))
            mine = power if key[1] in (0.5, 1.0) else general
        ratio = walls[fastest] / (mine / args.cores)
        ratios.append(ratio)
        (b, k), t = key
        print(f"| [{b}, {k}] | {t:g} | {p.get('numpy', float('nan')):.2f} | {p.get('jax', float('nan')):.2f} | "
              f"{p.get('torch', float('nan')):.2f} | {walls[fastest]:.2f} ({fastest}) | {mine:.2f} | "
              f"{mine / args.cores:.2f} | {ratio:.1f}x |")
    if ratios:
        mean = math.exp(sum(map(math.log, ratios)) / len(ratios))
        print(f"\nlowest {min(ratios):.1f}x, geometric mean {mean:.1f}x over {len(ratios)} cells")


if __name__ == "__main__":
    main()
