"""The package version, the library's version, contract and tier, and how the library is found."""

import os
import subprocess
import sys
from pathlib import Path

import gumbel_softmax as gs


def test_package_and_library_versions_agree():
    info = gs.version_info()
    assert gs.__version__ == "0.2.0"
    assert info.version == gs.__version__ == gs.library_version()
    assert info.contract == "2.1"
    assert info.tier in ("baseline", "avx2", "avx512")
    assert info.cpu_supported  # the import would have raised ImportError otherwise
    expected_tier = os.environ.get("GUMBEL_SOFTMAX_EXPECTED_TIER")  # set by `make test-python`
    if expected_tier:
        assert info.tier == expected_tier


def test_an_installed_package_loads_its_bundled_library():
    info = gs.version_info()
    package = Path(gs.__file__).resolve().parent
    if os.environ.get("GUMBEL_SOFTMAX_EXPECT_INSTALLED"):  # set by `make test-python`
        assert "site-packages" in package.parts, f"testing {package}, not the pip-installed package"
    if "site-packages" in package.parts and not os.environ.get("GUMBEL_SOFTMAX_LIB"):
        assert Path(info.library) == package / "_tiers" / info.tier / "libgumbelsoftmax.so"


def test_a_relative_library_path_is_taken_from_the_working_directory():
    # GUMBEL_SOFTMAX_LIB=./libgumbelsoftmax.so, as a Ray runtime_env ships it beside the worker. Run
    # in the loaded library's directory: a wheel's library finds its OpenBLAS relative to its own
    # place ($ORIGIN), so a copy of it elsewhere would not load.
    directory = Path(gs.version_info().library).parent
    package_parent = str(Path(gs.__file__).resolve().parent.parent)
    environment = dict(os.environ, GUMBEL_SOFTMAX_LIB="./libgumbelsoftmax.so", PYTHONPATH=package_parent)
    script = (
        "import gumbel_softmax as gs; info = gs.version_info(); print(info.library); "
        "print(gs.sample([2.0, 1.0], temperature=1.0, seed=3).sum())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=directory, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    library, total = result.stdout.split()
    assert Path(library) == directory / "libgumbelsoftmax.so"
    assert abs(float(total) - 1) < 1e-6
