"""Under an address-space limit too tight for OpenBLAS's per-thread buffers the package warns
before it loads the library, and the documented remedy (OPENBLAS_NUM_THREADS=1) ends the process
in seconds (issue 21). Each run is a subprocess bounded by a timeout: a hang is a failure."""

import os
import resource
import subprocess
import sys

import pytest

LIMIT = 250_000 * 1024  # ulimit -v 250000: a Python script hung at exit here before the remedy

SCRIPT = """
import os, sys, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import gumbel_softmax as gs
messages = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
print(repr(messages), flush=True)
if sys.argv[1] == "sample":
    import numpy as np
    print(float(gs.sample(np.zeros((512, 1000), np.float32), temperature=1.0, seed=1).sum()), flush=True)
else:
    os._exit(0)  # OpenBLAS's exit handler may wait forever here: that is what the warning says
"""


def run(mode: str, **environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (LIMIT, resource.RLIM_INFINITY)),
    )


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="OpenBLAS starts no threads on one CPU")
def test_a_tight_limit_warns_before_openblas_loads():
    result = run("warn")
    assert result.returncode == 0, result.stderr
    assert "OPENBLAS_NUM_THREADS=1" in result.stdout and "ulimit -v" in result.stdout, result.stdout


def test_the_documented_remedy_ends_in_seconds():
    result = run("sample", OPENBLAS_NUM_THREADS="1")  # a hang raises subprocess.TimeoutExpired
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "[]" and float(lines[1]) == 512.0, result.stdout
