"""The common case of ``sample`` (python/gumbel_softmax/_fast.py, issue 26): it is taken for a
C-contiguous float32 array, a float temperature and integer Philox words, gives the general
path's bits, and every refusal keeps the general path's exception type, message and status."""

import numpy as np
import pytest

import gumbel_softmax as gs
import outcomes
from gumbel_softmax import _fast
from outcomes import outcome

LOGITS = np.random.default_rng(3).standard_normal((32, 10)).astype(np.float32)


@pytest.fixture
def general(monkeypatch):
    """Calls ``sample`` through the general path (the fast path declining every call)."""

    def call(logits, **arguments):
        with monkeypatch.context() as patch:
            patch.setattr(_fast, "sample", lambda *given: None)
            return gs.sample(logits, **arguments)

    return call


def same(a, b):
    return outcomes.same(a, b, lambda x, y: x.tobytes() == y.tobytes())


@pytest.fixture
def fast_only(monkeypatch):
    """Makes the general path fail, so a call that succeeds took the fast path."""

    def refuse(*arguments, **keywords):
        raise AssertionError("the general path ran")

    monkeypatch.setattr(gs, "_Batch", refuse)


@pytest.mark.parametrize("shape", [(1, 10), (32, 10), (256, 10), (10,), (2, 3, 7), (5, 1)])
@pytest.mark.parametrize("output", ["soft", "log", "hard"])
def test_fast_path_is_taken_and_gives_the_general_paths_bits(shape, output, general):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    arguments = dict(temperature=0.7, output=output, seed=2**64 - 1, stream=5, position=2**63 + 11)
    expected = general(x, **arguments)
    got = _fast.sample(x, 0.7, output, False, -1, 2**64 - 1, None, None, 5, 2**63 + 11, 0, None)
    assert got is not None and got.tobytes() == expected.tobytes() and got.shape == expected.shape
    assert gs.sample(x, **arguments).tobytes() == expected.tobytes()


def test_fast_path_covers_hard_out_threads_and_the_last_axis(fast_only):
    out = np.empty_like(LOGITS)
    result = gs.sample(LOGITS, temperature=0.5, hard=True, axis=1, seed=1, threads=1, out=out)
    assert result is out
    assert set(np.unique(out)) == {0.0, 1.0} and np.all(out.sum(axis=1) == 1)
    assert gs.sample(LOGITS, temperature=0.5, seed=1, generator="philox", threads=None).dtype == np.float32


@pytest.mark.parametrize(
    "arguments",
    [
        dict(temperature=np.float64(0.5)),  # not a Python float
        dict(temperature=1),  # an int
        dict(temperature=np.full(32, 0.5, np.float32)),  # per row
        dict(seed=np.uint64(1)),
        dict(seed=[1] * 32),  # per-row streams
        dict(key=np.array([0, 1], np.uint32), seed=None),
        dict(axis=0),
        dict(hard=np.bool_(True)),
        dict(threads=np.int32(1)),
        dict(out=np.empty((32, 10), np.float64)),
    ],
)
def test_other_calls_take_the_general_path_with_the_same_result(arguments, general):
    call = dict(temperature=0.5, seed=1) | arguments
    assert _fast.sample(LOGITS, call["temperature"], call.get("output", "soft"), call.get("hard", False),
                        call.get("axis", -1), call["seed"], call.get("key"), call.get("generator"), 0, 0,
                        call.get("threads", 0), call.get("out")) is None
    assert same(outcome(lambda: gs.sample(LOGITS, **call)), outcome(lambda: general(LOGITS, **call)))


def with_value(row, column, value):
    x = LOGITS.copy()
    x[row, column] = value
    return x


MASKED_ROW = LOGITS.copy()
MASKED_ROW[4] = -np.inf


@pytest.mark.parametrize(
    "logits, arguments",
    [
        (with_value(3, 4, np.nan), {}),  # NAN_LOGIT from the library
        (with_value(0, 9, np.inf), {}),  # INFINITE_LOGIT
        (MASKED_ROW, {}),  # ALL_MASKED_ROW
        (LOGITS, dict(temperature=0.0)),
        (LOGITS, dict(temperature=-1.0)),
        (LOGITS, dict(temperature=float("nan"))),
        (LOGITS, dict(temperature=float("inf"))),
        (LOGITS, dict(temperature=1e-46)),  # 0 in float32
        (LOGITS, dict(temperature=2.0**-150)),
        (LOGITS, dict(temperature=3.5e38)),  # beyond float32
        (LOGITS, dict(temperature=2.0**128 - 2.0**103)),
        (LOGITS, dict(temperature=10**400)),
        (LOGITS, dict(temperature=True)),
        (LOGITS, dict(seed=-1)),
        (LOGITS, dict(seed=2**64)),
        (LOGITS, dict(seed=1.5)),
        (LOGITS, dict(seed=None)),
        (LOGITS, dict(seed=True)),
        (LOGITS, dict(stream=2**64)),
        (LOGITS, dict(position=-1)),
        (LOGITS, dict(threads=2**31)),
        (LOGITS, dict(threads=-(2**31) - 1)),
        (LOGITS, dict(threads=-1)),
        (LOGITS, dict(output="linear")),
        (LOGITS, dict(output=["soft"])),
        (LOGITS, dict(output="log", hard=True)),
        (LOGITS, dict(generator="mt19937")),
        (LOGITS, dict(axis=2)),
        (LOGITS, dict(axis=1.0)),
        (LOGITS, dict(out=np.empty((10, 32), np.float32))),
        (LOGITS, dict(out=np.empty((32, 10), np.float32)[:, ::-1])),
        (LOGITS, dict(out=np.empty(320, np.float32))),
        (np.empty((32, 0), np.float32), {}),  # no categories
        (np.empty((0, 10), np.float32), {}),
        (np.float32(1.0), {}),  # a scalar
    ],
)
def test_refusals_keep_their_message_and_status(logits, arguments, general):
    call = dict(temperature=0.5, seed=1) | arguments
    ours = outcome(lambda: gs.sample(logits, **call))
    reference = outcome(lambda: general(logits, **call))
    assert same(ours, reference), (ours, reference)


def test_library_refusals_from_the_fast_path_carry_the_status(fast_only):
    with pytest.raises(gs.GumbelSoftmaxError) as raised:
        gs.sample(with_value(3, 4, np.nan), temperature=0.5, seed=1)
    assert raised.value.status == gs.Status.NAN_LOGIT
    with pytest.raises(gs.GumbelSoftmaxError) as raised:
        gs.sample(MASKED_ROW, temperature=0.5, seed=1)
    assert raised.value.status == gs.Status.ALL_MASKED_ROW
