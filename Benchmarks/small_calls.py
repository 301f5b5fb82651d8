"""Latency of one small call (issue 24 item 3): ours against PyTorch's CPU F.gumbel_softmax.

For each shape and temperature: PyTorch's `F.gumbel_softmax(x, tau=T)` with torch's default
thread count (all cores) and with one thread (its OpenMP threads spin at barriers, and on a busy
machine one thread can be much faster; the faster counts), our Python `gumbel_softmax.sample(..., out=...)` (all cores) and, with --c-binary, our
C ABI timed in C (Benchmarks/floor/small_calls.c): each the median of --calls individually timed
calls (at most --seconds per cell once there are 20) after 200 warm-up calls (pools awake). Prints a Markdown table, medians in microseconds,
and PyTorch's time over ours.

  python Benchmarks/small_calls.py --c-binary PATH [--calls 2000] [--shapes 1x32000,...]

The library is the one `gumbel_softmax` loads (GUMBEL_SOFTMAX_LIB picks one); the C program
links its own.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SHAPES = "1x32000,8x128256,64x1024"
TEMPERATURES = "0.5,0.7,1,2"


def median_us(fn, calls, seconds, clock=time.perf_counter_ns):
    """The median of up to `calls` timed calls (at least 20; at most `seconds` once there are 20),
    after up to 200 warm-up calls (at most a second), timed with `clock` (nanoseconds)."""
    start = time.perf_counter()
    for _ in range(200):
        fn()
        if time.perf_counter() - start > 1:
            break
    samples = []
    start = time.perf_counter()
    while len(samples) < calls and (len(samples) < 20 or time.perf_counter() - start < seconds):
        t0 = clock()
        fn()
        samples.append(clock() - t0)
    return statistics.median(samples) / 1e3


def torch_call(logits, temperature, threads):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    x = torch.from_numpy(logits)
    torch.manual_seed(7)
    return lambda: F.gumbel_softmax(x, tau=temperature, hard=False, dim=-1)


def ours_call(logits, temperature):
    import numpy as np

    import gumbel_softmax

    out = np.empty_like(logits)
    position = [0]

    def run():
        # Fresh words every call, as a server drawing one sample after another would use.
        position[0] += logits.size
        return gumbel_softmax.sample(logits, temperature=temperature, seed=7, position=position[0], out=out)

    return run


def c_timings(binary, calls, shapes, cpu):
    output = subprocess.run([binary, str(calls), "0", *shapes], check=True, capture_output=True, text=True).stdout
    records = map(json.loads, output.splitlines())
    return {(tuple(r["shape"]), r["temperature"]):
            r["median_cpu_ns_per_element"] * r["shape"][0] * r["shape"][1] / 1e3 if cpu else r["median_us"]
            for r in records}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--c-binary", help="Benchmarks/floor/small_calls.c, built against libgumbelsoftmax.so")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=3.0, help="timing per cell once 20 calls ran")
    parser.add_argument("--cpu", action="store_true",
                        help="time with the process's CPU time (every thread's) instead of wall time: on a machine "
                             "shared with more runnable threads than cores, what each call costs rather than the load")
    parser.add_argument("--shapes", default=SHAPES)
    parser.add_argument("--temperatures", default=TEMPERATURES)
    args = parser.parse_args()

    import numpy as np
    import torch

    import gumbel_softmax

    shapes = [tuple(int(n) for n in s.split("x")) for s in args.shapes.split(",")]
    temperatures = [float(t) for t in args.temperatures.split(",")]
    c = c_timings(args.c_binary, args.calls, [f"{b}x{k}" for b, k in shapes], args.cpu) if args.c_binary else {}
    clock = time.process_time_ns if args.cpu else time.perf_counter_ns
    default_threads = torch.get_num_threads()
    print(f"torch {torch.__version__} (default {default_threads} threads), gumbel_softmax "
          f"{gumbel_softmax.library_version()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
          f"median of {args.calls} calls, microseconds of {'CPU' if args.cpu else 'wall'} time")
    print()
    print(f"| shape | T | PyTorch, {default_threads} threads | PyTorch, 1 thread | ours (Python) | ours (C) "
          "| PyTorch / ours (Python) | PyTorch / ours (C) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for b, k in shapes:
        logits = np.random.default_rng(1).uniform(-4, 4, size=(b, k)).astype(np.float32)
        for t in temperatures:
            all_cores = median_us(torch_call(logits, t, default_threads), args.calls, args.seconds, clock)
            one = median_us(torch_call(logits, t, 1), args.calls, args.seconds, clock)
            theirs = min(all_cores, one)
            python = median_us(ours_call(logits, t), args.calls, args.seconds, clock)
            native = c.get(((b, k), t))
            cells = [f"[{b}, {k}]", f"{t:g}", f"{all_cores:.1f}", f"{one:.1f}", f"{python:.1f}",
                     f"{native:.1f}" if native else "-", f"{theirs / python:.1f}x",
                     f"{theirs / native:.1f}x" if native else "-"]
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
