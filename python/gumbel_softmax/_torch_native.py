"""The compiled node of ``gumbel_softmax.torch``'s common case: building it and finding it.

Not API: ``gumbel_softmax.torch.build_native`` and ``python -m gumbel_softmax.torch build-native``
build it. ``ffi/torch_native.cpp`` (a pybind11 module against torch's headers) is compiled with
the system C++ compiler into a per-user cache, ``$XDG_CACHE_HOME/gumbel_softmax/torch-native/<key>/``
(``~/.cache`` without ``XDG_CACHE_HOME``), where ``<key>`` hashes what the module's binary depends
on and what can be known without running a compiler: the source, the header, torch's version and
C++ ABI, the Python ABI and the machine. The compiler and its command are recorded in the entry's
``manifest.json`` beside the SHA-256 of the module, which a load checks, so a corrupted or foreign
file is never loaded. Nothing is compiled at import or in a user's call: without a built entry,
the Python node is used. ``GUMBEL_SOFTMAX_TORCH_NATIVE=0`` turns the compiled node off.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import warnings
from pathlib import Path

from . import _library

ENVIRONMENT_VARIABLE = "GUMBEL_SOFTMAX_TORCH_NATIVE"
MODULE_NAME = "_gs_torch_native"
MODULE_FILE = MODULE_NAME + ".so"
MANIFEST = "manifest.json"
ABI = 3  # the module's ABI attribute: the set_functions, common and draw_seed signatures it has
_PACKAGE = Path(__file__).resolve().parent
SOURCE = _PACKAGE / "ffi" / "torch_native.cpp"
HEADER = _PACKAGE / "include" / "gumbel_softmax.h"
# The library functions the module calls, handed over by address (set_functions' order).
FUNCTIONS = ("gs_sample", "gs_sample_f64", "gs_gradient", "gs_gradient_f64", "gs_last_error_message")


class NativeBuildError(RuntimeError):
    """The compiled node cannot be built here (no compiler, no headers, a compile error)."""


def enabled() -> bool:
    return os.environ.get(ENVIRONMENT_VARIABLE, "1") != "0"


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gumbel_softmax" / "torch-native"


def key_fields() -> dict:
    """What the module's binary depends on, known without running a compiler."""
    import torch

    return {
        "abi": ABI,
        "source": hashlib.sha256(SOURCE.read_bytes()).hexdigest(),
        "header": hashlib.sha256(HEADER.read_bytes()).hexdigest(),
        "torch": torch.__version__,
        "torch_git": getattr(torch.version, "git_version", ""),
        "cxx11_abi": bool(torch._C._GLIBCXX_USE_CXX11_ABI),
        "python": sys.implementation.cache_tag,
        "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX") or "",
        "machine": platform.machine(),
    }


def entry_directory(fields: dict | None = None) -> Path:
    fields = key_fields() if fields is None else fields
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:20]
    return cache_root() / digest


def _compiler() -> list[str]:
    configured = os.environ.get("CXX")
    command = shlex.split(configured) if configured else None
    if command is None:
        found = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
        command = [found] if found else None
    if not command or shutil.which(command[0]) is None:
        named = (f"CXX={configured!r} is not an executable" if configured
                 else "no C++ compiler (c++, g++, clang++) on PATH")
        raise NativeBuildError(
            f"cannot build gumbel_softmax's compiled torch node: {named}; install one (Debian/Ubuntu: "
            "apt-get install g++) or set CXX"
        )
    return command


def compile_command(compiler: list[str], output: Path) -> list[str]:
    """The compiler's command line: torch's headers and libraries, its C++ ABI, Python's headers."""
    import torch
    from torch.utils import cpp_extension

    includes = cpp_extension.include_paths()
    if not any((Path(directory) / "torch" / "extension.h").exists() for directory in includes):
        raise NativeBuildError(
            f"cannot build gumbel_softmax's compiled torch node: torch {torch.__version__} ships no C++ headers "
            f"(torch/extension.h in {includes})"
        )
    python_include = sysconfig.get_paths()["include"]
    if not (Path(python_include) / "Python.h").exists():
        raise NativeBuildError(
            f"cannot build gumbel_softmax's compiled torch node: Python's headers are missing (no Python.h in "
            f"{python_include}); install them (Debian/Ubuntu: apt-get install python3-dev)"
        )
    libraries = cpp_extension.library_paths()
    command = list(compiler) + [
        "-O2", "-std=c++20", "-fPIC", "-shared", "-fvisibility=hidden",
        f"-DTORCH_EXTENSION_NAME={MODULE_NAME}", "-DTORCH_API_INCLUDE_EXTENSION_H",
        f"-D_GLIBCXX_USE_CXX11_ABI={int(bool(torch._C._GLIBCXX_USE_CXX11_ABI))}",
    ]
    for directory in includes + [python_include]:
        command += ["-isystem", directory]
    command += ["-I", str(HEADER.parent), str(SOURCE)]
    for directory in libraries:
        command += ["-L", directory, f"-Wl,-rpath,{directory}"]
    command += ["-lc10", "-ltorch", "-ltorch_cpu", "-ltorch_python", "-o", str(output)]
    return command


def _compiler_version(compiler: list[str]) -> str:
    try:
        run = subprocess.run(compiler + ["--version"], capture_output=True, text=True, timeout=60)
        return run.stdout.splitlines()[0] if run.stdout else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def _unwritable(directory: Path, error: OSError) -> NativeBuildError:
    return NativeBuildError(
        f"cannot build gumbel_softmax's compiled torch node: cannot write the cache entry {directory} ({error}); "
        "set XDG_CACHE_HOME to a writable directory"
    )


def build(verbose: bool = False) -> Path:
    """Compiles the module into its cache entry (replacing one there) and returns the entry's
    directory. The entry is written atomically: the module and then the manifest, each compiled or
    written beside the entry and moved into place with ``os.replace``, so a reader sees the old
    files or the new ones (and a module that does not match its manifest is not loaded)."""
    compiler = _compiler()
    fields = key_fields()
    directory = entry_directory(fields)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=directory.parent))
    except OSError as error:
        raise _unwritable(directory, error) from None
    try:
        built = scratch / MODULE_FILE
        command = compile_command(compiler, built)
        if verbose:
            print(shlex.join(command), file=sys.stderr)
        try:
            run = subprocess.run(command, capture_output=True, text=True)
        except OSError as error:
            raise NativeBuildError(f"cannot build gumbel_softmax's compiled torch node: {error}") from None
        if run.returncode != 0:
            tail = "\n".join((run.stderr or run.stdout).strip().splitlines()[-30:])
            raise NativeBuildError(
                f"cannot build gumbel_softmax's compiled torch node: the compiler exited with status "
                f"{run.returncode}:\n{shlex.join(command)}\n{tail}"
            )
        try:
            manifest = dict(fields, module_sha256=hashlib.sha256(built.read_bytes()).hexdigest(),
                            compiler=_compiler_version(compiler), command=shlex.join(command))
            (scratch / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
            os.replace(built, directory / MODULE_FILE)
            os.replace(scratch / MANIFEST, directory / MANIFEST)
        except OSError as error:
            raise _unwritable(directory, error) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return directory


def _addresses() -> list[int]:
    library = _library.load()
    return [ctypes.cast(getattr(library, name), ctypes.c_void_p).value for name in FUNCTIONS]


def load():
    """The built module for this torch and source with the library's functions handed over, or
    None: when turned off, not built, or its entry does not match (a warning then names the
    entry and how to rebuild it)."""
    if not enabled():
        return None
    fields = key_fields()
    directory = entry_directory(fields)
    module_path = directory / MODULE_FILE
    manifest_path = directory / MANIFEST
    if not module_path.exists() and not manifest_path.exists():
        return None
    try:
        manifest = json.loads(manifest_path.read_text())
        if any(manifest.get(name) != value for name, value in fields.items()):
            raise ValueError("its manifest is for another source, header, torch or Python")
        if hashlib.sha256(module_path.read_bytes()).hexdigest() != manifest.get("module_sha256"):
            raise ValueError("the module's SHA-256 differs from its manifest's")
        loader = importlib.machinery.ExtensionFileLoader(MODULE_NAME, str(module_path))
        spec = importlib.util.spec_from_file_location(MODULE_NAME, str(module_path), loader=loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        if getattr(module, "ABI", None) != ABI:
            raise ValueError(f"the module's ABI is {getattr(module, 'ABI', None)}, not {ABI}")
        module.set_functions(*_addresses())
    except (OSError, ImportError, ValueError, TypeError, AttributeError, RuntimeError) as error:
        warnings.warn(
            f"gumbel_softmax.torch: the compiled node in {directory} is not used ({error}); the Python node is. "
            "Rebuild it with `python -m gumbel_softmax.torch build-native`",
            RuntimeWarning, stacklevel=2,
        )
        return None
    return module
