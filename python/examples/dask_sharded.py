"""Samples one [B, K] Gumbel-Softmax batch in row shards on a Dask cluster, and checks that the
gathered result is bit-identical to one process sampling the whole batch.

Rows [r0, r1) of a batch sampled alone at position + r0*K equal those rows of the whole batch
(SPEC.md section 3), so shards need no coordination: each worker gets its rows, the stream
(seed, stream) and its own starting position.

    python3 python/examples/dask_sharded.py                      # a LocalCluster of 3 processes
    python3 python/examples/dask_sharded.py --scheduler tcp://scheduler:8786 --ship libgumbelsoftmax.so

Every worker must be able to `import gumbel_softmax` and this module, and load
libgumbelsoftmax.so: install them on each node, or let `--ship` upload all three (see
docs/embedding.md). The default LocalCluster's workers inherit this process's environment and
module path.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from distributed.diagnostics.plugin import WorkerPlugin

PACKAGE_DIRECTORY = Path(__file__).resolve().parent.parent  # python/, holding gumbel_softmax/
if str(PACKAGE_DIRECTORY) not in sys.path:
    sys.path.insert(0, str(PACKAGE_DIRECTORY))

import gumbel_softmax as gs  # noqa: E402

UINT64 = 1 << 64


def shard_bounds(rows: int, shards: int) -> list[tuple[int, int]]:
    """`shards` contiguous row ranges covering `0 ..< rows`, as equal as possible (some may be
    empty when rows < shards)."""
    return [(rows * i // shards, rows * (i + 1) // shards) for i in range(shards)]


def sample_shard(
    logits: np.ndarray, row0: int, *, kind: str, temperature: float, seed: int, stream: int, position: int
) -> tuple[int, np.ndarray]:
    """Runs on a worker: rows [row0, row0 + len(logits)) of the batch. Returns (pid, result)."""
    import gumbel_softmax as worker_gs  # resolved on the worker

    columns = logits.shape[-1]
    shard_position = (position + row0 * columns) % UINT64
    if kind == "categorical":
        result = worker_gs.categorical(logits, seed=seed, stream=stream, position=shard_position, threads=1)
    else:
        result = worker_gs.sample(
            logits, temperature=temperature, output=kind, seed=seed, stream=stream, position=shard_position, threads=1
        )
    return os.getpid(), result


def sample_on_cluster(
    client,
    logits: np.ndarray,
    *,
    shards: int,
    kind: str = "soft",
    temperature: float = 1.0,
    seed: int,
    stream: int = 0,
    position: int = 0,
) -> tuple[np.ndarray, set[int]]:
    """Samples `logits` ([B, K]) in `shards` row shards on the cluster behind `client` and
    gathers them in order. Returns the [B, K] result ([B] for "categorical") and the worker
    process ids that computed shards."""
    logits = np.asarray(logits, dtype=np.float32, order="C")
    futures, scattered = [], []
    for row0, row1 in shard_bounds(logits.shape[0], shards):
        # hash=False: equal shards (empty ones, say) must not share one key, or releasing one
        # would drop the data another task still needs.
        [shard] = client.scatter([logits[row0:row1]], hash=False)
        scattered.append(shard)
        futures.append(
            client.submit(
                sample_shard, shard, row0, kind=kind, temperature=temperature, seed=seed, stream=stream,
                position=position, pure=False,
            )
        )
    parts = client.gather(futures)
    return np.concatenate([result for _, result in parts]), {pid for pid, _ in parts}


def local_reference(logits, *, kind: str, temperature: float, seed: int, stream: int, position: int) -> np.ndarray:
    """The whole batch in this one process."""
    if kind == "categorical":
        return gs.categorical(logits, seed=seed, stream=stream, position=position)
    return gs.sample(logits, temperature=temperature, output=kind, seed=seed, stream=stream, position=position)


class ShipLibrary(WorkerPlugin):
    """A Dask worker plugin that writes libgumbelsoftmax.so into each worker's local directory
    (now and on every worker that joins later) and points GUMBEL_SOFTMAX_LIB at it, for workers
    on machines where the library is not installed.

    The library links the Swift runtime: build it with `-Xswiftc -static-stdlib` to ship one file
    (docs/embedding.md); OpenBLAS (libopenblas0) must be installed on the workers either way.
    """

    name = "gumbel-softmax-library"

    def __init__(self, path):
        self.data = Path(path).read_bytes()

    def setup(self, worker):  # runs on the worker
        target = Path(worker.local_directory) / "libgumbelsoftmax.so"
        partial = target.with_suffix(".so.partial")
        partial.write_bytes(self.data)
        partial.replace(target)
        os.environ["GUMBEL_SOFTMAX_LIB"] = str(target)

    def teardown(self, worker):
        pass


def ship_to_workers(client, library_path) -> None:
    """Makes every worker (current and future) able to run the shards with nothing installed but
    numpy and OpenBLAS: uploads the gumbel_softmax package (as a zip), this module, and the shared
    library."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        archive = shutil.make_archive(
            str(Path(directory) / "gumbel_softmax"), "zip", PACKAGE_DIRECTORY, "gumbel_softmax"
        )
        client.upload_file(archive)
    client.upload_file(__file__)  # sample_shard is pickled by reference to this module
    client.register_plugin(ShipLibrary(library_path))


def start_local_cluster(workers: int = 3, env: dict[str, str] | None = None):
    """A LocalCluster of `workers` single-threaded worker processes that can import the package;
    `env` adds environment variables to the workers'."""
    from dask.distributed import LocalCluster

    path = os.environ.get("PYTHONPATH", "")
    if str(PACKAGE_DIRECTORY) not in path.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_DIRECTORY), path) if p)
    return LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", host="127.0.0.1",
        env=env or {},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", help="address of a running scheduler; default: a LocalCluster")
    parser.add_argument("--workers", type=int, default=3, help="LocalCluster worker processes")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--columns", type=int, default=5000)
    parser.add_argument("--shards", type=int, default=12)
    parser.add_argument("--temperature", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--stream", type=int, default=0)
    parser.add_argument("--position", type=int, default=0)
    parser.add_argument(
        "--ship", metavar="LIBRARY", help="upload the package, this script and LIBRARY (the .so) to the workers"
    )
    args = parser.parse_args()

    from dask.distributed import Client

    cluster = None if args.scheduler else start_local_cluster(args.workers)
    with Client(args.scheduler or cluster) as client:
        if args.ship:
            ship_to_workers(client, args.ship)
        logits = np.random.default_rng(args.seed).normal(0, 2, size=(args.rows, args.columns)).astype(np.float32)
        keys = dict(temperature=args.temperature, seed=args.seed, stream=args.stream, position=args.position)
        ok = True
        for kind in ("soft", "log", "hard", "categorical"):
            start = time.perf_counter()
            sharded, pids = sample_on_cluster(client, logits, shards=args.shards, kind=kind, **keys)
            elapsed = time.perf_counter() - start
            whole = local_reference(logits, kind=kind, **keys)
            same = sharded.shape == whole.shape and sharded.tobytes() == whole.tobytes()
            ok &= same
            print(
                f"{kind:11s} [{args.rows}, {args.columns}] in {args.shards} shards on {len(pids)} worker processes "
                f"({elapsed:.2f} s): {'bit-identical' if same else 'DIFFERENT'} to one process"
            )
    if cluster is not None:
        cluster.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
