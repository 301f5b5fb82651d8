import sys
from pathlib import Path

import pytest

# The package (python/gumbel_softmax) and the examples without installing anything, and the
# tests' shared helpers (python/tests/outcomes.py).
PYTHON_DIRECTORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PYTHON_DIRECTORY))
sys.path.insert(0, str(PYTHON_DIRECTORY / "examples"))
sys.path.insert(0, str(PYTHON_DIRECTORY / "tests"))


@pytest.fixture
def library_calls(monkeypatch):
    """The library calls of the torch adapter's common case, recorded as ``(function, arguments)``
    ("sample" or "gradient", the ctypes arguments) while the test runs."""
    import gumbel_softmax.torch as gst

    calls = []
    functions = gst._functions

    def recording(dtype):
        sample, gradient = functions(dtype)

        def recorded(name, function):
            def call(*arguments):
                calls.append((name, arguments))
                return function(*arguments)

            return call

        return recorded("sample", sample), recorded("gradient", gradient)

    monkeypatch.setattr(gst, "_functions", recording)
    return calls


# The adapter's compiled node (gumbel_softmax._torch_native) stays off in these tests, whatever a
# user's cache holds, so that they test the Python node; test_torch_native.py turns it on.
import os  # noqa: E402

os.environ["GUMBEL_SOFTMAX_TORCH_NATIVE"] = "0"
