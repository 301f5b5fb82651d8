"""Smoke test of Benchmarks/small_batches.py (issue 26), the small-calls table of `make bench`:
every row runs and the table is printed. Few samples, and no timing is asserted."""

import subprocess
import sys

import pytest
from conftest import REPOSITORY

SCRIPT = REPOSITORY / "Benchmarks" / "small_batches.py"


@pytest.mark.parametrize(
    "framework, rows",
    [("c", 3), ("numpy", 4), ("torch", 4), ("jax", 5)],
)
def test_every_row_runs(framework, rows):
    if framework in ("torch", "jax"):
        pytest.importorskip(framework)
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--only", framework, "--samples", "3", "--inner", "1", "--warmup", "1"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    table = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert table[0] == "| call | ours | the framework's own | ratio |"
    # The torch adapter's compiled node adds its own rows when it is built (`make test-frameworks`
    # builds it first) and says so on stderr when it is not.
    compiled = [line for line in table if "compiled node" in line]
    built = framework == "torch" and "compiled torch node is not built" not in result.stderr
    assert len(compiled) == (rows if built else 0), result.stderr
    assert len(table) - len(compiled) == 1 + rows, result.stdout
