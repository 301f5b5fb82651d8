"""The ctypes prototypes the package reads from include/gumbel_softmax.h (``_header``), and the
status names, against the header and the library: a wrong argument type in ctypes is silent
memory corruption, so the reader is checked by a second, independent scan of the header, by
prototypes written out here, and by what the library exports."""

import ctypes
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPOSITORY

import gumbel_softmax as gs
from gumbel_softmax import _header, _library

HEADER = REPOSITORY / "include" / "gumbel_softmax.h"

_f32, _f64, _i32, _i64 = ctypes.c_float, ctypes.c_double, ctypes.c_int32, ctypes.c_int64
_u32, _u64, _ptr = ctypes.c_uint32, ctypes.c_uint64, ctypes.c_void_p

# A few prototypes as the header declares them, written out by hand (enums are int32).
KNOWN = {
    "gs_version": (ctypes.c_char_p, []),
    "gs_cpu_supported": (ctypes.c_int, []),
    "gs_check_cpu": (_i32, []),
    "gs_status_name": (ctypes.c_char_p, [_i32]),
    "gs_copy_last_error_message": (ctypes.c_size_t, [ctypes.c_char_p, ctypes.c_size_t]),
    "gs_jax_key": (_i32, [_i64, _i32, _ptr]),
    "gs_sample": (_i32, [_ptr, _i64, _i64, _i64, _f32, _i32, _u64, _u64, _u64, _i32, _ptr, _i64]),
    "gs_top_k_jax": (_i32, [_ptr, _i64, _i64, _i64, _i64, _u32, _u32, _u64, _i32, _ptr, _i64]),
    "gs_gradient_per_row": (_i32, [_ptr, _i64, _ptr, _i64, _i64, _i64, _ptr, _i64, _i32, _i32, _ptr, _i64, _ptr, _i64]),
    "gs_log_density": (_i32, [_ptr, _i64, _i64, _i64, _ptr, _i64, _ptr, _i64, _i32, _i32, _ptr, _i64]),
    "gs_sample_f64": (_i32, [_ptr, _i64, _i64, _i64, _f64, _i32, _u64, _u64, _u64, _i32, _ptr, _i64]),
    "gs_gradient_f64": (_i32, [_ptr, _i64, _ptr, _i64, _i64, _i64, _f64, _i32, _i32, _ptr, _i64, _ptr, _i64]),
    "gs_sample_jax_f64": (_i32, [_ptr, _i64, _i64, _i64, _f64, _i32, _u32, _u32, _u64, _i32, _ptr, _i64]),
}


def _declared_by_lines():
    """Each function the header declares, name: its number of parameters, by a scan of its own:
    every line outside comments that starts with a type and names gs_X( opens a declaration,
    which ends at the next ');'."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group().count("\n"), HEADER.read_text(), flags=re.S)
    lines = text.splitlines()
    found = {}
    for number, line in enumerate(lines):
        opening = re.match(r"^[a-z][a-z_0-9 ]*\*?\s*(gs_[a-z_0-9]+)\(", line)
        if opening:
            declaration = " ".join(lines[number:]).split(");")[0].split("(", 1)[1]
            found[opening.group(1)] = 0 if declaration.strip() == "void" else declaration.count(",") + 1
    return found


def test_the_reader_finds_every_declaration():
    prototypes = _header.prototypes(HEADER.read_text())
    declared = _declared_by_lines()
    assert len(declared) >= 30, "the line scan finds too few declarations"
    assert list(prototypes) == list(declared), "the reader and the line scan find different functions"
    for name, count in declared.items():
        assert len(prototypes[name][1]) == count, name


def test_known_prototypes():
    prototypes = _header.prototypes(HEADER.read_text())
    for name, prototype in KNOWN.items():
        assert prototypes[name] == prototype, name


def test_the_package_reads_the_header_of_its_library():
    # The copy the package reads (the wheel's, or this checkout's) is the header of this source.
    assert _header.header_path().read_text() == HEADER.read_text()


def test_the_library_exports_exactly_the_declared_functions():
    library = _library.load()
    path = library._name
    symbols = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True, text=True, check=True)
    exported = {line.split()[-1] for line in symbols.stdout.splitlines() if line.split()[-1].startswith("gs_")}
    assert exported == set(_header.prototypes()), "the library and the header list different functions"
    for name, (restype, argtypes) in _header.prototypes().items():
        function = getattr(library, name)
        assert (function.restype, function.argtypes) == (restype, argtypes), name


@pytest.mark.parametrize(
    "declaration",
    [
        "long double gs_x(void);",
        "gs_status gs_x(unsigned int count);",
        "gs_status gs_x(const float **logits);",
        "gs_status gs_x(float);",
        "gs_status gs_x(gs_unknown kind);",
        "#define GS_X(name) gs_status gs_##name(void);\nGS_X(y)",
        "gs_status gs_x(void);\ngs_status gs_x(void);",
        "gs_status gs_x(void)",
        "int gs_count;",
        "typedef struct gs_thing gs_thing;",
        "const float gs_x(void);",
        "gs_status gs_x(int long);",
        "gs_status gs_x(int unsigned);",
        "gs_status gs_x(double long);",
        "gs_status gs_x(float int64_t);",
    ],
)
def test_the_reader_refuses_what_it_cannot_map(declaration):
    with pytest.raises(_header.HeaderError):
        _header.prototypes("typedef enum gs_status { GS_OK = 0 } gs_status;\n" + declaration)


def test_the_reader_maps_the_header_forms():
    text = """
    #ifdef __cplusplus
    extern "C" {
    #endif
    typedef enum gs_kind { GS_A = 0, /* one */ GS_B = 1 } gs_kind;
    /* gs_commented(float x); */
    const char *gs_name(gs_kind kind, char *buffer, size_t capacity);
    void gs_nothing(uint32_t key[2], const double *values, int64_t count);
    #ifdef __cplusplus
    }
    #endif
    """
    assert _header.prototypes(text) == {
        "gs_name": (ctypes.c_char_p, [_i32, ctypes.c_char_p, ctypes.c_size_t]),
        "gs_nothing": (None, [_ptr, _ptr, _i64]),
    }


def test_status_names_are_the_librarys():
    library = _library.load()
    for status in gs.Status:
        assert library.gs_status_name(status.value).decode() == f"GS_{status.name}"
    assert library.gs_status_name(len(gs.Status)).decode() == "GS_UNKNOWN_STATUS", "a status Python lacks"


def test_a_copy_of_the_package_directory_carries_its_header(tmp_path):
    """Ray's ``py_modules`` and Dask's uploaded zip copy the package directory alone: the copy
    still reads the header (the checkout's link is copied as the file it points to)."""
    package = Path(_header.__file__).resolve().parent
    shutil.copytree(package, tmp_path / "gumbel_softmax", ignore=shutil.ignore_patterns("__pycache__"))
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); from gumbel_softmax import _header; "
        "print(_header.header_path()); print(len(_header.prototypes()))"
    )
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True)
    path, count = result.stdout.split()
    assert Path(path) == tmp_path / "gumbel_softmax" / "include" / _header.HEADER_NAME
    assert int(count) == len(_header.prototypes())
