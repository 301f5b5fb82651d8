"""Per-row streams (SPEC section 3, contract 2): ``seed``, ``stream`` and ``position`` given one
per row. A row sampled alone with its own stream equals that row inside any batch, in any order,
at any thread count; the golden file's ``per_row_streams`` section and the float64 reference of
the same words are reproduced; the refusals name the argument."""

import numpy as np
import pytest

import gumbel_softmax as gs
import reference as ref

INF = float("inf")
U64_MAX = 2**64 - 1
OUTPUTS = ("soft", "log", "hard")
THREADS = (1, 0)

# Six rows' streams, with the extremes: the largest seed and stream, positions that wrap past
# 2**64 - 1 inside the row, a seed that float64 cannot hold (2**53 + 1).
SEEDS = [0, 42, U64_MAX, 2**53 + 1, 7, 7]
STREAMS = [0, 7, 2**63, U64_MAX, 1, 2]
POSITIONS = [0, 1000, U64_MAX - 2, 5, 2**40, 2**40]


def _logits(rows: int, columns: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(0.0, 2.0, size=(rows, columns)).astype(np.float32)
    x[0, 3 % columns] = -INF  # a masked category still consumes its word
    return x


def _words(order=None):
    seeds = np.array(SEEDS, dtype=np.uint64)
    streams = np.array(STREAMS, dtype=np.uint64)
    positions = np.array(POSITIONS, dtype=np.uint64)
    if order is not None:
        seeds, streams, positions = seeds[order], streams[order], positions[order]
    return dict(seed=seeds, stream=streams, position=positions)


def _alone(b: int):
    return dict(seed=SEEDS[b], stream=STREAMS[b], position=POSITIONS[b])


# MARK: Batch invariance


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("output", OUTPUTS)
def test_a_row_alone_equals_that_row_in_any_batch(output, threads):
    x = _logits(len(SEEDS), 11)
    batch = gs.sample(x, temperature=0.7, output=output, threads=threads, **_words())
    assert batch.shape == x.shape and batch.dtype == np.float32
    for b in range(len(SEEDS)):
        alone = gs.sample(x[b], temperature=0.7, output=output, threads=threads, **_alone(b))
        np.testing.assert_array_equal(batch[b], alone)
        one_row = gs.sample(
            x[b : b + 1], temperature=0.7, output=output, threads=threads,
            seed=[SEEDS[b]], stream=[STREAMS[b]], position=[POSITIONS[b]],
        )
        np.testing.assert_array_equal(batch[b : b + 1], one_row)
    rng = np.random.default_rng(1)
    for _ in range(3):
        order = rng.permutation(len(SEEDS))
        permuted = gs.sample(x[order], temperature=0.7, output=output, threads=threads, **_words(order))
        np.testing.assert_array_equal(permuted, batch[order])
    subset = [4, 1, 4]  # another batch size, a row repeated
    np.testing.assert_array_equal(
        gs.sample(x[subset], temperature=0.7, output=output, threads=threads, **_words(subset)), batch[subset]
    )
    # The two rows with the same seed and position but different streams differ.
    assert not np.array_equal(batch[4], batch[5]) or output == "hard"


@pytest.mark.parametrize("threads", THREADS)
def test_per_row_temperatures_combine_with_per_row_streams(threads):
    x = _logits(len(SEEDS), 9, seed=2)
    temperatures = np.array([0.1, 0.5, 1.0, 2.0, 3.5, 0.25], dtype=np.float32)
    for output in OUTPUTS:
        batch = gs.sample(x, temperature=temperatures, output=output, threads=threads, **_words())
        for b in range(len(SEEDS)):
            alone = gs.sample(x[b], temperature=temperatures[b], output=output, threads=threads, **_alone(b))
            np.testing.assert_array_equal(batch[b], alone)
        order = np.random.default_rng(3).permutation(len(SEEDS))
        permuted = gs.sample(x[order], temperature=temperatures[order], output=output, threads=threads,
                             **_words(order))
        np.testing.assert_array_equal(permuted, batch[order])


def test_per_row_streams_against_the_float64_reference():
    x = _logits(len(SEEDS), 13, seed=4)
    temperatures = np.array([0.5, 1.0, 2.0, 0.3, 1.5, 1.5], dtype=np.float32)
    soft = gs.sample(x, temperature=temperatures, **_words())
    log_soft = gs.sample(x, temperature=temperatures, output="log", **_words())
    for b in range(len(SEEDS)):
        want, want_log, _, zmax = ref.gumbel_softmax(x[b], temperatures[b], **_alone(b))
        assert np.all(np.abs(soft[b] - want) <= ref.soft_tolerance(zmax)), b
        masked = np.isinf(want_log)
        assert np.all(soft[b][masked] == 0) and np.all(log_soft[b][masked] == -INF), b
        ok = ~masked
        assert np.all(np.abs(log_soft[b][ok] - want_log[ok]) <= ref.log_tolerance(want_log[ok], zmax[0])), b


def test_per_row_positions_b_times_k_are_the_shared_stream():
    # Row b of a shared-stream batch uses words position + b*K + k: the same as per-row streams
    # with position_b = position + b*K (mod 2**64, so this batch wraps past 2**64 - 1).
    rows, columns = 5, 7
    x = _logits(rows, columns, seed=5)
    position = U64_MAX - 12
    positions = [(position + b * columns) % 2**64 for b in range(rows)]
    for output in OUTPUTS:
        shared = gs.sample(x, temperature=0.9, output=output, seed=3, stream=4, position=position)
        per_row = gs.sample(x, temperature=0.9, output=output, seed=3, stream=[4] * rows, position=positions)
        np.testing.assert_array_equal(per_row, shared)
    np.testing.assert_array_equal(
        gs.categorical(x, seed=[3] * rows, stream=4, position=positions), gs.categorical(x, seed=3, stream=4,
                                                                                           position=position)
    )


def test_scalars_are_repeated_for_every_row():
    x = _logits(4, 6, seed=6)
    seeds = np.array([1, 2, 3, 4], dtype=np.uint64)
    want = gs.sample(x, seed=seeds, stream=np.full(4, 9, np.uint64), position=np.full(4, 77, np.uint64))
    np.testing.assert_array_equal(gs.sample(x, seed=seeds, stream=9, position=77), want)
    np.testing.assert_array_equal(gs.sample(x, seed=[1, 2, 3, 4], stream=np.uint64(9), position=77), want)
    # Only the position per row: the seed and stream are shared.
    positions = [0, 10, 20, 30]
    mixed = gs.sample(x, seed=5, stream=0, position=positions)
    for b in range(4):
        np.testing.assert_array_equal(mixed[b], gs.sample(x[b], seed=5, position=positions[b]))


def test_values_are_taken_exactly_as_uint64():
    # 2**53 + 1 and 2**64 - 1 are not float64 values: a Python list, an object array, a uint64
    # array and an int64 array (where it fits) all name the same streams.
    x = _logits(3, 8, seed=7)
    seeds = [2**53 + 1, U64_MAX, 2**63 + 3]
    want = np.stack([gs.sample(x[b], seed=seeds[b], stream=seeds[b], position=seeds[b]) for b in range(3)])
    for given in (seeds, tuple(seeds), np.array(seeds, dtype=np.uint64), np.array(seeds, dtype=object)):
        np.testing.assert_array_equal(gs.sample(x, seed=given, stream=given, position=given), want)
    small = [2**53 + 1, 2**62, 5]
    want_small = gs.sample(x, seed=small, stream=0)
    for dtype in (np.int64, np.uint64):
        np.testing.assert_array_equal(gs.sample(x, seed=np.array(small, dtype=dtype)), want_small)
    np.testing.assert_array_equal(gs.sample(x, seed=np.array([1, 2, 3], dtype=np.uint8)), gs.sample(x, seed=[1, 2, 3]))
    # One off in the last bit is another stream.
    assert not np.array_equal(gs.sample(x, seed=[2**53, 2**62, 5]), want_small)


# MARK: axis and batch shapes


@pytest.mark.parametrize("threads", THREADS)
def test_rows_with_axis_are_the_other_axes_in_c_order(threads):
    x = np.random.default_rng(8).normal(size=(3, 7, 4)).astype(np.float32)  # categories on axis 1
    rng = np.random.default_rng(9)
    seeds = rng.integers(0, 2**63, size=(3, 4), dtype=np.int64).astype(np.uint64) * np.uint64(2)
    positions = rng.integers(0, 2**40, size=(3, 4), dtype=np.int64)
    temperatures = rng.uniform(0.2, 2.0, size=(3, 4)).astype(np.float32)
    batch = gs.sample(x, temperature=temperatures, axis=1, seed=seeds, stream=1, position=positions, threads=threads)
    assert batch.shape == x.shape
    flat = gs.sample(x, temperature=temperatures, axis=1, seed=seeds.ravel(), stream=1,
                     position=positions.ravel().tolist(), threads=threads)
    np.testing.assert_array_equal(flat, batch)
    moved = np.moveaxis(x, 1, -1).reshape(12, 7)
    rows = gs.sample(moved, temperature=temperatures.ravel(), seed=seeds.ravel(), stream=1, position=positions.ravel())
    np.testing.assert_array_equal(np.moveaxis(rows.reshape(3, 4, 7), -1, 1), batch)
    indices = gs.categorical(x, axis=1, seed=seeds, stream=1, position=positions, threads=threads)
    top = gs.top_k(x, 3, axis=1, seed=seeds, stream=1, position=positions, threads=threads)
    assert indices.shape == (3, 4) and top.shape == (3, 3, 4)
    for i in range(3):
        for j in range(4):
            words = dict(seed=int(seeds[i, j]), stream=1, position=int(positions[i, j]))
            alone = gs.sample(x[i, :, j], temperature=temperatures[i, j], threads=threads, **words)
            np.testing.assert_array_equal(batch[i, :, j], alone)
            assert indices[i, j] == gs.categorical(x[i, :, j], **words)
            np.testing.assert_array_equal(top[i, :, j], gs.top_k(x[i, :, j], 3, **words))


def test_one_dimensional_logits_take_one_value_per_row():
    x = _logits(1, 5, seed=10)[0]
    want = gs.sample(x, seed=11, stream=12, position=13)
    np.testing.assert_array_equal(gs.sample(x, seed=[11], stream=[12], position=13), want)
    assert gs.categorical(x, seed=[11], stream=12, position=[13]) == gs.categorical(x, seed=11, stream=12, position=13)


def test_an_empty_batch():
    x = np.zeros((0, 5), dtype=np.float32)
    assert gs.sample(x, seed=[]).shape == (0, 5)
    assert gs.categorical(x, seed=np.zeros(0, np.uint64)).shape == (0,)
    assert gs.top_k(x, 2, seed=[], position=[]).shape == (0, 2)


# MARK: categorical and top-k


@pytest.mark.parametrize("threads", THREADS)
def test_categorical_and_top_k_are_the_argmax_of_the_hard_sample_per_row(threads):
    x = _logits(len(SEEDS), 10, seed=11)
    hard = gs.sample(x, temperature=0.4, output="hard", threads=threads, **_words())
    indices = gs.categorical(x, threads=threads, **_words())
    top = gs.top_k(x, 4, threads=threads, **_words())
    assert indices.dtype == np.int64 and top.shape == (len(SEEDS), 4)
    np.testing.assert_array_equal(indices, np.argmax(hard, axis=-1))
    np.testing.assert_array_equal(top[:, 0], indices)
    z = np.stack([ref.perturbed(x[b], **_alone(b)) for b in range(len(SEEDS))])
    for b in range(len(SEEDS)):
        assert gs.categorical(x[b], threads=threads, **_alone(b)) == indices[b]
        np.testing.assert_array_equal(gs.top_k(x[b], 4, threads=threads, **_alone(b)), top[b])
        assert len(set(top[b].tolist())) == 4 and np.all(np.diff(z[b][top[b]]) <= 0)
    order = np.random.default_rng(12).permutation(len(SEEDS))
    np.testing.assert_array_equal(gs.categorical(x[order], threads=threads, **_words(order)), indices[order])
    np.testing.assert_array_equal(gs.top_k(x[order], 4, threads=threads, **_words(order)), top[order])


# MARK: The golden file


def test_golden_per_row_streams(golden):
    section = golden["per_row_streams"]
    assert section["cases"]
    for case in section["cases"]:
        x = np.array([float(v) for v in case["logits"]], dtype=np.float32).reshape(case["shape"])
        rows = case["rows"]
        seeds = [int(r["seed"]) for r in rows]
        streams = [int(r["stream"]) for r in rows]
        positions = [int(r["position"]) for r in rows]
        t = case["temperature"]
        want = np.array(case["soft"]).reshape(x.shape)
        soft = gs.sample(x, temperature=t, seed=seeds, stream=streams, position=positions)
        hard = gs.sample(x, temperature=t, output="hard", seed=seeds, stream=streams, position=positions)
        indices = gs.categorical(x, seed=seeds, stream=streams, position=positions)
        for b in range(len(rows)):
            _, _, _, zmax = ref.gumbel_softmax(x[b], t, seed=seeds[b], stream=streams[b], position=positions[b])
            assert np.all(np.abs(soft[b] - want[b]) <= ref.soft_tolerance(zmax)), (case["rows"], b)
        assert indices.tolist() == case["argmax"]
        assert np.argmax(hard, axis=-1).tolist() == case["argmax"]
        assert gs.top_k(x, 1, seed=seeds, stream=streams, position=positions)[:, 0].tolist() == case["argmax"]


# MARK: Refusals


@pytest.mark.parametrize("name", ["seed", "stream", "position"])
def test_a_wrong_length_is_refused_naming_the_argument(name):
    x = _logits(4, 5)
    words = dict(seed=1, stream=0, position=0)
    for wrong in ([1, 2, 3], np.arange(5, dtype=np.uint64), np.zeros((2, 2), np.uint64)):
        words[name] = wrong
        out = np.full(x.shape, 7.0, dtype=np.float32)
        with pytest.raises(ValueError, match=rf"^{name} must have one value per row"):
            gs.sample(x, out=out, **words)
        assert np.all(out == 7.0)  # nothing half-written
        with pytest.raises(ValueError, match=rf"^{name} must have one value per row"):
            gs.categorical(x, **words)
        with pytest.raises(ValueError, match=rf"^{name} must have one value per row"):
            gs.top_k(x, 2, **words)


@pytest.mark.parametrize("name", ["seed", "stream", "position"])
def test_values_out_of_range_are_refused_naming_the_argument(name):
    x = _logits(3, 5)
    for wrong, shown in (([1, -1, 2], r"\[1\] must be in 0...2\*\*64 - 1, got -1"),
                         (np.array([0, 0, -5], np.int64), r"\[2\] must be in 0...2\*\*64 - 1, got -5"),
                         ([2**64, 0, 0], r"\[0\] must be in 0...2\*\*64 - 1, got 18446744073709551616")):
        words = dict(seed=1, stream=0, position=0)
        words[name] = wrong
        with pytest.raises(ValueError, match=rf"^{name}{shown}$"):
            gs.sample(x, **words)
        with pytest.raises(ValueError, match=rf"^{name}{shown}$"):
            gs.categorical(x, **words)
    words = dict(seed=1, stream=0, position=0)
    words[name] = np.array([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=rf"^{name} must be integers"):
        gs.sample(x, **words)
    words[name] = [[1, 2], [3]]
    with pytest.raises(TypeError, match=rf"^{name}\[0\] must be an integer in 0...2\*\*64 - 1, got list"):
        gs.sample(x, **words)
    words[name] = [1, 2.5, 3]
    with pytest.raises(TypeError, match=rf"^{name}\[1\] must be an integer"):
        gs.top_k(x, 1, **words)


def test_the_jax_generator_refuses_per_row_streams():
    x = _logits(2, 4)
    with pytest.raises(ValueError, match="per-row streams .* are Philox streams"):
        gs.sample(x, generator="jax", seed=[1, 2])
    with pytest.raises(ValueError, match="per-row streams .* are Philox streams"):
        gs.categorical(x, key=[0, 1], position=[0, 4])
    with pytest.raises(ValueError, match="key= is a JAX key"):
        gs.top_k(x, 1, generator="philox", key=[0, 1], seed=[1, 2])


def test_gumbel_noise_refuses_per_row_values():
    for words in (dict(seed=[1, 2]), dict(seed=1, stream=np.array([1, 2])), dict(seed=1, position=[0])):
        with pytest.raises(ValueError, match=r"^gumbel_noise draws one flat stream .* has no rows"):
            gs.gumbel_noise((2, 3), **words)


def test_a_seed_is_still_required():
    with pytest.raises(TypeError, match="seed is required"):
        gs.sample(_logits(2, 3), stream=[1, 2])


def test_the_library_still_refuses_bad_logits():
    x = _logits(2, 4)
    x[1, 2] = np.nan
    with pytest.raises(gs.GumbelSoftmaxError) as error:
        gs.sample(x, seed=[1, 2])
    assert error.value.status == gs.Status.NAN_LOGIT
    with pytest.raises(gs.GumbelSoftmaxError) as error:
        gs.sample(_logits(2, 4), temperature=[1.0, 0.0], seed=[1, 2])
    assert error.value.status == gs.Status.INVALID_TEMPERATURE
    with pytest.raises(gs.GumbelSoftmaxError) as error:
        gs.top_k(_logits(2, 4), 5, seed=[1, 2])
    assert error.value.status == gs.Status.INVALID_TOP_K
