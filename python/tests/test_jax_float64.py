"""The numpy API with JAX's generator on float64 (``gs_sample_jax_f64``,
``gs_sample_per_row_jax_f64``, ``gs_gumbel_noise_jax_f64``, ``gs_categorical_jax_f64``,
``gs_top_k_jax_f64``) against JAX's own values in x64 mode: Tests/golden/jax_x64_vectors.json,
written by Scripts/derive/jax_x64_known_answers.py."""

import json
from pathlib import Path

import numpy as np
import pytest

import gumbel_softmax as gs

CASES = json.loads((Path(__file__).resolve().parents[2] / "Tests" / "golden" / "jax_x64_vectors.json").read_text())[
    "cases"
]


def _key(case):
    return np.array([int(w, 16) for w in case["key"]], dtype=np.uint32)


def _soft_tolerance(logits, noise, temperature, expected):
    zmax = np.max(np.abs((logits + noise) / temperature), axis=-1, keepdims=True)
    return (1e-12 + 2.0**-48 * zmax) * np.abs(expected) + 1e-300


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["seed"])
def test_float64_noise_is_jax_gumbel(case):
    expected = np.array(case["gumbel"])
    g = gs.gumbel_noise(tuple(case["shape"]), key=_key(case), dtype=np.float64)
    assert g.dtype == np.float64
    assert np.all(np.abs(g.ravel() - expected) <= 1e-12 * np.maximum(1, np.abs(expected)))


@pytest.mark.parametrize("per_row", [False, True])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["seed"])
def test_float64_sample_is_jax_softmax(case, per_row):
    shape = tuple(case["shape"])
    logits = np.array(case["logits"]).reshape(shape)
    noise = np.array(case["gumbel"]).reshape(shape)
    expected = np.array(case["soft"]).reshape(shape)
    temperature = case["temperature"]
    tau = np.full(shape[0], temperature) if per_row else temperature
    y = gs.sample(logits, temperature=tau, key=_key(case))
    assert y.dtype == np.float64
    assert np.all(np.abs(y - expected) <= _soft_tolerance(logits, noise, temperature, expected))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["seed"])
def test_float64_categorical_and_top_k_are_jaxs(case):
    """``jax.random.categorical(key, logits)`` and ``lax.top_k(logits + gumbel(key, shape,
    float64), k)`` as JAX computed them, and exactly the argmax and the descending order of
    ``logits + g`` with the library's own float64 noise."""
    shape = tuple(case["shape"])
    logits = np.array(case["logits"]).reshape(shape)
    k = case["k"]
    indices = gs.categorical(logits, key=_key(case))
    top = gs.top_k(logits, k, key=_key(case))
    assert indices.dtype == np.int64 and indices.shape == shape[:-1]
    assert top.shape == shape[:-1] + (k,)
    assert indices.tolist() == case["categorical"]
    assert top.ravel().tolist() == case["top_k"]
    z = logits + gs.gumbel_noise(shape, key=_key(case), dtype=np.float64)
    assert np.array_equal(indices, np.argmax(z, axis=-1))
    assert np.array_equal(top, np.argsort(-z, axis=-1, kind="stable")[:, :k])


def test_float64_categorical_is_not_the_float32_noise():
    """Float64 logits draw JAX's float64 noise (64 bits per element), which is not the float32
    noise: over many rows some argmaxes differ from those of float32 logits."""
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((400, 20))
    key = np.array([0, 42], dtype=np.uint32)
    wide = gs.categorical(logits, key=key)
    assert np.array_equal(wide, np.argmax(logits + gs.gumbel_noise(logits.shape, key=key, dtype=np.float64), -1))
    assert np.array_equal(gs.top_k(logits, 1, key=key)[:, 0], wide)
    assert np.any(wide != gs.categorical(logits.astype(np.float32), key=key))


def test_float64_jax_refusals():
    key = np.array([0, 1], dtype=np.uint32)
    bad = np.array([[0.0, np.nan, 1.0]])
    with pytest.raises(gs.GumbelSoftmaxError) as error:
        gs.categorical(bad, key=key)
    assert error.value.status == gs.Status.NAN_LOGIT
    with pytest.raises(gs.GumbelSoftmaxError) as error:
        gs.top_k(np.array([[0.0, -np.inf, -np.inf]]), 2, key=key)
    assert error.value.status == gs.Status.INSUFFICIENT_CATEGORIES
    with pytest.raises(gs.GumbelSoftmaxError) as error:
        gs.top_k(np.zeros((2, 3)), 4, key=key)
    assert error.value.status == gs.Status.INVALID_TOP_K
