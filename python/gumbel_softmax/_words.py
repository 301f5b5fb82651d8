"""Which random words a call uses, marshalled for the C ABI in one place.

Not API. Every sampling function takes ``seed``/``key``/``generator``/``stream``/``position``;
:class:`Words` checks them once and makes the call: ``gs_X(..., seed, stream, position, ...)``
for Philox, ``gs_X_jax(..., key0, key1, position, ...)`` for JAX's threefry. Per-row streams
(SPEC section 3: a ``seed``, ``stream`` or ``position`` given as one value per row) are
recognised here too, so that they can be routed to the per-row exports (``gs_X_rows``) in this
one place once the library has them.
"""

from __future__ import annotations

import ctypes
import operator

import numpy as np

from . import _library

_UINT64_MAX = (1 << 64) - 1
_UINT32_MAX = (1 << 32) - 1

GENERATORS = ("philox", "jax")

_f32 = ctypes.c_float
_i32 = ctypes.c_int32
_i64 = ctypes.c_int64
_u32 = ctypes.c_uint32
_u64 = ctypes.c_uint64
_ptr = ctypes.c_void_p

# The exports of include/gumbel_softmax.h that _library.py's table does not list yet (the JAX
# forms and the density), exactly as declared there; applied on first use.
PROTOTYPES = {
    "gs_jax_key": (_i32, [_i64, _i32, _ptr]),
    "gs_sample_jax": (_i32, [_ptr, _i64, _i64, _i64, _f32, _i32, _u32, _u32, _u64, _i32, _ptr, _i64]),
    "gs_sample_per_row_jax": (
        _i32,
        [_ptr, _i64, _i64, _i64, _ptr, _i64, _i32, _u32, _u32, _u64, _i32, _ptr, _i64],
    ),
    "gs_categorical_jax": (_i32, [_ptr, _i64, _i64, _i64, _u32, _u32, _u64, _i32, _ptr, _i64]),
    "gs_top_k_jax": (_i32, [_ptr, _i64, _i64, _i64, _i64, _u32, _u32, _u64, _i32, _ptr, _i64]),
    "gs_gumbel_noise_jax": (_i32, [_u32, _u32, _u64, _i32, _ptr, _i64]),
    "gs_log_density": (
        _i32,
        [_ptr, _i64, _i64, _i64, _ptr, _i64, _ptr, _i64, _i32, _i32, _ptr, _i64],
    ),
}


def function(name: str):
    """The library's function ``name`` with its prototype set."""
    library = _library.load()
    function = getattr(library, name)
    if name in PROTOTYPES and function.argtypes is None:
        function.restype, function.argtypes = PROTOTYPES[name]
    return function


def u64(value, name: str) -> int:
    value = operator.index(value)
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


def jax_seed_key(seed) -> tuple[int, int]:
    """The key of ``jax.random.PRNGKey(seed)`` under JAX's default ``jax_enable_x64=False``."""
    seed = operator.index(seed)
    if not -(2**63) <= seed < 2**63:
        raise ValueError(f"a JAX seed must be in -2**63...2**63 - 1 (an int64), got {seed}")
    return 0, seed & _UINT32_MAX


def _per_row(value) -> bool:
    return not isinstance(value, (int, np.integer)) and np.ndim(value) > 0


class Words:
    """The words of one call: checked ``seed``/``key``/``generator``/``stream``/``position``."""

    def __init__(self, *, seed, key, generator, stream, position):
        if generator is None:
            generator = "jax" if key is not None else "philox"
        if generator not in GENERATORS:
            raise ValueError(f"generator must be 'philox' or 'jax', got {generator!r}")
        if any(_per_row(v) for v in (seed, stream, position)):
            # SPEC section 3's per-row streams: routed here to gs_X_rows once the library
            # exports them; until then they are refused rather than misread.
            raise TypeError(
                "seed, stream and position must be integers: per-row streams (one per row) are not "
                "available in this version of the library"
            )
        self.generator = generator
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

    def call(self, name: str, before: tuple, after: tuple) -> int:
        """Calls ``gs_<name>`` (Philox) or ``gs_<name>_jax`` with the words between ``before`` and
        ``after``; returns the status."""
        suffix = "" if self.generator == "philox" else "_jax"
        return function(f"gs_{name}{suffix}")(*before, *self.words, *after)
