"""gumbel_softmax.torch as a drop-in for F.gumbel_softmax: the signature, 0-d and empty tensors,
every tau torch's formula accepts that is one per row, torch.compile(fullgraph=True), torch.func,
vmap's randomness flag, double backward, forward-mode AD, torch.jit.trace; and what PyTorch's
own tests check of F.gumbel_softmax (test_nn) and of RelaxedOneHotCategorical, asked of this
adapter in our own words."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="make test-torch installs torch")
import torch.nn.functional as F  # noqa: E402
from torch.distributions import RelaxedOneHotCategorical, constraints  # noqa: E402

import gumbel_softmax as gs  # noqa: E402
from gumbel_softmax.torch import gumbel_softmax  # noqa: E402

KEYS = dict(seed=99, stream=1, position=7)


def logits_of(shape, seed=0, dtype=torch.float32):
    return torch.from_numpy(np.random.default_rng(seed).normal(0, 2, size=shape)).to(dtype)


def formula(logits, tau, dim=-1, keys=KEYS):
    """softmax((logits + g) / tau) in float64 with the library's noise g for the same words."""
    rows = logits.detach().movedim(dim, -1)
    noise = torch.from_numpy(gs.gumbel_noise(tuple(rows.shape), **keys)).double().movedim(-1, dim)
    return torch.softmax((logits.double() + noise) / (tau.double() if torch.is_tensor(tau) else tau), dim)


# MARK: The signature and the shapes torch accepts


def test_positional_arguments_are_those_of_torch_functional():
    logits = logits_of((3, 4))
    torch.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = gumbel_softmax(logits, 1.0, False, 0)  # eps = 0: the categories stay along dim -1
    assert any("eps" in str(w.message) for w in caught)
    torch.testing.assert_close(y.sum(-1), torch.ones(3))
    assert not torch.allclose(y.sum(0), torch.ones(4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gumbel_softmax(logits, 1.0, False, 1e-10, 0)  # the default eps warns of nothing
    y = gumbel_softmax(logits, 0.5, True, 1e-10, 0, **KEYS)
    assert torch.equal(y.sum(0), torch.ones(4))


def test_zero_dimensional_and_empty_tensors_as_torch():
    for hard in (False, True):
        assert torch.equal(gumbel_softmax(torch.tensor(0.3), hard=hard), F.gumbel_softmax(torch.tensor(0.3), hard=hard))
    empty = gumbel_softmax(torch.zeros(3, 0))
    assert empty.shape == (3, 0) and empty.dtype == torch.float32
    assert gumbel_softmax(torch.zeros(0, 5), hard=True).shape == (0, 5)
    with pytest.raises(IndexError):  # F.gumbel_softmax's argmax over no categories fails as well
        F.gumbel_softmax(torch.zeros(3, 0), hard=True)
    with pytest.raises(IndexError):
        gumbel_softmax(torch.zeros(3, 0), hard=True)


@pytest.mark.parametrize(
    "tau",
    [0.7, torch.tensor(0.7), torch.tensor([0.7]), torch.full((6, 1), 0.7), torch.full((1, 1), 0.7),
     torch.full((5,), 0.7), torch.full((6, 5), 0.7)],
)
def test_every_tau_that_broadcasts_and_is_constant_along_dim(tau):
    logits = logits_of((6, 5))
    expected = gumbel_softmax(logits, 0.7, **KEYS)
    assert torch.equal(gumbel_softmax(logits, tau, **KEYS), expected)
    torch.testing.assert_close(expected.double(), formula(logits, 0.7), rtol=0, atol=3e-5)


@pytest.mark.parametrize(
    ("dtype", "tau"),
    [(torch.float32, torch.tensor(2)), (torch.float32, torch.full((3, 1), 2)), (torch.float32, torch.tensor(True)),
     (torch.float32, torch.full((3, 1), 0.5, dtype=torch.float64)),
     (torch.float32, torch.tensor(0.5, dtype=torch.float64)), (torch.bfloat16, torch.full((3, 1), 0.5)),
     (torch.float16, torch.full((3, 1), 0.5))],
)
def test_tau_tensors_of_any_real_dtype_and_the_result_dtype_are_torchs(dtype, tau):
    logits = logits_of((3, 4), dtype=dtype)
    for hard in (False, True):
        y = gumbel_softmax(logits, tau, hard, **KEYS)
        assert y.dtype == F.gumbel_softmax(logits, tau, hard).dtype, (dtype, tau.dtype, hard)
        assert y.shape == logits.shape
    y = gumbel_softmax(logits, tau, **KEYS)
    torch.testing.assert_close(y.double(), formula(logits, tau), rtol=0, atol=3e-5)
    grad_logits = logits.clone().requires_grad_()
    gumbel_softmax(grad_logits, tau, **KEYS).sum().backward()
    assert grad_logits.grad.dtype == dtype
    with pytest.raises(TypeError, match="real"):
        gumbel_softmax(logits, torch.tensor(1 + 0j), **KEYS)


def test_tau_per_row_along_another_dim():
    logits = logits_of((4, 3, 5))
    tau = torch.tensor([0.5, 1.0, 2.0, 4.0])[:, None, None]
    y = gumbel_softmax(logits, tau, dim=1, **KEYS)
    torch.testing.assert_close(y.double(), formula(logits, tau, dim=1), rtol=0, atol=3e-5)


def test_tau_that_varies_along_dim_or_enlarges_is_refused():
    logits = logits_of((6, 5))
    with pytest.raises(ValueError, match="constant along dim"):
        gumbel_softmax(logits, torch.linspace(0.5, 1.0, 5), **KEYS)
    with pytest.raises(ValueError, match="must broadcast"):
        gumbel_softmax(logits, torch.ones(2, 6, 5), **KEYS)
    with pytest.raises(ValueError, match="size 1 along dim"):  # its gradient per category needs the noise
        gumbel_softmax(logits, torch.full((5,), 0.7, requires_grad=True), **KEYS)


# MARK: Tracing and transforms


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(8, 6)

    def forward(self, x, hard: bool = False):
        return gumbel_softmax(self.linear(x), 0.5, hard=hard)


@pytest.mark.parametrize("hard", [False, True])
def test_torch_compile_fullgraph_fresh_noise_and_gradients(hard):
    torch.manual_seed(3)
    model, x = Encoder(), torch.randn(4, 8)
    compiled = torch.compile(model, fullgraph=True)  # fails on any graph break
    a, b = compiled(x, hard), compiled(x, hard)
    assert not torch.equal(a, b)  # the seed is drawn at every call, not frozen into the graph
    torch.manual_seed(11)
    eager = model(x, hard)
    torch.manual_seed(11)
    assert torch.equal(compiled(x, hard), eager)  # the same torch.randint draw, the same sample
    weights = torch.randn(4, 6)
    torch.manual_seed(12)
    (compiled(x, hard) * weights).sum().backward()
    compiled_grad = model.linear.weight.grad.clone()
    model.zero_grad()
    torch.manual_seed(12)
    (model(x, hard) * weights).sum().backward()
    torch.testing.assert_close(compiled_grad, model.linear.weight.grad)


def test_forward_ad_inside_torch_compile_is_exact_or_refused():
    # Dynamo drops the jvp of an autograd.Function whose inputs do not require grad: with
    # fullgraph=True the call is refused, without it the call runs eagerly (the right tangent).
    logits, tangent = logits_of((3, 4)), logits_of((3, 4), seed=1)

    def tangent_of(a, t):
        return torch.func.jvp(lambda q: gumbel_softmax(q, 0.5, **KEYS), (a,), (t,))[1]

    eager = tangent_of(logits, tangent)
    assert torch.count_nonzero(eager) > 0
    with pytest.raises(Exception, match="forward-mode AD"):
        torch.compile(tangent_of, backend="eager", fullgraph=True)(logits, tangent)
    torch._dynamo.reset()  # Dynamo caches per code object
    assert torch.equal(torch.compile(tangent_of, backend="eager")(logits, tangent), eager)


def test_torch_compile_fullgraph_accepts_eps():
    logits = logits_of((3, 4))
    compiled = torch.compile(lambda a: gumbel_softmax(a, 1, False, 1e-5, **KEYS), backend="eager", fullgraph=True)
    assert torch.equal(compiled(logits), gumbel_softmax(logits, 1, **KEYS))


def test_torch_jit_trace_draws_fresh_noise():
    logits = logits_of((4, 6))
    traced = torch.jit.trace(lambda l: gumbel_softmax(l, 0.5), (logits,), check_trace=False)
    first, second = traced(logits), traced(logits)
    assert not torch.equal(first, second)
    torch.testing.assert_close(first.sum(-1), torch.ones(4))


def test_torch_func_grad_vjp_and_jacrev_are_the_formula():
    logits, weights = logits_of((3, 5), seed=1), logits_of((3, 5), seed=2)
    tau = torch.tensor([[0.5], [1.0], [1.5]])

    def loss(l, t):
        return (weights * gumbel_softmax(l, t, **KEYS) ** 2).sum()

    def reference(l, t):
        return (weights.double() * formula(l, t) ** 2).sum()

    ours = torch.func.grad(loss, argnums=(0, 1))(logits, tau)
    theirs = torch.func.grad(reference, argnums=(0, 1))(logits.double(), tau.double())
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a.double(), b, rtol=1e-3, atol=1e-5)
    _, vjp = torch.func.vjp(lambda l: gumbel_softmax(l, tau, **KEYS), logits)
    _, vjp_reference = torch.func.vjp(lambda l: formula(l, tau.double()), logits.double())
    torch.testing.assert_close(vjp(weights)[0].double(), vjp_reference(weights.double())[0], rtol=1e-3, atol=1e-5)
    jacobian = torch.func.jacrev(lambda l: gumbel_softmax(l, tau, **KEYS))(logits)
    assert jacobian.shape == (3, 5, 3, 5)
    expected = torch.func.jacrev(lambda l: formula(l, tau.double()))(logits.double())
    torch.testing.assert_close(jacobian.double(), expected, rtol=1e-3, atol=1e-5)


def test_double_backward_forward_ad_and_hessian_are_the_formula():
    logits, weights, direction = logits_of((3, 5), seed=3), logits_of((3, 5), seed=4), logits_of((3, 5), seed=5)
    l32 = logits.clone().requires_grad_()
    (first,) = torch.autograd.grad((weights * gumbel_softmax(l32, 0.8, **KEYS) ** 2).sum(), l32, create_graph=True)
    (second,) = torch.autograd.grad((first * direction).sum(), l32)
    l64 = logits.double().requires_grad_()
    (first64,) = torch.autograd.grad((weights.double() * formula(l64, 0.8) ** 2).sum(), l64, create_graph=True)
    (second64,) = torch.autograd.grad((first64 * direction.double()).sum(), l64)
    torch.testing.assert_close(second.double(), second64, rtol=2e-3, atol=1e-5)
    # Forward mode, both spellings, w.r.t. the logits and the temperature.
    tau = torch.tensor(0.8)
    tau_direction = torch.tensor(0.3)
    _, tangent = torch.func.jvp(lambda l, t: gumbel_softmax(l, t, **KEYS), (logits, tau), (direction, tau_direction))
    _, expected = torch.func.jvp(formula, (logits.double(), tau.double()), (direction.double(), tau_direction.double()))
    torch.testing.assert_close(tangent.double(), expected, rtol=1e-3, atol=1e-5)
    import torch.autograd.forward_ad as forward_ad

    with forward_ad.dual_level():
        dual = forward_ad.make_dual(logits, direction)
        tangent_only_logits = forward_ad.unpack_dual(gumbel_softmax(dual, 0.8, **KEYS)).tangent
    _, expected = torch.func.jvp(lambda l: formula(l, 0.8), (logits.double(),), (direction.double(),))
    torch.testing.assert_close(tangent_only_logits.double(), expected, rtol=1e-3, atol=1e-5)
    hessian = torch.func.hessian(lambda l: (weights[0] * gumbel_softmax(l, 0.8, **KEYS)).sum())(logits[0])
    expected = torch.func.hessian(lambda l: (weights[0].double() * formula(l[None], 0.8)[0]).sum())(logits[0].double())
    torch.testing.assert_close(hessian.double(), expected, rtol=2e-3, atol=1e-5)


def test_vmap_randomness_semantics():
    """vmap's randomness flag decides, as for torch's own random functions: "error" (the default)
    refuses, "same" gives every member the same noise, "different" each its own; with an explicit
    seed the function is deterministic and member i is the unbatched call of member i."""
    batch = logits_of((4, 3, 6), seed=6)
    with pytest.raises(RuntimeError, match="randomness"):
        torch.func.vmap(lambda l: gumbel_softmax(l, 0.5))(batch)
    torch.manual_seed(21)
    same = torch.func.vmap(lambda l: gumbel_softmax(l, 0.5), randomness="same")(batch)
    torch.manual_seed(21)
    assert torch.equal(same[2], gumbel_softmax(batch[2], 0.5))  # the one seed, each member from its start
    shared = torch.func.vmap(lambda l: gumbel_softmax(l, 0.5), randomness="same")(batch[:1].expand(4, 3, 6))
    assert all(torch.equal(shared[0], shared[i]) for i in range(4))
    different = torch.func.vmap(lambda l: gumbel_softmax(l, 0.5), randomness="different")(batch[:1].expand(4, 3, 6))
    assert not torch.equal(different[0], different[1])
    taus = torch.tensor([0.3, 1, 2, 5.0])
    seeded = torch.func.vmap(lambda l, t: gumbel_softmax(l, t, hard=True, **KEYS))(batch, taus)
    for i, t in enumerate((0.3, 1, 2, 5.0)):
        assert torch.equal(seeded[i], gumbel_softmax(batch[i], t, hard=True, **KEYS))
    nested = torch.func.vmap(torch.func.vmap(lambda l: gumbel_softmax(l, 0.5, **KEYS)))(batch.reshape(2, 2, 3, 6))
    assert torch.equal(nested.reshape(4, 3, 6)[3], gumbel_softmax(batch[3], 0.5, **KEYS))
    # vmap of grad: per-member gradients, each the unbatched one.
    grads = torch.func.vmap(torch.func.grad(lambda l: gumbel_softmax(l, 0.5, **KEYS)[:, 0].sum()))(batch)
    single = torch.func.grad(lambda l: gumbel_softmax(l, 0.5, **KEYS)[:, 0].sum())(batch[1])
    torch.testing.assert_close(grads[1], single)


# MARK: What PyTorch's test_nn checks of F.gumbel_softmax


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape, dim", [((5,), 0), ((5, 4), 1), ((5, 4), 0), ((5, 4, 3), 1), ((5, 4, 3), -1)])
def test_shapes_and_straight_through_one_hot(shape, dim, dtype):
    """Soft samples keep the shape and dtype and sum to 1 along dim; hard samples are exactly one
    1 per slice along dim, the rest 0. (float64 needs the numpy API's float64, contract 2.1.)"""
    logits = logits_of(shape, seed=7, dtype=dtype).requires_grad_()
    soft = gumbel_softmax(logits, dim=dim)
    assert soft.shape == logits.shape and soft.dtype == dtype
    torch.testing.assert_close(soft.sum(dim), torch.ones_like(soft.sum(dim)))
    hard = gumbel_softmax(logits, hard=True, dim=dim)
    assert hard.shape == logits.shape and hard.dtype == dtype
    assert torch.equal(hard.sum(dim), torch.ones_like(hard.sum(dim)))
    assert torch.equal((hard == 1).sum(dim), torch.ones_like(hard.sum(dim), dtype=torch.int64))
    assert torch.equal((hard == 0).sum(), torch.tensor(hard.numel() - hard.sum(dim).numel()))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_straight_through_counts_follow_the_probabilities(dtype):
    """test_nn draws many hard samples of one row and compares the counts with softmax(logits);
    here by chi-squared with a 1e-6 tail."""
    from scipy.stats import chi2

    logits = torch.tensor([0.2, 0.8, -0.4, 1.2], dtype=dtype)
    n = 20_000
    torch.manual_seed(31)
    counts = gumbel_softmax(logits.expand(n, 4), 0.3, hard=True).sum(0).double()
    expected = torch.softmax(logits.double(), 0) * n
    assert chi2.sf(float(((counts - expected) ** 2 / expected).sum()), 3) > 1e-6


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_straight_through_gradient_is_the_soft_gradient(dtype):
    """test_nn: hard=True differentiates like the soft sample of the same noise."""
    logits = logits_of((10, 5), seed=8, dtype=dtype)
    weights = logits_of((10, 5), seed=9, dtype=dtype)
    gradients = []
    for hard in (False, True):
        leaf = logits.clone().requires_grad_()
        (gumbel_softmax(leaf, 0.6, hard=hard, **KEYS) * weights).sum().backward()
        gradients.append(leaf.grad)
    assert torch.equal(gradients[0], gradients[1]) and gradients[0].abs().sum() > 0


# MARK: What torch.distributions' RelaxedOneHotCategorical tests check


def test_samples_lie_in_the_support_and_the_density_is_torchs():
    """RelaxedOneHotCategorical's tests: samples in its support (constraints.simplex), and its
    log_prob of them; here our samples against torch's log_prob and the numpy API's."""
    logits = logits_of((5, 4), seed=10)
    temperature = torch.tensor(0.7)
    y = gumbel_softmax(logits, temperature, **KEYS)
    assert bool(constraints.simplex.check(y).all())
    distribution = RelaxedOneHotCategorical(temperature, logits=logits)
    torch.testing.assert_close(
        torch.from_numpy(gs.log_prob(y.numpy(), logits.numpy(), temperature=0.7)),
        distribution.log_prob(y).double(), rtol=1e-4, atol=1e-4,
    )
    # One temperature per row ([B, 1] against the logits), each row against its own distribution.
    temperatures = torch.tensor([0.4, 0.8, 1.2, 1.6, 2.0])[:, None]
    y = gumbel_softmax(logits, temperatures, **KEYS)
    assert bool(constraints.simplex.check(y).all())
    ours = gs.log_prob(y.numpy(), logits.numpy(), temperature=temperatures.numpy()[:, 0])
    for b in range(5):
        theirs = RelaxedOneHotCategorical(temperatures[b, 0], logits=logits[b]).log_prob(y[b])
        assert abs(float(ours[b]) - float(theirs)) < 1e-4 * max(1.0, abs(float(theirs)))


def test_rsample_gradients_agree_with_relaxed_one_hot_categorical_in_distribution():
    """The reparameterised gradient of E[f(y)] w.r.t. the logits, averaged over many samples,
    agrees with RelaxedOneHotCategorical.rsample's (different noise, the same distribution)."""
    logits = torch.tensor([0.5, -0.5, 1.0])
    weights = torch.tensor([1.0, -2.0, 0.5])
    n = 40_000
    torch.manual_seed(41)
    ours_leaf = logits.clone().requires_grad_()
    (gumbel_softmax(ours_leaf.expand(n, 3), 0.8) * weights).sum(-1).mean().backward()
    theirs_leaf = logits.clone().requires_grad_()
    (RelaxedOneHotCategorical(torch.tensor(0.8), logits=theirs_leaf).rsample((n,)) * weights).sum(-1).mean().backward()
    # Each component's standard error is below 0.01 at this n; 6 of them is a 1e-9 tail.
    torch.testing.assert_close(ours_leaf.grad, theirs_leaf.grad, rtol=0, atol=0.06)
