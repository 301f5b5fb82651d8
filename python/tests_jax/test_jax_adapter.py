"""gumbel_softmax.jax under jit, grad and vmap, against JAX's own expression with the same key.
Run with `make test-jax` (installs jax[cpu] into .venv-jax)."""

import math
import os
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="make test-jax installs jax[cpu]")
import jax.numpy as jnp  # noqa: E402

import gumbel_softmax.jax as gsj  # noqa: E402
from gumbel_softmax.jax import gumbel_softmax  # noqa: E402


@pytest.fixture(params=["callback", "ffi"])
def backend(request):
    """Both ways the forward pass reaches the library. `make test-jax` builds the FFI handler
    (`make jax-ffi`); without it the "ffi" cases fail with the command to build it."""
    return request.param


def sampler(backend):
    return partial(gumbel_softmax, backend=backend)


def soft_tolerance(z):
    """SPEC section 3: 2e-5 + 2^-22 * zmax per row."""
    return 2e-5 + 2.0**-22 * float(jnp.max(jnp.abs(z)))


def plain(key, logits, tau=1.0, hard=False, axis=-1):
    """What a JAX user writes: the reference, with JAX's own autodiff."""
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
    gumbel_softmax = sampler(backend)
    key = jax.random.key(11)
    logits = logits_of((6, 8), seed=3)
    batch = logits.shape[1 - axis % 2]
    tau = jnp.expand_dims(jnp.linspace(0.4, 1.6, batch), axis) if per_row else jnp.float32(0.8)
    weights = weights_of(logits.shape)

    def loss(function, logits, tau):
        return jnp.sum(weights * function(key, logits, tau, hard=hard, axis=axis) ** 2)

    ours = jax.jit(jax.grad(lambda l, t: loss(gumbel_softmax, l, t), argnums=(0, 1)))(logits, tau)
    theirs = jax.grad(lambda l, t: loss(plain, l, t), argnums=(0, 1))(logits, tau)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)
    assert np.any(np.abs(ours[0]) > 1e-3) and np.all(np.abs(ours[1]) > 0)


def test_derivatives_are_jax_operations_on_one_library_sample(backend):
    gumbel_softmax = sampler(backend)
    logits = logits_of((4, 5))
    function = jax.value_and_grad(lambda l, t: jnp.sum(gumbel_softmax(jax.random.key(0), l, t)[:, 0]), argnums=(0, 1))
    hlo = jax.jit(function).lower(logits, 0.5).as_text()
    # One forward draw; the tangent rule is XLA's (the callback appears once as well).
    assert hlo.count("gumbel_softmax_sample") == (1 if backend == "ffi" else 0)
    assert "threefry" not in hlo
    _, (d_logits, d_tau) = jax.jit(function)(logits, 0.5)
    assert np.any(np.asarray(d_logits) != 0) and float(d_tau) != 0


def test_vmap_over_keys_and_logits_and_grad(backend):
    gumbel_softmax = sampler(backend)
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
    gumbel_softmax = sampler(backend)
    logits = logits_of((3, 5)).at[:, 2].set(-jnp.inf)
    y = gumbel_softmax(jax.random.key(1), logits, 0.5)
    assert np.all(np.asarray(y[:, 2]) == 0)
    g = jax.grad(lambda l, t: jnp.sum(gumbel_softmax(jax.random.key(1), l, t)[:, 0]), argnums=(0, 1))(logits, 0.5)
    assert np.all(np.isfinite(g[0])) and np.all(np.asarray(g[0][:, 2]) == 0) and np.isfinite(g[1])


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16, jnp.int32, jnp.float32])
@pytest.mark.parametrize("tau", [0.5, jnp.float32(0.5), jnp.bfloat16(0.5), jnp.array([0.5], jnp.float16)])
def test_dtypes_are_those_of_jax_expression(dtype, tau):
    """The result has the dtype of softmax((logits + jax.random.gumbel(key, shape)) / tau), and
    narrow types are computed in float32."""
    key, logits = jax.random.key(2), logits_of((4, 6)).astype(dtype)
    y = gumbel_softmax(key, logits, tau)
    assert y.dtype == plain(key, logits, tau).dtype
    reference = gumbel_softmax(key, logits.astype(jnp.float32), jnp.float32(0.5)).astype(y.dtype)
    np.testing.assert_array_equal(y, reference)


def test_bad_arguments():
    logits = logits_of((4, 6))
    with pytest.raises(ValueError, match="constant along axis"):
        gumbel_softmax(jax.random.key(0), logits, jnp.arange(1.0, 7.0))
    with pytest.raises(ValueError, match="size 1 there"):  # traced: its values are unknown
        jax.jit(lambda t: gumbel_softmax(jax.random.key(0), logits, t))(jnp.ones(6))
    with pytest.raises(ValueError, match="must broadcast"):
        gumbel_softmax(jax.random.key(0), logits, jnp.ones((2, 4, 1)))
    with pytest.raises(ValueError, match="must broadcast"):
        gumbel_softmax(jax.random.key(0), logits, jnp.ones(4))
    with pytest.raises(ValueError, match="out of range"):
        gumbel_softmax(jax.random.key(0), logits, axis=2)
    with pytest.raises(ValueError, match="at least one dimension"):
        gumbel_softmax(jax.random.key(0), jnp.float32(1))
    with pytest.raises(TypeError, match="hard"):
        gumbel_softmax(jax.random.key(0), logits, hard="yes")


def test_tau_refusals_name_the_shape_given():
    logits = logits_of((4, 6))
    with pytest.raises(ValueError, match=r"tau of shape \(6,\) that varies along axis"):
        gumbel_softmax(jax.random.key(0), logits, jnp.arange(1.0, 7.0))
    with pytest.raises(ValueError, match=r"tau of shape \(6,\) has 6 values along axis"):
        jax.jit(lambda t: gumbel_softmax(jax.random.key(0), logits, t))(jnp.ones(6))


def test_ffi_load_errors_name_the_path_once(tmp_path, monkeypatch):
    monkeypatch.setattr(gsj._FFI, "registered", None)
    monkeypatch.setattr(gsj._FFI, "library", None)
    monkeypatch.setattr(gsj._FFI, "error", "")
    configured = tmp_path / "configured" / gsj.FFI_LIBRARY_NAME
    monkeypatch.setenv(gsj.FFI_ENVIRONMENT_VARIABLE, str(configured))
    with pytest.raises(OSError) as refused:
        gsj.default_backend()
    assert str(refused.value).count(str(configured)) == 1, str(refused.value)
    # Not configured: looked for beside libgumbelsoftmax.so, and asked for by backend="ffi".
    monkeypatch.delenv(gsj.FFI_ENVIRONMENT_VARIABLE)
    monkeypatch.setattr(gsj._FFI, "registered", None)
    beside = tmp_path / "libgumbelsoftmax.so"
    monkeypatch.setattr(gsj._library, "load", lambda: type("Library", (), {"_name": str(beside)}))
    with pytest.raises(OSError, match="make jax-ffi") as refused:
        gumbel_softmax(jax.random.key(0), logits_of((2, 3)), backend="ffi")
    assert str(refused.value).count(str(tmp_path / gsj.FFI_LIBRARY_NAME)) == 1, str(refused.value)


# MARK: The forward pass in the library (gs_sample_per_row_jax with the key's words)


def assert_within_spec(y, key, logits, tau=1.0, axis=-1):
    """SPEC section 3's soft tolerance per row, against JAX's own expression with the same key:
    2e-5 + 2^-22 * (the row's largest |z|)."""
    tau = jnp.asarray(tau, jnp.float32)
    z = (logits + jax.random.gumbel(key, logits.shape)) / tau
    bound = 2e-5 + 2.0**-22 * jnp.max(jnp.abs(z), axis=axis, keepdims=True)
    error = jnp.abs(jnp.asarray(y, jnp.float32) - jax.nn.softmax(z, axis=axis))
    assert y.shape == logits.shape
    assert bool(jnp.all(error <= bound)), float(jnp.max(error - bound))


def keys_of_every_kind():
    return (
        [jax.random.PRNGKey(s) for s in (0, 1, 2**31 - 1)]
        + [jax.random.key(s) for s in (3, 123456789)]
        + list(jax.random.split(jax.random.key(42), 3))
        + [jax.random.fold_in(jax.random.key(9), 5), jax.random.split(jax.random.PRNGKey(7))[1]]
    )


def hlo_of(function, *arguments):
    return jax.jit(function).lower(*arguments).as_text()


@pytest.mark.parametrize("shape", [(2,), (7, 13), (3, 4, 33), (1, 1000)])
def test_library_forward_matches_jax_key_by_key(backend, shape):
    gumbel_softmax = sampler(backend)
    logits = logits_of(shape, seed=len(shape))
    tau = jnp.linspace(0.3, 2.0, math.prod(shape[:-1])).reshape(shape[:-1] + (1,)) if len(shape) > 1 else 0.7
    sample = jax.jit(lambda k, l, t: gumbel_softmax(k, l, t))
    previous = None
    for key in keys_of_every_kind():
        y = sample(key, logits, tau)
        assert_within_spec(y, key, logits, tau)
        np.testing.assert_allclose(np.sum(y, -1), 1, atol=1e-5)
        assert previous is None or np.any(np.asarray(y) != previous)  # each key reaches the library
        previous = np.asarray(y)


def test_library_forward_is_not_xla_forward(backend, monkeypatch):
    gumbel_softmax = sampler(backend)
    calls = []
    library_sample = gsj._sample_words

    def counting(*args, **kwargs):
        calls.append(np.shape(args[0]))
        return library_sample(*args, **kwargs)

    monkeypatch.setattr(gsj, "_sample_words", counting)
    logits = logits_of((4, 5))
    hlo = hlo_of(lambda k, l: gumbel_softmax(k, l, 0.5), jax.random.key(0), logits)
    assert ("gumbel_softmax_sample" in hlo) == (backend == "ffi")
    assert "threefry" not in hlo  # JAX draws no noise: the library does
    y = jax.jit(lambda k, l: gumbel_softmax(k, l, 0.5))(jax.random.key(0), logits)
    assert calls == ([(4, 5)] if backend == "callback" else [])
    # The library's float32 log is not XLA's: somewhere in a large batch the last bits differ.
    big = logits_of((64, 500), seed=5)
    ours = jax.jit(lambda k, l: gumbel_softmax(k, l))(jax.random.key(1), big)
    assert np.any(np.asarray(ours) != np.asarray(jax.jit(plain)(jax.random.key(1), big)))
    assert_within_spec(y, jax.random.key(0), logits, 0.5)


def test_worked_example_through_each_backend(backend):
    gumbel_softmax = sampler(backend)
    y = jax.jit(lambda k, l: gumbel_softmax(k, l))(jax.random.PRNGKey(0), jnp.zeros(2))
    assert np.all(np.abs(np.asarray(y) - [0.28715432, 0.7128457]) <= 2e-5 + 2.0**-22 * 2), y


def test_ffi_and_callback_forward_are_bit_identical():
    logits = logits_of((9, 40), seed=6)
    results = []
    for name in ("ffi", "callback"):
        for hard in (False, True):
            results.append(np.asarray(jax.jit(lambda k, l: gumbel_softmax(k, l, 0.6, hard=hard, backend=name))(
                jax.random.key(4), logits)))
    np.testing.assert_array_equal(results[0], results[2])
    np.testing.assert_array_equal(results[1], results[3])
    np.testing.assert_array_equal(np.argmax(results[1], -1), np.argmax(results[0], -1))


def test_library_hard_forward_is_one_hot_of_jax_argmax(backend):
    gumbel_softmax = sampler(backend)
    logits = logits_of((200, 7), seed=7)
    for key in keys_of_every_kind()[:4]:
        y = np.asarray(jax.jit(lambda k, l: gumbel_softmax(k, l, 0.5, hard=True))(key, logits))
        z = np.asarray(logits + jax.random.gumbel(key, logits.shape))
        top2 = np.sort(z, -1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > 1e-4  # away from near ties (docs/jax.md)
        assert clear.sum() > 190
        np.testing.assert_array_equal(np.argmax(y, -1)[clear], np.argmax(z, -1)[clear])
        assert set(np.unique(y)) <= {0.0, 1.0} and np.all(y.sum(-1) == 1)


@pytest.mark.parametrize("in_axes", [(0, 0, 0), (0, None, None), (None, 0, None), (None, 0, 0)])
def test_vmap_members_equal_unbatched_calls_and_jax(backend, in_axes):
    gumbel_softmax = sampler(backend)
    keys = jax.random.split(jax.random.key(5), 4)
    raw_keys = jax.vmap(jax.random.key_data)(keys)
    logits = logits_of((4, 3, 6), seed=8)
    taus = jnp.array([0.5, 1.0, 2.0, 0.9])
    for batch_keys in (keys, raw_keys):
        arguments = (batch_keys, logits, taus)
        picked = [a if axis == 0 else a[0] for a, axis in zip(arguments, in_axes)]
        batched = jax.jit(jax.vmap(lambda k, l, t: gumbel_softmax(k, l, t), in_axes=in_axes))(*picked)
        assert batched.shape == (4, 3, 6)
        for i in range(4):
            member = [a[i] if axis == 0 else a for a, axis in zip(picked, in_axes)]
            np.testing.assert_array_equal(batched[i], gumbel_softmax(*member))  # the same library call
            assert_within_spec(batched[i], *member)


def test_nested_vmap_and_vmap_of_grad(backend):
    gumbel_softmax = sampler(backend)
    keys = jax.random.split(jax.random.key(6), 6).reshape(2, 3)
    logits = logits_of((2, 3, 4, 5), seed=9)
    nested = jax.jit(jax.vmap(jax.vmap(lambda k, l: gumbel_softmax(k, l, 0.8))))(keys, logits)
    for i in range(2):
        for j in range(3):
            np.testing.assert_array_equal(nested[i, j], gumbel_softmax(keys[i, j], logits[i, j], 0.8))
            assert_within_spec(nested[i, j], keys[i, j], logits[i, j], 0.8)
    weights = weights_of((4, 5))

    def loss(function, key, l, t):
        return jnp.sum(weights * function(key, l, t))

    flat_keys, flat_logits = keys.reshape(6), logits.reshape(6, 4, 5)
    taus = jnp.linspace(0.5, 1.5, 6)
    ours = jax.jit(jax.vmap(jax.grad(partial(loss, gumbel_softmax), argnums=(1, 2))))(flat_keys, flat_logits, taus)
    theirs = jax.vmap(jax.grad(partial(loss, plain), argnums=(1, 2)))(flat_keys, flat_logits, taus)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("shape, axis", [((6, 1), 0), ((1, 6, 1, 1), 1), ((2, 3, 5, 1), 2)])
def test_axis_followed_by_size_one_axes_uses_the_library(backend, shape, axis):
    gumbel_softmax = sampler(backend)
    logits = logits_of(shape, seed=10)
    function = partial(gumbel_softmax, tau=0.9, axis=axis)
    hlo = hlo_of(function, jax.random.key(2), logits)
    assert "threefry" not in hlo and ("gumbel_softmax_sample" in hlo) == (backend == "ffi")
    y = jax.jit(function)(jax.random.key(2), logits)
    assert_within_spec(y, jax.random.key(2), logits, 0.9, axis=axis)


@pytest.mark.parametrize("axis", [0, 1])
def test_other_axes_draw_jax_noise_in_jax_layout(backend, axis):
    gumbel_softmax = sampler(backend)
    key, logits = jax.random.key(8), logits_of((5, 6, 7), seed=11)
    function = partial(gumbel_softmax, tau=0.7, axis=axis)
    hlo = hlo_of(function, key, logits)
    assert "gumbel_softmax_sample" not in hlo and "threefry" in hlo  # JAX's forward, as documented
    y = jax.jit(function)(key, logits)
    assert_within_spec(y, key, logits, 0.7, axis=axis)
    grad = jax.jit(jax.grad(lambda l: jnp.sum(function(key, l) ** 2)))(logits)
    np.testing.assert_allclose(grad, jax.grad(lambda l: jnp.sum(plain(key, l, 0.7, axis=axis) ** 2))(logits),
                               rtol=2e-4, atol=2e-5)


def test_other_generators_and_the_jax_backend_use_jax_forward(backend):
    gumbel_softmax = sampler(backend)
    logits = logits_of((3, 8), seed=12)
    rbg = jax.random.key(0, impl="rbg")
    hlo = hlo_of(lambda k, l: gumbel_softmax(k, l), rbg, logits)
    assert "gumbel_softmax_sample" not in hlo
    np.testing.assert_allclose(jax.jit(gumbel_softmax)(rbg, logits), plain(rbg, logits), rtol=2e-6, atol=1e-7)
    xla = partial(gsj.gumbel_softmax, backend="jax")
    hlo = hlo_of(lambda k, l: xla(k, l), jax.random.key(0), logits)
    assert "gumbel_softmax_sample" not in hlo and "threefry" in hlo
    np.testing.assert_array_equal(jax.jit(xla)(jax.random.key(0), logits), jax.jit(plain)(jax.random.key(0), logits))
    # The argument decides, per call: nothing global changed.
    assert "threefry" not in hlo_of(lambda k, l: gumbel_softmax(k, l), jax.random.key(0), logits)
    with pytest.raises(ValueError, match="backend"):
        gsj.gumbel_softmax(jax.random.key(0), logits, backend="xla")


@pytest.mark.parametrize(
    "bad, tau", [([0.0, np.nan, 1.0], 1.0), ([0.0, np.inf, 1.0], 1.0), ([-np.inf] * 3, 1.0), ([0.0, 1.0, 2.0], -1.0)]
)
@pytest.mark.parametrize("hard", [False, True])
def test_refused_rows_are_nan_whatever_the_order_of_calls(backend, bad, tau, hard):
    """No run-time error (JAX's exception type would depend on its dispatch path): the refused row
    is NaN, as JAX's own expression gives, and the other rows are what they are without it."""
    gumbel_softmax = sampler(backend)
    function = jax.jit(lambda k, l, t: gumbel_softmax(k, l, t, hard=hard))
    key, good = jax.random.key(0), logits_of((3, 3), seed=13)
    taus = jnp.array([[0.5], [0.5], [0.5]])
    first = function(key, good, taus)  # a successful call first, then refused rows, then again
    logits, taus = good.at[1].set(jnp.asarray(bad, jnp.float32)), taus.at[1].set(tau)
    for _ in range(2):
        y = np.asarray(function(key, logits, taus))
        assert np.all(np.isnan(y[1])) and not np.any(np.isnan(y[[0, 2]]))
        np.testing.assert_array_equal(y[[0, 2]], np.asarray(first)[[0, 2]])  # the same words, row by row
    eager = np.asarray(gumbel_softmax(key, logits, taus, hard=hard))
    np.testing.assert_array_equal(eager, y)


def test_callback_fallback_when_the_ffi_library_is_not_built(tmp_path):
    """A libgumbelsoftmax.so with no libgumbelsoftmax_jax.so beside it: both passes by pure_callback."""
    source = Path(gsj._library.load()._name).resolve()
    shutil.copy(source, tmp_path / source.name)
    environment = {k: v for k, v in os.environ.items() if k != gsj.FFI_ENVIRONMENT_VARIABLE}
    environment["GUMBEL_SOFTMAX_LIB"] = str(tmp_path / source.name)
    script = (
        "import jax, jax.numpy as jnp, numpy as np\n"
        "import gumbel_softmax.jax as gsj\n"
        "assert gsj.default_backend() == 'callback', gsj.default_backend()\n"
        "f = jax.jit(lambda k, l: gsj.gumbel_softmax(k, l))\n"
        "assert 'gumbel_softmax_sample' not in f.lower(jax.random.key(0), jnp.zeros(2)).as_text()\n"
        "y = np.asarray(f(jax.random.PRNGKey(0), jnp.zeros(2)))\n"
        "assert np.all(np.abs(y - [0.28715432, 0.7128457]) <= 2e-5 + 2.0**-22 * 2), y\n"
        "g = jax.grad(lambda l: gsj.gumbel_softmax(jax.random.key(0), l)[0])(jnp.zeros(2))\n"
        "assert abs(float(g[0]) - float(y[0] * (1 - y[0]))) < 1e-6, g\n"
        "print('callback', y)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=environment, cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("callback")


# MARK: Higher derivatives and tau shapes


@pytest.mark.parametrize("hard", [False, True])
def test_jvp_grad_of_grad_and_hessian_match_jax_autodiff(backend, hard):
    gumbel_softmax = sampler(backend)
    key, logits = jax.random.key(12), logits_of((3, 5), seed=14)
    weights, direction = weights_of(logits.shape), logits_of(logits.shape, seed=15, scale=1.0)

    def loss(function, l, t):
        return jnp.sum(weights * function(key, l, t, hard=hard))

    ours, theirs = partial(loss, gumbel_softmax), partial(loss, plain)
    # Forward mode, w.r.t. the logits and a per-row temperature.
    tau = jnp.array([[0.6], [1.0], [1.7]])
    for a, b in zip(jax.jvp(lambda l, t: gumbel_softmax(key, l, t, hard=hard), (logits, tau), (direction, tau / 3)),
                    jax.jvp(lambda l, t: plain(key, l, t, hard=hard), (logits, tau), (direction, tau / 3))):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)
    # grad of grad w.r.t. the temperature, and the Hessian w.r.t. the logits (forward over reverse).
    second = jax.jit(jax.grad(jax.grad(ours, argnums=1), argnums=1))
    np.testing.assert_allclose(second(logits, 0.8), jax.grad(jax.grad(theirs, argnums=1), argnums=1)(logits, 0.8),
                               rtol=2e-3, atol=1e-4)
    hessian = jax.jit(jax.hessian(ours))(logits, 0.8)
    reference = jax.hessian(theirs)(logits, 0.8)
    assert hessian.shape == (3, 5, 3, 5) and np.max(np.abs(reference)) > 1e-2
    np.testing.assert_allclose(hessian, reference, rtol=2e-3, atol=1e-4)
    # Reverse over reverse as well (jax.jacrev of jax.grad).
    np.testing.assert_allclose(jax.jacrev(jax.grad(ours))(logits, 0.8), reference, rtol=2e-3, atol=1e-4)


@pytest.mark.parametrize("tau", [0.7, jnp.float32(0.7), jnp.array([0.7]), jnp.full((6,), 0.7), jnp.full((4, 1), 0.7),
                                 jnp.full((1, 1), 0.7), jnp.full((4, 6), 0.7)])
def test_every_tau_that_broadcasts_and_is_constant_along_the_axis(backend, tau):
    gumbel_softmax = sampler(backend)
    key, logits = jax.random.key(13), logits_of((4, 6), seed=16)
    expected = gumbel_softmax(key, logits, 0.7)
    np.testing.assert_array_equal(gumbel_softmax(key, logits, tau), expected)
    assert_within_spec(expected, key, logits, 0.7)
    # Under jit too, for the shapes whose size along the axis is 1.
    if jnp.ndim(tau) == 0 or jnp.shape(tau)[-1] == 1:
        np.testing.assert_array_equal(jax.jit(lambda t: gumbel_softmax(key, logits, t))(tau), expected)


def test_per_row_tau_along_another_axis(backend):
    gumbel_softmax = sampler(backend)
    key, logits = jax.random.key(14), logits_of((5, 1), seed=17)  # the categories along axis 0
    y = gumbel_softmax(key, logits, jnp.full((1, 1), 0.9), axis=0)
    assert_within_spec(y, key, logits, 0.9, axis=0)


# MARK: What JAX's own random tests check, for this adapter (float32 and x64)


def ks_statistic(samples, cdf):
    samples = np.sort(np.asarray(samples, np.float64))
    n = samples.size
    values = cdf(samples)
    return max(np.max(np.arange(1, n + 1) / n - values), np.max(values - np.arange(n) / n))


def test_hard_samples_are_categorical_draws_with_the_softmax_probabilities(backend):
    """As JAX's categorical test: counts of argmax over many keys against softmax(logits), by
    chi-squared with a 1e-6 tail (scipy's chi2 survival function)."""
    from scipy.stats import chi2

    gumbel_softmax = sampler(backend)
    logits = jnp.array([0.5, -1.0, 0.0, 1.5, -0.3], jnp.float32)
    n = 20_000
    keys = jax.random.split(jax.random.key(15), n)
    draws = jax.jit(jax.vmap(lambda k: gumbel_softmax(k, logits, 0.6, hard=True)))(keys)
    counts = np.asarray(draws).sum(0)
    assert counts.sum() == n
    expected = np.asarray(jax.nn.softmax(logits.astype(jnp.float64) if jax.config.jax_enable_x64 else logits)) * n
    assert chi2.sf(float(((counts - expected) ** 2 / expected).sum()), 4) > 1e-6
    # The same indices as jax.random.categorical with the same keys, away from near ties.
    theirs = jax.vmap(lambda k: jax.random.categorical(k, logits))(keys)
    assert np.mean(np.argmax(np.asarray(draws), -1) == np.asarray(theirs)) > 0.999


def test_noise_behind_the_sample_is_gumbel(backend):
    """As JAX's gumbel test: the noise the sample implies, log(y) - logits up to each row's
    constant, fixed by a zero logit and tau = 1 with two categories: log(y1 / y0) is g1 - g0,
    which is logistic; Kolmogorov-Smirnov against its CDF at a 1e-6 tail."""
    gumbel_softmax = sampler(backend)
    y = np.asarray(gumbel_softmax(jax.random.key(16), jnp.zeros((20_000, 2))), np.float64)
    difference = np.log(y[:, 1]) - np.log(y[:, 0])
    statistic = ks_statistic(difference, lambda d: 1 / (1 + np.exp(-d)))
    # Kolmogorov's asymptotic bound: P(sqrt(n) D > 2.8) < 2 exp(-2 * 2.8**2) ~ 3e-7.
    assert np.sqrt(difference.size) * statistic < 2.8, statistic


def test_x64_mode_dtypes_and_values():
    """Under jax_enable_x64, JAX's expression draws float64 noise and returns float64: the adapter
    computes in float64 from JAX's float64 uniforms and returns float64 (float32 logits too)."""
    script = (
        "import jax, jax.numpy as jnp, numpy as np\n"
        "jax.config.update('jax_enable_x64', True)\n"
        "from gumbel_softmax.jax import gumbel_softmax\n"
        "key = jax.random.key(3)\n"
        "logits = jax.random.normal(jax.random.key(1), (8, 5), jnp.float32)\n"
        "y = gumbel_softmax(key, logits, 0.5)\n"
        "z = (logits + jax.random.gumbel(key, logits.shape)) / 0.5\n"
        "assert y.dtype == jnp.float64, y.dtype\n"
        "assert np.max(np.abs(y - jax.nn.softmax(z))) < 1e-12\n"
        "y16 = gumbel_softmax(key, logits.astype(jnp.bfloat16), 0.5)\n"
        "assert y16.dtype == jnp.float64, y16.dtype\n"
        "# JAX's categorical test in x64: hard-sample counts against softmax, chi-squared, 1e-6 tail.\n"
        "from scipy.stats import chi2\n"
        "row = jnp.array([0.5, -1.0, 0.0, 1.5])\n"
        "keys = jax.random.split(jax.random.key(4), 20000)\n"
        "counts = np.asarray(jax.vmap(lambda k: gumbel_softmax(k, row, 0.6, hard=True))(keys)).sum(0)\n"
        "expected = np.asarray(jax.nn.softmax(row)) * 20000\n"
        "assert chi2.sf(float(((counts - expected) ** 2 / expected).sum()), 3) > 1e-6, counts\n"
        "print('x64 ok')\n"
    )
    environment = dict(os.environ)
    done = subprocess.run([sys.executable, "-c", script], env=environment, cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "x64 ok" in done.stdout


X64_SCRIPT = """
import sys
import jax, jax.numpy as jnp, numpy as np
jax.config.update("jax_enable_x64", True)
from gumbel_softmax.jax import gumbel_softmax

backend = sys.argv[1]


def expected(key, logits, tau):
    return jax.nn.softmax((logits + jax.random.gumbel(key, logits.shape, jnp.float64)) / tau, axis=-1)


def check(y, want, logits, tau, what):
    y, want = np.asarray(y), np.asarray(want)
    assert y.dtype == np.float64, (what, y.dtype)
    zmax = np.max(np.abs(np.asarray(logits) / tau)) + 50
    tolerance = (1e-12 + 2.0**-48 * zmax) * np.abs(want) + 1e-300
    worst = np.max(np.abs(y - want) - tolerance)
    assert worst <= 0, (what, float(np.max(np.abs(y - want))))


key = jax.random.key(11)
logits = jax.random.normal(jax.random.key(2), (6, 9), jnp.float64) * 3
logits = logits.at[0, 1].set(-200.0)  # a category of probability ~1e-87, not 0 as in float32
tau = 0.7
f = lambda k, x: gumbel_softmax(k, x, tau, backend=backend)
check(f(key, logits), expected(key, logits, tau), logits, tau, "eager")
check(jax.jit(f)(key, logits), expected(key, logits, tau), logits, tau, "jit")
assert float(np.asarray(f(key, logits))[0, 1]) > 0
keys = jax.random.split(jax.random.key(5), 4)
batch = jax.random.normal(jax.random.key(3), (4, 3, 7), jnp.float64)
want = jax.vmap(lambda k, x: expected(k, x, tau))(keys, batch)
check(jax.vmap(f)(keys, batch), want, batch, tau, "vmap")
check(jax.jit(jax.vmap(f))(keys, batch), want, batch, tau, "jit of vmap")
hard = gumbel_softmax(key, logits, tau, hard=True, backend=backend)
z = (logits + jax.random.gumbel(key, logits.shape, jnp.float64)) / tau
assert (np.argmax(np.asarray(hard), -1) == np.argmax(np.asarray(z), -1)).all()
print("x64 float64 ok")
"""


@pytest.mark.parametrize("backend", ["callback", "ffi"])
def test_x64_float64_reproduces_jax_gumbel_under_jit_and_vmap(backend):
    """With jax_enable_x64 and float64 logits the adapter is
    ``softmax((logits + jax.random.gumbel(key, shape, float64)) / tau)`` within SPEC section 5's
    float64 tolerance (JAX's 64-bit uniform from its own bits), eagerly, under jit and vmap."""
    done = subprocess.run([sys.executable, "-c", X64_SCRIPT, backend], env=dict(os.environ),
                          cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "x64 float64 ok" in done.stdout


# MARK: categorical and top_k

X64_INDICES_SCRIPT = """
import jax, jax.numpy as jnp, numpy as np
jax.config.update("jax_enable_x64", True)
from gumbel_softmax.jax import categorical, top_k


def gumbel(key, x):
    return jax.random.gumbel(key, x.shape, x.dtype)


def same(got, want, what):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (what, got.dtype, want.dtype)
    assert got.shape == want.shape and (got == want).all(), (what, got, want)


key = jax.random.key(11)
logits = jax.random.normal(jax.random.key(2), (64, 33), jnp.float64) * 3
logits = logits.at[0, 1].set(-200.0)
z = logits + jax.random.gumbel(key, logits.shape, jnp.float64)
want = jnp.argmax(z, axis=-1)
same(jax.random.categorical(key, logits), want, "JAX's own categorical is argmax(logits + gumbel)")
assert want.dtype == jnp.int64
same(categorical(key, logits), want, "categorical")
same(jax.jit(categorical)(key, logits), want, "jit categorical")
same(top_k(key, logits, 5), jax.lax.top_k(z, 5)[1], "top_k")
same(jax.jit(top_k, static_argnums=2)(key, logits, 5), jax.lax.top_k(z, 5)[1], "jit top_k")
keys = jax.random.split(jax.random.key(5), 4)
batch = jax.random.normal(jax.random.key(3), (4, 3, 7), jnp.float64)
want = jax.vmap(lambda k, x: jnp.argmax(x + gumbel(k, x), -1))(keys, batch)
same(jax.vmap(categorical)(keys, batch), want, "vmap categorical")
same(jax.jit(jax.vmap(categorical))(keys, batch), want, "jit of vmap categorical")
want = jax.vmap(lambda k, x: jax.lax.top_k(x + gumbel(k, x), 3)[1])(keys, batch)
same(jax.vmap(lambda k, x: top_k(k, x, 3))(keys, batch), want, "vmap top_k")
same(jax.jit(jax.vmap(lambda k, x: top_k(k, x, 3)))(keys, batch), want, "jit of vmap top_k")
# Float32 logits under x64: JAX draws float32 noise for them, and so does the library.
small = logits.astype(jnp.float32)
same(categorical(key, small), jnp.argmax(small + gumbel(key, small), -1), "float32 logits under x64")
print("x64 indices ok")
"""


def test_x64_float64_categorical_and_top_k_are_jaxs_under_jit_and_vmap():
    """With jax_enable_x64 and float64 logits, ``categorical`` is ``jnp.argmax(logits +
    jax.random.gumbel(key, shape, float64), -1)`` (what ``jax.random.categorical`` computes) and
    ``top_k`` the indices of ``lax.top_k`` of that sum, exactly, eagerly, under jit and vmap."""
    done = subprocess.run([sys.executable, "-c", X64_INDICES_SCRIPT], env=dict(os.environ),
                          cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "x64 indices ok" in done.stdout


def test_float32_categorical_and_top_k_are_jaxs_under_jit_and_vmap():
    key = jax.random.key(21)
    logits = jax.random.normal(jax.random.key(2), (50, 12)) * 2
    z = logits + jax.random.gumbel(key, logits.shape)
    assert (gsj.categorical(key, logits) == jax.random.categorical(key, logits)).all()
    assert (jax.jit(gsj.categorical)(key, logits) == jnp.argmax(z, -1)).all()
    assert (gsj.top_k(key, logits, 4) == jax.lax.top_k(z, 4)[1]).all()
    assert gsj.categorical(key, logits).dtype == jnp.argmax(z, -1).dtype
    assert gsj.top_k(key, logits, 4).dtype == jax.lax.top_k(z, 4)[1].dtype
    keys = jax.random.split(jax.random.key(6), 3)
    batch = jax.random.normal(jax.random.key(7), (3, 5, 9))
    want = jax.vmap(lambda k, x: jax.random.categorical(k, x))(keys, batch)
    assert (jax.vmap(gsj.categorical)(keys, batch) == want).all()
    want = jax.vmap(lambda k, x: jax.lax.top_k(x + jax.random.gumbel(k, x.shape), 2)[1])(keys, batch)
    assert (jax.jit(jax.vmap(lambda k, x: gsj.top_k(k, x, 2)))(keys, batch) == want).all()


def test_categorical_and_top_k_along_another_axis_and_other_dtypes_are_jaxs_own():
    key = jax.random.key(4)
    logits = jax.random.normal(jax.random.key(8), (6, 5))
    assert (gsj.categorical(key, logits, axis=0) == jax.random.categorical(key, logits, axis=0)).all()
    z = jnp.moveaxis(logits + jax.random.gumbel(key, logits.shape), 0, -1)
    assert (gsj.top_k(key, logits, 2, axis=0) == jnp.moveaxis(jax.lax.top_k(z, 2)[1], -1, 0)).all()
    half = logits.astype(jnp.bfloat16)
    assert (gsj.categorical(key, half) == jax.random.categorical(key, half)).all()
    with pytest.raises(ValueError, match="k must be in 1...5"):
        gsj.top_k(key, logits, 6)


def test_categorical_of_refused_rows_is_the_argmax_not_an_error():
    key = jax.random.key(9)
    logits = jnp.array([[0.0, jnp.nan, 1.0], [0.5, 0.2, -1.0]])
    noise = jax.random.gumbel(key, logits.shape)
    got = jax.jit(gsj.categorical)(key, logits)
    assert int(got[0]) == 1  # jnp.argmax picks the NaN
    assert int(got[1]) == int(jnp.argmax(logits[1] + noise[1]))
    with_nan = jnp.array([[1.0, jnp.nan, 3.0, -jnp.inf, jnp.inf, 0.5]])
    for k in (1, 3, 6):
        expected = jax.lax.top_k(with_nan + jax.random.gumbel(key, with_nan.shape), k)[1]
        assert gsj.top_k(key, with_nan, k).tolist() == expected.tolist(), k
    masked = jnp.array([[0.0, -jnp.inf, -jnp.inf, 2.0]])
    assert gsj.top_k(key, masked, 3).tolist() == [list(np.argsort(-(masked + jax.random.gumbel(key, masked.shape))[0],
                                                                  kind="stable")[:3])]
