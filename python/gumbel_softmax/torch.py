"""PyTorch adapter: :func:`gumbel_softmax`, a drop-in for ``torch.nn.functional.gumbel_softmax``
whose noise and forward values come from libgumbelsoftmax.so.

    import torch
    from gumbel_softmax.torch import gumbel_softmax

    torch.manual_seed(0)
    logits = torch.randn(4, 10, requires_grad=True)
    y = gumbel_softmax(logits, tau=0.5, hard=True)      # one-hot rows, straight-through gradient
    y[:, 0].sum().backward()

How it is built (docs/pytorch.md says what each choice gives the user):

- Forward: the custom operator ``gumbel_softmax::sample`` (``torch.library.custom_op``, with a
  fake implementation), which calls the library's sample at ``(seed, stream, position)``: the
  soft sample, or with ``hard=True`` its one-hot (exactly 0 and 1). Element ``(b, k)`` of the
  rows (all axes but ``dim`` flattened in C order, ``dim`` last) uses word ``position + b*K + k``,
  so the values equal ``gumbel_softmax.sample(logits.movedim(dim, -1).numpy(), ...)`` bit for
  bit. A C-contiguous float32 or float64 tensor is read in place and the result is written
  straight into the returned tensor.
- The seed is a tensor: ``seed=None`` draws it with ``torch.randint`` from ``generator`` (default:
  torch's default CPU generator), so ``torch.compile`` and ``torch.jit.trace`` keep the draw in
  their graphs (fresh noise every call) and ``torch.func.vmap``'s ``randomness`` flag decides
  whether batch members share it.
- Derivatives: a ``torch.autograd.Function`` (setup-context style, with a ``jvp`` and a generated
  vmap rule) whose backward and forward-mode rules are torch ops on the sample itself, so they can
  be differentiated again: those of ``softmax((x + g) / tau)`` with the sample's own noise ``g``.
  With ``hard=True`` the one-hot gets the soft sample's derivatives (straight-through), as
  ``F.gumbel_softmax``'s ``y_hard - y_soft.detach() + y_soft``.
- The common case (issue 26): a plain eager call on a C-contiguous float32 or float64 tensor,
  categories last, a number for ``tau`` and integer words skips the operator and the seed
  tensor (:func:`_constant_sample`); with autograd on, its node is :class:`_LibrarySoftSample`,
  whose first-order backward is the library's VJP (one C call) and whose backward under
  ``create_graph=True`` is the same torch-op formula. The same values and the same draw from
  torch's generator as the general path.
- The compiled node (``ffi/torch_native.cpp``, built on request by ``python -m gumbel_softmax.torch
  build-native`` into a per-user cache: ``_torch_native``): when built, the common case is one C++
  call (tensor checks, seed draw, sample, and a ``torch::autograd::Function`` whose backward calls
  the library's VJP), with the Python node's values, draws, gradients and refusals bit for bit.
"""

from __future__ import annotations

import operator
import sys
import threading
import time
import warnings

import numpy as np
import torch

from . import _fast, _library, _torch_native
from ._errors import GumbelSoftmaxError, check
from . import sample as _sample

__all__ = ["gumbel_softmax", "build_native"]

_SEED_LIMIT = 2**63 - 1
_INT64_MAX = 2**63 - 1
_U64 = 2**64
_OUTPUTS = ("soft", "log", "hard")  # gs_output codes 0, 1, 2
_SOFT, _HARD = 0, 2
_COMPUTED = (torch.float32, torch.float64)  # computed in their own type; other dtypes in float32


def _int64(value: int, name: str) -> int:
    """A uint64 argument as the int64 of the same bits (the operator schema's ``int``)."""
    value = operator.index(value)
    if not 0 <= value < _U64:
        raise ValueError(f"{name} must be in 0...2**64 - 1, got {value}")
    return value - _U64 if value >= 2**63 else value


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    return dtype if dtype in _COMPUTED else torch.float32


def _row_temperatures(tau: torch.Tensor, shape: torch.Size, dim: int):
    """The library's temperature for logits of ``shape`` (categories along the negative ``dim``):
    a Python float, or a numpy array that broadcasts to the rows (``shape`` without ``dim``).
    ``tau`` broadcasts to ``shape``; one that varies along ``dim`` is refused."""
    tau = tau.detach()
    if tau.numel() == 1:
        return float(tau.reshape(()))
    given = tuple(tau.shape)
    tau = tau.reshape((1,) * (len(shape) - tau.dim()) + given)
    if tau.shape[dim] > 1:
        first = tau.narrow(dim, 0, 1)
        same = (tau == first) | (torch.isnan(tau) & torch.isnan(first))
        if not bool(same.all()):
            raise ValueError(
                "tau must be the same for every category of a row (constant along dim): the Concrete "
                f"distribution has one temperature per row, got tau of shape {given} that "
                f"varies along dim {dim}"
            )
        tau = first
    return tau.squeeze(dim).numpy()


def _sample_rows(
    logits: torch.Tensor,
    seed: torch.Tensor,
    tau: torch.Tensor | None,
    tau_value: float,
    dim: int,
    output: int,
    stream: int,
    position: int,
) -> torch.Tensor:
    """The library's sample of ``logits`` (categories along the negative ``dim``), in the
    compute dtype. ``seed`` is an int64 tensor of the leading "member" axes (0-d outside
    ``vmap``): member ``m`` is sampled from position ``position`` of the stream ``(seed[m],
    stream)``, as if alone. ``tau`` (when given) broadcasts to ``logits``, else ``tau_value``."""
    x = logits.to(_compute_dtype(logits.dtype)).contiguous().resolve_neg()  # memory holding the values
    result = torch.empty_like(x)
    if x.numel() == 0:
        return result
    if tau is None and seed.dim() == 0 and x.dtype is torch.float32 and dim == -1:
        # One stream and one temperature, categories last: straight to the library when the
        # numpy API would pass these words on unchanged (the same call, without its conversions).
        words, stream_words, first = seed.item() % _U64, stream % _U64, position % _U64
        if _fast.words_fit(tau_value, words, stream_words, first):
            _fast.call(x.data_ptr(), x.numel(), x.shape[-1], tau_value, output, words, stream_words, first, 0,
                       result.data_ptr())
            return result
    temperature = tau_value if tau is None else _row_temperatures(tau, x.shape, dim)
    seeds = seed.numpy().astype(np.uint64)  # the int64 bits as the uint64 seed
    positions: int | np.ndarray = position % _U64
    if seeds.ndim == 0:
        seeds = int(seeds)
    else:  # per-member streams: every member's rows start at `position`
        rows = x.numel() // x.shape[dim]
        per_member = rows // seeds.size
        seeds = np.repeat(seeds.ravel(), per_member)
        offsets = (np.arange(rows, dtype=np.uint64) % np.uint64(per_member)) * np.uint64(x.shape[dim])
        positions = offsets + np.uint64(position % _U64)
    _sample(x.numpy(), temperature=temperature, output=_OUTPUTS[output], axis=dim, seed=seeds,
            stream=stream % _U64, position=positions, out=result.numpy())
    return result


# The operator torch sees; plain eager calls use _sample_rows itself (see _sample_values).
_sample_op = torch.library.custom_op(
    "gumbel_softmax::sample", _sample_rows, mutates_args=(), device_types="cpu",
    tags=(torch.Tag.nondeterministic_seeded,),
)


@_sample_op.register_fake
def _(logits, seed, tau, tau_value, dim, output, stream, position):
    return torch.empty_like(logits, dtype=_compute_dtype(logits.dtype), memory_format=torch.contiguous_format)


def _moved_to_front(tensor: torch.Tensor | None, batch_dim: int | None, size: int, ndim: int):
    """A vmapped argument with its batch axis first, as ``ndim`` axes (unbatched: expanded)."""
    if tensor is None:
        return None
    if batch_dim is None:
        tensor = tensor.reshape((1,) * (ndim - 1 - tensor.dim()) + tuple(tensor.shape))
        return tensor.unsqueeze(0).expand(size, *tensor.shape)
    tensor = tensor.movedim(batch_dim, 0)
    return tensor.reshape((size,) + (1,) * (ndim - tensor.dim()) + tuple(tensor.shape[1:]))


@_sample_op.register_vmap
def _(info, in_dims, logits, seed, tau, tau_value, dim, output, stream, position):
    """Member ``i`` of a vmapped call is the unbatched call of member ``i``'s arguments: with one
    seed for all (an explicit seed, or ``randomness="same"``) every member gets the same words,
    with one seed per member (``randomness="different"``) its own."""
    size = info.batch_size
    ndim = max(logits.dim() - (in_dims[0] is not None), 0) + 1
    logits = _moved_to_front(logits, in_dims[0], size, ndim)
    seed = seed.movedim(in_dims[1], 0) if in_dims[1] is not None else seed.expand(size, *seed.shape)
    seed = seed.contiguous()
    tau = _moved_to_front(tau, in_dims[2], size, ndim)
    return _sample_op(logits, seed, tau, tau_value, dim, output, stream, position), 0


def _forward_ad() -> bool:
    """Whether forward-mode AD is on (``torch.autograd.forward_ad.dual_level``, which
    ``torch.func.jvp`` enters too), eagerly and while ``torch.compile`` traces."""
    return torch.autograd.forward_ad._current_level >= 0


def _tracks_derivatives(logits: torch.Tensor, tau: torch.Tensor | None) -> bool:
    """Whether anything can differentiate the result: autograd, forward-mode AD or a
    ``torch.func`` transform."""
    if torch.is_grad_enabled() and (logits.requires_grad or (tau is not None and tau.requires_grad)):
        return True
    if _forward_ad():
        return True
    if torch.compiler.is_compiling():
        return False
    wrapped = torch._C._functorch.is_functorch_wrapped_tensor
    return wrapped(logits) or (tau is not None and wrapped(tau))


def _plain(logits: torch.Tensor, tau: torch.Tensor | None) -> bool:
    """Whether this is a plain eager call: no ``torch.compile``, ``torch.jit.trace``, ``torch.func``
    transform or other tracing sees it."""
    wrapped = torch._C._functorch.is_functorch_wrapped_tensor
    return (
        type(logits) is torch.Tensor
        and not torch.compiler.is_compiling()
        and not torch.jit.is_tracing()
        and torch._C._len_torch_dispatch_stack() == 0
        and not wrapped(logits)
        and (tau is None or not wrapped(tau))
    )


def _sample_values(logits, seed, tau, tau_value, dim, output, stream, position) -> torch.Tensor:
    """The operator's values: through the dispatcher, so that tracing sees the operator, except in
    a plain eager call, where its implementation is called directly (the same computation without
    the dispatcher's per-call cost)."""
    function = _sample_rows if _plain(logits, tau) else _sample_op
    return function(logits, seed, tau, tau_value, dim, output, stream, position)


# The soft sample's derivatives are those of softmax((x + g) / tau) with the sample's own noise g,
# written in torch ops on the sample y itself so that they can be differentiated again:
# dL/dz = y * (v - <y, v>), dL/dx = dL/dz / tau and dL/dtau = -<dL/dz, log y> / tau per row (log y
# is z up to a per-row constant, against which dL/dz sums to zero). Three autograd.Functions share
# them: setup-context style for torch.func (whose per-call binding of the arguments costs tens of
# microseconds, so plain eager calls use the classic style), and torch.compile's variant without
# the jvp that it cannot trace. The common case's _LibrarySoftSample uses dL/dz for a backward
# under create_graph=True, and the library's VJP of the same formula otherwise.


def _logits_gradient(y: torch.Tensor, upstream: torch.Tensor, dim: int) -> torch.Tensor:
    """dL/dz of the soft sample ``y`` (categories along ``dim``) for ``upstream`` = dL/dy."""
    return y * (upstream - (y * upstream).sum(dim, keepdim=True))


def _soft_backward(ctx, upstream):
    y, tau = ctx.saved_tensors
    temperature = ctx.temperature if tau is None else tau
    dz = _logits_gradient(y, upstream, ctx.dim)
    grad_logits = dz / temperature if ctx.needs_input_grad[0] else None
    grad_tau = None
    if ctx.needs_input_grad[1]:
        per_row = -(dz * _log_or_zero(y)).sum(ctx.dim, keepdim=True) / tau
        grad_tau = per_row.sum_to_size(tau.shape)
    return grad_logits, grad_tau, None, None, None, None, None


def _soft_jvp(ctx, logits_tangent, tau_tangent, *_):
    y, tau = ctx.saved_tensors
    temperature = ctx.temperature if tau is None else tau
    dz = torch.zeros_like(y) if logits_tangent is None else logits_tangent.to(y.dtype)
    if tau_tangent is not None:
        dz = dz - _log_or_zero(y) * tau_tangent
    dz = dz / temperature
    return y * (dz - (y * dz).sum(ctx.dim, keepdim=True))


def _save(ctx, output, tau, tau_value, dim) -> None:
    ctx.dim = dim
    ctx.temperature = tau_value if tau is None else None
    ctx.save_for_backward(output, tau)
    ctx.save_for_forward(output, tau)


class _SoftSample(torch.autograd.Function):
    """The soft sample with its derivatives, for plain eager calls."""

    @staticmethod
    def forward(ctx, logits, tau, seed, tau_value, dim, stream, position):
        output = _sample_rows(logits, seed, tau, tau_value, dim, _SOFT, stream, position)
        _save(ctx, output, tau, tau_value, dim)
        return output

    backward = staticmethod(_soft_backward)
    jvp = staticmethod(_soft_jvp)


class _FunctionalSoftSample(torch.autograd.Function):
    """The soft sample with its derivatives, for ``torch.func`` transforms and tracing."""

    generate_vmap_rule = True

    @staticmethod
    def forward(logits, tau, seed, tau_value, dim, stream, position):
        return _sample_op(logits, seed, tau, tau_value, dim, _SOFT, stream, position)

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, tau, _, tau_value, dim, _, _ = inputs
        _save(ctx, output, tau, tau_value, dim)

    backward = staticmethod(_soft_backward)
    jvp = staticmethod(_soft_jvp)


class _CompiledSoftSample(_FunctionalSoftSample):
    """For ``torch.compile``, which cannot trace an ``autograd.Function`` with a ``jvp``."""

    jvp = torch.autograd.Function.jvp


def _log_or_zero(y: torch.Tensor) -> torch.Tensor:
    """``log y`` where ``y > 0``; 0 where ``y == 0`` (a masked category, or one below the float
    range), whose ``dL/dz`` is 0."""
    kept = y > 0
    return torch.where(kept, torch.log(torch.where(kept, y, 1.0)), 0.0)


# The common case (issue 26): a plain eager call on a C-contiguous float32 or float64 CPU tensor,
# categories last, a number for tau and integer words goes straight to the library, without the
# operator, the seed tensor or the general argument handling; with autograd on, through
# _LibrarySoftSample, whose first-order backward is the library's VJP.

_seed_buffers = threading.local()
_library_functions: dict = {}


def _functions(dtype: torch.dtype):
    """The library's (sample, gradient) functions for tensors of ``dtype`` (float32 or float64)."""
    try:
        return _library_functions[dtype]
    except KeyError:
        library = _library.load()
        _library_functions[torch.float32] = (library.gs_sample, library.gs_gradient)
        _library_functions[torch.float64] = (library.gs_sample_f64, library.gs_gradient_f64)
        return _library_functions[dtype]


def _draw_seed(generator: torch.Generator | None) -> int:
    """The general path's seed, ``torch.randint(0, _SEED_LIMIT, (), dtype=torch.int64,
    generator=generator, device="cpu")``, as an int (both drawn on the CPU whatever the default
    device): ``randint`` is ``random_`` on a new tensor, so ``random_`` on this thread's reused one
    gives the same value and leaves the generator in the same state."""
    try:
        buffer = _seed_buffers.tensor
    except AttributeError:
        with torch.inference_mode(False):  # a normal tensor, usable in and out of inference mode
            buffer = _seed_buffers.tensor = torch.empty((), dtype=torch.int64, device="cpu")
    return buffer.random_(0, _SEED_LIMIT, generator=generator).item()


def _library_sample(logits: torch.Tensor, temperature: float, code: int, words: int, stream: int,
                    position: int) -> torch.Tensor:
    """The library's sample of C-contiguous ``logits`` (categories last) in a new tensor."""
    result = torch.empty_like(logits)
    count = logits.numel()
    columns = logits.shape[-1]
    status = _functions(logits.dtype)[0](logits.data_ptr(), count, count // columns, columns, temperature, code,
                                         words, stream, position, 0, result.data_ptr(), count)
    if status:
        check(status)
    return result


class _LibrarySoftSample(torch.autograd.Function):
    """The common case's soft sample with its derivatives (classic style, for plain eager calls
    only: the general path takes every call that ``torch.func``, tracing or forward-mode AD sees).
    A first-order backward is the library's VJP (``gs_gradient``) into a new tensor; a backward
    that is itself differentiated (``create_graph=True``: grad mode is on inside it), or whose
    upstream gradient is not a plain strided tensor of the sample's dtype (``vmap`` of the backward
    in ``torch.autograd.grad(..., is_grads_batched=True)``, a subclass), is the torch-op formula
    (:func:`_logits_gradient`), which autograd can differentiate and ``vmap`` can batch. The
    sample is saved with ``save_for_backward``, so an in-place change of it is detected. The
    library calls are written out here rather than through :func:`_library_sample`: a Python call
    less each way is a few percent of ``F.gumbel_softmax``'s forward + backward on [32, 10]."""

    @staticmethod
    def forward(ctx, logits, temperature, words, stream, position):
        result = torch.empty_like(logits)
        count = logits.numel()
        columns = logits.shape[-1]
        status = _functions(logits.dtype)[0](logits.data_ptr(), count, count // columns, columns, temperature,
                                             _SOFT, words, stream, position, 0, result.data_ptr(), count)
        if status:
            check(status)
        ctx.save_for_backward(result)
        ctx.temperature = temperature
        return result

    @staticmethod
    def backward(ctx, upstream):
        (y,) = ctx.saved_tensors
        if not (
            torch.is_grad_enabled()
            or type(upstream) is not torch.Tensor
            or upstream.dtype is not y.dtype
            or upstream.layout is not torch.strided
            or not torch._C._has_storage(upstream)  # vmap of the backward (is_grads_batched=True), wrappers
            or upstream.is_neg()  # a negative view: its memory holds the values' negation
            or not y.is_contiguous()  # a saved_tensors_hooks unpack may return another layout
            or y.numel() != upstream.numel()  # or another size, past which the library would read
        ):
            upstream = upstream.contiguous()
            result = torch.empty_like(y)
            count = y.numel()
            columns = y.shape[-1]
            status = _functions(y.dtype)[1](y.data_ptr(), count, upstream.data_ptr(), upstream.numel(),
                                            count // columns, columns, ctx.temperature, _SOFT, 0, result.data_ptr(),
                                            count, None, 0)
            if not status:
                return result, None, None, None, None
            # A zero tensor (sgn's backward gives one) has no memory: the library refuses its NULL
            # pointer, writing nothing, and the formula below gives its zeros.
            if not upstream._is_zerotensor():
                check(status)
        return _logits_gradient(y, upstream, -1) / ctx.temperature, None, None, None, None


# The compiled node (python/gumbel_softmax/ffi/torch_native.cpp, built by build_native): the same
# forward, backward and refusals as _LibrarySoftSample and _library_sample, found in the cache at
# the first common-case call; None when not built or turned off (GUMBEL_SOFTMAX_TORCH_NATIVE=0).
_UNRESOLVED = object()
_native = _UNRESOLVED
_native_lock = threading.Lock()
_NATIVE_STATUS = "gumbel_softmax status "


def _native_node():
    """The compiled node's module, or None (looked for once the library is loaded: until then the
    call is the Python node's, which raises the library's error)."""
    global _native
    native = _native
    if native is _UNRESOLVED:
        with _native_lock:
            if _native is _UNRESOLVED:
                try:
                    _library.load()
                except (OSError, ImportError):
                    return None
                _native = _torch_native.load()
            native = _native
    return native


def _native_error(error: ValueError) -> Exception:
    """The compiled node's refusal (``gumbel_softmax status <n>: <message>``) as the
    GumbelSoftmaxError the Python node raises; any other error as it is."""
    text = str(error)
    if not text.startswith(_NATIVE_STATUS):
        return error
    status, _, message = text[len(_NATIVE_STATUS):].partition(": ")
    return GumbelSoftmaxError(int(status), message)


def build_native(verbose: bool = False) -> str:
    """Compiles the common case's node (``ffi/torch_native.cpp``) with the system C++ compiler
    against this torch's headers into the per-user cache (``$XDG_CACHE_HOME`` or ``~/.cache``,
    ``gumbel_softmax/torch-native/<key>/``) and returns its directory; the next process uses it for
    the common case, and so does this one from its next call unless it had loaded one already. Raises
    ``gumbel_softmax._torch_native.NativeBuildError`` when no compiler or header is found, the
    compile fails or the cache cannot be written. Needs a C++20 compiler and Python's headers
    (``python3-dev``)."""
    global _native
    directory = _torch_native.build(verbose=verbose)
    with _native_lock:
        if _native is None or _native is _UNRESOLVED:
            _native = _UNRESOLVED  # looked for again at the next call
    return str(directory)


def _constant_sample(logits, tau, hard, eps, dim, seed, stream, position, generator) -> torch.Tensor | None:
    """The common case without the operator: a plain eager call (see :func:`_plain`; no forward-mode
    AD either) on a C-contiguous float32 or float64 CPU tensor, categories last, with a number for
    ``tau`` and integer words (issue 26). The library samples straight into the result, with the
    seed drawn as the general path draws it, so the values and the generator's state are the same;
    with autograd on, through :class:`_LibrarySoftSample`; when the compiled node is built, the
    checks of the tensor and everything after them are its one call. Returns None for any other
    call, which takes the general path (and its refusals)."""
    if (
        torch.compiler.is_compiling()  # first: Dynamo cannot trace some of the checks below (is_neg)
        or (type(logits) is not torch.Tensor and type(logits) is not torch.nn.Parameter)  # no __torch_function__
        or eps != 1e-10
        or type(tau) not in (float, int)
        or type(dim) is not int
        # _plain and _forward_ad, inline: this is the per-call cost the common case exists to cut.
        or torch.autograd.forward_ad._current_level >= 0
        or torch._C._is_tracing()
        or torch._C._len_torch_dispatch_stack() != 0
        or torch._C._functorch.is_functorch_wrapped_tensor(logits)
    ):
        return None
    temperature = float(tau)
    if not _fast.words_fit(temperature, 0 if seed is None else seed, stream, position):
        return None
    native = _native
    if native is _UNRESOLVED:
        native = _native_node()
    if (
        native is not None
        and -1 <= dim <= _INT64_MAX
        and (generator is None or (type(generator) is torch.Generator and generator.device.type == "cpu"))
    ):
        # One C++ call: the tensor's checks, the seed's draw, the sample and its node. None: a
        # tensor the checks below decline too, or refuse (some raise on a sparse tensor) before
        # the general path's seed draw, as the Python node does.
        try:
            result = native.common(logits, temperature, dim, True if hard else False, seed, stream, position,
                                   generator)
        except ValueError as error:
            raise _native_error(error) from None
        if result is not None:
            return result
    if (
        (logits.dtype is not torch.float32 and logits.dtype is not torch.float64)
        or not logits.is_cpu
        or logits.dim() == 0
        or (dim != -1 and dim != logits.dim() - 1)
        or not logits.is_contiguous()
        or logits.is_neg()
        or logits.numel() == 0
    ):
        return None
    differentiated = logits.requires_grad and torch.is_grad_enabled()
    words = _draw_seed(generator) if seed is None else seed
    if not differentiated:
        return _library_sample(logits, temperature, _HARD if hard else _SOFT, words, stream, position)
    soft = _LibrarySoftSample.apply(logits, temperature, words, stream, position)
    if not hard:
        return soft
    one_hot = _library_sample(logits.detach(), temperature, _HARD, words, stream, position)
    return one_hot + (soft - soft.detach())  # straight-through, as the general path


def gumbel_softmax(
    logits: torch.Tensor,
    tau: float | torch.Tensor = 1,
    hard: bool = False,
    eps: float = 1e-10,
    dim: int = -1,
    *,
    seed: int | None = None,
    stream: int = 0,
    position: int = 0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Samples Gumbel-Softmax (Concrete) vectors along ``dim``: ``softmax((logits + g) / tau)``.

    The positional arguments are those of ``torch.nn.functional.gumbel_softmax``.

    Args:
        logits: A CPU floating-point tensor ``[..., K, ...]`` (categories along ``dim``); a 0-d
            tensor is one category.
        tau: The temperature: a number or a real tensor that broadcasts to ``logits``' shape and
            is the same for every category of a row (``[]``, ``[1]``, ``[B, 1]``, ...). A tensor
            that requires grad gets its gradient.
        hard: Return the one-hot of the argmax, with the soft sample's (straight-through) gradient.
        eps: Accepted and ignored, as by ``F.gumbel_softmax`` (a warning when not the default,
            except under ``torch.compile``).
        dim: The axis of the categories.
        seed, stream, position: The library's noise (see ``gumbel_softmax.sample``), each in
            ``0...2**64 - 1``. ``seed=None`` draws a seed from ``generator`` (default: torch's
            default CPU generator) with ``torch.randint``.

    Returns:
        A tensor of ``logits``' shape, of ``logits``' dtype promoted with a tensor ``tau``'s (as
        ``F.gumbel_softmax``'s ``(logits + g) / tau``).
    """
    fast = _constant_sample(logits, tau, hard, eps, dim, seed, stream, position, generator)
    if fast is not None:
        return fast
    if eps != 1e-10 and not torch.compiler.is_compiling():  # Dynamo cannot trace warnings.warn
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"logits must be a torch.Tensor, got {type(logits).__name__}")
    if logits.device.type != "cpu":
        raise TypeError(f"logits must be a CPU tensor, got one on {logits.device} (copy it with .cpu())")
    if not logits.is_floating_point():
        raise TypeError(f"logits must be a floating-point tensor, got dtype {logits.dtype}")
    ndim = max(logits.dim(), 1)
    dim = operator.index(dim)
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    dim = dim - ndim if dim >= 0 else dim  # negative: stays valid when vmap adds leading axes
    if isinstance(tau, torch.Tensor):
        if tau.device.type != "cpu":
            raise TypeError(f"tau must be a CPU tensor, got one on {tau.device}")
        if tau.is_complex():
            raise TypeError(f"tau must be a real tensor, got dtype {tau.dtype}")
        try:
            fits = tau.dim() <= logits.dim() and torch.broadcast_shapes(tau.shape, logits.shape) == logits.shape
        except RuntimeError:
            fits = False
        if not fits:
            raise ValueError(
                f"tau of shape {tuple(tau.shape)} must broadcast to the shape of logits {tuple(logits.shape)}"
            )
        # The result's dtype is that of F.gumbel_softmax's (logits + g) / tau: torch's promotion.
        dtype = torch.result_type(logits, tau)
        if not tau.is_floating_point():  # an integer tau divides in the logits' dtype
            tau = tau.to(logits.dtype)
        tau_tensor, tau_value = tau, 1.0
    else:
        dtype = logits.dtype
        tau_tensor, tau_value = None, float(tau)
    if logits.dim() == 0:
        return gumbel_softmax(logits.reshape(1), tau, hard, dim=0, seed=seed, stream=stream, position=position,
                              generator=generator).reshape(()).to(dtype)
    if logits.shape[dim] == 0:
        if hard:
            raise IndexError(f"max(): Expected reduction dim {dim % ndim} to have non-zero size.")
        return torch.softmax(logits.to(dtype), dim)  # no categories: the empty result, as F.gumbel_softmax
    if seed is None:
        seed_tensor = torch.randint(0, _SEED_LIMIT, (), dtype=torch.int64, generator=generator, device="cpu")
    else:
        seed_tensor = torch.tensor(_int64(seed, "seed"), dtype=torch.int64)
    stream, position = _int64(stream, "stream"), _int64(position, "position")
    tau_argument = None if tau_tensor is None else tau_tensor.detach()
    if not _tracks_derivatives(logits, tau_tensor):
        return _sample_values(logits, seed_tensor, tau_argument, tau_value, dim, _HARD if hard else _SOFT, stream,
                              position).to(dtype)
    x = logits.to(_compute_dtype(logits.dtype))
    if tau_tensor is not None and tau_tensor.requires_grad and tau_tensor.dim() >= -dim and tau_tensor.shape[dim] > 1:
        raise ValueError(
            f"a tau that requires grad must have size 1 along dim (one temperature per row), got shape "
            f"{tuple(tau_tensor.shape)}: its gradient per category would need the noise, which the sample does not keep"
        )
    if torch.compiler.is_compiling():
        if _forward_ad():
            # Dynamo inlines the forward of an autograd.Function whose inputs do not require
            # grad, without its jvp. Without fullgraph=True, Dynamo runs the call eagerly instead.
            raise NotImplementedError(
                "gumbel_softmax: torch.compile(fullgraph=True) cannot compile forward-mode AD (torch.func.jvp, "
                "jacfwd, torch.autograd.forward_ad) of it: Dynamo drops the jvp, so the tangent would be 0; "
                "without fullgraph=True the call runs eagerly"
            )
        soft_sample = _CompiledSoftSample
    else:
        soft_sample = _SoftSample if _plain(logits, tau_tensor) else _FunctionalSoftSample
    soft = soft_sample.apply(x, tau_tensor, seed_tensor, tau_value, dim, stream, position)
    if hard:  # straight-through: the one-hot's value, the soft sample's derivatives
        one_hot = _sample_values(x.detach(), seed_tensor, tau_argument, tau_value, dim, _HARD, stream, position)
        soft = one_hot + (soft - soft.detach())
    return soft.to(dtype)


def _main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m gumbel_softmax.torch",
                                     description="gumbel_softmax's PyTorch adapter")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build-native", help="compile the common case's node into the per-user cache")
    build.add_argument("--verbose", action="store_true", help="print the compiler's command")
    build.add_argument("--if-missing", action="store_true", help="only when no usable entry exists")
    commands.add_parser("native-status", help="where the compiled node is looked for and whether it is used")
    arguments = parser.parse_args(argv)
    if arguments.command == "build-native":
        if arguments.if_missing and _native_node() is not None:
            print(f"{_torch_native.entry_directory()}: built")
            return 0
        start = time.perf_counter()
        try:
            directory = build_native(verbose=arguments.verbose)
            print(f"{directory}: built in {time.perf_counter() - start:.1f} s")
        except _torch_native.NativeBuildError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        return 0
    used = _native_node() is not None
    print(f"{_torch_native.entry_directory()}: {'used' if used else 'not used'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
