"""One rule for what counts as a number (issue 21): booleans, however spelled, and non-real dtypes
are refused with TypeError wherever a number is taken; integers and floats are accepted."""

import numpy as np
import pytest

import gumbel_softmax as gs

LOGITS = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], dtype=np.float32)
BOOLEANS = [True, False, np.True_, np.False_]


@pytest.mark.parametrize("value", BOOLEANS)
@pytest.mark.parametrize("argument", ["seed", "stream", "position", "threads"])
def test_boolean_integer_arguments_are_refused(argument, value):
    with pytest.raises(TypeError, match="boolean|integer"):
        gs.sample(LOGITS, temperature=1.0, **{argument: value})
    with pytest.raises(TypeError, match="boolean|integer"):
        gs.categorical(LOGITS, **{argument: value})


@pytest.mark.parametrize("value", BOOLEANS)
def test_boolean_k_axis_and_per_row_words_are_refused(value):
    with pytest.raises(TypeError):
        gs.top_k(LOGITS, k=value, seed=1)
    with pytest.raises(TypeError):
        gs.sample(LOGITS, temperature=1.0, seed=1, axis=value)
    with pytest.raises(TypeError):
        gs.sample(LOGITS, temperature=1.0, seed=[1, value])
    with pytest.raises(TypeError):
        gs.sample(LOGITS, temperature=1.0, seed=np.array([True, False]))


@pytest.mark.parametrize(
    "values",
    [
        np.array([[True, False, True]]),
        [[True, False, True]],
        np.array([[1, 2, 3]], dtype="m8[s]"),
        np.array([[1, 2, 3]], dtype="M8[s]"),
        np.array([[1 + 0j, 2, 3]]),
        np.array([["1", "2", "3"]]),
    ],
    ids=["bool-array", "bool-list", "timedelta64", "datetime64", "complex", "strings"],
)
def test_logits_that_are_not_real_numbers_are_refused(values):
    with pytest.raises(TypeError):
        gs.sample(values, temperature=1.0, seed=1)
    with pytest.raises(TypeError):
        gs.categorical(values, seed=1)


@pytest.mark.parametrize(
    "temperature", [True, np.True_, np.array([True, True]), np.array([1, 1], dtype="m8[s]")], ids=str
)
def test_temperatures_that_are_not_real_numbers_are_refused(temperature):
    with pytest.raises(TypeError):
        gs.sample(LOGITS, temperature=temperature, seed=1)


def test_integers_and_floats_are_numbers():
    reference = gs.sample(LOGITS, temperature=1.0, seed=1, stream=0, position=0)
    for seed in (1, np.int64(1), np.uint8(1)):
        np.testing.assert_array_equal(gs.sample(LOGITS, temperature=1, seed=seed), reference)
    as_ints = gs.sample(np.array([[1, 2, 3]], dtype=np.int16), temperature=np.float64(1.0), seed=1)
    as_floats = gs.sample(np.array([[1.0, 2.0, 3.0]], dtype=np.float32), temperature=1.0, seed=1)
    np.testing.assert_array_equal(as_ints, as_floats)
    assert gs.top_k(LOGITS, k=np.int32(2), seed=1).shape == (2, 2)
