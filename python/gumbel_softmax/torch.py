"""PyTorch adapter: :func:`gumbel_softmax`, a drop-in for ``torch.nn.functional.gumbel_softmax``
whose noise, forward values and backward come from libgumbelsoftmax.so.

    import torch
    from gumbel_softmax.torch import gumbel_softmax

    torch.manual_seed(0)
    logits = torch.randn(4, 10, requires_grad=True)
    y = gumbel_softmax(logits, tau=0.5, hard=True)      # one-hot rows, straight-through gradient
    y[:, 0].sum().backward()                             # logits.grad: the library's VJP

It is a ``torch.autograd.Function``:

- Forward: the library's sample at ``(seed, stream, position)``: the soft sample, or with
  ``hard=True`` its one-hot (exactly 0 and 1). Element ``(b, k)`` of the rows (all axes but
  ``dim`` flattened in C order, ``dim`` last) uses word ``position + b*K + k``, so the values
  equal ``gumbel_softmax.sample(logits.movedim(dim, -1).numpy(), ...)`` bit for bit.
- Backward: the library's vector-Jacobian product with the noise held fixed (``gs_gradient``):
  w.r.t. ``logits``, and w.r.t. ``tau`` when ``tau`` is a tensor that requires grad (a 0-d tensor,
  or one temperature per row: shaped like ``logits`` without ``dim``, or with ``dim`` of size 1).
  With ``hard=True`` the gradient is the straight-through one: that of the soft sample.
  Second derivatives are not supported.
- Tensors: CPU only. A C-contiguous float32 tensor (with ``dim`` the last axis) is passed to the
  library without a copy, and the result is written straight into the returned tensor. float16,
  bfloat16 and float64 (and non-contiguous tensors) are converted to float32, computed, and
  returned in the input's dtype; so are their gradients.
- ``seed=None`` (the default) draws a 63-bit seed from ``generator``, else torch's default CPU
  generator, so ``torch.manual_seed`` makes runs repeatable as with ``F.gumbel_softmax``. Pass a
  ``seed`` (and ``stream``, ``position``) to name the noise exactly, e.g. to reproduce a sample in
  numpy, C or Swift.

Bad input raises :class:`gumbel_softmax.GumbelSoftmaxError` (a ``ValueError``) with the library's
message; a non-CPU tensor or a non-floating dtype raises ``TypeError``.
"""

from __future__ import annotations

import operator

import numpy as np
import torch

from . import gradient as _gradient
from . import sample as _sample

__all__ = ["gumbel_softmax"]

_SEED_LIMIT = 2**63 - 1


def _rows(tensor: torch.Tensor, dim: int) -> torch.Tensor:
    """``tensor`` with ``dim`` last, as a C-contiguous float32 CPU tensor (the same storage when it
    already is one)."""
    moved = tensor.detach().movedim(dim, -1)
    return moved.to(torch.float32).contiguous()


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.numpy()  # shares memory: float32 CPU, contiguous, detached


def _temperature(tau, batch_shape: torch.Size, dim: int, ndim: int):
    """The temperature the library takes: a Python float, or a float32 numpy array of the batch
    shape. Returns (value, tau_tensor_or_None)."""
    if not isinstance(tau, torch.Tensor):
        return float(tau), None
    if tau.device.type != "cpu":
        raise TypeError(f"tau must be a CPU tensor, got one on {tau.device}")
    if not tau.is_floating_point():
        raise TypeError(f"tau must be a floating-point tensor, got dtype {tau.dtype}")
    if tau.dim() == 0:
        return float(tau.detach().to(torch.float32)), tau
    per_row = tau.detach()
    if per_row.dim() == ndim and per_row.shape[dim] == 1:
        per_row = per_row.squeeze(dim)  # the keepdim spelling, [..., 1, ...]
    if per_row.shape != batch_shape:
        raise ValueError(
            f"tau must be a number, a 0-d tensor or one temperature per row (shape {tuple(batch_shape)}), "
            f"got shape {tuple(tau.shape)}"
        )
    return per_row.to(torch.float32).contiguous().numpy(), tau


def _default_seed(generator: torch.Generator | None) -> int:
    return int(torch.randint(0, _SEED_LIMIT, (), dtype=torch.int64, generator=generator))


class _GumbelSoftmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits, tau_tensor, temperature, hard, dim, seed, stream, position):
        x = _rows(logits, dim)
        differentiable = ctx.needs_input_grad[0] or ctx.needs_input_grad[1]
        soft = None
        if differentiable or not hard:  # the soft sample: the result, or what the backward needs
            soft = torch.empty_like(x)
            _sample(_numpy(x), temperature=temperature, output="soft", seed=seed, stream=stream,
                    position=position, out=_numpy(soft))
        if hard:
            result = torch.empty_like(x)
            _sample(_numpy(x), temperature=temperature, output="hard", seed=seed, stream=stream,
                    position=position, out=_numpy(result))
        else:
            result = soft
        ctx.save_for_backward(soft)
        ctx.temperature = temperature
        ctx.dim = dim
        ctx.tau_shape = None if tau_tensor is None else tau_tensor.shape
        ctx.tau_dtype = None if tau_tensor is None else tau_tensor.dtype
        return result.movedim(-1, dim).to(logits.dtype)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_output):
        (soft,) = ctx.saved_tensors
        need_logits, need_tau = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        if not (need_logits or need_tau):
            return (None,) * 8
        upstream = _rows(grad_output, ctx.dim)
        logits_grad = torch.empty_like(soft)
        result = _gradient(_numpy(soft), _numpy(upstream), temperature=ctx.temperature, kind="soft",
                           out=_numpy(logits_grad))
        grad_logits = logits_grad.movedim(-1, ctx.dim).to(grad_output.dtype) if need_logits else None
        grad_tau = None
        if need_tau:
            per_row = torch.from_numpy(result.temperature)
            if len(ctx.tau_shape) == 0:
                grad_tau = per_row.to(torch.float64).sum().to(ctx.tau_dtype)
            else:
                grad_tau = per_row.reshape(ctx.tau_shape).to(ctx.tau_dtype)
        return grad_logits, grad_tau, None, None, None, None, None, None


def gumbel_softmax(
    logits: torch.Tensor,
    tau: float | torch.Tensor = 1.0,
    hard: bool = False,
    dim: int = -1,
    *,
    seed: int | None = None,
    stream: int = 0,
    position: int = 0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Samples Gumbel-Softmax (Concrete) vectors along ``dim``: ``softmax((logits + g) / tau)``.

    The arguments ``logits, tau, hard, dim`` are those of ``torch.nn.functional.gumbel_softmax``.

    Args:
        logits: A CPU floating-point tensor ``[..., K, ...]`` (categories along ``dim``).
        tau: The temperature: a number, a 0-d tensor, or one per row (``logits``' shape without
            ``dim``, or with ``dim`` of size 1). A tensor that requires grad gets a gradient.
        hard: Return the one-hot of the argmax, with the soft sample's (straight-through) gradient.
        dim: The axis of the categories.
        seed, stream, position: The library's noise (see ``gumbel_softmax.sample``). ``seed=None``
            draws a seed from ``generator`` (default: torch's default CPU generator).

    Returns:
        A tensor of ``logits``' shape and dtype.
    """
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"logits must be a torch.Tensor, got {type(logits).__name__}")
    if logits.device.type != "cpu":
        raise TypeError(f"logits must be a CPU tensor, got one on {logits.device} (copy it with .cpu())")
    if not logits.is_floating_point():
        raise TypeError(f"logits must be a floating-point tensor, got dtype {logits.dtype}")
    if logits.dim() == 0:
        raise ValueError("logits must have at least one dimension (the categories), got a 0-d tensor")
    dim = operator.index(dim)
    if not -logits.dim() <= dim < logits.dim():
        raise IndexError(f"dim {dim} is out of range for a tensor of {logits.dim()} dimensions")
    dim %= logits.dim()
    batch_shape = logits.shape[:dim] + logits.shape[dim + 1:]
    temperature, tau_tensor = _temperature(tau, batch_shape, dim, logits.dim())
    if seed is None:
        seed = _default_seed(generator)
    return _GumbelSoftmax.apply(logits, tau_tensor, temperature, bool(hard), dim, seed, stream, position)
