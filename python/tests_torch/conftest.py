import sys
from pathlib import Path

# The package (python/gumbel_softmax) and the examples without installing anything, and the
# tests' shared helpers (python/tests/outcomes.py).
PYTHON_DIRECTORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PYTHON_DIRECTORY))
sys.path.insert(0, str(PYTHON_DIRECTORY / "examples"))
sys.path.insert(0, str(PYTHON_DIRECTORY / "tests"))
