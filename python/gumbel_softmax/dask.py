"""Dask adapter: :func:`sample` and :func:`categorical` on ``dask.array`` logits, lazily, one
library call per block.

    import dask.array as da
    import gumbel_softmax.dask as gsd

    x = da.random.default_rng(0).normal(size=(10_000, 1_000), chunks=(1_000, 1_000)).astype("float32")
    y = gsd.sample(x, 0.5, seed=42)          # a dask.array; y.compute() == gs.sample(x.compute(), ...)

Logits are ``[..., K]`` with the categories on the last axis. Blocks are whole rows: the array is
rechunked so that only the first axis is split (every other axis in one chunk). Each block is
sampled by ``gumbel_softmax.sample`` at its own position: a block starting at row ``r0`` of the
first axis uses ``position + r0 * (elements per row of the first axis)``, so element ``(b, k)`` of
the flattened ``[B, K]`` batch uses word ``position + b*K + k`` whatever the chunking, and the
result is bit-identical to one ``gumbel_softmax.sample`` call on the whole array.

Each block is computed with ``threads`` library threads (default 1, as Dask already runs blocks in
parallel); the thread count never changes a bit.
"""

from __future__ import annotations

import math
import operator
from functools import partial

import dask.array as da
import numpy as np

from . import categorical as _categorical
from . import sample as _sample

__all__ = ["categorical", "sample"]

_UINT64 = 1 << 64


def _u64(value, name: str) -> int:
    value = operator.index(value)
    if not 0 <= value < _UINT64:
        raise ValueError(f"{name} must be in 0...2**64 - 1, got {value}")
    return value


def _rows_chunked(x) -> da.Array:
    x = da.asarray(x)
    if x.ndim == 0:
        raise ValueError("logits must have at least one dimension (the categories), got a scalar")
    if x.ndim == 1:
        return x.rechunk(-1)
    return x.rechunk({axis: -1 for axis in range(1, x.ndim)})


def _block_position(block_info, x_shape, position: int) -> int:
    row0 = block_info[0]["array-location"][0][0]
    per_row = math.prod(x_shape[1:])
    return (position + row0 * per_row) % _UINT64


def _sample_block(block, *temperature, output, scalar, seed, stream, position, threads, shape, block_info=None):
    block_position = 0 if block_info is None else _block_position(block_info, shape, position)
    t = scalar if not temperature else temperature[0].reshape(block.shape[:-1])
    return _sample(block, temperature=t, output=output, seed=seed, stream=stream, position=block_position,
                   threads=threads)


def _categorical_block(block, *, seed, stream, position, threads, shape, block_info=None):
    block_position = 0 if block_info is None else _block_position(block_info, shape, position)
    return _categorical(block, seed=seed, stream=stream, position=block_position, threads=threads)


def sample(
    x,
    tau=1.0,
    *,
    output: str = "soft",
    seed: int,
    stream: int = 0,
    position: int = 0,
    threads: int = 1,
) -> da.Array:
    """Gumbel-Softmax samples of a ``[..., K]`` dask (or numpy) array, as a dask.array: float64
    for float64 ``x`` (computed in float64 end to end, contract 2.1), else float32.

    Args:
        x: Logits, categories on the last axis.
        tau: The temperature: a number, or one per row (an array, numpy or dask, of shape
            ``x.shape[:-1]``).
        output, seed, stream, position, threads: as for ``gumbel_softmax.sample``.

    Returns:
        A lazy array of ``x``'s shape, chunked along the first axis. Errors the library
        raises (``GumbelSoftmaxError``) surface when it is computed.
    """
    if output not in ("soft", "log", "hard"):
        raise ValueError(f"output must be 'soft', 'log' or 'hard', got {output!r}")
    x = _rows_chunked(x)
    seed, stream, position = _u64(seed, "seed"), _u64(stream, "stream"), _u64(position, "position")
    keywords = dict(output=output, seed=seed, stream=stream, position=position, threads=threads, shape=x.shape)
    dtype = np.float64 if x.dtype == np.float64 else np.float32
    meta = np.empty((0,) * x.ndim, dtype)
    if np.ndim(tau) == 0 and not isinstance(tau, da.Array):
        function = partial(_sample_block, scalar=float(dtype(tau)), **keywords)
        return da.map_blocks(function, x, dtype=dtype, meta=meta)
    temperatures = da.asarray(tau)
    if temperatures.shape != x.shape[:-1]:
        raise ValueError(f"per-row temperatures must have the batch shape {x.shape[:-1]}, got {temperatures.shape}")
    # One temperature per row, given a trailing axis of length 1 so that its blocks line up with
    # the logits' row blocks (map_blocks aligns arrays by their trailing axes).
    temperatures = temperatures[..., None].rechunk(x.chunks[:-1] + ((1,),))
    function = partial(_sample_block, scalar=None, **keywords)
    return da.map_blocks(function, x, temperatures, dtype=dtype, meta=meta)


def categorical(x, *, seed: int, stream: int = 0, position: int = 0, threads: int = 1) -> da.Array:
    """Gumbel-max categorical samples of a ``[..., K]`` dask (or numpy) array: an int64
    dask.array of shape ``x.shape[:-1]``, equal to one ``gumbel_softmax.categorical`` call on the
    whole array (and to the argmax of :func:`sample`'s ``output="hard"``)."""
    x = _rows_chunked(x)
    seed, stream, position = _u64(seed, "seed"), _u64(stream, "stream"), _u64(position, "position")
    function = partial(_categorical_block, seed=seed, stream=stream, position=position, threads=threads, shape=x.shape)
    return da.map_blocks(
        function, x, drop_axis=x.ndim - 1, dtype=np.int64, meta=np.empty((0,) * (x.ndim - 1), np.int64)
    )
