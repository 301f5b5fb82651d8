"""JAX adapter: :func:`gumbel_softmax`, usable under ``jax.jit``, ``jax.vmap`` and every JAX
derivative (``grad``, ``jvp``, ``hessian``, ...), with its forward pass computed by
libgumbelsoftmax.so.

    import jax
    from gumbel_softmax.jax import gumbel_softmax

    y = jax.jit(gumbel_softmax)(jax.random.key(0), jax.numpy.zeros(2))   # ~ [0.28715432, 0.7128457]

- Forward: libgumbelsoftmax.so's JAX-threefry sampler (``gs_sample_per_row_jax``) with the key's
  two words (``jax.random.key_data``), so the result is
  ``jax.nn.softmax((logits + jax.random.gumbel(key, logits.shape)) / tau, axis)`` within SPEC
  section 3's tolerance (the library's float32 ``log`` differs from XLA's in the last bits), or
  with ``hard=True`` the one-hot of ``argmax(z)``, ``z = (logits + g) / tau`` (ties to the lowest
  index). It needs the default partitionable threefry2x32 key and ``axis`` followed only by
  size-1 axes (then the library's row-major layout is JAX's noise layout); otherwise, or with
  ``backend="jax"``, XLA computes the forward from ``jax.random.gumbel`` (JAX's layout for any
  ``axis``) and ``jax.nn.softmax``.
- Derivatives: a ``jax.custom_jvp`` whose tangent rule is JAX operations on the sample itself (so
  JAX differentiates it again, and transposes it for reverse mode): those of
  ``softmax((logits + g) / tau)`` with the sample's own noise ``g``, w.r.t. ``logits`` and
  ``tau``; with ``hard=True`` the soft sample's (straight-through).
- The library is called through an XLA FFI custom call when ``libgumbelsoftmax_jax.so``
  (``make jax-ffi``, built from ``ffi/jax_ffi.cc``) is found, through ``GUMBEL_SOFTMAX_JAX_FFI``
  or beside libgumbelsoftmax.so, else through ``jax.pure_callback`` into the numpy API: the
  ``backend`` argument chooses, per call. Under ``jax.vmap`` either gets the whole batch (keys
  and logits) in one call (``vmap_method="broadcast_all"``).
- :func:`categorical` and :func:`top_k` are ``jax.random.categorical(key, logits, axis)`` and
  the indices of ``lax.top_k(logits + jax.random.gumbel(key, logits.shape, logits.dtype), k)``
  drawn by the library (``gs_categorical_jax``, ``gs_top_k_jax``, and their ``_f64`` forms for
  float64 logits, whose noise is JAX's float64 noise under ``jax_enable_x64``), through
  ``jax.pure_callback``; other dtypes, keys and axes use JAX's own expression.
- ``tau``: a number or an array that broadcasts to ``logits`` and is constant along ``axis``.
  Computation is in float32, and in float64 when JAX's expression is float64 (under
  ``jax_enable_x64``, whose noise ``jax.random.gumbel(key, shape)`` is float64 from JAX's own 64-bit
  uniform: ``gs_sample_per_row_jax_f64`` draws that uniform, so the result is JAX's within SPEC
  section 5's tolerance); the result has the dtype of JAX's own expression. Rows the library
  refuses (NaN or +inf logits, only -inf, tau not finite or <= 0) come back NaN, as from JAX's
  expression, never as a run-time error (whose Python type JAX makes depend on its dispatch path).
"""

from __future__ import annotations

import ctypes
import math
import operator
import os
import threading
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from . import GumbelSoftmaxError, _library
from . import categorical as _categorical_words
from . import gumbel_noise as _noise_words
from . import sample as _sample_words
from . import top_k as _top_k_words

__all__ = ["BACKENDS", "categorical", "default_backend", "gumbel_softmax", "top_k"]

FFI_LIBRARY_NAME = "libgumbelsoftmax_jax.so"
FFI_ENVIRONMENT_VARIABLE = "GUMBEL_SOFTMAX_JAX_FFI"
_FFI_TARGET = "gumbel_softmax_sample"
_FFI_TARGET_F64 = "gumbel_softmax_sample_f64"
_SOFT, _HARD = 0, 2  # gs_output: GS_OUTPUT_SOFT, GS_OUTPUT_HARD
#: The values of ``gumbel_softmax``'s ``backend`` argument.
BACKENDS = ("auto", "ffi", "callback", "jax")


class _FFI:
    """libgumbelsoftmax_jax.so, loaded and its handler registered on first use (a cache: what it
    holds never changes once set)."""

    lock = threading.Lock()
    registered: bool | None = None  # None: not tried yet
    library: ctypes.CDLL | None = None  # kept loaded while its handler is registered
    error = ""


def _register_ffi() -> bool:
    """Loads libgumbelsoftmax_jax.so and registers its handler once; False when it is not found."""
    if _FFI.registered is not None:  # decided: no lock on every call
        return _FFI.registered
    with _FFI.lock:
        if _FFI.registered is None:
            configured = os.environ.get(FFI_ENVIRONMENT_VARIABLE)
            path = configured or str(Path(_library.load()._name).resolve().parent / FFI_LIBRARY_NAME)
            try:
                library = ctypes.CDLL(path)
                jax.ffi.register_ffi_target(_FFI_TARGET, jax.ffi.pycapsule(library.GsJaxSample), platform="cpu")
                jax.ffi.register_ffi_target(
                    _FFI_TARGET_F64, jax.ffi.pycapsule(library.GsJaxSampleF64), platform="cpu"
                )
                _FFI.library, _FFI.registered = library, True
            except (OSError, AttributeError) as error:
                _FFI.error = str(error)  # ctypes' message starts with the path
                _FFI.registered = False
                if configured:  # an explicit setting that does not load is an error, not a fallback
                    raise OSError(f"{FFI_ENVIRONMENT_VARIABLE} is set, but it does not load: {error}") from error
        return _FFI.registered


def default_backend() -> str:
    """What ``backend="auto"`` uses: ``"ffi"`` when libgumbelsoftmax_jax.so loads, else
    ``"callback"``."""
    return "ffi" if _register_ffi() else "callback"


def _resolve(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
    if backend == "auto":
        return default_backend()
    if backend == "ffi" and not _register_ffi():
        raise OSError(f"cannot load {FFI_LIBRARY_NAME} (build it with `make jax-ffi`): {_FFI.error}")
    return backend


def _sample_on_host(words, x, temperatures, output):
    """The forward on the host, as the FFI handler does it: words [M..., 2] (M batch members under
    vmap, one outside), x [M..., R..., K], temperatures [M..., R...]; member m from position 0 of
    its own key."""
    words, x, temperatures = np.asarray(words), np.asarray(x), np.asarray(temperatures)
    result = np.empty(x.shape, x.dtype)  # float32, or float64 (computed in float64)
    members = words.size // 2
    if members == 0 or x.size == 0:
        return result
    columns = x.shape[-1]
    kind = "hard" if int(output) == _HARD else "soft"
    flat_x, flat_out = x.reshape(members, -1, columns), result.reshape(members, -1, columns)
    flat_words, flat_t = words.reshape(members, 2), temperatures.reshape(members, -1)
    for m in range(members):
        try:
            _sample_words(flat_x[m], temperature=flat_t[m], key=flat_words[m], output=kind, out=flat_out[m])
        except GumbelSoftmaxError:  # as the FFI handler: row by row, NaN where refused
            for r in range(flat_x.shape[1]):
                try:
                    _sample_words(flat_x[m, r], temperature=flat_t[m, r], key=flat_words[m], output=kind,
                                  position=r * columns, out=flat_out[m, r])
                except GumbelSoftmaxError:
                    flat_out[m, r] = np.nan
    return result


def _forward(x, temperatures, source, how: str, output: int):
    """One forward pass (soft or hard) of rows ``x`` [..., K]: the library's (``how`` "ffi" or
    "callback", ``source`` the key's two words) or XLA's (``how`` "jax", ``source`` the noise)."""
    if how == "jax":
        z = (x + source) / temperatures[..., None]
        if output == _HARD:
            return jax.nn.one_hot(jnp.argmax(z, axis=-1), x.shape[-1], dtype=x.dtype)
        return jax.nn.softmax(z, axis=-1)
    shape = jax.ShapeDtypeStruct(x.shape, x.dtype)
    if how == "ffi":
        target = _FFI_TARGET_F64 if x.dtype == jnp.float64 else _FFI_TARGET
        call = jax.ffi.ffi_call(target, shape, vmap_method="broadcast_all")
        return call(source, x, temperatures, output=np.int32(output))
    return jax.pure_callback(
        partial(_sample_on_host, output=output), shape, source, x, temperatures, vmap_method="broadcast_all"
    )


def _log_or_zero(y):
    """``log y`` where ``y > 0``; 0 where ``y == 0`` (a masked category, or one below float32's
    range), whose ``dL/dz`` is 0."""
    kept = y > 0
    return jnp.where(kept, jnp.log(jnp.where(kept, y, 1.0)), 0.0)


@partial(jax.custom_jvp, nondiff_argnums=(3,))
def _soft(x, temperatures, source, how):
    return _forward(x, temperatures, source, how, _SOFT)


@_soft.defjvp
def _soft_tangent(how, primals, tangents):
    """The tangent of ``softmax((x + g) / tau)`` with the sample's own noise ``g``, in JAX
    operations on the sample ``y`` (so JAX differentiates it again, forward or reverse):
    ``dz = (dx - z dtau) / tau``, ``dy = y (dz - <y, dz>)``, with ``log y`` for ``z`` (they differ
    by a per-row constant, which ``dy`` does not see)."""
    x, temperatures, source = primals
    dx, dt, _ = tangents
    y = _soft(x, temperatures, source, how)
    t = temperatures[..., None]
    dz = (dx - _log_or_zero(y) * dt[..., None]) / t
    return y, y * (dz - jnp.sum(y * dz, axis=-1, keepdims=True))


@partial(jax.custom_jvp, nondiff_argnums=(3,))
def _hard(x, temperatures, source, how):
    return _forward(x, temperatures, source, how, _HARD)


@_hard.defjvp
def _hard_tangent(how, primals, tangents):
    """Straight-through: the one-hot's value with the soft sample's tangent."""
    x, temperatures, source = primals
    dx, dt, _ = tangents
    _, tangent = jax.jvp(lambda x, t: _soft(x, t, source, how), (x, temperatures), (dx, dt))
    return _hard(x, temperatures, source, how), tangent


def _threefry_words(key):
    """The two uint32 words of a JAX key whose stream the library draws (default partitionable
    threefry2x32, one key), else None (the forward is then JAX's)."""
    if not jax.config.jax_threefry_partitionable:
        return None
    if jnp.issubdtype(getattr(key, "dtype", None), jax.dtypes.prng_key):
        if key.shape != () or str(jax.random.key_impl(key)) != "threefry2x32":
            return None
        return jax.random.key_data(key)
    key = jnp.asarray(key)
    if jax.config.jax_default_prng_impl != "threefry2x32" or key.shape != (2,) or key.dtype != jnp.uint32:
        return None  # jax.random.gumbel below says what is wrong with it, if anything
    return key


def _row_temperatures(tau, shape: tuple[int, ...], axis: int, dtype):
    """One temperature of ``dtype`` per row (``shape`` without ``axis``) from a ``tau`` that broadcasts
    to ``shape`` and is constant along ``axis``."""
    tau = jnp.asarray(tau)
    try:
        fits = tau.ndim <= len(shape) and np.broadcast_shapes(tau.shape, shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"tau of shape {tau.shape} must broadcast to the shape of logits {tuple(shape)}")
    given = tau.shape
    tau = tau.reshape((1,) * (len(shape) - tau.ndim) + tau.shape)
    if tau.shape[axis] > 1:
        try:
            values = np.asarray(tau)
        except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
            raise ValueError(
                f"tau of shape {given} has {tau.shape[axis]} values along axis {axis}: under jit, vmap or "
                "grad give it size 1 there (one temperature per row); a concrete tau may repeat one value"
            ) from None
        first = np.take(values, [0], axis=axis)
        if not np.all((values == first) | (np.isnan(values) & np.isnan(first))):
            raise ValueError(
                "tau must be the same for every category of a row (constant along axis): the Concrete "
                f"distribution has one temperature per row, got tau of shape {given} that varies along "
                f"axis {axis}"
            )
        tau = jax.lax.slice_in_dim(tau, 0, 1, axis=axis)
    batch_shape = tuple(shape[:axis]) + tuple(shape[axis + 1 :])
    return jnp.broadcast_to(jnp.squeeze(tau, axis), batch_shape).astype(dtype)


def gumbel_softmax(key, logits, tau=1.0, hard: bool = False, axis: int = -1, *, backend: str = "auto"):
    """Samples Gumbel-Softmax (Concrete) vectors along ``axis``.

    Args:
        key: A JAX PRNG key (``jax.random.key(seed)`` or ``jax.random.PRNGKey(seed)``).
        logits: An array ``[..., K, ...]`` with the categories along ``axis``.
        tau: The temperature: a number or an array that broadcasts to ``logits``' shape and is the
            same for every category of a row (``()``, ``(1,)``, ``(B, 1)``, ...); finite and > 0
            (the library refuses others when it runs; the "jax" backend does not check).
        hard: Return the one-hot of the argmax with the straight-through gradient.
        axis: The axis of the categories.
        backend: Who draws the forward pass: ``"ffi"`` (the library through an XLA custom call),
            ``"callback"`` (the library through ``jax.pure_callback``), ``"jax"`` (XLA:
            ``jax.random.gumbel`` and ``jax.nn.softmax``) or ``"auto"`` (the default: ``"ffi"``
            when libgumbelsoftmax_jax.so loads, else ``"callback"``). Keys and axes that the
            library cannot draw (see the module's notes) use ``"jax"``.

    Returns:
        An array of ``logits``' shape, of the dtype of JAX's own
        ``jax.nn.softmax((logits + jax.random.gumbel(key, logits.shape)) / tau)``.
    """
    if not isinstance(hard, (bool, np.bool_)):
        raise TypeError(f"hard must be a bool, got {type(hard).__name__}")
    how = _resolve(backend)
    logits = jnp.asarray(logits)
    if logits.ndim == 0:
        raise ValueError("logits must have at least one dimension (the categories), got a scalar")
    axis = operator.index(axis)
    if not -logits.ndim <= axis < logits.ndim:
        raise ValueError(f"axis {axis} is out of range for an array of {logits.ndim} dimensions")
    axis %= logits.ndim
    # JAX's formula: logits + noise of the default float type, divided by tau.
    dtype = jnp.result_type(logits.dtype, np.dtype(jnp.result_type(float)), tau)
    # Under jax_enable_x64 JAX's noise is float64 (its 64-bit uniform): computed in float64 then.
    work = jnp.float64 if dtype == jnp.float64 else jnp.float32
    x = jnp.moveaxis(logits.astype(work), axis, -1)
    temperatures = _row_temperatures(tau, logits.shape, axis, work)  # the batch shape: rows in order
    # The library draws element (row, k) at flat position row*K + k: JAX's layout when nothing
    # but size-1 axes follows `axis` (moving it last then keeps every element's flat index).
    last = math.prod(logits.shape[axis + 1 :]) == 1
    words = _threefry_words(key) if last and how != "jax" else None
    if words is None:
        how, source = "jax", jnp.moveaxis(jax.random.gumbel(key, logits.shape, dtype=work), axis, -1)
    else:
        source = words
    result = (_hard if hard else _soft)(x, temperatures, source, how)
    return jnp.moveaxis(result, -1, axis).astype(dtype)


def _indices_on_host(words, x, k: int):
    """Categorical (``k`` 0) or top-``k`` indices on the host: words [M..., 2] (M batch members
    under vmap, one outside), x [M..., R..., K]; member m from position 0 of its own key. A member
    the library refuses (NaN or +inf logits, a row with fewer than ``k`` unmasked categories) gets
    JAX's expression with the library's noise: NumPy's argmax (NaN first, as ``jnp.argmax``) or
    ``lax.top_k``'s order (NaN first, then descending, ties by index)."""
    words, x = np.asarray(words), np.asarray(x)
    columns = x.shape[-1]
    result = np.empty(x.shape[:-1] + ((k,) if k else ()), np.int64)
    members = words.size // 2
    if members == 0 or result.size == 0:
        return result
    flat_x, flat_out = x.reshape(members, -1, columns), result.reshape(members, -1, max(k, 1))
    for m, member_words in enumerate(words.reshape(members, 2)):
        try:
            if k:
                _top_k_words(flat_x[m], k, key=member_words, out=flat_out[m])
            else:
                _categorical_words(flat_x[m], key=member_words, out=flat_out[m, :, 0])
        except GumbelSoftmaxError:
            z = flat_x[m] + _noise_words(flat_x[m].shape, key=member_words, dtype=flat_x.dtype)
            flat_out[m] = _descending(z)[:, :k] if k else np.argmax(z, axis=-1)[:, None]
    return result


def _descending(z):
    """Each row's indices in ``lax.top_k``'s order: NaN first, then the largest, ties by index."""
    nan = np.isnan(z)
    return np.lexsort((np.where(nan, 0, -z), ~nan), axis=-1)


def _indices(key, logits, axis: int, k: int):
    """The library's categorical (``k`` 0) or top-``k`` indices of ``logits`` along ``axis``
    (moved last), or None when JAX's own expression must draw them (another dtype than float32
    or float64, a key the library does not draw, or an axis followed by axes longer than 1)."""
    if logits.dtype not in (jnp.float32, jnp.float64) or math.prod(logits.shape[axis + 1 :]) != 1:
        return None
    words = _threefry_words(key)
    if words is None:
        return None
    x = jnp.moveaxis(logits, axis, -1)
    shape = x.shape[:-1] + ((k,) if k else ())
    # jnp.argmax's int (int32, or int64 under jax_enable_x64); lax.top_k's indices are int32.
    integer = np.dtype(np.int32) if k else jax.dtypes.canonicalize_dtype(np.int64)
    indices = jax.pure_callback(
        lambda w, v: _indices_on_host(w, v, k).astype(integer),
        jax.ShapeDtypeStruct(shape, integer),
        words,
        x,
        vmap_method="broadcast_all",
    )
    return jnp.moveaxis(indices, -1, axis) if k else indices


def _checked_axis(logits, axis) -> int:
    axis = operator.index(axis)
    if logits.ndim == 0 or not -logits.ndim <= axis < logits.ndim:
        raise ValueError(f"axis {axis} is out of range for an array of {logits.ndim} dimensions")
    return axis % logits.ndim


def categorical(key, logits, axis: int = -1):
    """Draws one category per row by the Gumbel-max trick: ``jax.random.categorical(key, logits,
    axis)``, that is ``jnp.argmax(logits + jax.random.gumbel(key, logits.shape, logits.dtype),
    axis)``, with the noise drawn by the library (float64 noise from JAX's 64-bit uniform for
    float64 logits under ``jax_enable_x64``); usable under ``jax.jit`` and ``jax.vmap``.

    Args:
        key: A JAX PRNG key (``jax.random.key(seed)`` or ``jax.random.PRNGKey(seed)``).
        logits: An array ``[..., K, ...]`` with the categories along ``axis``.
        axis: The axis of the categories.

    Returns:
        JAX's default integer array of ``logits``' shape without ``axis``.
    """
    logits = jnp.asarray(logits)
    axis = _checked_axis(logits, axis)
    indices = _indices(key, logits, axis, 0)
    return jax.random.categorical(key, logits, axis) if indices is None else indices


def top_k(key, logits, k: int, axis: int = -1):
    """Draws ``k`` distinct categories per row without replacement (Gumbel-top-k, Kool et al.
    2019): the indices of ``jax.lax.top_k(logits + jax.random.gumbel(key, logits.shape,
    logits.dtype), k)`` along ``axis``, in descending order, ties to the lowest index; the first
    equals :func:`categorical`'s. Usable under ``jax.jit`` and ``jax.vmap``.

    Args:
        key: A JAX PRNG key.
        logits: An array ``[..., K, ...]`` with the categories along ``axis``.
        k: How many categories per row, in ``1...K``.
        axis: The axis of the categories.

    Returns:
        An int32 array (as ``lax.top_k``'s indices) of ``logits``' shape with ``axis`` of length
        ``k``.
    """
    logits = jnp.asarray(logits)
    axis = _checked_axis(logits, axis)
    k = operator.index(k)
    if not 1 <= k <= logits.shape[axis]:
        raise ValueError(f"k must be in 1...{logits.shape[axis]} (the number of categories), got {k}")
    indices = _indices(key, logits, axis, k)
    if indices is not None:
        return indices
    z = jnp.moveaxis(logits + jax.random.gumbel(key, logits.shape, logits.dtype), axis, -1)
    return jnp.moveaxis(jax.lax.top_k(z, k)[1], -1, axis)
