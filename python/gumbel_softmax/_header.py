"""The ctypes prototypes of the library's functions, read from include/gumbel_softmax.h itself.

Not API. The public header is the one source of every function's signature: this module reads
its declarations and gives each function's ``(restype, argtypes)``, so that adding an entry point
to the C ABI needs nothing in Python. The header is regular C and the reader is strict: every
statement outside comments and preprocessor lines must be an enum typedef or a function
declaration whose types it can map, else :class:`HeaderError` names the statement (a wrong
ctypes type is silent memory corruption, so nothing is guessed and nothing is skipped).

Where the header is: ``gumbel_softmax/include/gumbel_softmax.h``, inside the package, so that a
copy of the package directory carries it (Ray's ``py_modules``, Dask's uploaded zip): a wheel holds
the file (the build backend copies it there), a checkout a symbolic link to the repository's
``include/gumbel_softmax.h`` (an editable install, or ``PYTHONPATH=python`` with
``GUMBEL_SOFTMAX_LIB``); the repository's own header is the fallback.
"""

from __future__ import annotations

import ctypes
import re
from pathlib import Path

HEADER_NAME = "gumbel_softmax.h"
_PACKAGE = Path(__file__).resolve().parent
LOCATIONS = (_PACKAGE / "include" / HEADER_NAME, _PACKAGE.parent.parent / "include" / HEADER_NAME)

# The scalar types of the header's declarations (an enum is an int, int32 here).
SCALARS = {
    "float": ctypes.c_float,
    "double": ctypes.c_double,
    "int": ctypes.c_int,
    "int32_t": ctypes.c_int32,
    "int64_t": ctypes.c_int64,
    "uint32_t": ctypes.c_uint32,
    "uint64_t": ctypes.c_uint64,
    "size_t": ctypes.c_size_t,
}

# C's keywords of a type: never a parameter's name.
_TYPE_WORDS = frozenset(
    "void char short int long float double signed unsigned _Bool bool const volatile restrict struct union enum".split()
)
_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_PREPROCESSOR = re.compile(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", re.MULTILINE)
_ENUM = re.compile(r"typedef\s+enum\s+(\w+)\s*\{[^{}]*\}\s*(\w+)\s*;")
_EXTERN_C = re.compile(r'extern\s+"C"\s*\{|^\s*\}\s*$', re.MULTILINE)
_FUNCTION = re.compile(r"(?P<result>[\w\s]+?\**)\s*\b(?P<name>gs_\w+)\s*\((?P<parameters>[^()]*)\)")
# [const] type [*] [name] [[N]]: one parameter, or (without a name) a result.
_TYPE = re.compile(r"(?P<const>const\s+)?(?P<type>\w+)\s*(?P<pointer>\*?)\s*(?P<name>\w*)\s*(?P<array>\[\d+\])?")


class HeaderError(ImportError):
    """The header is missing, or holds a declaration this reader cannot map to ctypes."""


def header_path() -> Path:
    """The first of :data:`LOCATIONS` that exists: the package's (a file in a wheel, a link in a
    checkout), else the repository's."""
    for path in LOCATIONS:
        if path.is_file():
            return path
    raise HeaderError(
        f"{HEADER_NAME} is not installed with the package (looked in "
        + ", ".join(str(path.parent) for path in LOCATIONS)
        + "): reinstall it with `pip install ./python`"
    )


def prototypes(text: str | None = None) -> dict[str, tuple[object, list]]:
    """Every function the header declares, name: (restype, argtypes), in the header's order;
    ``text`` is the header's text (default: :func:`header_path`'s)."""
    if text is None:
        text = header_path().read_text()
    code = _PREPROCESSOR.sub("", _COMMENTS.sub(" ", text))
    enums = set()
    for match in _ENUM.finditer(code):
        if match.group(1) != match.group(2):
            raise HeaderError(f"{HEADER_NAME}: enum {match.group(1)} is typedef'd as {match.group(2)}")
        enums.add(match.group(1))
    code = _EXTERN_C.sub("", _ENUM.sub("", code))
    functions = {}
    mapped = {}  # declaration: its ctypes type (the header repeats most parameters many times)
    *statements, rest = code.split(";")
    if rest.strip():
        raise HeaderError(f"{HEADER_NAME}: text after the last declaration: {' '.join(rest.split())!r}")
    for statement in statements:
        statement = " ".join(statement.split())
        match = _FUNCTION.fullmatch(statement)
        if match is None:
            raise HeaderError(f"{HEADER_NAME}: not a function declaration this reader maps: {statement!r}")
        name = match.group("name")
        if name in functions:
            raise HeaderError(f"{HEADER_NAME}: {name} is declared twice")
        parameters = match.group("parameters").strip()
        arguments = [] if parameters == "void" else [p.strip() for p in parameters.split(",")]
        restype = _ctype(match.group("result"), enums, statement, result=True)
        argtypes = []
        for argument in arguments:
            if argument not in mapped:
                mapped[argument] = _ctype(argument, enums, statement)
            argtypes.append(mapped[argument])
        functions[name] = (restype, argtypes)
    if not functions:
        raise HeaderError(f"{HEADER_NAME}: no function declarations")
    return functions


def _ctype(declaration: str, enums: set[str], statement: str, result: bool = False):
    """The ctypes type of one parameter (or, with ``result``, a return type)."""
    match = _TYPE.fullmatch(declaration.strip())
    if match is None or (result and (match.group("name") or match.group("array"))):
        raise HeaderError(f"{HEADER_NAME}: cannot map {declaration.strip()!r} in {statement!r}")
    base = match.group("type")
    if result and base == "void" and not match.group("pointer"):
        return None
    if not result and not match.group("name"):
        raise HeaderError(f"{HEADER_NAME}: a parameter without a name, {declaration.strip()!r}, in {statement!r}")
    if match.group("name") in _TYPE_WORDS or match.group("name") in SCALARS or match.group("name") in enums:
        # `int long`, `int unsigned`, `double long`: a type of two words, not a type and a name.
        raise HeaderError(f"{HEADER_NAME}: cannot map {declaration.strip()!r} in {statement!r}")
    if match.group("pointer") or match.group("array"):
        if match.group("pointer") and match.group("array"):
            raise HeaderError(f"{HEADER_NAME}: cannot map {declaration.strip()!r} in {statement!r}")
        if base == "char" and not match.group("array"):
            return ctypes.c_char_p
        if base != "void" and base not in SCALARS and base not in enums:
            raise HeaderError(f"{HEADER_NAME}: unknown type {base!r} in {statement!r}")
        return ctypes.c_void_p
    if match.group("const"):
        raise HeaderError(f"{HEADER_NAME}: a const value {declaration.strip()!r} in {statement!r}")
    if base in enums:
        return ctypes.c_int32
    if base in SCALARS:
        return SCALARS[base]
    raise HeaderError(f"{HEADER_NAME}: unknown type {base!r} in {statement!r}")
