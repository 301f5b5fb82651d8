"""CPU time per element of the peers, one thread each (docs/benchmarks.md, "The floor"): NumPy, JAX (jit) and
PyTorch's F.gumbel_softmax as Benchmarks/bench.py defines them, each call timed with the process's
CPU time (every thread's), median of --calls calls after two warm-up calls. On a machine shared
with more runnable threads than cores, wall time measures the load as much as the call; CPU time
measures the work, which is what the floor is about. Prints one JSON object per line.

  python Benchmarks/floor/peers_cpu.py [--shapes 1024x1024,...] [--temperatures 0.5,0.7,1,2]
"""

import argparse
import json
import os
import statistics
import sys
import time

# One thread for XLA's CPU backend (before JAX is imported).
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import bench  # noqa: E402  Benchmarks/bench.py: the peers' definitions


def cpu_ns_per_call(fn, calls):
    fn()
    fn()
    samples = []
    for _ in range(calls):
        t0 = time.process_time_ns()
        fn()
        samples.append(time.process_time_ns() - t0)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", default="1x1000000,64x32000,1024x1024,4096x256,65536x16")
    parser.add_argument("--temperatures", default="0.5,0.7,1,2")
    parser.add_argument("--calls", type=int, default=9)
    args = parser.parse_args()
    import numpy as np

    peers = {"numpy": lambda x, t: bench.numpy_peer(x, t), "jax": lambda x, t: bench.jax_peer(x, t),
             "torch": lambda x, t: bench.torch_peer(x, t, 1)}
    for b, k in bench.shapes_of(args.shapes):
        logits = np.random.default_rng(1).uniform(-4, 4, size=(b, k)).astype(np.float32)
        for t in (float(t) for t in args.temperatures.split(",")):
            for name, make in peers.items():
                ns = cpu_ns_per_call(make(logits, t), args.calls)
                print(json.dumps({"peer": name, "shape": [b, k], "temperature": t, "threads": 1,
                                  "cpu_ns_per_element": round(ns / (b * k), 3)}), flush=True)


if __name__ == "__main__":
    main()
