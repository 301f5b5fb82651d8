"""Finding and loading libgumbelsoftmax.so, with the ctypes prototypes of include/gumbel_softmax.h
(read from the header by ``_header``).

Not API: the functions in ``gumbel_softmax`` are.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from pathlib import Path

from . import _header

LIBRARY_NAME = "libgumbelsoftmax.so"
ENVIRONMENT_VARIABLE = "GUMBEL_SOFTMAX_LIB"
# The instruction set tiers, best first: the first whose library this CPU runs is loaded.
TIERS = ("avx512", "avx2", "baseline")

# An installed package holds the library of each tier it was built for in _tiers/<tier>/ (a wheel
# from `make wheel` holds all three). In a checkout, the package sits at
# <repo>/python/gumbel_softmax, `make` and `pip install -e ./python` build the library of a tier
# in <repo>/.build-release-<tier>/release, and a plain `swift build -c release` in .build/release.
_PACKAGE = Path(__file__).resolve().parent
_REPOSITORY = _PACKAGE.parent.parent

_lock = threading.Lock()
_library: ctypes.CDLL | None = None

def candidates() -> list[str]:
    """Where the library is looked for, in order: ``GUMBEL_SOFTMAX_LIB`` alone when it is set;
    else the tiers bundled in the package, best first; else, in a checkout, the tiers' builds,
    best first, then a plain ``swift build``'s; then the system's library path."""
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    if configured:
        # Made absolute here: dlopen would search the library path for a bare name (and
        # pathlib turns "./libgumbelsoftmax.so" into one).
        path = Path(os.path.abspath(os.path.expanduser(configured)))
        return [str(path / LIBRARY_NAME if path.is_dir() else path)]  # never second-guessed
    bundled = [_PACKAGE / "_tiers" / tier / LIBRARY_NAME for tier in TIERS]
    if any(path.exists() for path in bundled):
        return [str(path) for path in bundled if path.exists()]  # the libraries it was built with
    built = [_REPOSITORY / f".build-release-{tier}" / "release" / LIBRARY_NAME for tier in TIERS]
    found = [str(path) for path in built if path.exists()]
    found.append(str(_REPOSITORY / ".build" / "release" / LIBRARY_NAME))
    system = ctypes.util.find_library("gumbelsoftmax")
    if system:
        found.append(system)
    return found


def load() -> ctypes.CDLL:
    """The loaded library, loading it on first use (thread-safe): the first of :func:`candidates`
    that loads and whose tier this CPU runs. Whether it does is asked of each library's
    ``gs_cpu_supported``, C code compiled for the baseline x86-64 (as every exported function
    is), so no code of a tier runs before the CPU is known to have it. A library that lacks one of
    the functions the header declares (:func:`_header.prototypes`) is passed over. When libraries
    load but none runs here, raises ImportError with the message of the first (``gs_check_cpu``);
    when none that loads has every function, ImportError naming each library and the first symbol
    it lacks."""
    global _library
    if _library is not None:
        return _library
    with _lock:
        if _library is None:
            prototypes = _header.prototypes()
            errors = []
            incomplete = []
            refused = None
            for path in candidates():
                try:
                    library = ctypes.CDLL(path)
                except OSError as error:
                    errors.append(f"{path}: {error}")
                    continue
                missing = next((name for name in prototypes if not hasattr(library, name)), None)
                if missing is not None:
                    incomplete.append(f"{path} lacks the symbol {missing}")
                    continue
                for name, (restype, argtypes) in prototypes.items():
                    function = getattr(library, name)
                    function.restype = restype
                    function.argtypes = argtypes
                if library.gs_cpu_supported():
                    _library = library
                    break
                refused = refused or library  # stays loaded: unloading a Swift runtime is not safe
            else:
                if refused is not None:
                    _check_cpu(refused)
                if incomplete:
                    raise ImportError(
                        f"not a {LIBRARY_NAME} of this package (another version, or another library): "
                        + "; ".join(incomplete)
                    )
                raise OSError(
                    f"cannot load {LIBRARY_NAME}: set {ENVIRONMENT_VARIABLE} to its path, or build it "
                    f"in the repository with `make build` or `pip install -e ./python`, or install the "
                    f"package with `pip install ./python`. Tried: "
                    + "; ".join(errors)
                )
    return _library


def function(name: str):
    """The library's function ``name`` (with its prototype from the header)."""
    return getattr(load(), name)


def _check_cpu(library: ctypes.CDLL) -> None:
    """Raises ImportError when the library was built for a tier this CPU lacks (gs_check_cpu)."""
    if library.gs_check_cpu() != 0:
        raise ImportError(library.gs_last_error_message().decode("utf-8", "replace"))


def load_at_import() -> None:
    """Loads the library at ``import gumbel_softmax`` when it can be found, so that a build for
    another CPU fails the import (ImportError); one not found yet is looked for again at the first
    call, raising OSError then (a Dask worker may receive it after importing the package)."""
    try:
        load()
    except OSError:
        pass
