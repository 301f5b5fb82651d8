"""Float64 end to end (contract 2.1, SPEC section 5) through the numpy API: float64 logits give
float64 samples, indices, gradients and densities, computed in float64 (the golden section
``gumbel_softmax_f64``, a float64 reference of the same words, central differences), with the
invariances and refusals of float32; narrower dtypes are computed in float32."""

import numpy as np
import pytest
import reference

import gumbel_softmax as gs


def soft_tolerance(expected, zmax):
    return (1e-12 + 2.0**-48 * zmax) * np.abs(expected) + 1e-300


def log_tolerance(expected, zmax):
    return 1e-12 * np.maximum(1, np.abs(expected)) + 2.0**-48 * zmax


def number(value):
    return float(value) if not isinstance(value, str) else float(value.replace("inf", "inf"))


def test_golden_section(golden):
    section = golden.get("gumbel_softmax_f64")
    assert section is not None, "the golden file has no gumbel_softmax_f64 section"
    cases = section["cases"]
    assert len(cases) == 10
    for case in cases:
        shape = tuple(case["shape"])
        logits = np.array([number(v) for v in case["logits"]], dtype=np.float64).reshape(shape)
        words = dict(seed=int(case["seed"]), stream=int(case["stream"]), position=int(case["position"]))
        temperature = case["temperature"]
        soft = gs.sample(logits, temperature=temperature, **words)
        log = gs.sample(logits, temperature=temperature, output="log", **words)
        hard = gs.sample(logits, temperature=temperature, output="hard", **words)
        indices = gs.categorical(logits, **words)
        top = gs.top_k(logits, 1, **words)
        assert soft.dtype == log.dtype == hard.dtype == np.float64
        expected_soft = np.array([number(v) for v in case["soft"]]).reshape(shape)
        expected_log = np.array([number(v) for v in case["log_soft"]]).reshape(shape)
        zmax = np.array(case["zmax"]).reshape(shape[:-1] + (1,))
        assert np.all(np.abs(soft - expected_soft) <= soft_tolerance(expected_soft, zmax)), case["name"]
        masked = expected_log == -np.inf
        assert np.all(log[masked] == -np.inf) and np.all(soft[masked] == 0), case["name"]
        assert np.all(
            np.abs(log[~masked] - expected_log[~masked])
            <= log_tolerance(expected_log, np.broadcast_to(zmax, shape))[~masked]
        ), case["name"]
        argmax = np.array(case["argmax"]).reshape(shape[:-1])
        assert np.array_equal(indices, argmax) and np.array_equal(top[..., 0], argmax), case["name"]
        assert np.array_equal(hard, np.eye(shape[-1])[argmax]), case["name"]
        assert np.all(np.abs(soft.sum(axis=-1) - 1) <= 1e-12), case["name"]


@pytest.mark.parametrize("shape", [(4, 33), (2, 3000), (1, 40000)])
@pytest.mark.parametrize("temperature", [1.0, 0.5, 0.3])
def test_against_a_float64_reference(shape, temperature):
    rng = np.random.default_rng(sum(shape))
    logits = rng.normal(0, 10, size=shape)
    logits[..., 3] = -np.inf
    soft = gs.sample(logits, temperature=temperature, seed=9, position=20000)
    g = reference.noise(9, 0, 20000, logits.size).reshape(shape)
    z = (logits + g) / temperature
    m = z.max(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        e = np.exp(z - m)
    expected = e / e.sum(axis=-1, keepdims=True)
    zmax = np.max(np.where(np.isfinite(z), np.abs(z), 0), axis=-1, keepdims=True)
    # The reference itself rounds: its own error is a few ulps of z.
    assert np.all(np.abs(soft - expected) <= soft_tolerance(expected, zmax) + 8 * 2.0**-53 * zmax * expected)
    assert np.all(soft[..., 3] == 0)


def test_a_tiny_probability_survives():
    y = gs.sample(np.array([0.0, -200.0]), seed=3)
    assert 1e-89 < y[1] < 1e-87
    assert gs.sample(np.array([0.0, -200.0], dtype=np.float32), seed=3)[1] == 0


def test_dtypes():
    for dtype in (np.float16, np.float32):
        assert gs.sample(np.zeros(5, dtype=dtype), seed=1).dtype == np.float32
    assert gs.sample([0.0, 1.0], seed=1).dtype == np.float32  # lists follow the conversion rule
    assert gs.sample(np.zeros(5), seed=1).dtype == np.float64
    assert gs.gumbel_noise(4, seed=1, dtype=np.float64).dtype == np.float64
    assert gs.log_prob(np.array([0.5, 0.5]), np.zeros(2)).dtype == np.float64
    # JAX's generator draws JAX's own float64 uniforms for sample and noise.
    assert gs.sample(np.zeros(5), key=np.array([0, 1], dtype=np.uint32)).dtype == np.float64
    assert gs.gumbel_noise(4, key=np.array([0, 1], dtype=np.uint32), dtype=np.float64).dtype == np.float64


def test_invariance():
    logits = np.random.default_rng(1).normal(size=(6, 70))
    batch = gs.sample(logits, temperature=0.7, seed=4, position=11, threads=1)
    assert np.array_equal(batch, gs.sample(logits, temperature=0.7, seed=4, position=11, threads=2))
    for b in range(6):
        alone = gs.sample(logits[b], temperature=0.7, seed=4, position=11 + b * 70)
        assert np.array_equal(alone, batch[b])
    seeds = np.arange(6) + 100
    rows = gs.sample(logits, temperature=0.5, seed=seeds, position=3)
    indices = gs.categorical(logits, seed=seeds, position=3)
    for b in range(6):
        assert np.array_equal(rows[b], gs.sample(logits[b], temperature=0.5, seed=int(seeds[b]), position=3))
        assert indices[b] == gs.categorical(logits[b], seed=int(seeds[b]), position=3)
    temperatures = np.linspace(0.3, 2.0, 6)
    per_row = gs.sample(logits, temperature=temperatures, seed=4)
    for b in range(6):
        assert np.array_equal(per_row[b], gs.sample(logits[b], temperature=temperatures[b], seed=4, position=b * 70))


def test_gradient_against_central_differences():
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(3, 7))
    v = rng.normal(size=(3, 7))
    for kind in ("soft", "log"):
        y = gs.sample(logits, temperature=0.8, output=kind, seed=2)
        grad = gs.gradient(y, v, temperature=0.8, kind=kind)
        assert grad.logits.dtype == grad.temperature.dtype == np.float64

        def loss(x, t):
            return float(np.sum(v * gs.sample(x, temperature=t, output=kind, seed=2)))

        h = 1e-6
        numeric = np.zeros_like(logits)
        for i in np.ndindex(logits.shape):
            up, down = logits.copy(), logits.copy()
            up[i] += h
            down[i] -= h
            numeric[i] = (loss(up, 0.8) - loss(down, 0.8)) / (2 * h)
        assert np.max(np.abs(grad.logits - numeric)) <= 1e-7
        numeric_t = (loss(logits, 0.8 + h) - loss(logits, 0.8 - h)) / (2 * h)
        assert abs(grad.temperature.sum() - numeric_t) <= 1e-7


def test_log_prob_matches_float32_on_float_values():
    logits = np.array([[0.5, -1.0, 2.0], [0.25, 1.0, -np.inf]], dtype=np.float32)
    point = np.array([[0.25, 0.25, 0.5], [0.5, 0.5, 0.0]], dtype=np.float32)
    expected = gs.log_prob(point, logits, temperature=np.float32(0.75))
    actual = gs.log_prob(point.astype(np.float64), logits.astype(np.float64), temperature=0.75)
    assert np.array_equal(actual, expected)


def test_refusals_write_nothing():
    out = np.full(4, 42.0)
    with pytest.raises(gs.GumbelSoftmaxError) as error:
        gs.sample(np.array([0.0, np.nan, 1.0, 2.0]), seed=1, out=out)
    assert error.value.status == gs.Status.NAN_LOGIT
    assert np.all(out == 42.0)
    with pytest.raises(gs.GumbelSoftmaxError) as error:
        gs.sample(np.zeros(4), temperature=0.0, seed=1, out=out)
    assert error.value.status == gs.Status.INVALID_TEMPERATURE
    with pytest.raises(gs.GumbelSoftmaxError) as error:
        gs.sample(np.array([[0.0, 1.0], [-np.inf, -np.inf]]), seed=1)
    assert error.value.status == gs.Status.ALL_MASKED_ROW
    with pytest.raises(TypeError):
        gs.sample(np.zeros(4), seed=1, out=np.zeros(4, dtype=np.float32))
    with pytest.raises(gs.GumbelSoftmaxError) as error:
        gs.top_k(np.array([0.0, -np.inf, -np.inf]), 2, seed=1)
    assert error.value.status == gs.Status.INSUFFICIENT_CATEGORIES
