"""The numpy API with JAX's generator on float64 (``gs_sample_jax_f64``,
``gs_sample_per_row_jax_f64``, ``gs_gumbel_noise_jax_f64``) against JAX's own values in x64 mode:
Tests/golden/jax_x64_vectors.json, written by Scripts/derive/jax_x64_known_answers.py."""

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
