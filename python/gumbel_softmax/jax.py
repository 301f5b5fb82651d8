"""JAX adapter: :func:`gumbel_softmax`, usable under ``jax.jit``, ``jax.grad`` and ``jax.vmap``,
with its forward and backward passes (a ``jax.custom_vjp``) computed by libgumbelsoftmax.so.

    import jax
    from gumbel_softmax.jax import gumbel_softmax

    y = jax.jit(gumbel_softmax)(jax.random.key(0), jax.numpy.zeros(2))   # ~ [0.28715432, 0.7128457]

- Forward: libgumbelsoftmax.so's JAX-threefry sampler (``gs_sample_per_row_jax``) with the key's
  two words (``jax.random.key_data``), so the result is
  ``jax.nn.softmax((logits + jax.random.gumbel(key, logits.shape)) / tau, axis)`` within SPEC
  section 3's tolerance (the library's float32 ``log`` differs from XLA's in the last bits), or
  with ``hard=True`` the one-hot of ``argmax(z)``, ``z = (logits + g) / tau`` (ties to the lowest
  index). It needs the default partitionable threefry2x32 key and ``axis`` followed only by
  size-1 axes (then the library's row-major layout is JAX's noise layout); otherwise, or after
  ``set_forward("jax")``, XLA computes the forward from ``jax.random.gumbel`` (JAX's layout for
  any ``axis``) and ``jax.nn.softmax``.
- Backward: the library's vector-Jacobian product (``gs_gradient``), w.r.t. ``logits`` and
  ``tau``; with ``hard=True`` the straight-through gradient (that of the soft sample).
- Both passes run as XLA FFI custom calls when ``libgumbelsoftmax_jax.so`` (``make jax-ffi``,
  built from ``ffi/jax_ffi.cc``) is found, through ``GUMBEL_SOFTMAX_JAX_FFI`` or beside
  libgumbelsoftmax.so, else through ``jax.pure_callback`` into the numpy API;
  :func:`set_backend` picks one. Under ``jax.vmap`` either gets the whole batch (keys and logits)
  in one call (``vmap_method="broadcast_all"``).
- ``tau``: a number or an array of one temperature per row (``logits``' shape without ``axis``,
  or with ``axis`` of size 1). Computation is in float32; the result has ``logits``' floating
  dtype (float32 for integer logits). Second derivatives are not supported. Inputs the library
  refuses (NaN or +inf logits, a row of only -inf, tau not finite or <= 0) raise when the
  computation runs (``jax.errors.JaxRuntimeError`` or ``XlaRuntimeError``) instead of giving NaN.
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

from . import _library
from . import gradient as _gradient
from . import sample as _sample_words

__all__ = ["backend", "backward_backend", "forward", "gumbel_softmax", "set_backend", "set_backward", "set_forward"]

FFI_LIBRARY_NAME = "libgumbelsoftmax_jax.so"
FFI_ENVIRONMENT_VARIABLE = "GUMBEL_SOFTMAX_JAX_FFI"
_FFI_TARGET = "gumbel_softmax_gradient"
_FFI_FORWARD_TARGET = "gumbel_softmax_sample"
_SOFT, _HARD = 0, 2  # gs_output: GS_OUTPUT_SOFT, GS_OUTPUT_HARD
_lock = threading.Lock()
_ffi_registered: bool | None = None  # None: not tried yet
_ffi_library: ctypes.CDLL | None = None  # kept loaded while its handlers are registered
_ffi_error = ""
_choice = "auto"
_forward_choice = "library"


def _register_ffi() -> bool:
    """Loads libgumbelsoftmax_jax.so and registers its handlers once; False when it is not found."""
    global _ffi_registered, _ffi_error, _ffi_library
    with _lock:
        if _ffi_registered is None:
            configured = os.environ.get(FFI_ENVIRONMENT_VARIABLE)
            path = configured or str(Path(_library.load()._name).resolve().parent / FFI_LIBRARY_NAME)
            try:
                library = ctypes.CDLL(path)
                handlers = {_FFI_TARGET: library.GsJaxGradient, _FFI_FORWARD_TARGET: library.GsJaxSample}
                for target, handler in handlers.items():
                    jax.ffi.register_ffi_target(target, jax.ffi.pycapsule(handler), platform="cpu")
                _ffi_library, _ffi_registered = library, True
            except (OSError, AttributeError) as error:
                _ffi_error = f"{path}: {error}"
                _ffi_registered = False
                if configured:  # an explicit setting that does not load is an error, not a fallback
                    raise OSError(f"{FFI_ENVIRONMENT_VARIABLE}={configured} cannot be loaded: {error}") from error
        return _ffi_registered


def set_backend(backend: str) -> None:
    """Chooses how both passes call the library: ``"ffi"`` (XLA FFI custom calls; raises
    ``OSError`` when libgumbelsoftmax_jax.so cannot be loaded), ``"callback"``
    (``jax.pure_callback`` into the numpy API) or ``"auto"`` (the default: FFI when available).
    Applies to functions traced afterwards."""
    global _choice
    if backend not in ("auto", "ffi", "callback"):
        raise ValueError(f"backend must be 'auto', 'ffi' or 'callback', got {backend!r}")
    if backend == "ffi" and not _register_ffi():
        raise OSError(f"cannot load {FFI_LIBRARY_NAME} (build it with `make jax-ffi`): {_ffi_error}")
    _choice = backend


def backend() -> str:
    """``"ffi"`` or ``"callback"``: how the next trace calls the library."""
    if _choice == "callback":
        return "callback"
    return "ffi" if _register_ffi() else "callback"


set_backward = set_backend  # the names of the first release, when only the backward used the library
backward_backend = backend


def set_forward(forward: str) -> None:
    """Chooses who draws the forward pass: ``"library"`` (the default: the library's JAX-threefry
    sampler, ``gs_sample_per_row_jax``, through :func:`backend`) or ``"jax"`` (XLA:
    ``jax.random.gumbel`` and ``jax.nn.softmax``, JAX's values to the last bit). Applies to
    functions traced afterwards; the backward always runs in the library."""
    global _forward_choice
    if forward not in ("library", "jax"):
        raise ValueError(f"forward must be 'library' or 'jax', got {forward!r}")
    _forward_choice = forward


def forward() -> str:
    """``"library"`` or ``"jax"``: who draws the forward pass of the next trace (where the key and
    axis allow the library, see :func:`gumbel_softmax`)."""
    return _forward_choice


def _vjp_on_host(soft, upstream, temperatures):
    """The library's VJP: (dL/dz / tau, per-row dL/dtau) for soft samples [..., K]."""
    result = _gradient(np.asarray(soft), np.asarray(upstream), temperature=np.asarray(temperatures), kind="soft")
    return result.logits, result.temperature


def _sample_on_host(words, x, temperatures, output):
    """The forward on the host, as the FFI handler does it: words [M..., 2] (M batch members under
    vmap, one outside), x [M..., R..., K], temperatures [M..., R...]; member m from position 0 of
    its own key."""
    words, x, temperatures = np.asarray(words), np.asarray(x), np.asarray(temperatures)
    result = np.empty(x.shape, np.float32)
    members = words.size // 2
    if members == 0 or x.size == 0:
        return result
    columns = x.shape[-1]
    kind = "hard" if int(output) == _HARD else "soft"
    flat_x, flat_out = x.reshape(members, -1, columns), result.reshape(members, -1, columns)
    flat_words, flat_t = words.reshape(members, 2), temperatures.reshape(members, -1)
    for m in range(members):
        _sample_words(flat_x[m], temperature=flat_t[m], key=flat_words[m], output=kind, out=flat_out[m])
    return result


def _library_sample(words, x, temperatures, output):
    """One library forward pass (soft or hard) inside the traced function."""
    shape = jax.ShapeDtypeStruct(x.shape, jnp.float32)
    if backend() == "ffi":
        call = jax.ffi.ffi_call(_FFI_FORWARD_TARGET, shape, vmap_method="broadcast_all")
        return call(words, x, temperatures, output=np.int32(output))
    return jax.pure_callback(
        partial(_sample_on_host, output=output), shape, words, x, temperatures, vmap_method="broadcast_all"
    )


@partial(jax.custom_vjp, nondiff_argnums=(3, 4))
def _sample(x, source, temperatures, hard, library):
    return _sample_forward(x, source, temperatures, hard, library)[0]


def _sample_forward(x, source, temperatures, hard, library):
    """``source``: the key's two uint32 words when ``library``, else JAX's noise."""
    if library:
        soft = _library_sample(source, x, temperatures, _SOFT)
        result = _library_sample(source, x, temperatures, _HARD) if hard else soft
        return result, (soft, temperatures)
    z = (x + source) / temperatures[..., None]
    soft = jax.nn.softmax(z, axis=-1)
    result = jax.nn.one_hot(jnp.argmax(z, axis=-1), x.shape[-1], dtype=x.dtype) if hard else soft
    return result, (soft, temperatures)


def _sample_backward(hard, library, residuals, upstream):
    soft, temperatures = residuals
    shapes = (
        jax.ShapeDtypeStruct(soft.shape, jnp.float32),
        jax.ShapeDtypeStruct(temperatures.shape, jnp.float32),
    )
    arguments = (soft, upstream.astype(jnp.float32), temperatures)
    if backend() == "ffi":
        call = jax.ffi.ffi_call(_FFI_TARGET, shapes, vmap_method="broadcast_all")
        logits_grad, temperature_grad = call(*arguments)
    else:
        logits_grad, temperature_grad = jax.pure_callback(
            _vjp_on_host, shapes, *arguments, vmap_method="broadcast_all"
        )
    return logits_grad, None, temperature_grad  # neither the noise nor the key has a gradient


_sample.defvjp(_sample_forward, _sample_backward)


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


def gumbel_softmax(key, logits, tau=1.0, hard: bool = False, axis: int = -1):
    """Samples Gumbel-Softmax (Concrete) vectors along ``axis``.

    Args:
        key: A JAX PRNG key (``jax.random.key(seed)`` or ``jax.random.PRNGKey(seed)``).
        logits: An array ``[..., K, ...]`` with the categories along ``axis``.
        tau: The temperature: a number, or one per row (``logits``' shape without ``axis``, or
            with ``axis`` of size 1); finite and > 0 (the library's forward refuses others when
            it runs; JAX's forward, see the module's notes, does not check).
        hard: Return the one-hot of the argmax with the straight-through gradient.
        axis: The axis of the categories.

    Returns:
        An array of ``logits``' shape.
    """
    if not isinstance(hard, (bool, np.bool_)):
        raise TypeError(f"hard must be a bool, got {type(hard).__name__}")
    logits = jnp.asarray(logits)
    if logits.ndim == 0:
        raise ValueError("logits must have at least one dimension (the categories), got a scalar")
    axis = operator.index(axis)
    if not -logits.ndim <= axis < logits.ndim:
        raise ValueError(f"axis {axis} is out of range for an array of {logits.ndim} dimensions")
    axis %= logits.ndim
    dtype = logits.dtype if jnp.issubdtype(logits.dtype, jnp.floating) else jnp.float32
    x = jnp.moveaxis(logits.astype(jnp.float32), axis, -1)
    batch_shape = x.shape[:-1]
    tau = jnp.asarray(tau, dtype=jnp.float32)
    if tau.ndim == logits.ndim and tau.shape[axis] == 1:
        tau = jnp.squeeze(tau, axis)
    if tau.ndim != 0 and tau.shape != batch_shape:
        raise ValueError(
            f"tau must be a number or one temperature per row (shape {batch_shape}), got shape {tau.shape}"
        )
    temperatures = jnp.broadcast_to(tau, batch_shape)
    # The library draws element (row, k) at flat position row*K + k: JAX's layout when nothing
    # but size-1 axes follows `axis` (moving it last then keeps every element's flat index).
    last = math.prod(logits.shape[axis + 1 :]) == 1
    words = _threefry_words(key) if last and _forward_choice == "library" else None
    if words is not None:
        result = _sample(x, words, temperatures, bool(hard), True)
    else:
        noise = jnp.moveaxis(jax.random.gumbel(key, logits.shape, dtype=jnp.float32), axis, -1)
        result = _sample(x, noise, temperatures, bool(hard), False)
    return jnp.moveaxis(result, -1, axis).astype(dtype)
