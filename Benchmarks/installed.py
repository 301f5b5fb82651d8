#!/usr/bin/env python3
"""Speed of the binaries users get, against the peers, measured in one run (`make bench-installed`).

Times each `gumbel` given with --gumbel LABEL=PATH (e.g. the one `make install` wrote, a plain
`swift build -c release`, an older commit's) with `gumbel bench --json` on the standard shapes,
with one thread and with all cores, and the peers of Benchmarks/peers.py (NumPy, and JAX when the
peer interpreter can import it) on the same shapes, shape by shape so that every row of the table
was measured minutes apart at most. Prints a Markdown table: ns per element, and for each binary
the ratio of the fastest peer (of NumPy and JAX) to ours with all cores; then the minimum and the
geometric mean of each ratio over the shapes. Each shape is measured --rounds times (default 3),
the binaries and the peers in turn, and the table shows the medians.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STANDARD = "1x1000000,1x16000000,64x32000,1024x1024,4096x256,65536x16,256x128256,8x4000000"


def peer_temperature(path):
    """`--temperature 0.5`, the peers' temperature, for a binary that has the option (older ones
    always time 0.5; newer ones default to 1)."""
    usage = subprocess.run([path, "bench", "--help"], check=True, capture_output=True, text=True).stdout
    return ["--temperature", "0.5"] if "--temperature" in usage else []


def ours(path, shape, threads, repeats):
    command = [path, "bench", "--shape", shape, "--json", "--repeats", str(repeats)]
    command += peer_temperature(path)
    if threads:
        command += ["--threads", str(threads)]
    line = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return json.loads(line)["ns_per_element"]


def peers(python, shape, seconds):
    output = subprocess.run(
        [python, os.path.join(HERE, "peers.py"), "--shapes", shape, "--seconds", str(seconds)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = {}
    for line in output.splitlines():
        record = json.loads(line)
        if "ns_per_element" in record:
            result[record["peer"]] = record["ns_per_element"]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gumbel", action="append", required=True, help="LABEL=PATH of a gumbel binary")
    parser.add_argument("--peer-python", default=sys.executable)
    parser.add_argument("--shapes", default=STANDARD)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=3, help="medians over this many rounds per shape")
    args = parser.parse_args()
    binaries = [entry.split("=", 1) for entry in args.gumbel]
    header = ["shape"]
    for label, _ in binaries:
        header += [f"{label} 1 thread", f"{label} all cores"]
    header += ["numpy", "jax", "torch"] + [f"ratio {label}" for label, _ in binaries]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    ratios = {label: [] for label, _ in binaries}
    for shape in args.shapes.split(","):
        row = [f"[{shape.replace('x', ', ')}]"]
        # Each round times every binary and the peers once; the table shows the medians over the
        # rounds, so that one slow spell of the shared machine does not decide a ratio.
        samples = {label: ([], []) for label, _ in binaries}
        peer_samples = {}
        for _ in range(args.rounds):
            for label, path in binaries:
                samples[label][0].append(ours(path, shape, 1, args.repeats))
                samples[label][1].append(ours(path, shape, 0, args.repeats))
            for name, value in peers(args.peer_python, shape, args.seconds).items():
                peer_samples.setdefault(name, []).append(value)
        timings = {}
        for label, _ in binaries:
            one = statistics.median(samples[label][0])
            every = statistics.median(samples[label][1])
            timings[label] = every
            row += [f"{one:.2f} ns", f"{every:.2f} ns"]
        peer = {name: statistics.median(values) for name, values in peer_samples.items()}
        row += [f"{peer[name]:.2f} ns" if name in peer else "-" for name in ("numpy", "jax", "torch")]
        fastest = min(peer[name] for name in ("numpy", "jax") if name in peer)
        for label, _ in binaries:
            ratio = fastest / timings[label]
            ratios[label].append(ratio)
            row.append(f"{ratio:.2f}x")
        print("| " + " | ".join(row) + " |", flush=True)
    print()
    for label, values in ratios.items():
        geometric = math.exp(sum(math.log(v) for v in values) / len(values))
        print(
            f"{label}: fastest of NumPy and JAX / ours (all cores): min {min(values):.2f}x, "
            f"geometric mean {geometric:.2f}x over {len(values)} shapes"
        )


if __name__ == "__main__":
    main()
