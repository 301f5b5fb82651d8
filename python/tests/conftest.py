import importlib.util
import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent.parent
# The reference (python/tests/reference.py), and the package from python/gumbel_softmax unless
# one is installed (`make test-python` tests the package pip-installed into a fresh venv).
if importlib.util.find_spec("gumbel_softmax") is None:
    sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def golden_path() -> Path:
    """`../shared/golden/vectors.json` beside the repository when present (the steering copy),
    else the copy committed in Tests/golden/, like the Swift tests."""
    shared = REPOSITORY.parent / "shared" / "golden" / "vectors.json"
    return shared if shared.exists() else REPOSITORY / "Tests" / "golden" / "vectors.json"


@pytest.fixture(scope="session")
def golden():
    with open(golden_path()) as file:
        return json.load(file)


# The reference describes the contract of the golden file in use (v2 has tail words).
with open(golden_path()) as _file:
    import reference as _reference

    _reference.CONTRACT = 2 if "tail_words" in json.load(_file) else 1
