"""Finding and loading libgumbelsoftmax.so, and the ctypes prototypes of include/gumbel_softmax.h.

Not API: the functions in ``gumbel_softmax`` are.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from pathlib import Path

LIBRARY_NAME = "libgumbelsoftmax.so"
ENVIRONMENT_VARIABLE = "GUMBEL_SOFTMAX_LIB"

# `pip install ./python` bundles the library inside the package. In a checkout, the package sits
# at <repo>/python/gumbel_softmax and `swift build -c release` puts the library in
# <repo>/.build/release.
_PACKAGE = Path(__file__).resolve().parent
_REPOSITORY = _PACKAGE.parent.parent

_lock = threading.Lock()
_library: ctypes.CDLL | None = None

_f32 = ctypes.c_float
_i32 = ctypes.c_int32
_i64 = ctypes.c_int64
_u64 = ctypes.c_uint64
_ptr = ctypes.c_void_p

# name: (restype, argtypes), exactly as in include/gumbel_softmax.h (enums are int32).
_PROTOTYPES = {
    "gs_version": (ctypes.c_char_p, []),
    "gs_contract_version": (ctypes.c_char_p, []),
    "gs_build_tier": (ctypes.c_char_p, []),
    "gs_cpu_supported": (ctypes.c_int, []),
    "gs_check_cpu": (_i32, []),
    "gs_status_name": (ctypes.c_char_p, [_i32]),
    "gs_last_error_message": (ctypes.c_char_p, []),
    "gs_copy_last_error_message": (ctypes.c_size_t, [ctypes.c_char_p, ctypes.c_size_t]),
    "gs_sample": (_i32, [_ptr, _i64, _i64, _i64, _f32, _i32, _u64, _u64, _u64, _i32, _ptr, _i64]),
    "gs_sample_per_row": (
        _i32,
        [_ptr, _i64, _i64, _i64, _ptr, _i64, _i32, _u64, _u64, _u64, _i32, _ptr, _i64],
    ),
    "gs_categorical": (_i32, [_ptr, _i64, _i64, _i64, _u64, _u64, _u64, _i32, _ptr, _i64]),
    "gs_top_k": (_i32, [_ptr, _i64, _i64, _i64, _i64, _u64, _u64, _u64, _i32, _ptr, _i64]),
    "gs_gradient": (
        _i32,
        [_ptr, _i64, _ptr, _i64, _i64, _i64, _f32, _i32, _i32, _ptr, _i64, _ptr, _i64],
    ),
    "gs_gradient_per_row": (
        _i32,
        [_ptr, _i64, _ptr, _i64, _i64, _i64, _ptr, _i64, _i32, _i32, _ptr, _i64, _ptr, _i64],
    ),
    "gs_gumbel_noise": (_i32, [_u64, _u64, _u64, _i32, _ptr, _i64]),
}


def candidates() -> list[str]:
    """Where the library is looked for, in order."""
    found = []
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    if configured:
        # Made absolute here: dlopen would search the library path for a bare name (and
        # pathlib turns "./libgumbelsoftmax.so" into one).
        path = Path(os.path.abspath(os.path.expanduser(configured)))
        found.append(str(path / LIBRARY_NAME if path.is_dir() else path))
        return found  # an explicit setting is never second-guessed
    bundled = _PACKAGE / LIBRARY_NAME
    if bundled.exists():
        found.append(str(bundled))
        return found  # an installed package uses the library it was built with
    found.append(str(_REPOSITORY / ".build" / "release" / LIBRARY_NAME))
    system = ctypes.util.find_library("gumbelsoftmax")
    if system:
        found.append(system)
    return found


def load() -> ctypes.CDLL:
    """The loaded library, loading it on first use (thread-safe)."""
    global _library
    if _library is not None:
        return _library
    with _lock:
        if _library is None:
            errors = []
            for path in candidates():
                try:
                    library = ctypes.CDLL(path)
                except OSError as error:
                    errors.append(f"{path}: {error}")
                    continue
                for name, (restype, argtypes) in _PROTOTYPES.items():
                    function = getattr(library, name)
                    function.restype = restype
                    function.argtypes = argtypes
                _check_cpu(library)
                _library = library
                break
            else:
                raise OSError(
                    f"cannot load {LIBRARY_NAME}: set {ENVIRONMENT_VARIABLE} to its path, or build it "
                    f"in the repository with `swift build -c release --product gumbelsoftmax`, or install the "
                    f"package with `pip install ./python`. Tried: "
                    + "; ".join(errors)
                )
    return _library


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
