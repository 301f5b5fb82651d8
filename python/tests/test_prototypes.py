"""The ctypes prototypes and the status names against include/gumbel_softmax.h and the library: a
wrong argument type in ctypes is silent memory corruption, so every function's types are compared
with the header's."""

import ctypes
import re

from conftest import REPOSITORY

import gumbel_softmax as gs
from gumbel_softmax import _library

C_TYPES = {
    "float": ctypes.c_float,
    "double": ctypes.c_double,
    "int": ctypes.c_int,
    "int32_t": ctypes.c_int32,
    "int64_t": ctypes.c_int64,
    "uint32_t": ctypes.c_uint32,
    "uint64_t": ctypes.c_uint64,
    "size_t": ctypes.c_size_t,
    "gs_status": ctypes.c_int32,
    "gs_output": ctypes.c_int32,
}


def _ctype(declaration: str):
    declaration = declaration.strip().replace("const ", "")
    if declaration == "void":
        return None
    if "*" in declaration or declaration.endswith("]"):
        base = declaration.split("*")[0].split()[0]
        return ctypes.c_char_p if base == "char" and "[" not in declaration else ctypes.c_void_p
    return C_TYPES[declaration.rsplit(" ", 1)[0]]


def _header_functions():
    text = (REPOSITORY / "include" / "gumbel_softmax.h").read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    functions = {}
    for match in re.finditer(r"([\w ]+?\**)\s*\b(gs_\w+)\(([^)]*)\);", text):
        result, name, arguments = match.groups()
        arguments = [] if arguments.strip() == "void" else [a for a in arguments.split(",")]
        functions[name] = (_ctype(result.replace("const", "").strip() if "*" not in result else "char *"),
                           [_ctype(a) for a in arguments])
    return functions


def test_every_prototype_matches_the_header():
    header = _header_functions()
    assert {"gs_sample", "gs_sample_jax", "gs_log_density", "gs_jax_key"} <= header.keys()
    assert _library.PROTOTYPES.keys() == header.keys(), "the table and the header list different functions"
    for name, (restype, argtypes) in _library.PROTOTYPES.items():
        assert name in header, f"{name} is not declared in the header"
        want_restype, want_argtypes = header[name]
        assert restype == want_restype, name
        # A pointer may be declared as a void pointer or a char pointer in ctypes.
        got = [ctypes.c_void_p if t is ctypes.c_char_p else t for t in argtypes]
        want = [ctypes.c_void_p if t is ctypes.c_char_p else t for t in want_argtypes]
        assert got == want, name


def test_the_package_calls_only_declared_functions():
    header = _header_functions()
    library = _library.load()
    for name in header:
        assert hasattr(library, name), f"{name} is declared but not exported"


def test_status_names_are_the_librarys():
    library = _library.load()
    for status in gs.Status:
        assert library.gs_status_name(status.value).decode() == f"GS_{status.name}"
    assert library.gs_status_name(len(gs.Status)).decode() == "GS_UNKNOWN_STATUS", "a status Python lacks"
