"""The numpy API beyond plain sampling: JAX's threefry stream (against JAX's own known answers),
axis=, hard=, the Concrete log-density, the straight-through gradient's input check, pickleable
errors across processes, and the exact refusal rules of every real dtype."""

import concurrent.futures
import copy
import json
import math
import multiprocessing
import pickle

import numpy as np
import pytest
from conftest import REPOSITORY

import gumbel_softmax as gs
import reference as ref

INF = float("inf")


@pytest.fixture(scope="module")
def jax_golden():
    with open(REPOSITORY / "Tests" / "golden" / "jax_vectors.json") as file:
        return json.load(file)


def _key(words):
    return [int(w, 16) for w in words]


# MARK: JAX's threefry stream against JAX's known answers


def test_jax_worked_example(jax_golden):
    example = jax_golden["worked_example"]
    want = np.array(example["soft"])
    g = np.array(jax_golden["streams"]["cases"][0]["gumbel_exact"])  # PRNGKey(0), shape (2,)
    zmax = np.max(np.abs(g))
    for y in (
        gs.sample(example["logits"], temperature=example["temperature"], key=gs.jax_key(int(example["seed"]))),
        gs.sample(example["logits"], temperature=example["temperature"], generator="jax", seed=0),
        gs.sample(example["logits"], temperature=example["temperature"], key=[0, 0], generator="jax"),
    ):
        assert np.all(np.abs(y - want) <= 2e-5 + 2.0**-22 * zmax), y


def test_jax_keys(jax_golden):
    for case in jax_golden["keys"]["cases"]:
        seed = int(case["seed"])
        assert gs.jax_key(seed).tolist() == _key(case["key_x32"]), case
        assert gs.jax_key(seed, enable_x64=True).tolist() == _key(case["key_x64"]), case


def test_jax_noise(jax_golden):
    for case in jax_golden["streams"]["cases"]:
        want = np.array(case["gumbel_exact"])
        g = gs.gumbel_noise(tuple(case["shape"]), key=_key(case["key"]))
        assert g.shape == tuple(case["shape"])
        assert np.all(np.abs(g.ravel() - want) <= 2e-6 * np.maximum(1, np.abs(want))), case["seed"]
        # JAX's own float32 Gumbel bits agree within twice the contract's tolerance.
        jax_bits = np.array(_key(case["gumbel_bits"]), dtype=np.uint32).view(np.float32).astype(np.float64)
        assert np.all(np.abs(g.ravel() - jax_bits) <= 4e-6 * np.maximum(1, np.abs(want)))
    # Positions: the stream from position p is the tail of the stream from 0.
    whole = gs.gumbel_noise(1000, key=[0, 42])
    assert np.array_equal(gs.gumbel_noise(600, key=[0, 42], position=400), whole[400:])


def test_jax_softmax_batches_and_categorical(jax_golden):
    for case in jax_golden["softmax_batches"]["cases"]:
        x = np.array([float(v) for v in case["logits"]], dtype=np.float32).reshape(case["shape"])
        y = gs.sample(x, temperature=case["temperature"], key=_key(case["key"]))
        want = np.array(case["soft"]).reshape(x.shape)
        g = gs.gumbel_noise(x.shape, key=_key(case["key"])).astype(np.float64)
        zmax = np.max(np.abs((x + g) / np.float32(case["temperature"])), axis=-1, keepdims=True)
        assert np.all(np.abs(y - want) <= 2e-5 + 2.0**-22 * zmax + 4e-6 * zmax), case["seed"]
    for case in jax_golden["categorical"]["cases"]:
        x = np.array(case["logits"], dtype=np.float32).reshape(case["shape"])
        key = _key(case["key"])
        assert gs.categorical(x, key=key).ravel().tolist() == case["indices"], case["seed"]
        assert gs.top_k(x, 2, key=key)[..., 0].ravel().tolist() == case["indices"]
        hard = gs.sample(x, key=key, hard=True)
        assert np.argmax(hard, axis=-1).ravel().tolist() == case["indices"]


def test_jax_stream_invariants():
    x = np.random.default_rng(1).normal(size=(40, 1500)).astype(np.float32)
    key = [0x12345678, 0x9ABCDEF0]
    base = gs.sample(x, temperature=0.6, key=key, threads=1)
    for threads in (2, 3, 0):
        assert np.array_equal(gs.sample(x, temperature=0.6, key=key, threads=threads), base)
    parts = [gs.sample(x[a:b], temperature=0.6, key=key, position=a * 1500) for a, b in [(0, 9), (9, 40)]]
    assert np.array_equal(np.concatenate(parts), base)
    assert not np.array_equal(gs.sample(x, temperature=0.6, seed=0x12345678), base)
    t = np.linspace(0.2, 3, 40).astype(np.float32)
    per_row = gs.sample(x, temperature=t, key=key)
    assert np.array_equal(per_row[7], gs.sample(x[7], temperature=float(t[7]), key=key, position=7 * 1500))
    g = gs.gumbel_noise(x.shape, key=key).astype(np.float64)
    d = x.astype(np.float64) + g
    top = gs.top_k(x, 4, key=key)
    chosen = np.take_along_axis(d, top, axis=-1)
    assert np.all(np.diff(chosen, axis=-1) <= 0)
    assert np.all(chosen[:, -1] >= np.sort(d, axis=-1)[:, -4] - 1e-5)


def test_generator_arguments():
    with pytest.raises(ValueError, match="generator must be 'philox' or 'jax', got 'mt'"):
        gs.sample([1.0], seed=0, generator="mt")
    with pytest.raises(ValueError, match="the JAX stream is named by its key alone, got stream=3"):
        gs.sample([1.0], key=[0, 1], stream=3)
    with pytest.raises(ValueError, match="key= is a JAX key"):
        gs.sample([1.0], key=[0, 1], generator="philox")
    with pytest.raises(TypeError, match="exactly one of key= .* or seed="):
        gs.sample([1.0], key=[0, 1], seed=2, generator="jax")
    with pytest.raises(TypeError, match="seed is required"):
        gs.sample([1.0])
    with pytest.raises(ValueError, match=r"key words must be in 0...2\*\*32 - 1, got \[0, 4294967296\]"):
        gs.sample([1.0], key=[0, 2**32])
    with pytest.raises(ValueError, match="its two uint32 words"):
        gs.sample([1.0], key=[1, 2, 3])
    with pytest.raises(ValueError, match=r"a JAX seed must be in -2\*\*63...2\*\*63 - 1"):
        gs.jax_key(2**63)
    # Per-row streams are Philox streams (python/tests/test_row_streams.py has the rest).
    with pytest.raises(ValueError, match="per-row streams .* are Philox streams"):
        gs.sample([[1.0, 2.0], [3.0, 4.0]], generator="jax", seed=[1, 2])
    np.testing.assert_array_equal(
        gs.sample([[1.0, 2.0], [3.0, 4.0]], seed=[1, 2]),
        [gs.sample([1.0, 2.0], seed=1), gs.sample([3.0, 4.0], seed=2)],
    )
    # A negative JAX seed is JAX's int64 seed: PRNGKey(-1) is [0, 0xffffffff].
    assert np.array_equal(gs.gumbel_noise(5, generator="jax", seed=-1), gs.gumbel_noise(5, key=[0, 0xFFFFFFFF]))


# MARK: axis= and hard=


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
def test_axis_equals_moving_the_categories_last(axis):
    x = np.random.default_rng(2).normal(size=(3, 5, 4)).astype(np.float32)
    moved = np.ascontiguousarray(np.moveaxis(x, axis, -1))
    keys = dict(seed=7, stream=1, position=11)
    y = gs.sample(x, axis=axis, temperature=0.7, **keys)
    assert y.shape == x.shape and y.flags.c_contiguous
    assert np.array_equal(np.moveaxis(y, axis, -1), gs.sample(moved, temperature=0.7, **keys))
    assert np.allclose(y.sum(axis=axis), 1, atol=1e-5)
    log_y = gs.sample(x, axis=axis, temperature=0.7, output="log", **keys)
    assert np.array_equal(np.moveaxis(log_y, axis, -1), gs.sample(moved, temperature=0.7, output="log", **keys))
    cat = gs.categorical(x, axis=axis, **keys)
    assert np.array_equal(cat, gs.categorical(moved, **keys))
    top = gs.top_k(x, 2, axis=axis, **keys)
    assert np.array_equal(np.moveaxis(top, axis, -1), gs.top_k(moved, 2, **keys))
    assert np.array_equal(np.take(top, 0, axis=axis), cat)
    hard = gs.sample(x, axis=axis, hard=True, **keys)
    assert np.array_equal(np.argmax(hard, axis=axis), cat)
    out = np.empty_like(x)
    assert gs.sample(x, axis=axis, temperature=0.7, out=out, **keys) is out and np.array_equal(out, y)
    v = np.random.default_rng(3).normal(size=x.shape).astype(np.float32)
    grad = gs.gradient(y, v, temperature=0.7, axis=axis)
    want = gs.gradient(np.moveaxis(y, axis, -1), np.moveaxis(v, axis, -1), temperature=0.7)
    assert np.array_equal(np.moveaxis(grad.logits, axis, -1), want.logits)
    assert np.array_equal(grad.temperature, want.temperature)
    density = gs.log_prob(y, x, temperature=0.7, axis=axis)
    assert np.array_equal(density, gs.log_prob(np.moveaxis(y, axis, -1), moved, temperature=0.7))
    # Per-row temperatures have the batch shape: the logits' shape without the axis.
    t = np.full(moved.shape[:-1], 0.7, dtype=np.float32)
    assert np.array_equal(gs.sample(x, axis=axis, temperature=t, **keys), y)


def test_axis_refusals():
    with pytest.raises(ValueError, match=r"out must have shape \(4, 3\), got \(12,\)"):
        gs.sample(np.zeros((4, 3), np.float32), axis=0, seed=0, out=np.empty(12, np.float32))
    with pytest.raises(ValueError, match=r"out must have shape \(2, 3\), got \(3, 3\)"):
        gs.top_k(np.zeros((4, 3)), 2, axis=0, seed=0, out=np.empty((3, 3), np.int64))
    with pytest.raises(ValueError, match="axis 3 is out of bounds for an array of dimension 3"):
        gs.sample(np.zeros((2, 2, 2)), axis=3, seed=0)
    with pytest.raises(ValueError, match="must have the shape of"):
        gs.gradient(np.zeros((2, 3)), np.zeros((3, 2)), temperature=1.0, axis=0)


def test_hard():
    x = np.random.default_rng(4).normal(size=(50, 9)).astype(np.float32)
    hard = gs.sample(x, hard=True, seed=3, temperature=0.3)
    assert np.array_equal(hard, gs.sample(x, output="hard", seed=3))
    assert np.all(hard.sum(axis=-1) == 1) and set(np.unique(hard)) == {0.0, 1.0}
    assert np.array_equal(np.argmax(hard, axis=-1), np.argmax(gs.sample(x, seed=3, temperature=0.3), axis=-1))
    with pytest.raises(ValueError, match="cannot be combined with output='log'"):
        gs.sample(x, hard=True, output="log", seed=3)


def test_straight_through_gradient_needs_the_soft_sample():
    x = np.random.default_rng(5).normal(size=(6, 8)).astype(np.float32)
    v = np.random.default_rng(6).normal(size=x.shape).astype(np.float32)
    soft = gs.sample(x, seed=1, temperature=0.5)
    hard = gs.sample(x, seed=1, hard=True)
    with pytest.raises(ValueError, match=r"gradient\(kind='hard'\) needs the soft sample, got a one-hot"):
        gs.gradient(hard, v, temperature=0.5, kind="hard")
    grad = gs.gradient(soft, v, temperature=0.5, kind="hard")
    assert np.any(grad.logits != 0)
    assert np.array_equal(grad.logits, gs.gradient(soft, v, temperature=0.5).logits)
    # One category: the soft sample is exactly [1], a one-hot that is a valid input (gradient 0).
    assert np.all(gs.gradient(np.ones((3, 1), np.float32), np.ones((3, 1)), temperature=1.0, kind="hard").logits == 0)


# MARK: The Concrete log-density


def _exp_concrete(logits, x, t):
    """log p of log-space points x (float64 formula of the docs, per row)."""
    logits = np.asarray(logits, np.float64)
    x = np.asarray(x, np.float64)
    t = np.asarray(t, np.float64)[..., None]
    ok = np.isfinite(logits)
    n = ok.sum(axis=-1)
    a = np.where(ok, logits - t * np.where(ok, x, 0), -np.inf)
    m = np.max(a, axis=-1, keepdims=True)
    lse = m + np.log(np.sum(np.where(ok, np.exp(a - m), 0), axis=-1, keepdims=True))
    score = np.sum(np.where(ok, a - lse, 0), axis=-1)
    return np.array([math.lgamma(k) for k in n.ravel()]).reshape(n.shape) + (n - 1) * np.log(t[..., 0]) + score


def test_log_prob_matches_the_formula():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(4, 6, 5)).astype(np.float32)
    x[1, 2, 3] = -INF
    t = rng.uniform(0.3, 2.0, size=(4, 6)).astype(np.float32)
    log_y = gs.sample(x, temperature=t, output="log", seed=5)
    y = np.exp(log_y.astype(np.float64)).astype(np.float32)
    want_log = _exp_concrete(x, log_y, t)
    got_log = gs.log_prob(log_y, x, temperature=t, space="log")
    assert got_log.dtype == np.float64 and got_log.shape == (4, 6)
    np.testing.assert_allclose(got_log, want_log, rtol=1e-10, atol=1e-10)
    with np.errstate(divide="ignore"):
        log_y64 = np.log(y.astype(np.float64))
    want = _exp_concrete(x, log_y64, t) - np.sum(np.where(np.isfinite(x), log_y64, 0), axis=-1)
    np.testing.assert_allclose(gs.log_prob(y, x, temperature=t), want, rtol=1e-10, atol=1e-10)
    # A scalar temperature is every row's.
    t1 = np.full((4, 6), 0.8, np.float32)
    assert np.array_equal(gs.log_prob(y, x, temperature=0.8), gs.log_prob(y, x, temperature=t1))
    # Invariant to adding a constant to a row's logits.
    np.testing.assert_allclose(gs.log_prob(y, x + 3, temperature=t), gs.log_prob(y, x, temperature=t), rtol=1e-6)


def test_log_prob_integrates_to_one_for_two_categories():
    u = (np.arange(20000) + 0.5) / 20000
    points = np.stack([u, 1 - u], axis=-1).astype(np.float32)
    logits = np.broadcast_to(np.float32([0.4, -0.7]), points.shape)
    density = np.exp(gs.log_prob(points, logits, temperature=0.6))
    assert abs(density.mean() - 1) < 2e-3


def test_log_prob_support_and_refusals():
    x = np.float32([0.0, 1.0, -INF])
    assert gs.log_prob([0.3, 0.7, 0.0], x, temperature=1.0) > -INF
    assert gs.log_prob([0.3, 0.6, 0.1], x, temperature=1.0) == -INF  # mass on a masked category
    assert gs.log_prob([0.0, 1.0, 0.0], x, temperature=1.0) == -INF  # the open simplex
    with pytest.raises(gs.GumbelSoftmaxError, match="row 0, column 1") as info:
        gs.log_prob([0.3, -0.1, 0.0], x, temperature=1.0)
    assert info.value.status == gs.Status.INVALID_POINT
    with pytest.raises(ValueError, match="space must be 'simplex' or 'log', got 'hard'"):
        gs.log_prob([0.3, 0.7, 0.0], x, space="hard")
    with pytest.raises(gs.GumbelSoftmaxError, match="temperature must be finite and > 0, got 0.0"):
        gs.log_prob([0.3, 0.7, 0.0], x, temperature=0.0)
    with pytest.raises(ValueError, match=r"value \(2,\), logits \(3,\) .* do not broadcast together"):
        gs.log_prob([0.3, 0.7], x)


def test_log_prob_broadcasts_a_scalar_value():
    x = np.float32([0.2, -0.4, 1.0])
    assert gs.log_prob(1 / 3, x, temperature=1.0) == gs.log_prob(np.full(3, 1 / 3, np.float32), x, temperature=1.0)
    batch = np.float32([[0.2, -0.4, 1.0], [0.0, 0.5, -1.0]])
    assert np.array_equal(gs.log_prob(1 / 3, batch, temperature=0.5),
                          gs.log_prob(np.full((2, 3), 1 / 3, np.float32), batch, temperature=0.5))


def test_log_prob_of_an_underflowed_coordinate_is_minus_infinity_and_finite_in_log_space():
    # The docstring's case: a float32 soft sample whose coordinate underflows to 0.
    x = np.float32([0.0, 200.0])
    y = gs.sample(x, temperature=0.1, seed=1)
    assert y[0] == 0
    assert gs.log_prob(y, x, temperature=0.1) == -INF
    log_y = gs.sample(x, temperature=0.1, seed=1, output="log")
    assert np.isfinite(gs.log_prob(log_y, x, temperature=0.1, space="log"))


# MARK: Errors survive pickle, copy and worker processes


class Special(gs.GumbelSoftmaxError):
    """A subclass, as a user's code might define."""


def _refused(temperature):
    return gs.sample([1.0, 2.0], temperature=temperature, seed=0)


def test_error_pickle_and_copy():
    error = gs.GumbelSoftmaxError(gs.Status.NAN_LOGIT, "logit at row 1, column 0 is NaN")
    for other in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
        assert type(other) is gs.GumbelSoftmaxError and isinstance(other, ValueError)
        assert other.status == gs.Status.NAN_LOGIT and other.message == error.message and str(other) == str(error)
    special = pickle.loads(pickle.dumps(Special(99, "unknown code")))
    assert type(special) is Special and special.status == 99 and str(special) == "unknown code"


def test_error_crosses_a_pool():
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        with pytest.raises(gs.GumbelSoftmaxError) as info:
            pool.map(_refused, [1.0, -3.0])
    assert info.value.status == gs.Status.INVALID_TEMPERATURE
    assert str(info.value) == "temperature must be finite and > 0, got -3.0"
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as executor:
        good, bad = executor.submit(_refused, 0.5), executor.submit(_refused, math.nan)
        assert np.array_equal(good.result(), gs.sample([1.0, 2.0], temperature=0.5, seed=0))
        error = bad.exception()
    assert isinstance(error, gs.GumbelSoftmaxError) and error.status == gs.Status.INVALID_TEMPERATURE
    assert str(error) == "temperature must be finite and > 0, got nan"


# MARK: Conversion rules of every real dtype

LARGEST = float(np.finfo(np.float32).max)
MIDPOINT = 2.0**128 - 2.0**103  # the smallest value that rounds to inf in float32


def test_every_real_dtype_rounds_once_to_float32():
    values = [0.25, -3.0, 1.0, 7.0]
    want = gs.sample(np.float32(values), seed=4)
    assert gs.sample(np.array(values), seed=4).dtype == np.float64  # float64: computed in float64
    for dtype in (np.float16, np.longdouble, np.int8, np.int16, np.int32, np.int64, np.uint8,
                  np.uint16, np.uint32, np.uint64):
        if np.issubdtype(dtype, np.unsignedinteger) or np.issubdtype(dtype, np.integer):
            array = np.array([0, 3, 1, 7], dtype=dtype)
            assert np.array_equal(gs.sample(array, seed=4), gs.sample(np.float32([0, 3, 1, 7]), seed=4)), dtype
        else:
            assert np.array_equal(gs.sample(np.array(values, dtype=dtype), seed=4), want), dtype
    with pytest.raises(TypeError):  # a boolean is not a number (the module's conversion rule)
        gs.sample(np.array([True, False]), seed=4)
    # Python ints beyond int64 are numbers too.
    big = gs.sample([2**70, 0], seed=4)
    assert np.array_equal(big, gs.sample(np.float32([2.0**70, 0]), seed=4))
    # Rounded once, from the value itself: a longdouble just above a float32 midpoint.
    above = np.longdouble(1) + np.longdouble(2.0**-24) + np.longdouble(2.0**-60)
    assert gs.sample(np.array([above, 0], dtype=np.longdouble), temperature=1.0, seed=1, output="log")[0] == \
        gs.sample(np.float32([1 + 2.0**-23, 0]), temperature=1.0, seed=1, output="log")[0]


def test_values_that_round_to_the_largest_float32_are_accepted():
    for value in (3.4028235e38, np.nextafter(MIDPOINT, 0), np.longdouble(MIDPOINT) - np.longdouble(2.0**90)):
        y = gs.sample(np.array([value, 0.0]), seed=0, output="hard")
        assert np.array_equal(y, [1.0, 0.0]), value
    assert np.array_equal(gs.sample(np.array([-3.4028235e38, 0.0]), seed=0), [0.0, 1.0])


@pytest.mark.parametrize(
    "values,message",
    [
        (np.array([0.0, np.longdouble("-1e400")], dtype=np.longdouble), "logits[1] = -1e+400 does not fit"),
        ([[0.0, 1e39]], "logits[0, 1] = 1e+39 does not fit"),
        ([MIDPOINT, 0.0], "logits[0] = 3.4028235677973366e+38 does not fit"),
        ([0.0, -(10**400)], "logits[1] = -1e+400 does not fit"),
        (np.array([np.longdouble("1e4000")], dtype=np.longdouble), "logits[0] = 1e+4000 does not fit"),
    ],
)
def test_values_beyond_float32_are_refused_as_given(values, message):
    with pytest.raises(ValueError) as info:
        gs.sample(values, seed=0)
    assert str(info.value) == message + " in float32 (largest 3.4028235e+38)"
    assert "np." not in str(info.value)


def test_infinities_and_nan_reach_the_library():
    for dtype in (np.float64, np.longdouble, np.float16):
        masked = gs.sample(np.array([-np.inf, 0.0], dtype=dtype), seed=0)
        assert masked[0] == 0 and masked[1] == 1
        with pytest.raises(gs.GumbelSoftmaxError) as info:
            gs.sample(np.array([np.nan, 0.0], dtype=dtype), seed=0)
        assert info.value.status == gs.Status.NAN_LOGIT


@pytest.mark.parametrize(
    "temperature,message",
    [
        (1e-46, "temperature must be finite and > 0, got 1e-46 (0 in float32)"),
        (-1e-46, "temperature must be finite and > 0, got -1e-46"),
        (3.5e38, "temperature must be finite and > 0, got 3.5e+38 (beyond float32's largest 3.4028235e+38)"),
        (10**400, "temperature must be finite and > 0, got 1e+400 (beyond float32's largest 3.4028235e+38)"),
        (np.float64(0.0), "temperature must be finite and > 0, got 0.0"),
        (np.longdouble("1e-4000"), "temperature must be finite and > 0, got 1e-4000 (0 in float32)"),
        (np.int64(-2), "temperature must be finite and > 0, got -2"),
        (-INF, "temperature must be finite and > 0, got -inf"),
    ],
)
def test_temperatures_are_refused_as_given(temperature, message):
    with pytest.raises(gs.GumbelSoftmaxError) as info:
        gs.sample([1.0, 2.0], temperature=temperature, seed=0)
    assert str(info.value) == message and info.value.status == gs.Status.INVALID_TEMPERATURE


def test_per_row_temperatures_are_refused_as_given():
    with pytest.raises(gs.GumbelSoftmaxError) as info:
        gs.sample(np.zeros((3, 2), np.float32), temperature=np.array([1.0, 2.0, 1e-50]), seed=0)
    assert str(info.value) == "temperature of row 2 must be finite and > 0, got 1e-50 (0 in float32)"
    with pytest.raises(gs.GumbelSoftmaxError) as info:
        gs.gradient(np.full((2, 2), 0.5, np.float32), np.ones((2, 2)), temperature=[1.0, 4e38])
    assert "row 1" in str(info.value) and "got 4e+38 (beyond" in str(info.value)
    # 3.4028235e38 rounds to the largest float32: accepted.
    assert gs.sample([1.0, 2.0], temperature=3.4028235e38, seed=0).shape == (2,)


def test_k_is_reported_as_given():
    for k in (2**70, -(2**70), 2**63):
        with pytest.raises(gs.GumbelSoftmaxError) as info:
            gs.top_k([[1.0, 2.0]], k, seed=0)
        assert str(info.value) == f"k must be in 1...2 (the number of categories), got {k}"
        assert info.value.status == gs.Status.INVALID_TOP_K
    with pytest.raises(gs.GumbelSoftmaxError, match=r"got 9223372036854775807$"):
        gs.top_k([[1.0, 2.0]], 2**63 - 1, seed=0)
