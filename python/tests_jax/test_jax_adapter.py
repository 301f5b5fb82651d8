"""gumbel_softmax.jax under jit, grad and vmap, against JAX's own expression with the same key.
Run with `make test-jax` (installs jax[cpu] into .venv-jax)."""

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="make test-jax installs jax[cpu]")
import jax.numpy as jnp  # noqa: E402

import gumbel_softmax.jax as gsj  # noqa: E402
from gumbel_softmax.jax import gumbel_softmax  # noqa: E402


@pytest.fixture(params=["callback", "ffi"])
def backend(request):
    """Both ways the backward pass reaches the library. `make test-jax` builds the FFI handler
    (`make jax-ffi`); without it the "ffi" cases fail with the command to build it."""
    gsj.set_backward(request.param)
    yield request.param
    gsj.set_backward("auto")


def soft_tolerance(z):
    """SPEC section 3: 2e-5 + 2^-22 * zmax per row."""
    return 2e-5 + 2.0**-22 * float(jnp.max(jnp.abs(z)))


def plain(key, logits, tau=1.0, hard=False, axis=-1):
    """What a JAX user writes: the reference, with JAX's own autodiff."""
    tau = jnp.asarray(tau, jnp.float32)
    if tau.ndim:
        tau = jnp.expand_dims(tau, axis)
    z = (logits + jax.random.gumbel(key, logits.shape)) / tau
    soft = jax.nn.softmax(z, axis=axis)
    if not hard:
        return soft
    one_hot = jax.nn.one_hot(jnp.argmax(z, axis=axis), logits.shape[axis], axis=axis)
    return one_hot - jax.lax.stop_gradient(soft) + soft


def logits_of(shape, seed=0, scale=2.0):
    return jnp.asarray(np.random.default_rng(seed).normal(0, scale, size=shape).astype(np.float32))


@pytest.mark.parametrize("make_key", [jax.random.PRNGKey, jax.random.key])
def test_worked_example(make_key):
    expected = np.array([0.28715432, 0.7128457], np.float32)
    for function in (gumbel_softmax, jax.jit(gumbel_softmax)):
        y = np.asarray(function(make_key(0), jnp.zeros(2)))
        assert y.dtype == np.float32
        assert np.all(np.abs(y - expected) <= 2e-5 + 2.0**-22 * 2), y


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_forward_is_jax_expression(axis):
    key = jax.random.key(7)
    logits = logits_of((5, 6, 7), seed=1)
    y = jax.jit(gumbel_softmax, static_argnames=("hard", "axis"))(key, logits, 0.7, axis=axis)
    reference = plain(key, logits, 0.7, axis=axis)
    assert y.shape == logits.shape
    assert np.max(np.abs(y - reference)) <= soft_tolerance(logits / 0.7 + 20)
    np.testing.assert_allclose(np.sum(y, axis=axis), 1, atol=1e-5)


def test_hard_forward_is_one_hot_of_jax_argmax():
    key = jax.random.PRNGKey(3)
    logits = logits_of((50, 9), seed=2)
    y = gumbel_softmax(key, logits, 0.5, hard=True)
    reference = plain(key, logits, 0.5, hard=True)
    assert set(np.unique(np.asarray(y))) <= {0.0, 1.0}
    np.testing.assert_array_equal(np.argmax(y, -1), np.argmax(reference, -1))
    np.testing.assert_array_equal(np.sum(y, -1), 1)


def weights_of(shape):
    return jnp.asarray(np.random.default_rng(99).normal(size=shape).astype(np.float32))


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("per_row", [False, True])
@pytest.mark.parametrize("axis", [-1, 0])
def test_gradients_match_jax_autodiff(backend, hard, per_row, axis):
    key = jax.random.key(11)
    logits = logits_of((6, 8), seed=3)
    batch = logits.shape[1 - axis % 2]
    tau = jnp.linspace(0.4, 1.6, batch) if per_row else jnp.float32(0.8)
    weights = weights_of(logits.shape)

    def loss(function, logits, tau):
        return jnp.sum(weights * function(key, logits, tau, hard=hard, axis=axis) ** 2)

    ours = jax.jit(jax.grad(lambda l, t: loss(gumbel_softmax, l, t), argnums=(0, 1)))(logits, tau)
    theirs = jax.grad(lambda l, t: loss(plain, l, t), argnums=(0, 1))(logits, tau)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)
    assert np.any(np.abs(ours[0]) > 1e-3) and np.all(np.abs(ours[1]) > 0)


def test_backward_runs_in_the_library(backend, monkeypatch):
    calls = []
    library_gradient = gsj._gradient

    def counting(*args, **kwargs):
        calls.append(np.shape(args[0]))
        return library_gradient(*args, **kwargs)

    monkeypatch.setattr(gsj, "_gradient", counting)
    logits = logits_of((4, 5))
    gradient = jax.grad(lambda l: jnp.sum(gumbel_softmax(jax.random.key(0), l)[:, 0]))(logits)
    # The callback goes through the Python API; the FFI custom call straight to the C function.
    assert calls == ([(4, 5)] if backend == "callback" else [])
    hlo = jax.jit(jax.grad(lambda l: jnp.sum(gumbel_softmax(jax.random.key(0), l)[:, 0]))).lower(logits).as_text()
    assert ("gumbel_softmax_gradient" in hlo) == (backend == "ffi")
    assert np.any(np.asarray(gradient) != 0)


def test_vmap_over_keys_and_logits_and_grad(backend):
    keys = jax.random.split(jax.random.key(5), 4)
    logits = logits_of((4, 3, 6), seed=4)
    taus = jnp.array([0.5, 1.0, 2.0, 0.9])
    batched = jax.jit(jax.vmap(gumbel_softmax))(keys, logits, taus)
    for i in range(4):
        single = gumbel_softmax(keys[i], logits[i], taus[i])
        np.testing.assert_allclose(batched[i], single, rtol=2e-6, atol=1e-7)  # jit fuses differently

    def loss(key, l, t):
        return jnp.sum(gumbel_softmax(key, l, t)[:, 1])

    grads = jax.jit(jax.vmap(jax.grad(loss, argnums=(1, 2))))(keys, logits, taus)
    for i in range(4):
        single = jax.grad(loss, argnums=(1, 2))(keys[i], logits[i], taus[i])
        np.testing.assert_allclose(grads[0][i], single[0], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(grads[1][i], single[1], rtol=1e-6, atol=1e-7)
    # A shared key over a batch of logits (in_axes None): the same noise for every member.
    shared = jax.vmap(gumbel_softmax, in_axes=(None, 0))(keys[0], logits)
    for i in range(4):
        np.testing.assert_allclose(shared[i], gumbel_softmax(keys[0], logits[i]), rtol=2e-6, atol=1e-7)


def test_masked_categories_get_zero_and_finite_gradients(backend):
    logits = logits_of((3, 5)).at[:, 2].set(-jnp.inf)
    y = gumbel_softmax(jax.random.key(1), logits, 0.5)
    assert np.all(np.asarray(y[:, 2]) == 0)
    g = jax.grad(lambda l, t: jnp.sum(gumbel_softmax(jax.random.key(1), l, t)[:, 0]), argnums=(0, 1))(logits, 0.5)
    assert np.all(np.isfinite(g[0])) and np.all(np.asarray(g[0][:, 2]) == 0) and np.isfinite(g[1])


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16, jnp.int32])
def test_dtypes_compute_in_float32(dtype):
    logits = logits_of((4, 6)).astype(dtype)
    y = gumbel_softmax(jax.random.key(2), logits)
    expected_dtype = jnp.float32 if dtype == jnp.int32 else dtype
    assert y.dtype == expected_dtype
    reference = gumbel_softmax(jax.random.key(2), logits.astype(jnp.float32)).astype(expected_dtype)
    np.testing.assert_array_equal(y, reference)


def test_bad_arguments():
    logits = logits_of((4, 6))
    with pytest.raises(ValueError, match="one temperature per row"):
        gumbel_softmax(jax.random.key(0), logits, jnp.ones(6))
    with pytest.raises(ValueError, match="out of range"):
        gumbel_softmax(jax.random.key(0), logits, axis=2)
    with pytest.raises(ValueError, match="at least one dimension"):
        gumbel_softmax(jax.random.key(0), jnp.float32(1))
    with pytest.raises(TypeError, match="hard"):
        gumbel_softmax(jax.random.key(0), logits, hard="yes")
