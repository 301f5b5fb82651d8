"""The Python package against a float64 numpy reference of SPEC.md (reference.py), the golden
file, known invariants, and every refused input."""

import math
import threading

import numpy as np
import pytest

import gumbel_softmax as gs
import reference as ref

INF = float("inf")


def _float(value):
    """A golden-file number: a float, or the string "inf" / "-inf"."""
    return float(value)


def _hex_words(values):
    return np.array([int(v, 16) for v in values], dtype=np.uint64)


# MARK: The reference against the golden file (so that the comparisons below mean something)


def test_reference_philox_known_answers(golden):
    for case in golden["philox4x32_10_known_answers"]["cases"]:
        c = _hex_words(case["counter"])
        k = [int(v, 16) for v in case["key"]]
        out = ref.philox4x32_10(c[0:1], c[1:2], c[2:3], c[3:4], k[0], k[1])
        assert [int(o[0]) for o in out] == [int(v, 16) for v in case["output"]]


def test_reference_stream_words(golden):
    for case in golden["stream_words"]["cases"]:
        want = [int(v, 16) for v in case["words"]]
        got = ref.words(int(case["seed"]), int(case["stream"]), int(case["position"]), len(want))
        assert got.tolist() == want


def test_reference_uniform_and_noise_of_words(golden):
    # The golden file's own contract: v1 lists uniforms, v2 tail words and the noise of words.
    checked = 0
    for case in golden.get("uniform", {}).get("cases", []):
        u = ref.uniform(np.array([int(case["word"], 16)]))[0]
        assert u == case["u"]
        assert np.float32(u).view(np.uint32) == int(case["u_bits"], 16)
        checked += 1
    for case in golden.get("tail_words", {}).get("cases", []):
        seed, stream = int(case["seed"]), int(case["stream"])
        for p, w, t in zip(case["positions"], case["words"], case["tail_words"]):
            assert ref.words(seed, stream, int(p), 1)[0] == int(w, 16)
            assert ref.tail_words(seed, stream, int(p), 1)[0] == int(t, 16)
            checked += 1
    for case in golden.get("gumbel_from_words", {}).get("cases", []):
        g = ref.gumbel(np.array([int(case["word"], 16)]), np.array([int(case["tail_word"], 16)]))[0]
        assert abs(g - case["g"]) <= 1e-12 * max(1, abs(case["g"])), case
        checked += 1
    assert checked > 0, "the golden file has neither uniforms (v1) nor tail words (v2)"


def test_reference_noise(golden):
    for case in golden["gumbel"]["cases"]:
        want = np.array(case["values"])
        got = ref.noise(int(case["seed"]), int(case["stream"]), int(case["position"]), len(want))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_reference_gumbel_softmax(golden):
    for case in golden["gumbel_softmax"]["cases"]:
        x = np.array([_float(v) for v in case["logits"]], dtype=np.float32).reshape(case["shape"])
        soft, log_soft, z, _ = ref.gumbel_softmax(
            x, case["temperature"], int(case["seed"]), int(case["stream"]), int(case["position"])
        )
        np.testing.assert_allclose(soft.ravel(), case["soft"], rtol=1e-12, atol=1e-15)
        want_log = np.array([_float(v) for v in case["log_soft"]])
        assert np.array_equal(np.isinf(log_soft.ravel()), np.isinf(want_log)), case["name"]
        finite = np.isfinite(want_log)
        np.testing.assert_allclose(log_soft.ravel()[finite], want_log[finite], rtol=1e-10)
        assert np.argmax(z, axis=-1).ravel().tolist() == case["argmax"], case["name"]


# MARK: The library against the golden file


def test_golden_gumbel_noise(golden):
    for case in golden["gumbel"]["cases"]:
        want = np.array(case["values"])
        got = gs.gumbel_noise(
            len(want), seed=int(case["seed"]), stream=int(case["stream"]), position=int(case["position"])
        )
        assert got.dtype == np.float32 and got.shape == want.shape
        assert np.all(np.abs(got - want) <= ref.noise_tolerance(want)), case


def test_golden_gumbel_softmax(golden):
    for case in golden["gumbel_softmax"]["cases"]:
        x = np.array([_float(v) for v in case["logits"]], dtype=np.float32).reshape(case["shape"])
        keys = dict(seed=int(case["seed"]), stream=int(case["stream"]), position=int(case["position"]))
        t = case["temperature"]
        _, _, _, zmax = ref.gumbel_softmax(x, t, **keys)
        zmax = np.broadcast_to(zmax, x.shape).ravel()
        want = np.array(case["soft"])
        want_log = np.array([_float(v) for v in case["log_soft"]])
        soft = gs.sample(x, temperature=t, **keys).ravel()
        log_soft = gs.sample(x, temperature=t, output="log", **keys).ravel()
        hard = gs.sample(x, temperature=t, output="hard", **keys).reshape(-1, x.shape[-1])
        index = np.atleast_1d(gs.categorical(x, **keys))
        assert np.all(np.abs(soft - want) <= ref.soft_tolerance(zmax)), case["name"]
        masked = np.isinf(want_log)
        assert np.all(soft[masked] == 0) and np.all(log_soft[masked] == -INF), case["name"]
        ok = ~masked
        assert np.all(np.abs(log_soft[ok] - want_log[ok]) <= ref.log_tolerance(want_log[ok], zmax[ok])), case["name"]
        assert index.tolist() == case["argmax"], case["name"]
        assert np.argmax(hard, axis=-1).tolist() == case["argmax"], case["name"]


def test_two_zeros_seed_0():
    # golden/vectors.json "two zeros, seed 0", against the float64 reference of the same words.
    want, _, z, zmax = ref.gumbel_softmax(np.zeros(2, np.float32), 1.0, seed=0)
    y = gs.sample([0.0, 0.0], temperature=1.0, seed=0)
    assert np.all(np.abs(y - want) <= ref.soft_tolerance(zmax))
    assert int(gs.categorical([0.0, 0.0], seed=0)) == int(np.argmax(z)) == 1


# MARK: Random shapes against the float64 reference

SHAPES = [(1, 1), (3, 7), (5, 33), (4, 2049), (2, 40000), (1, 70001), (0, 5), (9,), (2, 3, 4), (64, 600)]


def _random_case(shape, rng):
    x = rng.normal(0, 3, size=shape).astype(np.float32)
    if x.size and shape[-1] > 1:
        # Mask a few categories, never a whole row.
        flat = x.reshape(-1, shape[-1])
        rows = rng.integers(0, flat.shape[0], size=max(1, flat.shape[0] // 3))
        cols = rng.integers(1, shape[-1], size=rows.size)
        flat[rows, cols] = -INF
    return x


@pytest.mark.parametrize("shape", SHAPES, ids=[str(s) for s in SHAPES])
@pytest.mark.parametrize("temperature", [0.1, 1.0, 3.7])
def test_sample_matches_reference(shape, temperature):
    rng = np.random.default_rng(abs(hash((shape, temperature))) % 2**32)
    x = _random_case(shape, rng)
    seed = int(rng.integers(0, 2**63)) * 2 + 1
    stream = int(rng.integers(0, 2**32))
    position = int(rng.integers(0, 2**40))
    keys = dict(seed=seed, stream=stream, position=position)
    soft = gs.sample(x, temperature=temperature, **keys)
    log_soft = gs.sample(x, temperature=temperature, output="log", **keys)
    hard = gs.sample(x, temperature=temperature, output="hard", **keys)
    index = gs.categorical(x, **keys)
    assert soft.shape == log_soft.shape == hard.shape == x.shape and soft.dtype == np.float32
    assert index.shape == x.shape[:-1] and index.dtype == np.int64
    want, want_log, z, zmax = ref.gumbel_softmax(x, np.float32(temperature), **keys)
    assert np.all(np.abs(soft - want) <= ref.soft_tolerance(zmax))
    masked = np.isneginf(x)
    assert np.all(soft[masked] == 0) and np.all(log_soft[masked] == -INF)
    ok = ~masked
    tolerance = ref.log_tolerance(want_log[ok], np.broadcast_to(zmax, x.shape)[ok])
    assert np.all(np.abs(log_soft[ok] - want_log[ok]) <= tolerance)
    if x.size:
        assert np.all(np.abs(soft.sum(axis=-1, dtype=np.float64) - 1) <= 1e-5)
        # Hard is one-hot; its index and the categorical one are argmax(z) up to a float32 near-tie.
        assert np.all(hard.sum(axis=-1) == 1) and np.all((hard == 0) | (hard == 1))
        assert np.array_equal(np.argmax(hard, axis=-1), index)
        chosen = np.take_along_axis(z, index[..., None], axis=-1)
        assert np.all(chosen >= z.max(axis=-1, keepdims=True) - 4 * 2.0**-22 * zmax - 1e-6)


@pytest.mark.parametrize("shape,k", [((6, 50), 5), ((2, 40000), 9), ((3, 4), 4), ((0, 8), 3), ((17,), 1)])
def test_top_k_matches_reference(shape, k):
    rng = np.random.default_rng(k * 1000 + shape[-1])
    x = rng.normal(0, 2, size=shape).astype(np.float32)
    keys = dict(seed=77, stream=5, position=123456789)
    indices = gs.top_k(x, k, **keys)
    assert indices.shape == x.shape[:-1] + (k,) and indices.dtype == np.int64
    if not x.size:
        return
    d = ref.perturbed(x, **keys)
    chosen = np.take_along_axis(d, indices, axis=-1)
    slack = 1e-5 * np.maximum(1, np.abs(d).max(axis=-1, keepdims=True))
    # Descending, distinct, and nothing left out beats the last one chosen.
    assert np.all(np.diff(chosen, axis=-1) <= slack)
    assert all(len(set(row)) == k for row in indices.reshape(-1, k).tolist())
    kth = np.sort(d, axis=-1)[..., -k][..., None]
    assert np.all(np.abs(chosen[..., -1:] - kth) <= slack)
    assert np.array_equal(indices[..., 0], gs.categorical(x, **keys))


def test_noise_matches_reference():
    for seed, stream, position, count in [
        (0, 0, 0, 1000),
        (2**64 - 1, 2**64 - 1, 2**64 - 5, 37),  # wraps past 2**64
        (12345, 9, 2**33 + 3, 50000),
    ]:
        got = gs.gumbel_noise(count, seed=seed, stream=stream, position=position)
        want = ref.noise(seed, stream, position, count)
        assert np.all(np.abs(got - want) <= ref.noise_tolerance(want))
    shaped = gs.gumbel_noise((3, 4, 5), seed=1)
    assert shaped.shape == (3, 4, 5)
    assert np.array_equal(shaped.ravel(), gs.gumbel_noise(60, seed=1))


def test_per_row_temperatures_match_reference():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 300)).astype(np.float32)
    t = np.array([0.1, 0.5, 1, 2, 5, 0.25], dtype=np.float32)
    soft = gs.sample(x, temperature=t, seed=4)
    want, _, _, zmax = ref.gumbel_softmax(x, t, seed=4)
    assert np.all(np.abs(soft - want) <= ref.soft_tolerance(zmax))
    for row in range(6):
        alone = gs.sample(x[row], temperature=float(t[row]), seed=4, position=row * 300)
        assert np.array_equal(alone, soft[row])


def test_gradient_matches_reference():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(5, 40)).astype(np.float32)
    x[1, 3] = -INF
    v = rng.normal(size=x.shape).astype(np.float32)
    t = 0.8
    y = gs.sample(x, temperature=t, seed=2)
    grad = gs.gradient(y, v, temperature=t)
    y64, v64 = y.astype(np.float64), v.astype(np.float64)
    dz = y64 * (v64 - np.sum(v64 * y64, axis=-1, keepdims=True))
    want = dz / np.float64(np.float32(t))
    with np.errstate(divide="ignore"):
        logs = np.where(y64 > 0, np.log(y64), 0.0)
    want_t = -np.sum(dz * logs, axis=-1) / np.float64(np.float32(t))
    assert grad.logits.shape == x.shape and grad.temperature.shape == (5,)
    np.testing.assert_allclose(grad.logits, want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(grad.temperature, want_t, rtol=1e-4, atol=1e-6)
    assert grad.logits[1, 3] == 0
    # Straight-through equals soft; the log-space VJP of the same loss agrees.
    assert np.array_equal(gs.gradient(y, v, temperature=t, kind="hard").logits, grad.logits)
    log_y = gs.sample(x, temperature=t, output="log", seed=2)
    log_grad = gs.gradient(log_y, (v * y).astype(np.float32), temperature=t, kind="log")
    np.testing.assert_allclose(log_grad.logits, grad.logits, rtol=1e-3, atol=1e-5)
    per_row = gs.gradient(y, v, temperature=np.full(5, t, dtype=np.float32))
    assert np.array_equal(per_row.logits, grad.logits) and np.array_equal(per_row.temperature, grad.temperature)


# MARK: Invariants


def test_same_seed_same_bits_and_threads_never_change_bits():
    x = np.random.default_rng(5).normal(size=(40, 2000)).astype(np.float32)
    base = gs.sample(x, temperature=0.5, seed=9, threads=1)
    for threads in (0, 2, 3, None):
        assert np.array_equal(gs.sample(x, temperature=0.5, seed=9, threads=threads), base)
    assert not np.array_equal(gs.sample(x, temperature=0.5, seed=10), base)
    cat = gs.categorical(x, seed=9, threads=1)
    assert np.array_equal(gs.categorical(x, seed=9, threads=2), cat)
    assert np.array_equal(gs.top_k(x, 3, seed=9, threads=1), gs.top_k(x, 3, seed=9, threads=2))
    assert np.array_equal(gs.gumbel_noise(80000, seed=9, threads=1), gs.gumbel_noise(80000, seed=9, threads=2))


def test_row_shards_equal_the_whole_batch():
    x = np.random.default_rng(6).normal(size=(30, 1000)).astype(np.float32)
    whole = gs.sample(x, temperature=0.7, seed=1, stream=2, position=10)
    parts = [
        gs.sample(x[a:b], temperature=0.7, seed=1, stream=2, position=10 + a * 1000) for a, b in [(0, 7), (7, 8), (8, 30)]
    ]
    assert np.array_equal(np.concatenate(parts), whole)


def test_calls_from_python_threads_agree():
    x = np.random.default_rng(8).normal(size=(20, 3000)).astype(np.float32)
    want = gs.sample(x, seed=3)
    results, errors = [None] * 4, [None] * 4

    def work(i):
        results[i] = gs.sample(x, seed=3)
        try:
            gs.sample(x, temperature=-float(i + 1), seed=3)
        except gs.GumbelSoftmaxError as error:
            errors[i] = str(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(np.array_equal(r, want) for r in results)
    assert errors == [f"temperature must be finite and > 0, got {-float(i + 1)}" for i in range(4)]


# MARK: Conversion, out= and empty batches


def test_float64_input_is_computed_in_float64_and_others_rounded_to_float32():
    x64 = np.random.default_rng(9).normal(size=(3, 10))
    y64 = gs.sample(x64, seed=1)
    assert y64.dtype == np.float64  # contract 2.1 (test_float64.py checks the values)
    x = x64.astype(np.longdouble)
    assert np.array_equal(gs.sample(x, seed=1), gs.sample(x64.astype(np.float32), seed=1))
    assert np.array_equal(gs.sample([[1, 2, 3]], seed=1), gs.sample(np.array([[1, 2, 3]], np.float32), seed=1))
    # Non-contiguous float32 is copied, not refused.
    wide = np.random.default_rng(1).normal(size=(4, 20)).astype(np.float32)
    assert np.array_equal(gs.sample(wide[:, ::2], seed=1), gs.sample(np.ascontiguousarray(wide[:, ::2]), seed=1))
    with pytest.raises(ValueError, match="does not fit in float32"):
        gs.sample(np.array([0.0, -1e300], dtype=np.longdouble), seed=1)
    with pytest.raises(TypeError):
        gs.sample(np.array([1j, 2]), seed=1)


def test_out_parameter():
    x = np.random.default_rng(2).normal(size=(4, 9)).astype(np.float32)
    out = np.empty_like(x)
    assert gs.sample(x, seed=1, out=out) is out
    assert np.array_equal(out, gs.sample(x, seed=1))
    idx = np.empty(4, dtype=np.int64)
    assert gs.categorical(x, seed=1, out=idx) is idx
    top = np.empty((4, 2), dtype=np.int64)
    assert gs.top_k(x, 2, seed=1, out=top) is top
    noise = np.empty((2, 3), dtype=np.float32)
    assert gs.gumbel_noise(None, seed=1, out=noise) is noise
    with pytest.raises(TypeError, match="float32"):
        gs.sample(x, seed=1, out=np.empty(x.shape))
    with pytest.raises(ValueError, match="C-contiguous"):
        gs.sample(x, seed=1, out=np.empty((9, 4), np.float32).T)
    with pytest.raises(gs.GumbelSoftmaxError, match="result_count is 35 but the shape needs 36") as info:
        gs.sample(x, seed=1, out=np.empty(35, np.float32))
    assert info.value.status == gs.Status.SIZE_MISMATCH
    with pytest.raises(gs.GumbelSoftmaxError, match="result overlaps logits") as info:
        gs.sample(x, seed=1, out=x)
    assert info.value.status == gs.Status.INVALID_ARGUMENT


def test_empty_batch():
    x = np.empty((0, 5), dtype=np.float32)
    assert gs.sample(x, seed=1).shape == (0, 5)
    assert gs.sample(x, seed=1, output="log").shape == (0, 5)
    assert gs.categorical(x, seed=1).shape == (0,)
    assert gs.top_k(x, 2, seed=1).shape == (0, 2)
    assert gs.gumbel_noise(0, seed=1).shape == (0,)
    assert gs.gradient(x, x, temperature=1.0).logits.shape == (0, 5)
    assert gs.sample(np.empty((2, 0, 3), np.float32), seed=1).shape == (2, 0, 3)


def test_version():
    assert gs.library_version() == "0.2.0"


# MARK: Refused inputs: ValueError with the library's message and code

REFUSALS = [
    (lambda: gs.sample([1.0, 2.0], temperature=0.0, seed=0), gs.Status.INVALID_TEMPERATURE,
     "temperature must be finite and > 0, got 0.0"),
    (lambda: gs.sample([1.0, 2.0], temperature=math.nan, seed=0), gs.Status.INVALID_TEMPERATURE,
     "temperature must be finite and > 0, got nan"),
    (lambda: gs.sample([1.0, 2.0], temperature=-2.0, output="log", seed=0), gs.Status.INVALID_TEMPERATURE,
     "temperature must be finite and > 0, got -2.0"),
    (lambda: gs.sample([1.0, 2.0], temperature=INF, output="hard", seed=0), gs.Status.INVALID_TEMPERATURE,
     "temperature must be finite and > 0, got inf"),
    (lambda: gs.sample([[1.0, 2.0], [3.0, 4.0]], temperature=[1.0, 0.0], seed=0), gs.Status.INVALID_TEMPERATURE,
     "temperature of row 1 must be finite and > 0, got 0.0"),
    (lambda: gs.sample([[1.0, 2.0], [math.nan, 4.0]], seed=0), gs.Status.NAN_LOGIT,
     "logit at row 1, column 0 is NaN"),
    (lambda: gs.categorical([[1.0, INF]], seed=0), gs.Status.INFINITE_LOGIT,
     "logit at row 0, column 1 is +inf (only -inf, a masked category, is allowed)"),
    (lambda: gs.sample([[1.0, 2.0], [-INF, -INF]], seed=0), gs.Status.ALL_MASKED_ROW,
     "every logit of row 1 is -inf: nothing to sample"),
    (lambda: gs.sample(np.empty((3, 0)), seed=0), gs.Status.NO_CATEGORIES,
     "the number of categories K is 0: a row needs at least one category"),
    (lambda: gs.top_k([[1.0, 2.0]], 3, seed=0), gs.Status.INVALID_TOP_K,
     "k must be in 1...2 (the number of categories), got 3"),
    (lambda: gs.top_k([[1.0, 2.0, 3.0]], 0, seed=0), gs.Status.INVALID_TOP_K,
     "k must be in 1...3 (the number of categories), got 0"),
    (lambda: gs.top_k([[1.0, -INF, -INF]], 2, seed=0), gs.Status.INSUFFICIENT_CATEGORIES,
     "row 0 has 1 unmasked categories but top-k needs k = 2 distinct ones"),
    (lambda: gs.sample([1.0, 2.0], seed=0, threads=-1), gs.Status.INVALID_THREAD_COUNT,
     "thread count must be >= 0 (0 = all cores), got -1"),
    (lambda: gs.gumbel_noise(4, seed=0, threads=-2), gs.Status.INVALID_THREAD_COUNT,
     "thread count must be >= 0 (0 = all cores), got -2"),
    (lambda: gs.categorical([[1.0, 2.0]], seed=0, out=np.empty(2, np.int64)), gs.Status.SIZE_MISMATCH,
     "indices_count is 2 but the shape needs 1"),
    (lambda: gs.gradient([[0.5, 0.5]], [[1.0, 0.0]], temperature=0.0), gs.Status.INVALID_TEMPERATURE,
     "temperature must be finite and > 0, got 0.0"),
    (lambda: gs.gradient([[0.5, 0.5]], [[1.0, 0.0]], temperature=[1.0, 2.0]), None,
     "per-row temperatures must have the batch shape (1,), got (2,)"),
]


@pytest.mark.parametrize("call,status,message", REFUSALS, ids=[m[:40] for _, _, m in REFUSALS])
def test_refused_inputs(call, status, message):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == message
    if status is not None:
        assert isinstance(info.value, gs.GumbelSoftmaxError)
        assert info.value.status == status


def test_python_side_refusals():
    with pytest.raises(ValueError, match="output must be 'soft', 'log' or 'hard'"):
        gs.sample([1.0], output="argmax", seed=0)
    with pytest.raises(ValueError, match="seed must be in 0...2\\*\\*64 - 1"):
        gs.sample([1.0], seed=-1)
    with pytest.raises(ValueError, match="position must be in"):
        gs.sample([1.0], seed=0, position=2**64)
    with pytest.raises(ValueError, match="at least one dimension"):
        gs.sample(3.0, seed=0)
    with pytest.raises(ValueError, match="upstream must have the shape"):
        gs.gradient([[0.5, 0.5]], [1.0, 0.0, 1.0], temperature=1.0)
    with pytest.raises(TypeError):
        gs.sample([1.0], seed=0.5)
