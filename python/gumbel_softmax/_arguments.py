"""Conversion and refusal rules for the arguments of the numpy API, in one place.

Not API: the rules are documented in ``gumbel_softmax``'s module docstring.
"""

from __future__ import annotations

import numbers
import operator
from decimal import Decimal

import numpy as np

FLOAT32_MAX = float(np.finfo(np.float32).max)

# The dtype kinds of real numbers: signed and unsigned integers and floats. Booleans ("b"),
# complex ("c"), timedelta64 ("m"), datetime64 ("M") and the rest are not numbers here, as the
# module's conversion rule says (a bool is refused however it is spelled: True, np.True_, an array).
_REAL_KINDS = "iuf"


def integer(value, name: str) -> int:
    """``value`` as a Python int: a Python or NumPy integer, never a boolean (``True`` and
    ``np.True_`` alike raise ``TypeError``)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got the boolean {bool(value)}")
    return operator.index(value)


def _require_real(dtype: np.dtype, name: str) -> None:
    if dtype.kind not in _REAL_KINDS:
        raise TypeError(f"{name} must be real numbers (integers or floats), got dtype {dtype}")


def plain(value) -> str:
    """A number as a user wrote it: ``1e+39``, ``-1e+400``, ``0.0``, ``7``; never a NumPy repr
    such as ``np.float64(1e+39)``."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        value = int(value)
        if abs(value) < 10**21:
            return str(value)
        mantissa, exponent = f"{Decimal(value):.5e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"
    if isinstance(value, (np.floating, float)):
        return str(value)  # numpy 2 prints scalars plainly with str()
    return str(value)


def index(where) -> str:
    return "[" + ", ".join(str(int(i)) for i in where) + "]"


class _Refusal(Exception):
    """An element that does not fit: its flat index and value."""

    def __init__(self, flat: int, value):
        self.flat = flat
        self.value = value


def _object_to_longdouble(array: np.ndarray, name: str) -> np.ndarray:
    """An object array (Python ints beyond int64, mixed numbers) as longdouble, exactly where
    longdouble can hold the value; an int beyond even that is refused here."""
    flat = array.ravel()
    out = np.empty(flat.shape, dtype=np.longdouble)
    for i, element in enumerate(flat):
        if isinstance(element, (complex, np.complexfloating)):
            raise TypeError(f"{name} must be real, got a complex value {element}")
        if isinstance(element, (bool, np.bool_)) or not isinstance(element, numbers.Real):
            raise TypeError(f"{name} must be real numbers, got {type(element).__name__}")
        with np.errstate(over="ignore"):
            try:
                out[i] = np.longdouble(element)
            except OverflowError:
                raise _Refusal(i, element) from None
        if isinstance(element, numbers.Integral) and not np.isfinite(out[i]):
            raise _Refusal(i, element)
    return out.reshape(array.shape)


def float32(values, name: str) -> np.ndarray:
    """``values`` as a C-contiguous float32 array, by the module's conversion rule.

    Each value is rounded once, from its own type, to the nearest float32 (ties to even). A
    finite value whose float32 is infinite (``abs(x) >= 2**128 - 2**103``, e.g. a longdouble
    -1e400 or a float64 1e39) is refused with ``ValueError``: ``-inf`` would silently mask a
    category. A value that rounds to the largest float32 (e.g. float64 3.4028235e38) is
    accepted. NaN and infinities pass through (the library decides about them).
    """
    original = np.asarray(values)
    if original.dtype == np.float32:
        return np.asarray(original, order="C")
    if np.iscomplexobj(original):
        raise TypeError(f"{name} must be real, got dtype {original.dtype}")
    array = original
    try:
        if array.dtype == object:
            array = _object_to_longdouble(array, name)
        _require_real(array.dtype, name)
        with np.errstate(over="ignore", invalid="ignore"):
            converted = np.asarray(array, dtype=np.float32, order="C")
        if array.dtype.kind == "f" and array.dtype.itemsize > 4:
            overflow = np.isfinite(array) & ~np.isfinite(converted)
            if overflow.any():
                flat = int(np.argmax(overflow.ravel()))
                raise _Refusal(flat, array.ravel()[flat])
    except _Refusal as refusal:
        where = index(np.unravel_index(refusal.flat, original.shape)) if original.ndim else ""
        shown = original.ravel()[refusal.flat] if original.dtype == object else refusal.value
        raise ValueError(
            f"{name}{where} = {plain(shown)} does not fit in float32 (largest {FLOAT32_MAX:.8g})"
        ) from None
    return converted


def is_float64(values) -> bool:
    """Whether ``values`` is a float64 NumPy array or scalar: those are computed in float64
    (contract 2.1); everything else goes through :func:`float32`."""
    return isinstance(values, (np.ndarray, np.float64)) and values.dtype == np.float64


def floating(values, name: str, float64: bool) -> np.ndarray:
    """``values`` as a C-contiguous float64 array when ``float64`` (float32 input widened exactly,
    other dtypes converted by NumPy), else by :func:`float32`'s rule."""
    if not float64:
        return float32(values, name)
    array = np.asarray(values)
    if np.iscomplexobj(array) or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must be a real numeric array, got dtype {array.dtype}")
    return np.asarray(array, dtype=np.float64, order="C")


def _exact(given: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The values as longdouble (exact for every real NumPy dtype and for Python numbers that
    longdouble holds), and a mask of the finite values it cannot hold (Python ints beyond it)."""
    if np.iscomplexobj(given):
        raise TypeError(f"{name} must be real, got dtype {given.dtype}")
    flat = given.ravel()
    huge = np.zeros(flat.shape, dtype=bool)
    if given.dtype != object:
        _require_real(given.dtype, name)
        return flat.astype(np.longdouble), huge
    exact = np.empty(flat.shape, dtype=np.longdouble)
    for i, element in enumerate(flat):
        try:
            exact[i] = _object_to_longdouble(np.asarray([element], dtype=object), name)[0]
        except _Refusal:
            exact[i], huge[i] = np.inf, True
    return exact, huge


def temperatures(value, rows_shape: tuple[int, ...], status_error, dtype=np.float32):
    """``(scalar, None)`` or ``(None, per_row)``: a float32 (or, with ``dtype=np.float64``,
    float64) temperature, or a C-contiguous array of that dtype of one per row (shape
    ``rows_shape``).

    A temperature must be finite and > 0 both as given and in float32: ``1e-46`` (0 in float32)
    and ``3.5e38`` or ``10**400`` (beyond float32) are refused with the value as given, not the
    rounded one. ``status_error(message)`` makes the error (INVALID_TEMPERATURE).
    """
    given = np.asarray(value)
    if given.ndim and given.shape != rows_shape:
        raise ValueError(f"per-row temperatures must have the batch shape {rows_shape}, got {given.shape}")
    exact, huge = _exact(given, "temperature" if given.ndim == 0 else "temperatures")
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        rounded = exact.astype(dtype)
        valid = np.isfinite(exact) & (exact > 0) & ~huge
        bad = ~valid | ~(np.isfinite(rounded) & (rounded > 0))
    if bad.any():
        row = int(np.argmax(bad))
        note = ""
        if valid[row] or huge[row]:
            kind = np.dtype(dtype).name
            largest = float(np.finfo(dtype).max)
            note = f" (0 in {kind})" if rounded[row] == 0 else f" (beyond {kind}'s largest {largest:.8g})"
        shown = plain(given.ravel()[row])
        if given.ndim == 0:
            raise status_error(f"temperature must be finite and > 0, got {shown}{note}")
        raise status_error(f"temperature of row {row} must be finite and > 0, got {shown}{note}")
    if given.ndim == 0:
        return float(rounded[0]), None  # exactly the float32 (or float64) value
    return None, np.ascontiguousarray(rounded.reshape(given.shape))


def threads(value) -> int:
    if value is None:
        return 0
    value = integer(value, "threads")
    if not -(2**31) <= value < 2**31:
        raise ValueError(f"threads must fit in int32, got {value}")
    return value


def output(out, shape: tuple[int, ...], dtype, name: str = "out") -> np.ndarray:
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


def axis(value, ndim: int) -> int:
    """A normalised axis of an ``ndim``-dimensional array (``-1`` is the last)."""
    value = integer(value, "axis")
    if not -ndim <= value < ndim:
        raise ValueError(f"axis {value} is out of bounds for an array of dimension {ndim}")
    return value % ndim


def pointer(array: np.ndarray | None):
    return None if array is None else array.ctypes.data
