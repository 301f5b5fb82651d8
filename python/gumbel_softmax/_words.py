"""Which random words a call uses, marshalled for the C ABI in one place.

Not API. Every sampling function takes ``seed``/``key``/``generator``/``stream``/``position``;
:class:`Words` checks them once and makes the call: ``gs_X(..., seed, stream, position, ...)``
for Philox, ``gs_X_jax(..., key0, key1, position, ...)`` for JAX's threefry, and
``gs_X_rows(..., seeds, streams, positions, rows, ...)`` for per-row Philox streams (SPEC section
3: a ``seed``, ``stream`` or ``position`` given as one value per row; the scalars among them are
repeated for every row).
"""

from __future__ import annotations

import operator

import numpy as np

from . import _arguments, _errors
from ._library import function

_UINT64_MAX = (1 << 64) - 1
_UINT32_MAX = (1 << 32) - 1

GENERATORS = ("philox", "jax")

def u64(value, name: str) -> int:
    value = _arguments.integer(value, name)
    if not 0 <= value <= _UINT64_MAX:
        raise ValueError(f"{name} must be in 0...2**64 - 1, got {value}")
    return value


def jax_key(key) -> tuple[int, int]:
    """The two words of a JAX key: ``jax.random.key_data(key)``, a typed key
    (``jax.random.key``), a legacy ``PRNGKey`` array, or any pair of integers in 0...2**32 - 1."""
    module = type(key).__module__ or ""
    if module.startswith("jax") or module.startswith("jaxlib"):
        import jax  # only when given a JAX object

        if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
            key = jax.random.key_data(key)
    words = np.asarray(key)
    if words.shape != (2,) or not (np.issubdtype(words.dtype, np.integer)):
        raise ValueError(
            f"key must be a JAX key or its two uint32 words (jax.random.key_data(key)), got shape "
            f"{words.shape} and dtype {words.dtype}"
        )
    k0, k1 = (int(w) for w in words)
    if not (0 <= k0 <= _UINT32_MAX and 0 <= k1 <= _UINT32_MAX):
        raise ValueError(f"key words must be in 0...2**32 - 1, got [{k0}, {k1}]")
    return k0, k1


def jax_seed_key(seed, enable_x64: bool = False) -> tuple[int, int]:
    """The key of ``jax.random.PRNGKey(seed)`` (JAX's default ``jax_enable_x64=False``, or
    ``enable_x64``), from the library's ``gs_jax_key``: the one computation of it."""
    seed = _arguments.integer(seed, "seed")
    if not -(2**63) <= seed < 2**63:
        raise ValueError(f"a JAX seed must be in -2**63...2**63 - 1 (an int64), got {seed}")
    key = np.zeros(2, dtype=np.uint32)
    _errors.check(function("gs_jax_key")(seed, int(bool(enable_x64)), key.ctypes.data))
    return int(key[0]), int(key[1])


def _per_row(value) -> bool:
    if value is None or isinstance(value, (int, np.integer)):
        return False
    return isinstance(value, (list, tuple)) or np.ndim(value) > 0


def u64_rows(values, name: str) -> np.ndarray:
    """Per-row words as uint64, exactly: an integer numpy array, or (nested) sequences of Python
    or numpy integers of any size (never through float64, which would round ``2**64 - 1``)."""
    if isinstance(values, np.ndarray) and values.dtype != object:
        array = values
        if array.dtype.kind not in "iu":
            raise TypeError(f"{name} must be integers in 0...2**64 - 1 (one per row), got dtype {array.dtype}")
        if array.dtype.kind == "i" and array.size and array.min() < 0:
            flat = int(np.argmax(array.ravel() < 0))
            where = _arguments.index(np.unravel_index(flat, array.shape))
            raise ValueError(f"{name}{where} must be in 0...2**64 - 1, got {array.ravel()[flat]}")
        return array.astype(np.uint64)
    objects = np.array(values, dtype=object)
    out = np.empty(objects.shape, dtype=np.uint64)
    for i, element in enumerate(objects.ravel()):
        where = _arguments.index(np.unravel_index(i, objects.shape))
        try:
            value = _arguments.integer(element, name)
        except TypeError:
            raise TypeError(
                f"{name}{where} must be an integer in 0...2**64 - 1, got {type(element).__name__} {element!r}"
            ) from None
        if not 0 <= value <= _UINT64_MAX:
            raise ValueError(f"{name}{where} must be in 0...2**64 - 1, got {value}")
        out.flat[i] = value
    return out


class Words:
    """The words of one call: checked ``seed``/``key``/``generator``/``stream``/``position``.

    ``per_row`` tells whether any of ``seed``, ``stream`` or ``position`` was given as one value
    per row (an array or sequence rather than an integer); then :meth:`call` takes the batch
    shape and calls ``gs_<name>_rows``. ``per_row_refusal``, when given, is the message of the
    ``ValueError`` that refuses per-row values (for a function where they have no meaning).
    """

    def __init__(self, *, seed, key, generator, stream, position, per_row_refusal: str | None = None):
        if generator is None:
            generator = "jax" if key is not None else "philox"
        if generator not in GENERATORS:
            raise ValueError(f"generator must be 'philox' or 'jax', got {generator!r}")
        given = {"seed": seed, "stream": stream, "position": position}
        arrays = [name for name, value in given.items() if _per_row(value)]
        self.per_row = bool(arrays)
        self.generator = generator
        if self.per_row:
            named = ", ".join(f"{name}=" for name in arrays)
            if per_row_refusal is not None:
                raise ValueError(f"{per_row_refusal} (got one value per row for {named})")
            if generator != "philox":
                raise ValueError(
                    f"per-row streams ({named} one value per row) are Philox streams: the JAX generator "
                    "draws one key's stream for the whole call; use generator='philox' with per-row seeds, "
                    "or call once per row with its own key"
                )
            if key is not None:
                raise ValueError("key= is a JAX key: use it with generator='jax' (or leave generator unset)")
            if seed is None:
                raise TypeError("seed is required (an integer, or one per row, in 0...2**64 - 1)")
            self.columns = {
                name: u64_rows(value, name) if name in arrays else u64(value, name) for name, value in given.items()
            }
            return
        self.position = u64(position, "position")
        if generator == "philox":
            if key is not None:
                raise ValueError("key= is a JAX key: use it with generator='jax' (or leave generator unset)")
            if seed is None:
                raise TypeError("seed is required (an integer in 0...2**64 - 1), or give a JAX key=")
            self.words = (u64(seed, "seed"), u64(stream, "stream"), self.position)
        else:
            if operator.index(stream) != 0:
                raise ValueError(
                    f"stream is a Philox argument; the JAX stream is named by its key alone, got stream={stream}"
                )
            if (seed is None) == (key is None):
                raise TypeError("with generator='jax' give exactly one of key= (a JAX key) or seed= (PRNGKey(seed))")
            k0, k1 = jax_key(key) if key is not None else jax_seed_key(seed)
            self.words = (k0, k1, self.position)

    def _rows(self, batch_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(seeds, streams, positions)``: C-contiguous uint64, one per row of the batch in C order.

        A per-row value has the batch shape, or is a flat sequence of one value per row; an
        integer is repeated for every row."""
        rows = int(np.prod(batch_shape, dtype=np.int64))
        columns = []
        for name, value in self.columns.items():
            if isinstance(value, int):
                columns.append(np.full(rows, value, dtype=np.uint64))
                continue
            if value.shape != batch_shape and value.shape != (rows,):
                raise ValueError(
                    f"{name} must have one value per row: the batch shape {batch_shape} (or {rows} values "
                    f"in C order), got shape {value.shape}"
                )
            columns.append(np.ascontiguousarray(value.reshape(rows), dtype=np.uint64))
        return columns[0], columns[1], columns[2]

    def call(
        self,
        name: str,
        before: tuple,
        after: tuple,
        batch_shape: tuple[int, ...] | None = None,
        float64: bool = False,
    ) -> int:
        """Calls ``gs_<name>`` (Philox), ``gs_<name>_jax``, or with per-row streams
        ``gs_<name>_rows`` (``batch_shape`` then required), with the words between ``before`` and
        ``after``, and with ``float64`` the ``_f64`` form; returns the status."""
        precision = "_f64" if float64 else ""
        if self.per_row:
            if batch_shape is None:
                raise TypeError(f"gs_{name}_rows needs the batch shape")  # a programming error
            seeds, streams, positions = self._rows(batch_shape)
            words = (seeds.ctypes.data, streams.ctypes.data, positions.ctypes.data, seeds.size)
            return function(f"gs_{name}_rows{precision}")(*before, *words, *after)
        suffix = "" if self.generator == "philox" else "_jax"
        return function(f"gs_{name}{suffix}{precision}")(*before, *self.words, *after)
