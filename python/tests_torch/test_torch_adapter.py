"""gumbel_softmax.torch: forward equal to the numpy API, backward checked by gradcheck and against
torch's autograd of the float64 formula with the library's noise, the same distribution as
F.gumbel_softmax. Run with `make test-torch` (installs torch into .venv-torch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="make test-torch installs torch")
import torch.nn.functional as F  # noqa: E402

import gumbel_softmax as gs  # noqa: E402
import gumbel_softmax.torch as gst  # noqa: E402
from gumbel_softmax.torch import gumbel_softmax  # noqa: E402

KEYS = dict(seed=2**63 + 12345, stream=3, position=1000)


def logits_of(shape, seed=0, dtype=torch.float32):
    return torch.from_numpy(np.random.default_rng(seed).normal(0, 2, size=shape)).to(dtype)


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_forward_equals_numpy_api(hard, dim):
    logits = logits_of((4, 5, 6))
    y = gumbel_softmax(logits, 0.7, hard=hard, dim=dim, **KEYS)
    rows = logits.movedim(dim, -1).contiguous().numpy()
    expected = gs.sample(rows, temperature=0.7, output="hard" if hard else "soft", **KEYS)
    assert y.dtype == torch.float32 and y.shape == logits.shape
    assert y.movedim(dim, -1).contiguous().numpy().tobytes() == expected.tobytes()


def test_per_row_temperatures_forward():
    logits = logits_of((3, 7))
    tau = torch.tensor([0.3, 1.0, 4.0])
    expected = gs.sample(logits.numpy(), temperature=tau.numpy(), **KEYS)
    assert gumbel_softmax(logits, tau[:, None], **KEYS).numpy().tobytes() == expected.tobytes()
    with pytest.raises(ValueError, match="must broadcast"):  # [3] against [3, 7]: as torch's own formula
        gumbel_softmax(logits, tau, **KEYS)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("common", [True, False])
def test_float32_and_float64_are_not_copied(monkeypatch, library_calls, dtype, common):
    """The library reads the tensor's own memory and writes the returned tensor, in the common case
    (straight to gs_sample) and on the general path (the numpy API, or its float32 shortcut)."""
    seen = []
    library_sample = gst._sample

    def recording(x, **kwargs):
        seen.append((x.ctypes.data, kwargs["out"].ctypes.data))
        assert x.dtype == kwargs["out"].dtype == np.dtype(str(dtype).removeprefix("torch."))
        return library_sample(x, **kwargs)

    library_call = gst._fast.call

    def recording_call(source, count, columns, *arguments):  # the general path's float32 shortcut
        seen.append((source, arguments[-1]))
        return library_call(source, count, columns, *arguments)

    monkeypatch.setattr(gst, "_sample", recording)
    monkeypatch.setattr(gst._fast, "call", recording_call)
    if not common:
        monkeypatch.setattr(gst, "_constant_sample", lambda *given: None)
    logits = logits_of((8, 16), dtype=dtype)
    y = gumbel_softmax(logits, 0.5, **KEYS)
    seen += [(arguments[0], arguments[10]) for _, arguments in library_calls]
    assert len(seen) == 1
    assert seen[0][0] == logits.data_ptr()  # the library read the tensor's own memory
    assert seen[0][1] == y.data_ptr()  # and wrote the returned tensor directly
    assert bool(library_calls) == common


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_narrow_dtypes_compute_in_float32(dtype):
    logits = logits_of((5, 9), dtype=dtype).requires_grad_()
    y = gumbel_softmax(logits, 0.9, **KEYS)
    assert y.dtype == dtype
    reference = gumbel_softmax(logits.detach().float(), 0.9, **KEYS)
    assert torch.equal(y, reference.to(dtype))
    y[:, 0].sum().backward()
    assert logits.grad.dtype == dtype and torch.isfinite(logits.grad.float()).all()


def test_seed_from_torch_default_generator():
    logits = logits_of((6, 10))
    torch.manual_seed(1234)
    a = gumbel_softmax(logits)
    b = gumbel_softmax(logits)
    torch.manual_seed(1234)
    assert torch.equal(gumbel_softmax(logits), a)
    assert torch.equal(gumbel_softmax(logits), b)
    assert not torch.equal(a, b)
    generator = torch.Generator().manual_seed(7)
    c = gumbel_softmax(logits, generator=generator)
    assert torch.equal(c, gumbel_softmax(logits, generator=torch.Generator().manual_seed(7)))


@pytest.mark.parametrize("per_row", [False, True])
def test_gradcheck_and_gradgradcheck_float64_at_default_tolerances(per_row):
    """torch.autograd.gradcheck's defaults (eps 1e-6, atol 1e-5, rtol 1e-3), backward and forward
    mode, and gradgradcheck, need float64 end to end: until the numpy API's float64 (contract 2.1)
    lands this fails."""
    logits = logits_of((3, 5), seed=2, dtype=torch.float64).requires_grad_()
    tau = torch.tensor([[0.6], [1.1], [2.0]] if per_row else 0.8, dtype=torch.float64, requires_grad=True)

    def function(l, t):
        return gumbel_softmax(l, t, **KEYS)

    assert torch.autograd.gradcheck(function, (logits, tau), check_forward_ad=True)
    assert torch.autograd.gradgradcheck(function, (logits, tau))


@pytest.mark.parametrize("per_row", [False, True])
@pytest.mark.parametrize("dim", [-1, 0])
def test_backward_equals_autograd_of_the_formula_with_the_library_noise(per_row, dim):
    logits = logits_of((6, 8), seed=3)
    batch = logits.shape[1 - dim % 2]
    tau = torch.linspace(0.4, 1.7, batch).unsqueeze(dim) if per_row else torch.tensor(0.8)
    weights = logits_of(logits.shape, seed=4)
    # The float64 formula with the library's noise for the same words.
    rows = logits.movedim(dim, -1)
    noise = torch.from_numpy(gs.gumbel_noise(rows.shape, **KEYS)).movedim(-1, dim).double()
    l64 = logits.double().requires_grad_()
    t64 = tau.double().requires_grad_()
    reference = torch.softmax((l64 + noise) / t64, dim=dim)
    (weights.double() * reference**2).sum().backward()

    l32 = logits.clone().requires_grad_()
    t32 = tau.clone().requires_grad_()
    y = gumbel_softmax(l32, t32, dim=dim, **KEYS)
    torch.testing.assert_close(y.double(), reference.detach(), rtol=0, atol=2e-5 + 2**-22 * 30)
    (weights * y**2).sum().backward()
    torch.testing.assert_close(l32.grad.double(), l64.grad, rtol=1e-3, atol=1e-5)
    torch.testing.assert_close(t32.grad.double(), t64.grad, rtol=1e-3, atol=1e-5)
    assert t32.grad.shape == tau.shape


def test_hard_is_one_hot_with_the_straight_through_gradient():
    logits = logits_of((10, 6), seed=5)
    weights = logits_of((10, 6), seed=6)
    grads = []
    for hard in (False, True):
        l = logits.clone().requires_grad_()
        t = torch.tensor(0.5, requires_grad=True)
        y = gumbel_softmax(l, t, hard=hard, **KEYS)
        if hard:
            assert set(y.unique().tolist()) == {0.0, 1.0} and torch.equal(y.sum(-1), torch.ones(10))
        (weights * y).sum().backward()
        grads.append((l.grad, t.grad))
    assert torch.equal(grads[0][0], grads[1][0]) and torch.equal(grads[0][1], grads[1][1])
    # The same as F.gumbel_softmax's construction y_hard - y_soft.detach() + y_soft.
    l = logits.clone().requires_grad_()
    soft = gumbel_softmax(l, 0.5, **KEYS)
    hard = gumbel_softmax(logits, 0.5, hard=True, **KEYS)
    ((hard - soft.detach() + soft) * weights).sum().backward()
    torch.testing.assert_close(l.grad, grads[1][0])


def chi_squared_p(counts, probabilities):
    from scipy.stats import chi2

    expected = probabilities * counts.sum()
    statistic = float(((counts - expected) ** 2 / expected).sum())
    return chi2.sf(statistic, len(counts) - 1)


def test_same_distribution_as_torch_functional():
    from scipy.stats import chi2_contingency

    logits = torch.tensor([1.0, -0.5, 0.3, 2.0, -2.0, 0.0])
    probabilities = torch.softmax(logits.double(), 0).numpy()
    n = 40_000
    batch = logits.expand(n, -1)
    torch.manual_seed(0)
    ours = gumbel_softmax(batch, 0.7, hard=True).sum(0).double().numpy()
    theirs = F.gumbel_softmax(batch, 0.7, hard=True).sum(0).double().numpy()
    assert ours.sum() == n and theirs.sum() == n
    assert chi_squared_p(ours, probabilities) > 1e-6
    assert chi_squared_p(theirs, probabilities) > 1e-6
    assert chi2_contingency(np.stack([ours, theirs])).pvalue > 1e-6
    # The test has power: logits shifted by 0.15 in one category are rejected.
    shifted = torch.softmax(logits.double() + torch.tensor([0.15, 0, 0, 0, 0, 0]), 0).numpy()
    assert chi_squared_p(ours, shifted) < 1e-6


def test_bad_input():
    logits = logits_of((3, 4))
    with pytest.raises(gs.GumbelSoftmaxError, match="NaN"):
        bad = logits.clone()
        bad[1, 2] = float("nan")
        gumbel_softmax(bad, seed=0)
    with pytest.raises(gs.GumbelSoftmaxError):
        gumbel_softmax(logits, 0.0, seed=0)
    with pytest.raises(ValueError, match="constant along dim"):
        gumbel_softmax(logits, torch.arange(1.0, 5.0), seed=0)
    with pytest.raises(ValueError, match="must broadcast"):
        gumbel_softmax(logits, torch.ones(2, 3, 4), seed=0)  # would enlarge the result
    with pytest.raises(TypeError, match="floating-point"):
        gumbel_softmax(torch.ones(3, 4, dtype=torch.int64), seed=0)
    with pytest.raises(IndexError):
        gumbel_softmax(logits, dim=2, seed=0)


def test_hard_without_gradients_draws_once(monkeypatch, library_calls):
    outputs = []
    library_sample = gst._sample

    def recording(x, **kwargs):
        outputs.append(kwargs["output"])
        return library_sample(x, **kwargs)

    library_call = gst._fast.call

    def recording_call(source, count, columns, temperature, code, *arguments):  # the float32 fast path
        outputs.append({0: "soft", 2: "hard"}[code])
        return library_call(source, count, columns, temperature, code, *arguments)

    monkeypatch.setattr(gst, "_sample", recording)
    monkeypatch.setattr(gst._fast, "call", recording_call)
    logits = logits_of((6, 5))
    y = gumbel_softmax(logits, 0.5, hard=True, **KEYS)
    outputs.extend({0: "soft", 2: "hard"}[arguments[5]] for _, arguments in library_calls)  # the common case
    assert outputs == ["hard"]
    outputs.clear()
    library_calls.clear()
    y_grad = gumbel_softmax(logits.clone().requires_grad_(), 0.5, hard=True, **KEYS)
    outputs.extend({0: "soft", 2: "hard"}[arguments[5]] for _, arguments in library_calls)
    assert sorted(outputs) == ["hard", "soft"]  # the soft sample gives the straight-through derivatives
    assert torch.equal(y, y_grad.detach())
