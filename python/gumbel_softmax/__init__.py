"""Gumbel-Softmax sampling for numpy, through the C ABI of libgumbelsoftmax.so (ctypes).

Gumbel-Softmax (Concrete) samples (Jang et al. 2017; Maddison et al. 2017), Gumbel-max
categorical and Gumbel-top-k (Kool et al. 2019) samples, their gradient, the Concrete
log-density, and raw Gumbel noise, with the noise from the counter-based generator
Philox4x32-10 (Salmon et al. 2011) or, on request, JAX's threefry stream. Every result is a pure
function of ``(seed, stream, position, inputs, temperature)``: element ``(b, k)`` of a ``[B, K]``
batch uses word ``position + b*K + k`` of the stream ``(seed, stream)``, so rows ``[a, c)``
sampled alone at ``position + a*K`` equal those rows of the whole batch, and ``threads`` never
changes a bit.

Arrays
    Logits are ``[..., K, ...]``: the categories lie along ``axis`` (default the last), the
    other axes are batch axes (a 1-D array is one row). Words are assigned in the layout with
    ``axis`` moved last (for the default ``axis=-1``, the array's own C order). Results are
    C-contiguous ``float32`` (indices ``int64``) in the input's layout: the shape of the logits
    for samples, the categories' axis removed for categorical indices, replaced by ``k`` for
    top-k.

Per-row streams
    ``seed``, ``stream`` and ``position`` of :func:`sample`, :func:`categorical` and
    :func:`top_k` may each be one value per row instead of an integer (SPEC section 3): row ``b``
    then uses words ``position[b] + k`` (mod 2**64) of the stream ``(seed[b], stream[b])``, so a
    row's result depends only on its own logits, temperature and stream, never on the rows it is
    batched with, their number or their order. The rows are the batch of the other axes, in C
    order after ``axis`` is moved last; a per-row value has that batch shape (``logits``' shape
    without ``axis``) or is a flat sequence of one value per row in that order, and an integer is
    repeated for every row. Values are uint64 (``0...2**64 - 1``) from Python ints or integer
    numpy arrays, taken exactly (never through float64); a wrong length or a value out of range
    raises ``ValueError`` naming the argument, a float raises ``TypeError``. Per-row streams are
    Philox only (``generator="jax"`` or ``key=`` refuse them), and :func:`gumbel_noise`, which has
    no rows, refuses them.

Generators
    ``generator="philox"`` (the default) takes ``seed`` and ``stream``, each in
    ``0...2**64 - 1``. ``generator="jax"``, or giving ``key=``, draws JAX's default
    threefry stream (docs/jax.md): ``key`` is a JAX key (``jax.random.key(s)``,
    ``jax.random.PRNGKey(s)``, or the two uint32 words of ``jax.random.key_data(key)``), or
    ``seed=s`` stands for ``PRNGKey(s)`` under JAX's default ``jax_enable_x64=False``. At
    ``position=0``, ``sample(x, temperature=t, key=key)`` is ``jax.nn.softmax((x +
    jax.random.gumbel(key, x.shape)) / t)`` within SPEC's tolerance.

Float64 (contract 2.1)
    A ``float64`` NumPy array (or ``np.float64`` scalar) of logits is computed in float64 end to
    end (SPEC section 5) and gives ``float64`` samples; its temperature is taken as a float64.
    This holds for :func:`sample`, :func:`categorical`, :func:`top_k` (Philox words, one stream
    or per row), :func:`gradient` (a float64 ``output``), :func:`log_prob` (float64 ``logits`` or
    ``value``) and :func:`gumbel_noise` (``dtype=np.float64``). With JAX's generator,
    :func:`sample`, :func:`categorical`, :func:`top_k` and :func:`gumbel_noise` draw JAX's own
    float64 uniforms (64 bits per element, as ``jax.random.gumbel(key, shape, jnp.float64)`` under
    ``jax_enable_x64``). Every other input, Python lists of floats included, follows the
    conversion rule below; float16 and bfloat16 are computed in float32.

Conversion rule
    ``float32`` input is used as it is (copied only if not C-contiguous or ``axis`` is not the
    last). Any other real input (``float64``, ``longdouble``, ``float16``, integers, Python
    numbers of any size) is rounded once, from its own value, to the nearest ``float32``;
    a finite value whose ``float32`` would be infinite (``abs(x) >= 2**128 - 2**103``, e.g. a
    longdouble -1e400) is refused with ``ValueError`` rather than turned into an infinity, since
    ``-inf`` would silently mask a category, while a value that rounds to the largest float32
    (``3.4028235e38``) is accepted. A temperature must be finite and > 0 both as given and in
    float32 (``1e-46``, ``3.5e38`` and ``10**400`` are refused, each reported as given). Real
    means integers and floats only: booleans (``True``, ``np.True_``, boolean arrays) and
    non-real dtypes (complex, ``timedelta64``, ``datetime64``, strings) raise ``TypeError``
    wherever a number is taken: logits, points, temperatures, ``seed``, ``stream``,
    ``position``, ``k``, ``threads`` and ``axis``.

Errors
    Every input the library refuses (SPEC.md section 4) raises :class:`GumbelSoftmaxError`, a
    ``ValueError`` carrying the library's message and its ``gs_status`` code; it survives
    ``pickle`` and ``copy`` (so ``multiprocessing`` and ``concurrent.futures`` pass it on).

The shared library is the one ``GUMBEL_SOFTMAX_LIB`` names (the ``.so`` or its directory); else
the best tier bundled in the installed package that this CPU runs; else, in a checkout, make's
``.build-release-<tier>/release`` (best tier first), then ``.build/release``; else the system's
library path (``_library.candidates``, docs/embedding.md).
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

from . import _limits

_limits.warn_if_openblas_may_hang()  # before the library, and OpenBLAS with it, loads

from . import _arguments, _fast, _library, _words  # noqa: E402
from ._arguments import pointer as _pointer  # noqa: E402
from ._errors import GumbelSoftmaxError, Status  # noqa: E402
from ._errors import check as _check  # noqa: E402
from ._errors import temperature_error as _temperature_error  # noqa: E402
from ._version import __version__, version_info  # noqa: F401  (loads the library, checks the CPU)

__all__ = [
    "GumbelSoftmaxError",
    "Gradient",
    "Status",
    "categorical",
    "gradient",
    "gumbel_noise",
    "jax_key",
    "library_version",
    "log_prob",
    "sample",
    "top_k",
]

_OUTPUTS = _fast.OUTPUTS  # gs_output codes
_SPACES = {"simplex": 0, "log": 1}


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


def _broadcast_temperature(temperature, batch_shape: tuple[int, ...]):
    """``temperature`` broadcast to the batch shape by NumPy's rules: a number or any array of
    one element stays one temperature, an array that broadcasts to ``batch_shape`` gives one per
    row. One that would enlarge the batch, or does not broadcast, is refused with ``ValueError``."""
    if isinstance(temperature, (int, float)):
        return temperature
    given = np.asarray(temperature)
    if given.ndim == 0 or given.shape == batch_shape:
        return given
    if given.size == 1:
        return given.reshape(())
    try:
        shape = np.broadcast_shapes(given.shape, batch_shape)
    except ValueError:
        shape = None
    if shape != batch_shape:
        raise ValueError(
            f"temperatures of shape {given.shape} do not broadcast to the batch shape {batch_shape} "
            "(logits' shape without axis)"
        )
    return np.broadcast_to(given, batch_shape)


class _Batch:
    """Logits (or a sample) as a C-contiguous ``[rows, columns]`` batch with the categories'
    axis moved last, and the way back to the caller's layout: float64 when ``float64`` (a float64
    input, computed in float64 end to end), else float32."""

    def __init__(self, values, name: str, axis, float64: bool = False):
        self.float64 = bool(float64)
        self.dtype = np.float64 if self.float64 else np.float32
        array = _arguments.floating(values, name, self.float64)
        if array.ndim == 0:
            raise ValueError(f"{name} must have at least one dimension (the categories), got a scalar")
        self.axis = _arguments.axis(axis, array.ndim)
        self.last = self.axis == array.ndim - 1
        self.shape = array.shape  # the caller's layout
        self.array = array if self.last else np.ascontiguousarray(np.moveaxis(array, self.axis, -1))
        self.columns = self.array.shape[-1]
        self.batch_shape = self.array.shape[:-1]
        self.rows = int(np.prod(self.batch_shape, dtype=np.int64))

    def other(self, values, name: str) -> np.ndarray:
        """A second array of the same layout (a sample's upstream gradient, a density's point)."""
        array = _arguments.floating(values, name, self.float64)
        if array.shape != self.shape:
            raise ValueError(f"{name} must have the shape of {self.shape}, got {array.shape}")
        return array if self.last else np.ascontiguousarray(np.moveaxis(array, self.axis, -1))

    def result(self, out, trailing: tuple[int, ...], dtype, name: str = "out"):
        """Where the library writes: ``out`` itself when the layout allows, else a fresh array
        (``finish`` then copies it into ``out``)."""
        shape = self.batch_shape + trailing
        if out is None or self.last:
            return _arguments.output(out, shape, dtype, name)
        caller_shape = self._caller_shape(trailing)
        _arguments.output(out, caller_shape, dtype, name)
        if out.shape != caller_shape:
            raise ValueError(f"{name} must have shape {caller_shape}, got {out.shape}")
        return np.empty(shape, dtype=dtype)

    def _caller_shape(self, trailing):
        shape = self.batch_shape + trailing
        if not trailing:
            return shape
        return tuple(np.moveaxis(np.empty(shape, dtype=np.bool_), -1, self.axis).shape)

    def finish(self, result: np.ndarray, out) -> np.ndarray:
        """``result`` in the caller's layout (``out`` when given)."""
        if self.last or result.ndim == len(self.batch_shape):
            if out is not None and out is not result:
                out[...] = result
                return out
            return result
        moved = np.moveaxis(result, -1, self.axis)
        if out is not None:
            out[...] = moved
            return out
        return np.ascontiguousarray(moved)


def _stream(seed, key, generator, stream, position, per_row_refusal: str | None = None) -> _words.Words:
    return _words.Words(
        seed=seed, key=key, generator=generator, stream=stream, position=position, per_row_refusal=per_row_refusal
    )


def jax_key(seed: int, *, enable_x64: bool = False) -> np.ndarray:
    """The two uint32 words of ``jax.random.PRNGKey(seed)`` (``jax.random.key_data``), without
    JAX: ``[0, lo32(seed)]`` under JAX's default ``jax_enable_x64=False``, ``[hi32, lo32]`` of
    the int64 seed with ``enable_x64=True``."""
    return np.array(_words.jax_seed_key(seed, enable_x64), dtype=np.uint32)


# MARK: Sampling


def sample(
    logits,
    *,
    temperature=1.0,
    output: str = "soft",
    hard: bool = False,
    axis: int = -1,
    seed: int | None = None,
    key=None,
    generator: str | None = None,
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
        logits: ``[..., K, ...]`` logits, the categories along ``axis`` (see the conversion rule).
        temperature: A scalar, or an array that broadcasts by NumPy's rules to the batch shape
            (``logits``' shape without ``axis``): one temperature per row; finite and > 0.
        output: ``"soft"``, ``"log"`` or ``"hard"``.
        hard: ``True`` is ``output="hard"``: the straight-through forward value. Its gradient
            (:func:`gradient` with ``kind="hard"``) needs the soft sample of the same words.
        axis: The categories' axis.
        seed, stream: The Philox stream, each in ``0...2**64 - 1``, or one per row (see Per-row
            streams); with ``generator="jax"``, ``seed`` is JAX's ``PRNGKey(seed)``.
        key: A JAX key: draws JAX's threefry stream (see Generators).
        generator: ``"philox"`` (default) or ``"jax"``.
        position: The first word of the stream to use, or one per row: row ``b`` then uses words
            ``position[b] + k`` of its own stream.
        threads: Worker threads; 0 or None means all cores. Never changes the result.
        out: A float32 C-contiguous array of ``logits``' shape to write into.

    Returns:
        float32 array of ``logits``' shape (``out`` when given).

    Raises:
        GumbelSoftmaxError: for the inputs the library refuses.
    """
    fast = _fast.sample(logits, temperature, output, hard, axis, seed, key, generator, stream, position, threads, out)
    if fast is not None:
        return fast
    if output not in _OUTPUTS:
        raise ValueError(f"output must be 'soft', 'log' or 'hard', got {output!r}")
    if hard:
        if output == "log":
            raise ValueError("hard=True gives the one-hot sample; it cannot be combined with output='log'")
        output = "hard"
    x = _Batch(logits, "logits", axis, _arguments.is_float64(logits))
    words = _stream(seed, key, generator, stream, position)
    temperature = _broadcast_temperature(temperature, x.batch_shape)
    scalar, per_row = _arguments.temperatures(temperature, x.batch_shape, _temperature_error, x.dtype)
    result = x.result(out, (x.columns,), x.dtype)
    head = (_pointer(x.array), x.array.size, x.rows, x.columns)
    tail = (_arguments.threads(threads), _pointer(result), result.size)
    wide = x.float64
    if words.per_row:
        temperatures = np.array([scalar], dtype=x.dtype) if per_row is None else per_row
        before = head + (_pointer(temperatures), temperatures.size, _OUTPUTS[output])
        status = words.call("sample", before, tail, x.batch_shape, float64=wide)
    elif per_row is None:
        status = words.call("sample", head + (scalar, _OUTPUTS[output]), tail, float64=wide)
    else:
        before = head + (_pointer(per_row), per_row.size, _OUTPUTS[output])
        status = words.call("sample_per_row", before, tail, float64=wide)
    _check(status)
    return x.finish(result, out)


def categorical(
    logits,
    *,
    axis: int = -1,
    seed: int | None = None,
    key=None,
    generator: str | None = None,
    stream: int = 0,
    position: int = 0,
    threads: int | None = 0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Draws one category per row by the Gumbel-max trick: ``argmax(logits + g)``.

    Uses the same words as :func:`sample`, so it equals the argmax of ``sample(...,
    output="hard")`` at any temperature. With ``key=`` it is ``jax.random.categorical(key,
    logits)`` (except at near ties, docs/jax.md; with float64 logits, JAX's float64 noise as under
    ``jax_enable_x64``) for the last axis; for another axis JAX draws the noise in the array's own
    layout while this function draws it with ``axis`` moved last, so the two differ.

    ``seed``, ``stream`` and ``position`` are integers or one per row (see Per-row streams), as
    in :func:`sample`.

    Returns:
        int64 array of ``logits``' shape without ``axis`` (0-d for 1-D logits).
    """
    x = _Batch(logits, "logits", axis, _arguments.is_float64(logits))
    words = _stream(seed, key, generator, stream, position)
    result = x.result(out, (), np.int64)
    status = words.call(
        "categorical",
        (_pointer(x.array), x.array.size, x.rows, x.columns),
        (_arguments.threads(threads), _pointer(result), result.size),
        x.batch_shape,
        float64=x.float64,
    )
    _check(status)
    return x.finish(result, out)


def top_k(
    logits,
    k: int,
    *,
    axis: int = -1,
    seed: int | None = None,
    key=None,
    generator: str | None = None,
    stream: int = 0,
    position: int = 0,
    threads: int | None = 0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Draws ``k`` distinct categories per row without replacement (Gumbel-top-k).

    The indices of the ``k`` largest ``logits + g``, in descending order, ties to the lowest
    index; the first equals :func:`categorical`'s. ``seed``, ``stream`` and ``position`` are
    integers or one per row (see Per-row streams), as in :func:`sample`.

    Returns:
        int64 array of ``logits``' shape with ``axis`` of length ``k``.

    Raises:
        GumbelSoftmaxError: also for ``k`` outside ``1...K`` (reported as given) or a row with
            fewer than ``k`` unmasked logits.
    """
    x = _Batch(logits, "logits", axis, _arguments.is_float64(logits))
    words = _stream(seed, key, generator, stream, position)
    k = _arguments.integer(k, "k")
    if not 1 <= k <= x.columns:
        if x.columns > 0 and not -(2**63) <= k < 2**63:
            # The library takes an int64; beyond it, refuse here with the value as given.
            raise GumbelSoftmaxError(
                Status.INVALID_TOP_K, f"k must be in 1...{x.columns} (the number of categories), got {k}"
            )
        # Allocate nothing for an impossible k: the library refuses it with its own message.
        k = max(min(k, 2**63 - 1), -(2**63))
        result = np.empty(x.batch_shape + (0,), dtype=np.int64)
    else:
        result = x.result(out, (k,), np.int64)
    status = words.call(
        "top_k",
        (_pointer(x.array), x.array.size, x.rows, x.columns, k),
        (_arguments.threads(threads), _pointer(result), result.size),
        x.batch_shape,
        float64=x.float64,
    )
    _check(status)
    return x.finish(result, out)


def gradient(
    output,
    upstream,
    *,
    temperature,
    kind: str = "soft",
    axis: int = -1,
    threads: int | None = 0,
    out: np.ndarray | None = None,
) -> Gradient:
    """The vector-Jacobian product of a sample with the noise held fixed (reparameterisation).

    Args:
        output: The sample: ``softmax(z)`` for ``kind="soft"`` and ``"hard"``, ``log_softmax(z)``
            for ``kind="log"``. Straight-through (``kind="hard"``) differentiates the *soft*
            sample of the same words: pass ``sample(..., output="soft")``, not the one-hot (an
            input whose every row is exactly one-hot, K >= 2, is refused with ``ValueError``; its
            gradient would be all zeros. A soft sample that saturated to exact one-hots at a
            very low temperature is refused too: its gradient is 0 to float32 precision).
        upstream: ``dL/doutput``, the same shape.
        temperature: The temperature of the sample: a scalar or one per row.
        kind: ``"soft"``, ``"log"`` or ``"hard"``.
        axis: The categories' axis.
        out: A float32 array for ``dL/dlogits``.

    Returns:
        ``Gradient(logits=dL/dlogits, temperature=per-row dL/dtemperature)``.
    """
    if kind not in _OUTPUTS:
        raise ValueError(f"kind must be 'soft', 'log' or 'hard', got {kind!r}")
    y = _Batch(output, "output", axis, _arguments.is_float64(output))
    v = y.other(upstream, "upstream")
    if kind == "hard" and y.columns > 1 and y.rows > 0 and _one_hot(y.array):
        raise ValueError(
            "gradient(kind='hard') needs the soft sample, got a one-hot array: the straight-through "
            "gradient is the soft sample's (sample(..., output='soft') with the same seed, stream "
            "and position), and a one-hot input would give all zeros"
        )
    scalar, per_row = _arguments.temperatures(temperature, y.batch_shape, _temperature_error, y.dtype)
    logits_gradient = y.result(out, (y.columns,), y.dtype)
    temperature_gradient = np.empty(y.batch_shape, dtype=y.dtype)
    precision = "_f64" if y.float64 else ""
    head = (_pointer(y.array), y.array.size, _pointer(v), v.size, y.rows, y.columns)
    tail = (
        _OUTPUTS[kind], _arguments.threads(threads), _pointer(logits_gradient), logits_gradient.size,
        _pointer(temperature_gradient), temperature_gradient.size,
    )
    if per_row is None:
        status = _words.function(f"gs_gradient{precision}")(*head, scalar, *tail)
    else:
        status = _words.function(f"gs_gradient_per_row{precision}")(*head, _pointer(per_row), per_row.size, *tail)
    _check(status)
    return Gradient(y.finish(logits_gradient, out), temperature_gradient)


def _one_hot(y: np.ndarray) -> bool:
    """Whether every row is exactly a one-hot vector (all 0 but a single 1)."""
    ones = y == 1
    return bool(np.all((y == 0) | ones) and np.all(ones.sum(axis=-1) == 1))


def log_prob(
    value,
    logits,
    *,
    temperature=1.0,
    space: str = "simplex",
    axis: int = -1,
    threads: int | None = 0,
) -> np.ndarray:
    """The log-density of ``value`` under the Concrete distribution (Maddison et al. 2017) of
    ``logits`` and ``temperature``, per row, evaluated in float64.

    ``space="simplex"``: ``value`` is a point ``y`` on the simplex (a ``sample(...,
    output="soft")``; PyTorch's ``RelaxedOneHotCategorical.log_prob``). ``space="log"``: ``value``
    is ``log y`` (ExpConcrete, ``sample(..., output="log")``; ``ExpRelaxedCategorical.log_prob``).
    A masked category (``-inf`` logit) is left out and ``value`` must be exactly 0 (``-inf``)
    there.

    A coordinate of 0 on the simplex (``-inf`` in log space) of a category that is not masked lies
    outside the open simplex, where the density is 0: the result is ``-inf``. A float32 sample
    whose coordinate underflows to 0 (a low temperature, or logits far apart) lands there; for such
    cases evaluate the ``sample(..., output="log")`` sample with ``space="log"``, which keeps those
    coordinates finite.

    Broadcasting: ``value`` and ``logits`` broadcast against each other by NumPy's rules (``axis``
    is an axis of the broadcast shape), and ``temperature`` against the batch shape (the broadcast
    shape without ``axis``), as TFP's ``RelaxedOneHotCategorical(temperature, logits).log_prob(value)``.

    The support: a point is refused (``GumbelSoftmaxError``, ``INVALID_POINT``) when a coordinate
    is NaN or ``+inf``, when on the simplex a coordinate is negative (any amount: a sample never
    is), or when its row is not normalised: ``|sum(y) - 1|`` (simplex) or ``|logsumexp(log y)|``
    (log space) above ``1e-5 + K * u``, ``u = 2**-24`` (``2**-11`` for float16 values): the SPEC's
    row-sum bound for float32 samples plus one rounding of each of the K coordinates, for float64
    values too, so that a float32 sample converted to float64 stays on the support.

    Args:
        value: The point, broadcasting against ``logits``.
        logits: ``[..., K, ...]`` logits, the categories along ``axis``.
        temperature: A scalar or an array broadcasting against the batch shape; finite and > 0.
        space: ``"simplex"`` or ``"log"``.

    Returns:
        float64 array of the batch shape (0-d for one row).

    Raises:
        GumbelSoftmaxError: for refused logits or temperatures, and ``INVALID_POINT`` for a point
            outside the support.
    """
    if space not in _SPACES:
        raise ValueError(f"space must be 'simplex' or 'log', got {space!r}")
    float64 = _arguments.is_float64(logits) or _arguments.is_float64(value)
    value, logits, temperature = _broadcast_density(value, logits, temperature, axis)
    _check_support(value, space)
    x = _Batch(logits, "logits", -1, float64)
    point = x.other(value, "value")
    scalar, per_row = _arguments.temperatures(temperature, x.batch_shape, _temperature_error, x.dtype)
    if per_row is None:
        per_row = np.full(x.batch_shape, scalar, dtype=x.dtype)
    result = np.empty(x.batch_shape, dtype=np.float64)
    status = _words.function("gs_log_density_f64" if x.float64 else "gs_log_density")(
        _pointer(x.array), x.array.size, x.rows, x.columns, _pointer(per_row), per_row.size, _pointer(point),
        point.size, _SPACES[space], _arguments.threads(threads), _pointer(result), result.size,
    )
    _check(status)
    return result


def _broadcast_density(value, logits, temperature, axis):
    """``value`` and ``logits`` broadcast to one shape with ``axis`` moved last, and
    ``temperature`` to its batch shape (NumPy's rules; :func:`log_prob`)."""
    value, logits, given = np.asarray(value), np.asarray(logits), np.asarray(temperature)
    if logits.ndim == 0:
        return value, logits, temperature  # _Batch refuses scalar logits with its message
    ndim = max(value.ndim, logits.ndim)
    axis = _arguments.axis(axis, ndim)
    value = np.moveaxis(value.reshape((1,) * (ndim - value.ndim) + value.shape), axis, -1)
    logits = np.moveaxis(logits.reshape((1,) * (ndim - logits.ndim) + logits.shape), axis, -1)
    try:
        batch = np.broadcast_shapes(value.shape[:-1], logits.shape[:-1], given.shape)
        categories = np.broadcast_shapes(value.shape[-1:], logits.shape[-1:])
    except ValueError:
        raise ValueError(
            f"value {value.shape}, logits {logits.shape} (categories last) and temperature {given.shape} "
            "do not broadcast together"
        ) from None
    value, logits = np.broadcast_to(value, batch + categories), np.broadcast_to(logits, batch + categories)
    return value, logits, (np.broadcast_to(given, batch) if given.ndim else temperature)


def _check_support(value: np.ndarray, space: str) -> None:
    """Refuses rows (categories last) that are not normalised beyond :func:`log_prob`'s tolerance."""
    if value.ndim == 0 or value.size == 0 or not (np.issubdtype(value.dtype, np.number) or value.dtype == object):
        return  # the conversion rule refuses what is not a real number
    if np.iscomplexobj(value):
        return
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        points = np.asarray(value, dtype=np.float64)
        if space == "simplex":
            error = np.abs(points.sum(axis=-1) - 1)
        else:
            top = np.max(points, axis=-1, keepdims=True)
            shifted = np.where(np.isfinite(top), top, 0)
            error = np.abs(np.log(np.exp(points - shifted).sum(axis=-1)) + shifted[..., 0])
    columns = value.shape[-1]
    roundoff = 2.0**-11 if value.dtype == np.float16 else 2.0**-24
    tolerance = 1e-5 + columns * roundoff
    bad = np.isfinite(error) & (error > tolerance)  # NaN and infinities: the library names them
    if space == "simplex":
        bad &= ~(points < 0).any(axis=-1)  # and negative coordinates
    if bad.any():
        row = np.unravel_index(int(np.argmax(bad.ravel())), bad.shape)
        what = "sum to 1" if space == "simplex" else "be normalised (logsumexp 0)"
        raise GumbelSoftmaxError(
            Status.INVALID_POINT,
            f"value{' at row ' + _arguments.index(row) if row else ''} is not on the support: its coordinates must "
            f"{what} within {tolerance:.3g}, off by {float(error[row]):.3g}",
        )


def gumbel_noise(
    shape,
    *,
    seed: int | None = None,
    key=None,
    generator: str | None = None,
    stream: int = 0,
    position: int = 0,
    threads: int | None = 0,
    out: np.ndarray | None = None,
    dtype=np.float32,
) -> np.ndarray:
    """Gumbel(0, 1) noise: element ``i`` (in C order) is ``-log(-log(u))`` of word
    ``position + i``. With ``key=`` it is ``jax.random.gumbel(key, shape)`` (within
    ``2e-6 * max(1, |g|)``). ``seed``, ``stream`` and ``position`` are integers: the noise has
    no rows, so per-row values are refused with ``ValueError``.

    Args:
        shape: An int or a tuple of ints; ignored when ``out`` is given.
        out: A float32 or float64 C-contiguous array to fill (its dtype then decides).
        dtype: ``np.float32`` (default) or ``np.float64``: the noise computed in float64 from the
            same words (contract 2.1; Philox only).

    Returns:
        array of ``shape`` and ``dtype``.
    """
    words = _stream(
        seed, key, generator, stream, position,
        per_row_refusal="gumbel_noise draws one flat stream (element i uses word position + i) and has no rows: "
        "seed, stream and position must be integers",
    )
    dtype = np.dtype(out.dtype if isinstance(out, np.ndarray) and out.dtype == np.float64 else dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    if out is None:
        shape = (operator.index(shape),) if np.ndim(shape) == 0 else tuple(operator.index(n) for n in shape)
        if any(n < 0 for n in shape):
            raise ValueError(f"shape must not have negative dimensions, got {shape}")
        result = np.empty(shape, dtype=dtype)
    else:
        result = _arguments.output(out, out.shape, dtype)
    tail = (_arguments.threads(threads), _pointer(result), result.size)
    status = words.call("gumbel_noise", (), tail, float64=dtype == np.float64)
    _check(status)
    return result
