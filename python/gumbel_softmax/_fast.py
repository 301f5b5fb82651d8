"""The common case of :func:`gumbel_softmax.sample`, without the general argument handling.

Not API. A call that sends a C-contiguous float32 ndarray with the categories last, one Python
float temperature, integer Philox ``seed``/``stream``/``position``, an integer (or None) thread
count and no ``out`` (or a float32 C-contiguous writeable ``out`` of the logits' shape) goes
straight to ``gs_sample``: a few microseconds instead of the general path's conversions, per-row
checks and word packing (issue 26). Every other call, and every value that the general path
would refuse before the library, returns None here and takes the general path, which raises its
own error; the library's refusals come from the same ``gs_sample`` call the general path makes,
so every refusal keeps its message and status, and every result its bits.
"""

from __future__ import annotations

import numpy as np

from . import _library
from ._errors import check

FLOAT32 = np.dtype(np.float32)
OUTPUTS = {"soft": 0, "log": 1, "hard": 2}
_UINT64_MAX = 2**64 - 1
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
# A float is finite and > 0 in float32 exactly when it lies strictly between these: at or below
# 2**-150 it rounds to 0, at or above 2**128 - 2**103 (halfway to 2**128) to infinity. NaN lies
# between nothing.
_TEMPERATURE_ABOVE = 2.0**-150
_TEMPERATURE_BELOW = 2.0**128 - 2.0**103


def words_fit(temperature, seed, stream, position) -> bool:
    """Whether a float temperature and integer Philox words are ones the general path passes to
    the library unchanged (so a call with them may skip it)."""
    return (
        type(temperature) is float
        and _TEMPERATURE_ABOVE < temperature < _TEMPERATURE_BELOW
        and type(seed) is int
        and type(stream) is int
        and type(position) is int
        and 0 <= seed <= _UINT64_MAX
        and 0 <= stream <= _UINT64_MAX
        and 0 <= position <= _UINT64_MAX
    )


def call(source: int, count: int, columns: int, temperature: float, code: int, seed: int, stream: int,
         position: int, threads: int, target: int) -> None:
    """``gs_sample`` on ``count`` floats at address ``source`` (rows of ``columns``) into
    ``target``, raising the library's refusal as the general path does."""
    status = _library.load().gs_sample(
        source, count, count // columns, columns, temperature, code, seed, stream, position, threads, target, count
    )
    if status:
        check(status)


def sample(logits, temperature, output, hard, axis, seed, key, generator, stream, position, threads, out):
    """The sample of a common-case call, or None for the general path (see the module)."""
    if (
        type(logits) is not np.ndarray
        or logits.dtype is not FLOAT32
        or not logits.flags.c_contiguous
        or not words_fit(temperature, seed, stream, position)
        or key is not None
        or (generator is not None and generator != "philox")
        or type(output) is not str
    ):
        return None
    code = OUTPUTS.get(output)
    if hard is True:
        if code == 1:
            return None
        code = 2
    elif hard is not False:
        return None
    if code is None:
        return None
    if threads is None:
        threads = 0
    elif type(threads) is not int or not _INT32_MIN <= threads <= _INT32_MAX:
        return None
    shape = logits.shape
    count = logits.size
    if not shape or count == 0 or type(axis) is not int or (axis != -1 and axis != len(shape) - 1):
        return None
    if out is None:
        result = np.empty(shape, FLOAT32)
    elif (
        type(out) is np.ndarray
        and out.dtype is FLOAT32
        and out.shape == shape
        and out.flags.c_contiguous
        and out.flags.writeable
    ):
        result = out
    else:
        return None
    call(logits.ctypes.data, count, shape[-1], temperature, code, seed, stream, position, threads, result.ctypes.data)
    return result
