#!/usr/bin/env python3
"""Peer timings for `make bench`: the same Gumbel-Softmax contract (float32, or with --dtype float64, [B, K] logits,
temperature 0.5, soft output) in NumPy (always), JAX (jit, when importable) and PyTorch
(F.gumbel_softmax, when importable). Prints one JSON object per line, like GumbelBenchmarks.

Each peer is timed the way its users call it: median of repeated calls after warm-up, outputs
materialised (JAX: block_until_ready). Threads: NumPy's ufuncs are single-threaded; JAX and
PyTorch use all cores (torch.set_num_threads(os.cpu_count())).
"""
import argparse
import json
import os
import time

import numpy as np

STANDARD = "1x1000000,1x16000000,64x32000,1024x1024,4096x256,65536x16,256x128256,8x4000000"
TEMPERATURE = 0.5


def median_ns(fn, seconds):
    fn()
    fn()
    samples = []
    start = time.perf_counter()
    while len(samples) < 5 or (time.perf_counter() - start < seconds and len(samples) < 200):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    return samples[len(samples) // 2]


def numpy_peer(logits):
    rng = np.random.Generator(np.random.Philox(7))
    out = np.empty_like(logits)

    def run():
        # uniforms of the logits' dtype, then -log(-log(u)) in place; the usual NumPy Gumbel-Softmax.
        rng.random(out=out, dtype=logits.dtype)
        np.log(out, out=out)
        np.negative(out, out=out)
        np.log(out, out=out)
        np.subtract(logits, out, out=out)
        np.multiply(out, 1.0 / TEMPERATURE, out=out)
        np.subtract(out, out.max(axis=1, keepdims=True), out=out)
        np.exp(out, out=out)
        np.divide(out, out.sum(axis=1, keepdims=True), out=out)
        return out

    return run


def jax_peer(logits):
    import jax
    import jax.numpy as jnp

    @jax.jit
    def sample(key, x):
        g = jax.random.gumbel(key, x.shape, dtype=x.dtype)
        return jax.nn.softmax((x + g) / TEMPERATURE, axis=-1)

    x = jnp.asarray(logits)
    key = jax.random.PRNGKey(7)

    def run():
        return sample(key, x).block_until_ready()

    return run


def torch_peer(logits):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(os.cpu_count() or 1)
    x = torch.from_numpy(logits)
    torch.manual_seed(7)

    def run():
        return F.gumbel_softmax(x, tau=TEMPERATURE, hard=False, dim=-1)

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shapes", default=STANDARD)
    parser.add_argument("--seconds", type=float, default=0.4)
    parser.add_argument(
        "--dtype", default="float32", choices=["float32", "float64"], help="the logits' dtype (JAX needs x64 for float64)"
    )
    args = parser.parse_args()
    peers = [("numpy", numpy_peer, np.__version__)]
    try:
        import jax

        peers.append(("jax", jax_peer, jax.__version__))
    except ImportError:
        pass
    try:
        import torch

        peers.append(("torch", torch_peer, torch.__version__))
    except ImportError:
        pass
    for shape in args.shapes.split(","):
        b, k = (int(v) for v in shape.split("x"))
        state = np.random.default_rng(1)
        logits = state.uniform(-4, 4, size=(b, k)).astype(args.dtype)
        for name, make, version in peers:
            if name == "jax" and args.dtype == "float64":
                continue  # without jax_enable_x64 JAX would compute in float32

            try:
                ns = median_ns(make(logits), args.seconds)
            except Exception as error:  # a peer that cannot run a shape (e.g. out of memory)
                print(json.dumps({"kind": "peer", "peer": name, "shape": [b, k], "error": str(error)}), flush=True)
                continue
            print(
                json.dumps(
                    {
                        "kind": "peer",
                        "peer": name,
                        "version": version,
                        "shape": [b, k],
                        "dtype": args.dtype,
                        "threads": 1 if name == "numpy" else (os.cpu_count() or 1),
                        "ns_per_element": ns / (b * k),
                        "elements_per_second": (b * k) / ns * 1e9,
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
