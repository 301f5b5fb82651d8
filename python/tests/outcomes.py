"""What a call did, a value or a refusal, for the tests that compare a fast path with the general
path (python/tests/test_fast_path.py, python/tests_torch/test_torch_fast_path.py): the same bits,
or the same exception type, message and status."""


def outcome(call):
    """``("value", call())``, or ``("error", type, message, status)`` for what ``call()`` raised."""
    try:
        return ("value", call())
    except Exception as error:  # noqa: BLE001 - the point is to compare whatever is raised
        return ("error", type(error), str(error), getattr(error, "status", None))


def same(a, b, equal):
    """Whether two outcomes are the same: two values of one dtype and shape whose elements ``equal``
    (the array library's comparison) finds equal, or the same refusal."""
    if a[0] == "value" and b[0] == "value":
        return a[1].dtype == b[1].dtype and a[1].shape == b[1].shape and equal(a[1], b[1])
    return a == b
