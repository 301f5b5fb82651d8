"""The Ray example (python/examples/ray_sharded.py, docs/embedding.md) on a local Ray instance:
row shards sampled as Ray tasks are bit-identical to one process. Run with `make test-ray`."""

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="make test-ray installs ray")

import gumbel_softmax as gs  # noqa: E402
import ray_sharded  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, runtime_env=ray_sharded.runtime_environment())
    yield
    ray.shutdown()


@pytest.mark.parametrize("output", ["soft", "log", "hard", "categorical"])
def test_ray_shards_are_bit_identical(local_ray, output):
    logits = np.random.default_rng(1).normal(0, 3, size=(101, 700)).astype(np.float32)
    logits[::9, 5] = -np.inf
    keys = dict(seed=2**64 - 3, stream=7, position=2**64 - 30000)  # shards cross 2**64
    sharded, pids = ray_sharded.sample_on_ray(logits, shards=7, output=output, temperature=0.4, **keys)
    if output == "categorical":
        whole = gs.categorical(logits, **keys)
    else:
        whole = gs.sample(logits, temperature=0.4, output=output, **keys)
    assert sharded.dtype == whole.dtype and sharded.tobytes() == whole.tobytes()
    assert len(pids) >= 1


def test_workers_use_the_shipped_package(local_ray):
    @ray.remote
    def where():
        import os

        import gumbel_softmax

        return gumbel_softmax.__file__, os.environ["GUMBEL_SOFTMAX_LIB"], gumbel_softmax.library_version()

    path, library, version = ray.get(where.remote())
    assert version == gs.library_version()
    assert library.endswith("libgumbelsoftmax.so")
    assert "/python/gumbel_softmax/" not in path  # unpacked from the runtime environment, not the tree
