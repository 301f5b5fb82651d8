"""Sharded sampling on a Dask LocalCluster of 3 worker processes is bit-identical to one process
sampling the whole batch. Run with `make test-dask` (installs dask[distributed] into .venv-dask)."""

import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

pytest.importorskip("dask.distributed", reason="make test-dask installs dask[distributed]")

import dask_sharded  # noqa: E402
from dask.distributed import Client  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = dask_sharded.start_local_cluster(workers=3)
    with Client(cluster) as client:
        client.wait_for_workers(3, timeout=60)
        yield client
    cluster.close()


@pytest.mark.parametrize("kind", ["soft", "log", "hard", "categorical"])
def test_sharded_batch_is_bit_identical(client, kind):
    logits = np.random.default_rng(1).normal(0, 3, size=(300, 4000)).astype(np.float32)
    logits[::7, 11] = -np.inf
    keys = dict(temperature=0.3, seed=987654321987654321, stream=4, position=123)
    sharded, pids = dask_sharded.sample_on_cluster(client, logits, shards=9, kind=kind, **keys)
    whole = dask_sharded.local_reference(logits, kind=kind, **keys)
    assert sharded.dtype == whole.dtype and sharded.shape == whole.shape
    assert sharded.tobytes() == whole.tobytes()
    assert len(pids) >= 2, f"only worker processes {pids} ran shards"


def test_long_rows_uneven_and_empty_shards_and_position_wrap(client):
    # K > 32768 (the long-row path), more shards than rows (empty shards), and a position whose
    # shards cross 2**64.
    logits = np.random.default_rng(2).normal(size=(5, 40000)).astype(np.float32)
    keys = dict(temperature=1.5, seed=3, stream=0, position=2**64 - 70000)
    sharded, _ = dask_sharded.sample_on_cluster(client, logits, shards=8, **keys)
    whole = dask_sharded.local_reference(logits, kind="soft", **keys)
    assert sharded.tobytes() == whole.tobytes()


def test_shard_bounds_cover_the_rows_in_order():
    assert dask_sharded.shard_bounds(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert dask_sharded.shard_bounds(2, 4) == [(0, 0), (0, 1), (1, 1), (1, 2)]


def test_shipping_the_library_to_workers_that_lack_it():
    # Workers told to load a library that does not exist fail until ship_to_workers uploads the
    # package, the example module and the .so, as for a remote cluster.
    library = os.environ.get("GUMBEL_SOFTMAX_LIB") or str(
        Path(__file__).resolve().parents[2] / ".build" / "release" / "libgumbelsoftmax.so"
    )
    cluster = dask_sharded.start_local_cluster(
        workers=2, env={"GUMBEL_SOFTMAX_LIB": "/nonexistent/libgumbelsoftmax.so"}
    )
    logits = np.random.default_rng(3).normal(size=(40, 900)).astype(np.float32)
    keys = dict(temperature=0.9, seed=5, stream=1, position=0)
    try:
        with Client(cluster) as client:
            client.wait_for_workers(2, timeout=60)
            with pytest.raises(OSError, match="cannot load libgumbelsoftmax.so"):
                dask_sharded.sample_on_cluster(client, logits, shards=4, **keys)
            dask_sharded.ship_to_workers(client, library)
            sharded, pids = dask_sharded.sample_on_cluster(client, logits, shards=4, **keys)
            shipped = client.run(lambda: os.environ["GUMBEL_SOFTMAX_LIB"])
    finally:
        cluster.close()
    assert sharded.tobytes() == dask_sharded.local_reference(logits, kind="soft", **keys).tobytes()
    assert len(pids) == 2
    assert all(path.endswith("libgumbelsoftmax.so") and not path.startswith("/nonexistent") for path in shipped.values())
