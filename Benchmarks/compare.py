#!/usr/bin/env python3
"""Before/after speed of several `gumbel` binaries on the standard shapes, interleaved.

For each shape, runs every binary ROUNDS times in rotating order (so that a slow spell of a shared
machine hits all of them alike), with `gumbel bench --json` (the median of REPEATS calls after the
tool's warm-up), with one thread and with all cores, and prints the median over the rounds in ns
per element, and each binary's time relative to the first one (below 1.00 is faster).

Usage: Benchmarks/compare.py LABEL=PATH LABEL=PATH ... [--rounds 5] [--repeats 15] [--shapes ...]
"""
import argparse
import json
import statistics
import subprocess

STANDARD = "1x1000000,1x16000000,64x32000,1024x1024,4096x256,65536x16,256x128256,8x4000000"


def peer_temperature(path):
    """`--temperature 0.5`, the peers' temperature, for a binary that has the option (older ones
    always time 0.5; newer ones default to 1)."""
    usage = subprocess.run([path, "bench", "--help"], check=True, capture_output=True, text=True).stdout
    return ["--temperature", "0.5"] if "--temperature" in usage else []


def run(path, shape, threads, repeats, output):
    command = [path, "bench", "--shape", shape, "--json", "--repeats", str(repeats), "--output", output]
    command += peer_temperature(path)
    if threads:
        command += ["--threads", str(threads)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["ns_per_element"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binaries", nargs="+", help="LABEL=PATH; the first is the reference")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--shapes", default=STANDARD)
    parser.add_argument("--output", default="soft")
    args = parser.parse_args()
    binaries = [b.split("=", 1) for b in args.binaries]
    labels = [label for label, _ in binaries]
    header = ["shape", "threads"] + [f"{l} ns" for l in labels] + [f"{l}/{labels[0]}" for l in labels[1:]]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for shape in args.shapes.split(","):
        for threads in (1, 0):
            samples = {label: [] for label in labels}
            for r in range(args.rounds):
                order = binaries[r % len(binaries):] + binaries[: r % len(binaries)]
                for label, path in order:
                    samples[label].append(run(path, shape, threads, args.repeats, args.output))
            medians = [statistics.median(samples[l]) for l in labels]
            row = [f"[{shape.replace('x', ', ')}]", "1" if threads else "all"]
            row += [f"{m:.2f}" for m in medians] + [f"{m / medians[0]:.3f}" for m in medians[1:]]
            print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
