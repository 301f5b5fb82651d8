"""The torch adapter's common case (issue 26): a plain eager call on a contiguous float32 or float64
tensor goes straight to the library (with autograd on, its first-order backward to the library's
VJP), with the same values, the same draw from torch's generator and the same refusals as the
general path (the custom operator's implementation)."""

import threading

import numpy as np
import pytest
import torch

import gumbel_softmax as gs
import gumbel_softmax.torch as gst
import outcomes
from gumbel_softmax.torch import gumbel_softmax
from outcomes import outcome

LOGITS = torch.from_numpy(np.random.default_rng(8).standard_normal((32, 10)).astype(np.float32))


def same(a, b):
    return outcomes.same(a, b, torch.equal)


@pytest.fixture
def general(monkeypatch):
    """Calls the adapter with both fast paths declining (the operator's general implementation)."""

    def call(*arguments, **keywords):
        with monkeypatch.context() as patch:
            patch.setattr(gst, "_constant_sample", lambda *given: None)
            patch.setattr(gst._fast, "words_fit", lambda *given: False)
            return gumbel_softmax(*arguments, **keywords)

    return call


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("shape", [(1, 10), (32, 10), (256, 10), (10,), (3, 4, 5)])
def test_fast_path_gives_the_general_paths_values_and_draw(shape, hard, dtype, general, monkeypatch):
    logits = torch.randn(shape, dtype=dtype)
    torch.manual_seed(11)
    fast = gumbel_softmax(logits, 0.5, hard)
    after_fast = torch.rand(3)
    torch.manual_seed(11)
    reference = general(logits, 0.5, hard)
    assert torch.equal(fast, reference) and torch.equal(after_fast, torch.rand(3))
    words = dict(seed=2**64 - 1, stream=2**63 + 1, position=12345)
    assert torch.equal(gumbel_softmax(logits, 2, hard, **words), general(logits, 2, hard, **words))
    expected = gs.sample(logits.numpy(), temperature=np.float64(2), hard=hard, **words)
    assert np.array_equal(gumbel_softmax(logits, 2, hard, **words).numpy(), expected)


def test_fast_path_is_taken_for_plain_float32_calls(monkeypatch):
    def refuse(*arguments, **keywords):
        raise AssertionError("the general path ran")

    monkeypatch.setattr(gst, "_sample", refuse)
    gumbel_softmax(LOGITS, 0.5, seed=1)
    gumbel_softmax(LOGITS, 1, True, dim=1)
    leaf = LOGITS.clone().requires_grad_()
    gumbel_softmax(leaf, 0.5, seed=1).sum().backward()  # the soft sample of the autograd path too


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_differentiable_fast_path_gradients_are_the_general_paths(general, library_calls, dtype, hard):
    """The first-order backward of the common case is the library's VJP (gs_gradient): the
    general path's torch-op formula up to rounding; with create_graph=True the formula itself."""
    logits = LOGITS.to(dtype)
    upstream = torch.randn(32, 10, dtype=dtype)
    results = {}
    for name, call in (("fast", gumbel_softmax), ("general", general)):
        for create_graph in (False, True):
            leaf = logits.clone().requires_grad_()
            library_calls.clear()
            y = call(leaf, 0.7, hard, seed=3)
            (gradient,) = torch.autograd.grad(y, leaf, upstream, create_graph=create_graph)
            results[name, create_graph] = (y.detach(), gradient.detach())
            used_vjp = any(function == "gradient" for function, _ in library_calls)
            assert used_vjp == (name == "fast" and not create_graph)
    for create_graph in (False, True):
        assert torch.equal(results["fast", create_graph][0], results["general", create_graph][0])
    assert torch.equal(results["fast", True][1], results["general", True][1])
    tolerance = dict(rtol=1e-5, atol=1e-6) if dtype is torch.float32 else dict(rtol=1e-13, atol=1e-15)
    torch.testing.assert_close(results["fast", False][1], results["general", False][1], **tolerance)


def test_fast_path_backward_passes_gradcheck_and_gradgradcheck_in_float64(library_calls):
    """gradcheck at its default tolerances through the library's float64 VJP (and gradgradcheck
    through the torch-op formula that create_graph=True takes)."""
    logits = LOGITS[:4, :6].double().requires_grad_()

    def function(x):
        return gumbel_softmax(x, 0.8, seed=5, stream=1)

    assert torch.autograd.gradcheck(function, (logits,))
    assert any(function == "gradient" for function, _ in library_calls)
    assert torch.autograd.gradgradcheck(function, (logits,))


def test_fast_path_double_backward_is_the_formulas():
    """grad of grad through the common case equals torch's autograd of softmax((x + g) / tau) with
    the library's noise g, in float64."""
    logits = LOGITS[:5].double()
    noise = torch.from_numpy(gs.gumbel_noise((5, 10), dtype=np.float64, seed=9))
    weights = torch.randn(5, 10, dtype=torch.float64)
    results = []
    for function in (lambda x: gumbel_softmax(x, 0.6, seed=9), lambda x: torch.softmax((x + noise) / 0.6, -1)):
        leaf = logits.clone().requires_grad_()
        (first,) = torch.autograd.grad((function(leaf) ** 2 * weights).sum(), leaf, create_graph=True)
        (second,) = torch.autograd.grad((first * weights).sum(), leaf)
        results.append((first.detach(), second))
    torch.testing.assert_close(results[0][0], results[1][0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(results[0][1], results[1][1], rtol=1e-10, atol=1e-12)


def test_fast_path_detects_an_in_place_change_of_the_sample():
    leaf = LOGITS.clone().requires_grad_()
    y = gumbel_softmax(leaf, 0.5, seed=1)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize(
    "arguments",
    [
        dict(tau=0.0),
        dict(tau=-1.0),
        dict(tau=float("nan")),
        dict(tau=float("inf")),
        dict(tau=1e-46),
        dict(tau=3.5e38),
        dict(tau=10**400),
        dict(seed=-1),
        dict(seed=2**64),
        dict(stream=2**64),
        dict(position=-1),
        dict(dim=2),
        dict(dim=0),
    ],
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_refusals_are_the_general_paths(arguments, dtype, general):
    call = dict(tau=0.5, seed=1) | arguments
    logits = LOGITS.to(dtype)
    ours = outcome(lambda: gumbel_softmax(logits, **call))
    assert same(ours, outcome(lambda: general(logits, **call))), ours


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("row, column, value", [(3, 4, float("nan")), (0, 9, float("inf"))])
def test_library_refusals_are_the_general_paths(row, column, value, dtype, general):
    logits = LOGITS.to(dtype, copy=True)
    logits[row, column] = value
    ours = outcome(lambda: gumbel_softmax(logits, 0.5, seed=1))
    assert ours[0] == "error" and same(ours, outcome(lambda: general(logits, 0.5, seed=1))), ours


def test_fast_path_takes_parameters_and_seeds_alike_in_and_out_of_inference_mode(library_calls, monkeypatch):
    """A Parameter (a plain tensor to torch's functions) takes the common case; the reused seed
    tensor works whether the first call is made in inference mode or not (a fresh thread-local
    store, so the seed tensor is created inside inference mode here whatever ran before)."""
    monkeypatch.setattr(gst, "_seed_buffers", threading.local())
    with torch.inference_mode():
        torch.manual_seed(1)
        first = gumbel_softmax(LOGITS, 0.5)
    torch.manual_seed(1)
    assert torch.equal(first, gumbel_softmax(LOGITS, 0.5))
    library_calls.clear()
    parameter = torch.nn.Parameter(LOGITS.clone())
    torch.manual_seed(1)
    y = gumbel_softmax(parameter, 0.5)
    assert [function for function, _ in library_calls] == ["sample"] and torch.equal(y.detach(), first)
    y.sum().backward()
    assert parameter.grad is not None and [function for function, _ in library_calls] == ["sample", "gradient"]


def test_fast_path_under_activation_checkpointing_recomputes_the_same_sample():
    from torch.utils.checkpoint import checkpoint

    weights = torch.randn(32, 10)
    results = []
    for checkpointed in (True, False):
        leaf = LOGITS.clone().requires_grad_()
        torch.manual_seed(2)
        if checkpointed:
            y = checkpoint(lambda x: gumbel_softmax(x, 0.5) * 2, leaf, use_reentrant=False)
        else:
            y = gumbel_softmax(leaf, 0.5) * 2
        (y * weights).sum().backward()
        results.append((y.detach(), leaf.grad))
    assert torch.equal(results[0][0], results[1][0]) and torch.equal(results[0][1], results[1][1])


def test_fast_path_batched_backward_takes_the_formula():
    """``is_grads_batched=True`` (``jacobian(..., vectorize=True)``) runs the backward under vmap,
    whose upstream gradient has no storage for the library: the torch-op formula takes it."""
    logits = LOGITS[:3, :4].double()

    def function(x):
        return gumbel_softmax(x, 0.7, seed=4)

    vectorized = torch.autograd.functional.jacobian(function, logits, vectorize=True)
    looped = torch.autograd.functional.jacobian(function, logits)
    torch.testing.assert_close(vectorized, looped, rtol=1e-13, atol=1e-15)
    leaf = logits.clone().requires_grad_()
    y = function(leaf)
    upstream = torch.randn(5, 3, 4, dtype=torch.float64)
    (batched,) = torch.autograd.grad(y, leaf, upstream, is_grads_batched=True, retain_graph=True)
    for index in range(5):
        (one,) = torch.autograd.grad(y, leaf, upstream[index], retain_graph=True)
        torch.testing.assert_close(batched[index], one, rtol=1e-13, atol=1e-15)


def test_fast_path_reads_negative_views_by_their_values(general):
    """A tensor with the negative bit (``torch._neg_view``, the imaginary part of a conjugate) holds
    the negation of its values in memory: the library never reads it directly."""
    negated = torch._neg_view(-LOGITS)
    assert torch.equal(gumbel_softmax(negated, 0.5, seed=1), gumbel_softmax(LOGITS, 0.5, seed=1))
    upstream = torch.randn(32, 10)
    gradients = []
    for given in (torch._neg_view(-upstream), upstream):
        leaf = LOGITS.clone().requires_grad_()
        gumbel_softmax(leaf, 0.5, seed=1).backward(given)
        gradients.append(leaf.grad)
    torch.testing.assert_close(gradients[0], gradients[1], rtol=1e-5, atol=1e-6)


def test_fast_path_backward_reads_a_sample_unpacked_in_another_layout(library_calls):
    """saved_tensors_hooks may hand the backward the sample in another layout (here transposed):
    the gradient is the same."""
    upstream = torch.randn(32, 10)
    gradients = []
    for hooked in (True, False):
        leaf = LOGITS.clone().requires_grad_()
        if hooked:
            with torch.autograd.graph.saved_tensors_hooks(lambda t: t.t().contiguous(), lambda t: t.t()):
                y = gumbel_softmax(leaf, 0.5, seed=1)
        else:
            y = gumbel_softmax(leaf, 0.5, seed=1)
        y.backward(upstream)
        gradients.append(leaf.grad)
    torch.testing.assert_close(gradients[0], gradients[1], rtol=1e-5, atol=1e-6)


def test_the_seed_is_drawn_on_the_cpu_whatever_the_default_device(monkeypatch):
    """Both paths draw the seed from the CPU generator, as the docs say, also when the default
    device is another one (here "meta", which has no generator of values): the common case's
    reused seed tensor is created on the CPU, and the general path's draw names the CPU."""
    monkeypatch.setattr(gst, "_seed_buffers", threading.local())
    torch.manual_seed(3)
    expected = gumbel_softmax(LOGITS, 0.5)
    with torch.device("meta"):
        torch.manual_seed(3)
        common = gumbel_softmax(LOGITS, 0.5)
        torch.manual_seed(3)
        general = gumbel_softmax(LOGITS.t().contiguous().t(), 0.5)  # not C-contiguous: the general path
    assert common.device.type == "cpu" and torch.equal(common, expected)
    assert torch.equal(general, expected)
