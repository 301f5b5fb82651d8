"""The torch adapter's common case (issue 26): a plain eager call on a contiguous float32 tensor
goes straight to the library, with the same values, the same draw from torch's generator and the
same refusals as the general path (the custom operator's implementation)."""

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


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("shape", [(1, 10), (32, 10), (256, 10), (10,), (3, 4, 5)])
def test_fast_path_gives_the_general_paths_values_and_draw(shape, hard, general, monkeypatch):
    logits = torch.randn(shape)
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


def test_differentiable_fast_path_gradients_are_the_general_paths(general):
    upstream = torch.randn(32, 10)
    gradients = []
    for call in (gumbel_softmax, general):
        leaf = LOGITS.clone().requires_grad_()
        y = call(leaf, 0.7, seed=3)
        y.backward(upstream)
        gradients.append((y.detach(), leaf.grad))
    assert torch.equal(gradients[0][0], gradients[1][0]) and torch.equal(gradients[0][1], gradients[1][1])


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
def test_refusals_are_the_general_paths(arguments, general):
    call = dict(tau=0.5, seed=1) | arguments
    ours = outcome(lambda: gumbel_softmax(LOGITS, **call))
    assert same(ours, outcome(lambda: general(LOGITS, **call))), ours


@pytest.mark.parametrize("row, column, value", [(3, 4, float("nan")), (0, 9, float("inf"))])
def test_library_refusals_are_the_general_paths(row, column, value, general):
    logits = LOGITS.clone()
    logits[row, column] = value
    ours = outcome(lambda: gumbel_softmax(logits, 0.5, seed=1))
    assert ours[0] == "error" and same(ours, outcome(lambda: general(logits, 0.5, seed=1))), ours
