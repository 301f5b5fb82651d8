import sys
from pathlib import Path

# The package (python/gumbel_softmax) and the examples without installing anything.
PYTHON_DIRECTORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PYTHON_DIRECTORY))
sys.path.insert(0, str(PYTHON_DIRECTORY / "examples"))
