"""gumbel_softmax.dask on dask.arrays: any chunking of the rows, even or not, gives the bits of one
numpy call on the whole array, on a LocalCluster of worker processes. Run with `make test-dask`."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

pytest.importorskip("dask.distributed", reason="make test-dask installs dask[distributed]")

import dask.array as da  # noqa: E402
from dask.distributed import Client, LocalCluster  # noqa: E402

import gumbel_softmax as gs  # noqa: E402
import gumbel_softmax.dask as gsd  # noqa: E402

CHUNKINGS = [
    ((60,),),                      # one block
    ((20, 20, 20),),               # even
    ((7, 1, 30, 22),),             # uneven
    ((1,) * 60,),                  # a row per block
    ((0, 33, 0, 27),),             # empty blocks
]


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None)
    with Client(cluster) as client:
        yield client
    cluster.close()


def logits_of(shape, seed=0):
    x = np.random.default_rng(seed).normal(0, 3, size=shape).astype(np.float32)
    x.reshape(-1, shape[-1])[::5, 3] = -np.inf
    return x


KEYS = dict(seed=2**64 - 12345, stream=9, position=2**64 - 1000)  # the batch wraps past 2**64


@pytest.mark.parametrize("chunks", CHUNKINGS)
@pytest.mark.parametrize("output", ["soft", "log", "hard"])
def test_sample_any_row_chunking_is_bit_identical(client, chunks, output):
    x = logits_of((60, 37))
    y = gsd.sample(da.from_array(x, chunks=chunks + ((37,),)), 0.6, output=output, **KEYS)
    assert isinstance(y, da.Array) and y.dtype == np.float32 and y.shape == x.shape
    computed = y.compute()
    whole = gs.sample(x, temperature=0.6, output=output, **KEYS)
    assert computed.tobytes() == whole.tobytes()


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_categorical_any_row_chunking_is_bit_identical(client, chunks):
    x = logits_of((60, 37), seed=1)
    indices = gsd.categorical(da.from_array(x, chunks=chunks + ((37,),)), **KEYS)
    assert indices.dtype == np.int64 and indices.shape == (60,)
    np.testing.assert_array_equal(indices.compute(), gs.categorical(x, **KEYS))


def test_chunked_categories_and_higher_rank_are_rechunked(client):
    # Chunks along the categories and along a second batch axis are merged into whole rows.
    x = logits_of((9, 4, 50), seed=2)
    dx = da.from_array(x, chunks=(2, 3, 17))
    y = gsd.sample(dx, 1.3, seed=5)
    assert y.compute().tobytes() == gs.sample(x, temperature=1.3, seed=5).tobytes()
    np.testing.assert_array_equal(gsd.categorical(dx, seed=5).compute(), gs.categorical(x, seed=5))


@pytest.mark.parametrize("as_dask", [False, True])
def test_per_row_temperatures(client, as_dask):
    x = logits_of((30, 11, 8), seed=3)
    temperatures = np.random.default_rng(4).uniform(0.2, 3, size=(30, 11)).astype(np.float32)
    tau = da.from_array(temperatures, chunks=(13, 11)) if as_dask else temperatures
    y = gsd.sample(da.from_array(x, chunks=(4, 11, 8)), tau, seed=6, position=17)
    assert y.compute().tobytes() == gs.sample(x, temperature=temperatures, seed=6, position=17).tobytes()


def test_one_dimensional_logits(client):
    x = logits_of((25,), seed=5)
    y = gsd.sample(da.from_array(x, chunks=7), seed=8)
    assert y.compute().tobytes() == gs.sample(x, seed=8).tobytes()
    assert int(gsd.categorical(da.from_array(x, chunks=7), seed=8).compute()) == int(gs.categorical(x, seed=8))


def test_refused_inputs_raise_when_computed(client):
    x = logits_of((10, 4))
    x[6, 1] = np.nan
    lazy = gsd.sample(da.from_array(x, chunks=3), seed=1)
    with pytest.raises(gs.GumbelSoftmaxError, match="NaN"):
        lazy.compute()
    with pytest.raises(ValueError, match="batch shape"):
        gsd.sample(da.from_array(x, chunks=3), np.ones(4), seed=1)
    with pytest.raises(ValueError, match="output"):
        gsd.sample(x, output="onehot", seed=1)


def test_float64_passes_through():
    """Float64 logits are sampled in float64 (contract 2.1) and equal one numpy call."""
    x = np.random.default_rng(3).normal(size=(40, 7))
    lazy = gsd.sample(da.from_array(x, chunks=(9, 7)), 0.5, seed=5, position=2)
    assert lazy.dtype == np.float64
    assert np.array_equal(lazy.compute(), gs.sample(x, temperature=0.5, seed=5, position=2))
