"""The package version, the library's version, contract and tier, and how the library is found."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def _library_without_most_symbols(directory: Path) -> Path:
    """A shared library that exports ``gs_version`` and none of the header's other functions."""
    source = directory / "fake.c"
    source.write_text('const char *gs_version(void) { return "0.0.0"; }\n')
    library = directory / "libfake.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return library


def _first_missing() -> str:
    """The first function the header declares, in its order, that the fake library lacks."""
    from gumbel_softmax import _header

    return next(name for name in _header.prototypes() if name != "gs_version")


def test_a_configured_library_without_a_function_fails_the_import_naming_it(tmp_path):
    fake = _library_without_most_symbols(tmp_path)
    package_parent = str(Path(gs.__file__).resolve().parent.parent)
    environment = dict(os.environ, GUMBEL_SOFTMAX_LIB=str(fake), PYTHONPATH=package_parent)
    script = "import gumbel_softmax"
    result = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ImportError: "), result.stderr
    assert f"{fake} lacks the symbol {_first_missing()}" in last_line
    assert "AttributeError" not in result.stderr


def test_a_searched_library_without_a_function_is_passed_over(tmp_path, monkeypatch):
    from gumbel_softmax import _library

    fake = _library_without_most_symbols(tmp_path)
    real = gs.version_info().library
    monkeypatch.setattr(_library, "_library", None)
    monkeypatch.setattr(_library, "candidates", lambda: [str(fake), real])
    assert _library.load().gs_version().decode() == gs.__version__
    monkeypatch.setattr(_library, "_library", None)
    monkeypatch.setattr(_library, "candidates", lambda: [str(fake)])
    with pytest.raises(ImportError, match=f"{fake} lacks the symbol {_first_missing()}"):
        _library.load()
