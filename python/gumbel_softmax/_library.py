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

_f32 = ctypes.c_float
_f64 = ctypes.c_double
_i32 = ctypes.c_int32
_i64 = ctypes.c_int64
_u32 = ctypes.c_uint32
_u64 = ctypes.c_uint64
_ptr = ctypes.c_void_p

# Every function of include/gumbel_softmax.h, name: (restype, argtypes), exactly as declared there
# (enums are int32), set when the library is loaded. python/tests/test_prototypes.py compares this
# table with the header.
PROTOTYPES = {
    # Version, CPU tier and errors.
    "gs_version": (ctypes.c_char_p, []),
    "gs_contract_version": (ctypes.c_char_p, []),
    "gs_build_tier": (ctypes.c_char_p, []),
    "gs_cpu_supported": (ctypes.c_int, []),
    "gs_check_cpu": (_i32, []),
    "gs_status_name": (ctypes.c_char_p, [_i32]),
    "gs_last_error_message": (ctypes.c_char_p, []),
    "gs_copy_last_error_message": (ctypes.c_size_t, [ctypes.c_char_p, ctypes.c_size_t]),
    # Philox.
    "gs_sample": (_i32, [_ptr, _i64, _i64, _i64, _f32, _i32, _u64, _u64, _u64, _i32, _ptr, _i64]),
    "gs_sample_per_row": (_i32, [_ptr, _i64, _i64, _i64, _ptr, _i64, _i32, _u64, _u64, _u64, _i32, _ptr, _i64]),
    "gs_categorical": (_i32, [_ptr, _i64, _i64, _i64, _u64, _u64, _u64, _i32, _ptr, _i64]),
    "gs_top_k": (_i32, [_ptr, _i64, _i64, _i64, _i64, _u64, _u64, _u64, _i32, _ptr, _i64]),
    "gs_gumbel_noise": (_i32, [_u64, _u64, _u64, _i32, _ptr, _i64]),
    # Gradients and the Concrete density.
    "gs_gradient": (_i32, [_ptr, _i64, _ptr, _i64, _i64, _i64, _f32, _i32, _i32, _ptr, _i64, _ptr, _i64]),
    "gs_gradient_per_row": (_i32, [_ptr, _i64, _ptr, _i64, _i64, _i64, _ptr, _i64, _i32, _i32, _ptr, _i64, _ptr, _i64]),
    "gs_log_density": (_i32, [_ptr, _i64, _i64, _i64, _ptr, _i64, _ptr, _i64, _i32, _i32, _ptr, _i64]),
    # JAX's threefry.
    "gs_jax_key": (_i32, [_i64, _i32, _ptr]),
    "gs_sample_jax": (_i32, [_ptr, _i64, _i64, _i64, _f32, _i32, _u32, _u32, _u64, _i32, _ptr, _i64]),
    "gs_sample_per_row_jax": (_i32, [_ptr, _i64, _i64, _i64, _ptr, _i64, _i32, _u32, _u32, _u64, _i32, _ptr, _i64]),
    "gs_categorical_jax": (_i32, [_ptr, _i64, _i64, _i64, _u32, _u32, _u64, _i32, _ptr, _i64]),
    "gs_top_k_jax": (_i32, [_ptr, _i64, _i64, _i64, _i64, _u32, _u32, _u64, _i32, _ptr, _i64]),
    "gs_gumbel_noise_jax": (_i32, [_u32, _u32, _u64, _i32, _ptr, _i64]),
    # Per-row streams.
    "gs_sample_rows": (_i32, [_ptr, _i64, _i64, _i64, _ptr, _i64, _i32, _ptr, _ptr, _ptr, _i64, _i32, _ptr, _i64]),
    "gs_categorical_rows": (_i32, [_ptr, _i64, _i64, _i64, _ptr, _ptr, _ptr, _i64, _i32, _ptr, _i64]),
    "gs_top_k_rows": (_i32, [_ptr, _i64, _i64, _i64, _i64, _ptr, _ptr, _ptr, _i64, _i32, _ptr, _i64]),
    # Float64 (contract 2.1): double logits, temperatures, points and outputs.
    "gs_sample_f64": (_i32, [_ptr, _i64, _i64, _i64, _f64, _i32, _u64, _u64, _u64, _i32, _ptr, _i64]),
    "gs_sample_per_row_f64": (_i32, [_ptr, _i64, _i64, _i64, _ptr, _i64, _i32, _u64, _u64, _u64, _i32, _ptr, _i64]),
    "gs_categorical_f64": (_i32, [_ptr, _i64, _i64, _i64, _u64, _u64, _u64, _i32, _ptr, _i64]),
    "gs_top_k_f64": (_i32, [_ptr, _i64, _i64, _i64, _i64, _u64, _u64, _u64, _i32, _ptr, _i64]),
    "gs_gradient_f64": (_i32, [_ptr, _i64, _ptr, _i64, _i64, _i64, _f64, _i32, _i32, _ptr, _i64, _ptr, _i64]),
    "gs_gradient_per_row_f64": (
        _i32,
        [_ptr, _i64, _ptr, _i64, _i64, _i64, _ptr, _i64, _i32, _i32, _ptr, _i64, _ptr, _i64],
    ),
    "gs_gumbel_noise_f64": (_i32, [_u64, _u64, _u64, _i32, _ptr, _i64]),
    "gs_sample_jax_f64": (_i32, [_ptr, _i64, _i64, _i64, _f64, _i32, _u32, _u32, _u64, _i32, _ptr, _i64]),
    "gs_sample_per_row_jax_f64": (
        _i32, [_ptr, _i64, _i64, _i64, _ptr, _i64, _i32, _u32, _u32, _u64, _i32, _ptr, _i64]
    ),
    "gs_gumbel_noise_jax_f64": (_i32, [_u32, _u32, _u64, _i32, _ptr, _i64]),
    "gs_log_density_f64": (_i32, [_ptr, _i64, _i64, _i64, _ptr, _i64, _ptr, _i64, _i32, _i32, _ptr, _i64]),
    "gs_sample_rows_f64": (
        _i32,
        [_ptr, _i64, _i64, _i64, _ptr, _i64, _i32, _ptr, _ptr, _ptr, _i64, _i32, _ptr, _i64],
    ),
    "gs_categorical_rows_f64": (_i32, [_ptr, _i64, _i64, _i64, _ptr, _ptr, _ptr, _i64, _i32, _ptr, _i64]),
    "gs_top_k_rows_f64": (_i32, [_ptr, _i64, _i64, _i64, _i64, _ptr, _ptr, _ptr, _i64, _i32, _ptr, _i64]),
}


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
    the functions of :data:`PROTOTYPES` is passed over. When libraries load but none runs here,
    raises ImportError with the message of the first (``gs_check_cpu``); when none that loads has
    every function, ImportError naming each library and the first symbol it lacks."""
    global _library
    if _library is not None:
        return _library
    with _lock:
        if _library is None:
            errors = []
            incomplete = []
            refused = None
            for path in candidates():
                try:
                    library = ctypes.CDLL(path)
                except OSError as error:
                    errors.append(f"{path}: {error}")
                    continue
                missing = _missing_symbol(library)
                if missing is not None:
                    incomplete.append(f"{path} lacks the symbol {missing}")
                    continue
                for name, (restype, argtypes) in PROTOTYPES.items():
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


def _missing_symbol(library: ctypes.CDLL) -> str | None:
    """The first function of :data:`PROTOTYPES` that ``library`` does not export, if any."""
    for name in PROTOTYPES:
        if not hasattr(library, name):
            return name
    return None


def function(name: str):
    """The library's function ``name`` (with its prototype from :data:`PROTOTYPES`)."""
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
