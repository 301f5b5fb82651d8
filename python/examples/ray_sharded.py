"""Samples one [B, K] Gumbel-Softmax batch in row shards as Ray tasks, and checks that the gathered
result is bit-identical to one process sampling the whole batch.

Rows [r0, r1) sampled alone at position + r0*K equal those rows of the whole batch (SPEC.md
section 3), so each task needs only its rows, the stream (seed, stream) and its own position.

    python3 python/examples/ray_sharded.py                  # a local Ray instance (ray.init())
    python3 python/examples/ray_sharded.py --address auto   # an existing cluster

The package reaches the workers through the runtime environment's ``py_modules`` and the library
through ``GUMBEL_SOFTMAX_LIB`` (``runtime_environment`` below); on a multi-node cluster ship the
``.so`` too (``working_dir`` holding a ``-static-stdlib`` build, ``GUMBEL_SOFTMAX_LIB`` relative to
it), see docs/embedding.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import ray

PACKAGE_DIRECTORY = Path(__file__).resolve().parent.parent  # python/, holding gumbel_softmax/
if str(PACKAGE_DIRECTORY) not in sys.path:
    sys.path.insert(0, str(PACKAGE_DIRECTORY))

import gumbel_softmax as gs  # noqa: E402
from gumbel_softmax import _library  # noqa: E402

UINT64 = 1 << 64


def runtime_environment(library: str | None = None) -> dict:
    """Ships python/gumbel_softmax to every worker and points it at the library (an absolute path
    reachable from every node: true for a local instance)."""
    library = library or next(path for path in _library.candidates() if os.path.exists(path))
    return {
        "py_modules": [str(PACKAGE_DIRECTORY / "gumbel_softmax")],
        "env_vars": {"GUMBEL_SOFTMAX_LIB": os.path.abspath(library)},
    }


@ray.remote(num_cpus=1)
def sample_shard(logits, row0, output, temperature, seed, stream, position):
    """Runs on a worker: rows [row0, row0 + len(logits)). Returns (pid, result)."""
    import gumbel_softmax as worker_gs  # the shipped package

    shard_position = (position + row0 * logits.shape[-1]) % UINT64
    if output == "categorical":
        result = worker_gs.categorical(logits, seed=seed, stream=stream, position=shard_position, threads=1)
    else:
        result = worker_gs.sample(logits, temperature=temperature, output=output, seed=seed, stream=stream,
                                  position=shard_position, threads=1)
    return os.getpid(), result


def sample_on_ray(logits, *, shards: int, output: str = "soft", temperature=1.0, seed: int, stream: int = 0,
                  position: int = 0) -> tuple[np.ndarray, set[int]]:
    """Samples [B, K] logits in `shards` row shards as Ray tasks and concatenates them in order.
    Returns the result and the worker process ids that ran shards."""
    logits = np.asarray(logits, dtype=np.float32, order="C")
    rows = logits.shape[0]
    bounds = [(rows * i // shards, rows * (i + 1) // shards) for i in range(shards)]
    futures = [sample_shard.remote(logits[r0:r1], r0, output, temperature, seed, stream, position) for r0, r1 in bounds]
    parts = ray.get(futures)
    return np.concatenate([part for _, part in parts]), {pid for pid, _ in parts}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--address", help="an existing Ray cluster (default: start a local instance)")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--columns", type=int, default=5000)
    parser.add_argument("--shards", type=int, default=8)
    arguments = parser.parse_args(argv)
    ray.init(address=arguments.address, runtime_env=runtime_environment(), include_dashboard=False)
    logits = np.random.default_rng(0).normal(size=(arguments.rows, arguments.columns)).astype(np.float32)
    for output in ("soft", "categorical"):
        start = time.perf_counter()
        sharded, pids = sample_on_ray(logits, shards=arguments.shards, output=output, temperature=0.5, seed=42)
        seconds = time.perf_counter() - start
        if output == "categorical":
            whole = gs.categorical(logits, seed=42)
        else:
            whole = gs.sample(logits, temperature=0.5, seed=42)
        verdict = "bit-identical" if sharded.tobytes() == whole.tobytes() else "DIFFERENT"
        print(f"{output:<12}[{arguments.rows}, {arguments.columns}] in {arguments.shards} shards on {len(pids)} worker "
              f"processes ({seconds:.2f} s): {verdict} to one process")
        if verdict != "bit-identical":
            sys.exit(1)
    ray.shutdown()


if __name__ == "__main__":
    main()
