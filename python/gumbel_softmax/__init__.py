"""Gumbel-Softmax sampling for numpy, through the C ABI of libgumbelsoftmax.so (ctypes).

Gumbel-Softmax (Concrete) samples (Jang et al. 2017; Maddison et al. 2017), Gumbel-max
categorical and Gumbel-top-k (Kool et al. 2019) samples, their gradient, and raw Gumbel noise,
with the noise from the counter-based generator Philox4x32-10 (Salmon et al. 2011). Every result
is a pure function of ``(seed, stream, position, inputs, temperature)``: element ``(b, k)`` of a
``[B, K]`` batch uses word ``position + b*K + k`` of the stream ``(seed, stream)``, so rows
``[a, c)`` sampled alone at ``position + a*K`` equal those rows of the whole batch, and
``threads`` never changes a bit.

Arrays
    Logits are ``[..., K]``: the last axis holds the categories, the others are batch axes
    (a 1-D array is one row). Results are C-contiguous ``float32`` (indices ``int64``) of the
    matching shape.

Conversion rule
    ``float32`` input is used as it is (copied only if not C-contiguous). Any other real input
    (``float64``, ``float16``, integers, booleans, lists) is rounded to the nearest ``float32``,
    as ``numpy.asarray(x, dtype=numpy.float32)`` does; a finite value that does not fit in
    ``float32`` (``abs(x) > 3.4028235e38``) is refused with ``ValueError`` rather than turned into
    an infinity, since ``-inf`` would silently mask a category. Temperatures are rounded to
    ``float32`` the same way. Complex input raises ``TypeError``.

Errors
    Every input the library refuses (SPEC.md section 4) raises :class:`GumbelSoftmaxError`, a
    ``ValueError`` carrying the library's message and its ``gs_status`` code.

The shared library is found through the environment variable ``GUMBEL_SOFTMAX_LIB`` (the ``.so``
or its directory), else in the repository's ``.build/release`` (``swift build -c release
--product gumbelsoftmax``), else on the system's library path.
"""

from __future__ import annotations

import enum
import operator
from typing import NamedTuple

import numpy as np

from . import _library
from ._version import __version__, version_info  # noqa: F401  (loads the library, checks the CPU)

__all__ = [
    "GumbelSoftmaxError",
    "Gradient",
    "Status",
    "categorical",
    "gradient",
    "gumbel_noise",
    "library_version",
    "sample",
    "top_k",
]

_OUTPUTS = {"soft": 0, "log": 1, "hard": 2}
_UINT64_MAX = (1 << 64) - 1
_FLOAT32_MAX = float(np.finfo(np.float32).max)


class Status(enum.IntEnum):
    """``gs_status`` of include/gumbel_softmax.h."""

    OK = 0
    INVALID_TEMPERATURE = 1
    NAN_LOGIT = 2
    INFINITE_LOGIT = 3
    ALL_MASKED_ROW = 4
    NO_CATEGORIES = 5
    INVALID_SHAPE = 6
    SIZE_MISMATCH = 7
    INVALID_TOP_K = 8
    INVALID_THREAD_COUNT = 9
    NULL_POINTER = 10
    INVALID_ARGUMENT = 11
    INSUFFICIENT_CATEGORIES = 12
    INVALID_POINT = 13


class GumbelSoftmaxError(ValueError):
    """An input the library refused: ``str(error)`` is its message, ``status`` its code."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        try:
            self.status = Status(status)
        except ValueError:
            self.status = status
        self.message = message


class Gradient(NamedTuple):
    """The result of :func:`gradient`."""

    #: ``dL/dlogits``, shaped like the sample.
    logits: np.ndarray
    #: ``dL/dtemperature`` of each row, shaped like the batch axes; with one shared temperature
    #: its gradient is ``temperature.sum()``.
    temperature: np.ndarray


def library_version() -> str:
    """The version of the loaded libgumbelsoftmax.so (``gs_version()``)."""
    return _library.load().gs_version().decode()


# MARK: Argument handling


def _check(status: int) -> None:
    if status != 0:
        message = _library.load().gs_last_error_message().decode("utf-8", "replace")
        raise GumbelSoftmaxError(status, message)


def _float32(values, name: str) -> np.ndarray:
    """``values`` as a C-contiguous float32 array, by the module's conversion rule."""
    array = np.asarray(values)
    if array.dtype == np.float32:
        return np.asarray(array, order="C")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must be real, got dtype {array.dtype}")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must be a real numeric array, got dtype {array.dtype}")
    wide = array.astype(np.float64, copy=False)
    too_large = np.isfinite(wide) & (np.abs(wide) > _FLOAT32_MAX)
    if too_large.any():
        where = np.unravel_index(int(np.argmax(too_large)), wide.shape)
        raise ValueError(
            f"{name}{list(where)} = {wide[where]!r} does not fit in float32 (largest {_FLOAT32_MAX:g})"
        )
    return np.asarray(wide, dtype=np.float32, order="C")


def _temperature(value, rows_shape: tuple[int, ...]):
    """A float32 scalar, or a C-contiguous float32 array of one temperature per row."""
    array = np.asarray(value)
    if array.ndim == 0:
        return float(_float32(array, "temperature")), None  # exactly the float32 value
    if array.shape != rows_shape:
        raise ValueError(
            f"per-row temperatures must have the batch shape {rows_shape}, got {array.shape}"
        )
    return None, _float32(array, "temperatures")


def _u64(value, name: str) -> int:
    value = operator.index(value)
    if not 0 <= value <= _UINT64_MAX:
        raise ValueError(f"{name} must be in 0...2**64 - 1, got {value}")
    return value


def _threads(value) -> int:
    if value is None:
        return 0
    value = operator.index(value)
    if not -(2**31) <= value < 2**31:
        raise ValueError(f"threads must fit in int32, got {value}")
    return value


def _logits(values, name: str = "logits") -> tuple[np.ndarray, int, int]:
    array = _float32(values, name)
    if array.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (the categories), got a scalar")
    columns = array.shape[-1]
    rows = int(np.prod(array.shape[:-1], dtype=np.int64))
    return array, rows, columns


def _output(out, shape: tuple[int, ...], dtype, name: str = "out") -> np.ndarray:
    """``out`` checked for dtype, layout and shape (a wrong size is left to the library)."""
    if out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype).name}, got {out.dtype}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError(f"{name} must be C-contiguous and writeable")
    if out.size == int(np.prod(shape, dtype=np.int64)) and out.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {out.shape}")
    return out


def _pointer(array: np.ndarray | None):
    return None if array is None else array.ctypes.data


# MARK: Sampling


def sample(
    logits,
    *,
    temperature=1.0,
    output: str = "soft",
    seed: int,
    stream: int = 0,
    position: int = 0,
    threads: int | None = 0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Samples a batch of Gumbel-Softmax vectors.

    Per row, ``z = (logits + g) / temperature`` with Gumbel noise ``g``; ``output="soft"`` gives
    ``softmax(z)``, ``"log"`` gives ``log_softmax(z)`` and ``"hard"`` the one-hot of
    ``argmax(z)`` (ties to the lowest index). ``-inf`` logits mask a category (0, or ``-inf`` in
    log space).

    Args:
        logits: ``[..., K]`` logits (see the conversion rule).
        temperature: A scalar, or one per row (shape ``logits.shape[:-1]``); finite and > 0.
        output: ``"soft"``, ``"log"`` or ``"hard"``.
        seed, stream: The Philox stream, each in ``0...2**64 - 1``.
        position: The first word of the stream to use.
        threads: Worker threads; 0 or None means all cores. Never changes the result.
        out: A float32 C-contiguous array of ``logits``' shape to write into.

    Returns:
        float32 array of ``logits``' shape (``out`` when given).

    Raises:
        GumbelSoftmaxError: for the inputs the library refuses.
    """
    if output not in _OUTPUTS:
        raise ValueError(f"output must be 'soft', 'log' or 'hard', got {output!r}")
    x, rows, columns = _logits(logits)
    scalar, per_row = _temperature(temperature, x.shape[:-1])
    result = _output(out, x.shape, np.float32)
    library = _library.load()
    if per_row is None:
        status = library.gs_sample(
            _pointer(x), x.size, rows, columns, scalar, _OUTPUTS[output], _u64(seed, "seed"),
            _u64(stream, "stream"), _u64(position, "position"), _threads(threads), _pointer(result),
            result.size,
        )
    else:
        status = library.gs_sample_per_row(
            _pointer(x), x.size, rows, columns, _pointer(per_row), per_row.size, _OUTPUTS[output],
            _u64(seed, "seed"), _u64(stream, "stream"), _u64(position, "position"), _threads(threads),
            _pointer(result), result.size,
        )
    _check(status)
    return result


def categorical(
    logits,
    *,
    seed: int,
    stream: int = 0,
    position: int = 0,
    threads: int | None = 0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Draws one category per row by the Gumbel-max trick: ``argmax(logits + g)``.

    Uses the same words as :func:`sample`, so it equals the argmax of ``sample(...,
    output="hard")`` at any temperature.

    Returns:
        int64 array of shape ``logits.shape[:-1]`` (0-d for 1-D logits).
    """
    x, rows, columns = _logits(logits)
    result = _output(out, x.shape[:-1], np.int64)
    status = _library.load().gs_categorical(
        _pointer(x), x.size, rows, columns, _u64(seed, "seed"), _u64(stream, "stream"),
        _u64(position, "position"), _threads(threads), _pointer(result), result.size,
    )
    _check(status)
    return result


def top_k(
    logits,
    k: int,
    *,
    seed: int,
    stream: int = 0,
    position: int = 0,
    threads: int | None = 0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Draws ``k`` distinct categories per row without replacement (Gumbel-top-k).

    The indices of the ``k`` largest ``logits + g``, in descending order, ties to the lowest
    index; the first equals :func:`categorical`'s.

    Returns:
        int64 array of shape ``logits.shape[:-1] + (k,)``.

    Raises:
        GumbelSoftmaxError: also for ``k`` outside ``1...K`` or a row with fewer than ``k``
            unmasked logits.
    """
    x, rows, columns = _logits(logits)
    k = operator.index(k)
    if not 1 <= k <= columns:
        # Allocate nothing for an impossible k: the library refuses it with its own message.
        k = max(min(k, 2**63 - 1), -(2**63))
        result = np.empty(x.shape[:-1] + (0,), dtype=np.int64)
    else:
        result = _output(out, x.shape[:-1] + (k,), np.int64)
    status = _library.load().gs_top_k(
        _pointer(x), x.size, rows, columns, k, _u64(seed, "seed"), _u64(stream, "stream"),
        _u64(position, "position"), _threads(threads), _pointer(result), result.size,
    )
    _check(status)
    return result


def gradient(
    output,
    upstream,
    *,
    temperature,
    kind: str = "soft",
    threads: int | None = 0,
    out: np.ndarray | None = None,
) -> Gradient:
    """The vector-Jacobian product of a sample with the noise held fixed (reparameterisation).

    Args:
        output: The sample: ``softmax(z)`` for ``kind="soft"`` and ``"hard"`` (straight-through:
            pass the *soft* sample), ``log_softmax(z)`` for ``kind="log"``.
        upstream: ``dL/doutput``, the same shape.
        temperature: The temperature of the sample: a scalar or one per row.
        kind: ``"soft"``, ``"log"`` or ``"hard"``.
        out: A float32 array for ``dL/dlogits``.

    Returns:
        ``Gradient(logits=dL/dlogits, temperature=per-row dL/dtemperature)``.
    """
    if kind not in _OUTPUTS:
        raise ValueError(f"kind must be 'soft', 'log' or 'hard', got {kind!r}")
    y, rows, columns = _logits(output, "output")
    v = _float32(upstream, "upstream")
    if v.shape != y.shape:
        raise ValueError(f"upstream must have the shape of output {y.shape}, got {v.shape}")
    scalar, per_row = _temperature(temperature, y.shape[:-1])
    logits_gradient = _output(out, y.shape, np.float32)
    temperature_gradient = np.empty(y.shape[:-1], dtype=np.float32)
    library = _library.load()
    if per_row is None:
        status = library.gs_gradient(
            _pointer(y), y.size, _pointer(v), v.size, rows, columns, scalar, _OUTPUTS[kind],
            _threads(threads), _pointer(logits_gradient), logits_gradient.size,
            _pointer(temperature_gradient), temperature_gradient.size,
        )
    else:
        status = library.gs_gradient_per_row(
            _pointer(y), y.size, _pointer(v), v.size, rows, columns, _pointer(per_row), per_row.size,
            _OUTPUTS[kind], _threads(threads), _pointer(logits_gradient), logits_gradient.size,
            _pointer(temperature_gradient), temperature_gradient.size,
        )
    _check(status)
    return Gradient(logits_gradient, temperature_gradient)


def gumbel_noise(
    shape,
    *,
    seed: int,
    stream: int = 0,
    position: int = 0,
    threads: int | None = 0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Gumbel(0, 1) noise: element ``i`` (in C order) is ``-log(-log(u))`` of word
    ``position + i``.

    Args:
        shape: An int or a tuple of ints; ignored when ``out`` is given.
        out: A float32 C-contiguous array to fill.

    Returns:
        float32 array of ``shape``.
    """
    if out is None:
        shape = (operator.index(shape),) if np.ndim(shape) == 0 else tuple(operator.index(n) for n in shape)
        if any(n < 0 for n in shape):
            raise ValueError(f"shape must not have negative dimensions, got {shape}")
        result = np.empty(shape, dtype=np.float32)
    else:
        result = _output(out, out.shape, np.float32)
    status = _library.load().gs_gumbel_noise(
        _u64(seed, "seed"), _u64(stream, "stream"), _u64(position, "position"), _threads(threads),
        _pointer(result), result.size,
    )
    _check(status)
    return result
