"""What TFP's relaxed_onehot_categorical tests check of the Concrete density (the formula, batch
broadcasting, an event of size one, invalid samples, dtypes), asked of gumbel_softmax.log_prob in
our own words; and NumPy broadcasting of the temperature in sample and log_prob."""

import math

import numpy as np
import pytest

import gumbel_softmax as gs


def concrete_log_density(y, logits, temperature):
    """Maddison et al. (2017), eq. 4, in float64: log (K-1)! + (K-1) log t
    + sum_k (l_k - (t+1) log y_k) - K logsumexp_k (l_k - t log y_k)."""
    y, logits = np.asarray(y, np.float64), np.asarray(logits, np.float64)
    t = np.asarray(temperature, np.float64)[..., None]
    k = y.shape[-1]
    inner = logits - t * np.log(y)
    top = inner.max(-1, keepdims=True)
    logsumexp = (top + np.log(np.exp(inner - top).sum(-1, keepdims=True)))[..., 0]
    return (math.lgamma(k) + (k - 1) * np.log(t[..., 0]) + (logits - (t + 1) * np.log(y)).sum(-1)
            - k * logsumexp)


def logits_of(shape, seed=0):
    return np.random.default_rng(seed).normal(0, 1.5, size=shape).astype(np.float32)


def test_pdf_is_the_concrete_formula_per_row():
    logits = logits_of((4, 5))
    temperatures = np.float32([0.3, 0.7, 1.0, 2.5])
    y = gs.sample(logits, temperature=temperatures, seed=1)
    density = gs.log_prob(y, logits, temperature=temperatures)
    assert density.shape == (4,) and density.dtype == np.float64
    np.testing.assert_allclose(density, concrete_log_density(y, logits, temperatures), rtol=1e-9, atol=1e-9)
    # In log space: the ExpConcrete density, which is the simplex one plus sum(log y).
    log_y = np.log(y.astype(np.float64))
    expected = concrete_log_density(y, logits, temperatures) + log_y.sum(-1)
    np.testing.assert_allclose(gs.log_prob(log_y, logits, temperature=temperatures, space="log"), expected,
                               rtol=1e-6, atol=1e-6)


def test_pdf_broadcasts_logits_values_and_temperatures():
    """TFP's batch case: one distribution's parameters against a batch of points, and a batch of
    distributions against points that broadcast in another axis."""
    logits = logits_of((3,), seed=2)
    points = gs.sample(np.broadcast_to(logits, (6, 3)), temperature=0.5, seed=3)
    density = gs.log_prob(points, logits, temperature=0.5)
    assert density.shape == (6,)
    np.testing.assert_allclose(density, concrete_log_density(points, np.broadcast_to(logits, (6, 3)), 0.5),
                               rtol=1e-9, atol=1e-9)
    batch_logits = logits_of((2, 3), seed=4)
    temperatures = np.float32([0.5, 1.5])
    grid = gs.log_prob(points[:, None, :], batch_logits, temperature=temperatures)  # (6, 1, 3) x (2, 3)
    assert grid.shape == (6, 2)
    for i in range(6):
        for j in range(2):
            np.testing.assert_allclose(grid[i, j], gs.log_prob(points[i], batch_logits[j], temperature=temperatures[j]),
                                       rtol=1e-12)
    # One distribution's logits, a batch of temperatures: the temperatures make the batch.
    temperatures = np.float32([0.4, 2.3])
    y = gs.sample(np.broadcast_to(logits, (2, 3)), temperature=temperatures, seed=5)
    np.testing.assert_allclose(gs.log_prob(y, logits, temperature=temperatures),
                               concrete_log_density(y, np.broadcast_to(logits, (2, 3)), temperatures), rtol=1e-9)
    # The temperature alone may carry the batch, and the categories may be another axis.
    per_temperature = gs.log_prob(points[0], logits, temperature=np.float32([[0.5], [1.0]]))
    assert per_temperature.shape == (2, 1)
    columns = gs.log_prob(points.T, logits[:, None], temperature=0.5, axis=0)
    np.testing.assert_array_equal(columns, density)


def test_event_size_of_one():
    """One category: the only point is [1], a sample is exactly 1, and the density of the point
    (a distribution on a single point) is 1, log 0."""
    logits = np.float32([[0.3], [-2.0]])
    y = gs.sample(logits, temperature=0.7, seed=5)
    np.testing.assert_array_equal(y, np.ones((2, 1), np.float32))
    np.testing.assert_array_equal(gs.log_prob(y, logits, temperature=0.7), [0.0, 0.0])
    np.testing.assert_array_equal(gs.log_prob(np.zeros((2, 1)), logits, temperature=0.7, space="log"), [0.0, 0.0])


@pytest.mark.parametrize(
    "point, space, message",
    [
        ([0.4, 0.1, 0.3], "simplex", "sum to 1"),
        ([0.5, 0.6, -0.1], "simplex", "negative|row 0, column 2"),
        ([0.5, np.nan, 0.5], "simplex", "(?i)nan"),
        ([0.5, 0.2, 0.3 + 1e-3], "simplex", "sum to 1"),
        (np.log([0.4, 0.1, 0.3]), "log", "logsumexp"),
        ([-0.2, 0.5, 0.3], "log", "logsumexp"),  # log-space coordinates above 0
        (np.log([0.2, 0.3, 0.5]) + 1e-3, "log", "logsumexp"),
    ],
)
def test_invalid_samples_are_refused(point, space, message):
    logits = np.float32([0.0, 1.0, -1.0])
    with pytest.raises(gs.GumbelSoftmaxError, match=message) as info:
        gs.log_prob(point, logits, temperature=0.5, space=space)
    assert info.value.status == gs.Status.INVALID_POINT


def test_points_within_the_stated_tolerance_are_accepted():
    logits = np.float32([0.0, 1.0, -1.0])
    tolerance = 1e-5 + 3 * 2.0**-24
    inside = np.array([0.2, 0.3, 0.5]) * (1 + 0.9 * tolerance)
    outside = np.array([0.2, 0.3, 0.5]) * (1 + 1.1 * tolerance)
    assert np.isfinite(gs.log_prob(inside, logits, temperature=0.5))
    with pytest.raises(gs.GumbelSoftmaxError, match="sum to 1"):
        gs.log_prob(outside, logits, temperature=0.5)
    # A float32 sample converted to float64 is still on the support.
    y = gs.sample(logits_of((50, 300), seed=6), temperature=0.3, seed=7)
    assert np.all(np.isfinite(gs.log_prob(y.astype(np.float64), logits_of((50, 300), seed=6), temperature=0.3)))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtypes(dtype):
    """TFP checks float16/32/64: the density of each dtype's point, returned as float64, agrees
    with the formula evaluated on the same (rounded) numbers."""
    logits = logits_of((3, 4), seed=8).astype(dtype)
    y = gs.sample(logits, temperature=0.8, seed=9).astype(dtype)
    y = (y.astype(np.float64) / y.astype(np.float64).sum(-1, keepdims=True)).astype(dtype)
    density = gs.log_prob(y, logits, temperature=dtype(0.8))
    assert density.dtype == np.float64
    rounded_y, rounded_logits = y.astype(np.float32), logits.astype(np.float32)
    np.testing.assert_allclose(density, concrete_log_density(rounded_y, rounded_logits, np.float32(dtype(0.8))),
                               rtol=1e-6, atol=1e-6)


def test_sample_temperature_broadcasts_to_the_batch_shape():
    logits = logits_of((2, 3, 5), seed=10)
    per_row = np.float32([[0.5, 1.0, 2.0], [0.5, 1.0, 2.0]])
    expected = gs.sample(logits, temperature=per_row, seed=11)
    for temperature in (np.float32([0.5, 1.0, 2.0]), per_row[:1]):
        np.testing.assert_array_equal(gs.sample(logits, temperature=temperature, seed=11), expected)
    one = gs.sample(logits, temperature=0.7, seed=11)
    for temperature in (np.float32([0.7]), np.float32([[[0.7]]])):  # one element: one temperature
        np.testing.assert_array_equal(gs.sample(logits, temperature=temperature, seed=11), one)
    with pytest.raises(ValueError, match="do not broadcast to the batch shape"):
        gs.sample(logits, temperature=np.ones(2, np.float32), seed=11)
    with pytest.raises(ValueError, match="do not broadcast to the batch shape"):
        gs.sample(logits, temperature=np.ones((4, 2, 3), np.float32), seed=11)  # would enlarge the batch
