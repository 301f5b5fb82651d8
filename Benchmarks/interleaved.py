#!/usr/bin/env python3
"""Interleaved timing of gumbel_softmax.sample against its peers on the standard shapes, for a
loaded machine: per shape, the library (through the Python package: soft output, temperature
0.5, all cores), NumPy and PyTorch (F.gumbel_softmax, as in peers.py) are called in turn, round
after round, so that whatever else runs on the machine slows all three alike. Prints one JSON
object per shape with each median in ns per element and the ratio of the fastest peer to the
library.

    PYTHONPATH=python GUMBEL_SOFTMAX_LIB=.build/release/libgumbelsoftmax.so \\
        python Benchmarks/interleaved.py --dtype float64
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402

import gumbel_softmax as gs  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", default=peers.STANDARD)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--threads", type=int, default=0, help="the library's threads (0: all cores)")
    args = parser.parse_args()
    for shape in args.shapes.split(","):
        b, k = (int(v) for v in shape.split("x"))
        logits = np.random.default_rng(1).uniform(-4, 4, size=(b, k)).astype(args.dtype)
        out = np.empty_like(logits)
        calls = {
            "library": lambda: gs.sample(
                logits, temperature=peers.TEMPERATURE, seed=1, out=out, threads=args.threads
            ),
            "numpy": peers.numpy_peer(logits),
            "torch": peers.torch_peer(logits),
        }
        for call in calls.values():
            call()
            call()
        times = {name: [] for name in calls}
        for _ in range(args.rounds):
            for name, call in calls.items():
                start = time.perf_counter_ns()
                call()
                times[name].append(time.perf_counter_ns() - start)
        median = {name: sorted(t)[len(t) // 2] / (b * k) for name, t in times.items()}
        ratio = min(median["numpy"], median["torch"]) / median["library"]
        print(json.dumps({"shape": [b, k], "dtype": args.dtype, **median, "ratio": ratio}), flush=True)


if __name__ == "__main__":
    main()
