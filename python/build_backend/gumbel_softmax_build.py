"""The in-tree PEP 517 / PEP 660 build backend of the ``gumbel-softmax`` Python package.

``pip install ./python`` or ``pip wheel ./python`` (from a checkout), ``pip install`` of the source
distribution, and ``pip install -e ./python`` call the hooks at the end of this file.

A wheel (:func:`build_wheel`) holds the package, the public header as
``gumbel_softmax/include/gumbel_softmax.h`` (the package reads its ctypes prototypes from it) and,
for each instruction set tier it is built for, ``gumbel_softmax/_tiers/<tier>/libgumbelsoftmax.so``
(``swift build -c release --product gumbelsoftmax`` with the tier's flags from
``Scripts/build/tier-flags`` and the Swift runtime linked statically, in the scratch path
``.build-release-<tier>``) and, when the XLA FFI headers
are at hand, ``libgumbelsoftmax_jax.so`` beside it (the JAX FFI handlers,
``gumbel_softmax/ffi/jax_ffi.cc``). At import the package loads the best tier this CPU runs
(``_library.py``). The environment chooses:

- ``TIERS``: the tiers, e.g. ``"baseline avx2 avx512"`` (what ``make wheel`` builds: one wheel for
  every x86-64 CPU); else ``TIER``: one tier; else this machine's tier (``Scripts/build/tier``). A wheel
  of every tier has the plain version (``0.2.0``), one of fewer tiers names them as the local
  version label (``0.2.0+avx2``).
- ``JAX_FFI_INCLUDE``: the XLA FFI headers (``jax.ffi.include_dir()``); without it, those of a
  ``jax`` importable by the Python running the build; without either, no FFI handlers (the JAX
  adapter then uses its callback path). ``CXX`` compiles them (default ``c++``).
- ``SWIFT``: the swift command (default ``swift``); ``SWIFT_SCRATCH``: the scratch path, with
  ``{tier}`` for the tier (default ``.build-release-{tier}``, relative to the Swift package).

The platform tag is the generic ``linux_x86_64``: ``make wheel`` turns the wheel into a
``manylinux`` one with ``auditwheel repair``, which copies OpenBLAS into it.

The source distribution (:func:`build_sdist`) holds this directory and, in ``swift/``, the Swift
package (sources, headers, tests, the tier scripts); building a wheel from it needs a Swift
toolchain and OpenBLAS's development packages, like a checkout. An editable install
(:func:`build_editable`) builds the library for one tier as above and points Python at
``python/`` of the checkout, where the package finds the build in ``.build-release-<tier>``.

Every failure ends the hook with one line on standard error naming what to do (a failing
compiler's own output comes before it). Standard library only: the build needs nothing from PyPI.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

NAME = "gumbel-softmax"
DISTRIBUTION = "gumbel_softmax"
LIBRARY = "libgumbelsoftmax.so"
FFI_LIBRARY = "libgumbelsoftmax_jax.so"
HEADER = "gumbel_softmax.h"
TIERS = ("baseline", "avx2", "avx512")
PYTHON_DIRECTORY = Path(__file__).resolve().parent.parent
PACKAGE = PYTHON_DIRECTORY / "gumbel_softmax"
# The Swift package: the checkout around python/, or swift/ inside a source distribution.
REPOSITORY = PYTHON_DIRECTORY / "swift" if (PYTHON_DIRECTORY / "swift").is_dir() else PYTHON_DIRECTORY.parent
# What a source distribution holds of the Swift package (Tests: SwiftPM requires the directories
# of every target in Package.swift).
SWIFT_PACKAGE_FILES = (
    "Package.swift", "LICENSE", "Sources", "Modules", "include", "Tests", "Scripts/build/tier", "Scripts/build/tier-flags"
)
OPENBLAS_HELP = "apt-get install libopenblas-dev liblapacke-dev"
SWIFT_HELP = (
    "building gumbel-softmax from source needs Swift 6 (https://www.swift.org/install/linux/) and OpenBLAS "
    f"({OPENBLAS_HELP}); set SWIFT=/path/to/swift for a toolchain that is not on PATH"
)


class BuildError(Exception):
    """A failure, said in one line."""


def _log(message: str) -> None:
    print(f"gumbel_softmax_build: {message}", file=sys.stderr, flush=True)


def _one_line_errors(hook):
    """Runs the hook, ending the process with one line on standard error when it fails, instead
    of the traceback the frontend would print."""

    def run(*arguments, **keywords):
        try:
            return hook(*arguments, **keywords)
        except BuildError as error:
            _log(f"error: {error}")
            raise SystemExit(1) from None

    run.__name__, run.__doc__ = hook.__name__, hook.__doc__
    return run


def _version() -> str:
    text = (PACKAGE / "_version.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE).group(1)


def _metadata(version: str) -> str:
    return "\n".join(
        [
            "Metadata-Version: 2.1",
            f"Name: {NAME}",
            f"Version: {version}",
            "Summary: Gumbel-Softmax, Gumbel-max and Gumbel-top-k sampling for numpy, through the "
            "C ABI of the GumbelSoftmax Swift package",
            "License: Apache-2.0",
            "Requires-Python: >=3.9",
            "Requires-Dist: numpy",
            "",
            "Counter-based (Philox4x32-10) Gumbel-Softmax sampling: every result is a pure function of",
            "(seed, stream, position, inputs, temperature). See the repository's README.md.",
            "",
        ]
    )


def _run(command: list[str], what: str, **keywords) -> subprocess.CompletedProcess:
    """Runs a command; a missing program or a failure becomes a BuildError that starts with
    `what` and ends with the last line the command wrote to a captured standard error."""
    try:
        result = subprocess.run(command, **keywords)
    except FileNotFoundError:
        raise BuildError(f"{what}: '{command[0]}' not found") from None
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines() if isinstance(result.stderr, str) else []
        reason = detail[-1] if detail else f"failed with exit status {result.returncode} (its output is above)"
        raise BuildError(f"{what}: {reason}")
    return result


def _script(name: str, *arguments: str) -> str:
    """The standard output of Scripts/build/NAME, or a BuildError with its own message."""
    command = ["sh", str(REPOSITORY / "Scripts" / "build" / name), *arguments]
    return _run(command, "TIER" if arguments else name, capture_output=True, text=True).stdout


def _swift() -> list[str]:
    return shlex.split(os.environ.get("SWIFT", "swift")) or ["swift"]


def _tiers() -> list[str]:
    """The tiers to build, best last, from TIERS, TIER or this machine."""
    requested = os.environ.get("TIERS", "").split() or os.environ.get("TIER", "").split() or _script("tier").split()
    for tier in requested:
        _script("tier-flags", tier)  # its own message for a tier it does not know
    return sorted(set(requested), key=TIERS.index)


def _check_requirements() -> None:
    if not (REPOSITORY / "Package.swift").exists():
        raise BuildError(f"{REPOSITORY} holds no Package.swift: build from a checkout or the sdist")
    swift = _swift()
    if shutil.which(swift[0]) is None:
        raise BuildError(f"no Swift toolchain ('{swift[0]}' not found): {SWIFT_HELP}")
    if shutil.which("pkg-config") and subprocess.run(["pkg-config", "--exists", "openblas"]).returncode != 0:
        raise BuildError(f"OpenBLAS's development files are missing (pkg-config openblas): {OPENBLAS_HELP}")


def _build_library(tier: str) -> Path:
    """Builds libgumbelsoftmax.so for the tier; returns the directory that holds it."""
    flags = _script("tier-flags", tier).split()
    scratch = os.environ.get("SWIFT_SCRATCH", ".build-release-{tier}").replace("{tier}", tier)
    # The order of the Makefile's RELEASE_FLAGS, so `make build` and this share a build.
    command = _swift() + ["build", "-c", "release", *flags, "-Xswiftc", "-static-stdlib", "--scratch-path", scratch]
    _log(f"tier {tier}: {' '.join(command)} --product gumbelsoftmax (in {REPOSITORY})")
    what = f"swift build (tier {tier})"
    _run(command + ["--product", "gumbelsoftmax"], what, cwd=REPOSITORY, stdout=sys.stderr)
    bin_path = _run(command + ["--show-bin-path"], what, cwd=REPOSITORY, capture_output=True, text=True).stdout
    directory = Path(bin_path.strip())
    if not (directory / LIBRARY).exists():
        raise BuildError(f"swift build made no {directory / LIBRARY}")
    return directory


def _ffi_headers() -> Path | None:
    """The XLA FFI headers: JAX_FFI_INCLUDE, else those of an importable jax, else None."""
    configured = os.environ.get("JAX_FFI_INCLUDE")
    if configured:
        if not (Path(configured) / "xla" / "ffi" / "api" / "ffi.h").exists():
            raise BuildError(f"JAX_FFI_INCLUDE={configured} holds no xla/ffi/api/ffi.h (see jax.ffi.include_dir())")
        return Path(configured)
    try:
        import jax.ffi  # noqa: PLC0415  (optional)
    except ImportError:
        return None
    return Path(jax.ffi.include_dir())


def _build_ffi(headers: Path, directories: list[Path]) -> None:
    """Compiles the JAX FFI handlers once and links a copy beside each tier's library, which it
    finds through its run path ($ORIGIN)."""
    compiler = shlex.split(os.environ.get("CXX", "c++")) or ["c++"]
    source = PACKAGE / "ffi" / "jax_ffi.cc"
    objects = directories[0] / "jax_ffi.o"
    flags = ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC"]
    _log(f"JAX FFI handlers: {' '.join(compiler)} {source} with the headers of {headers}")
    headers_flags = ["-isystem", str(headers), "-I", str(REPOSITORY / "include")]
    compile_command = compiler + flags + headers_flags + ["-c", str(source), "-o", str(objects)]
    _run(compile_command, "JAX FFI handlers", stdout=sys.stderr)
    for directory in directories:
        libraries = ["-L", str(directory), "-lgumbelsoftmax", "-Wl,-rpath,$ORIGIN"]
        link = compiler + ["-shared", str(objects), *libraries, "-o", str(directory / FFI_LIBRARY)]
        _run(link, "JAX FFI handlers", stdout=sys.stderr)


def _build(tiers: list[str]) -> tuple[dict[str, Path], list[str]]:
    """Builds the library of each tier, and the FFI handlers when the headers are at hand; returns
    each tier's directory and the names of the libraries built there."""
    _check_requirements()
    directories = {tier: _build_library(tier) for tier in tiers}
    headers = _ffi_headers()
    if headers is None:
        _log("no JAX FFI handlers: set JAX_FFI_INCLUDE or build with jax importable (`make wheel` does)")
        return directories, [LIBRARY]
    _build_ffi(headers, list(directories.values()))
    return directories, [LIBRARY, FFI_LIBRARY]


def _platform_tag() -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", sysconfig.get_platform())


class _Wheel:
    """A wheel being written, with its RECORD."""

    def __init__(self, directory: str, version: str, tag: str):
        self.filename = f"{DISTRIBUTION}-{version}-{tag}.whl"
        self.dist_info = f"{DISTRIBUTION}-{version}.dist-info"
        self.archive = zipfile.ZipFile(Path(directory) / self.filename, "w", compression=zipfile.ZIP_DEFLATED)
        self.records: list[str] = []
        self.add(f"{self.dist_info}/METADATA", _metadata(version).encode())
        wheel_file = f"Wheel-Version: 1.0\nGenerator: gumbel_softmax_build\nRoot-Is-Purelib: false\nTag: {tag}\n"
        self.add(f"{self.dist_info}/WHEEL", wheel_file.encode())

    def add(self, name: str, data: bytes, executable: bool = False) -> None:
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = (0o755 if executable else 0o644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self.archive.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        self.records.append(f"{name},sha256={digest},{len(data)}")

    def close(self) -> str:
        record = f"{self.dist_info}/RECORD"
        self.records.append(f"{record},,")
        self.archive.writestr(zipfile.ZipInfo(record, date_time=(2020, 1, 1, 0, 0, 0)), "\n".join(self.records) + "\n")
        self.archive.close()
        _log(f"wrote {self.filename}")
        return self.filename


def _version_with_tiers(tiers: list[str]) -> str:
    return _version() if tuple(tiers) == TIERS else f"{_version()}+{'.'.join(tiers)}"


# MARK: PEP 517 hooks


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


@_one_line_errors
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    tiers = _tiers()
    directories, libraries = _build(tiers)
    wheel = _Wheel(wheel_directory, _version_with_tiers(tiers), f"py3-none-{_platform_tag()}")
    for source in sorted(PACKAGE.glob("*.py")):
        wheel.add(f"gumbel_softmax/{source.name}", source.read_bytes())
    # The package reads its ctypes prototypes from the public header (gumbel_softmax/_header.py).
    wheel.add(f"gumbel_softmax/include/{HEADER}", (REPOSITORY / "include" / HEADER).read_bytes())
    # The source of gumbel_softmax.torch's compiled node, which `python -m gumbel_softmax.torch
    # build-native` compiles on the user's machine (gumbel_softmax/_torch_native.py).
    wheel.add("gumbel_softmax/ffi/torch_native.cpp", (PACKAGE / "ffi" / "torch_native.cpp").read_bytes())
    for tier, directory in directories.items():
        for library in libraries:
            wheel.add(f"gumbel_softmax/_tiers/{tier}/{library}", (directory / library).read_bytes(), executable=True)
    return wheel.close()


@_one_line_errors
def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """PEP 660: builds the library (one tier, see the module's description) in the checkout and
    installs a path file that puts ``python/`` on ``sys.path``; edits to the package take effect
    at the next import, edits to the Swift sources at the next build."""
    if REPOSITORY != PYTHON_DIRECTORY.parent:
        raise BuildError("an editable install needs a checkout of the repository, not the sdist")
    tiers = _tiers()
    if len(tiers) != 1:
        raise BuildError(f"an editable install builds one tier (TIER=...), not TIERS={' '.join(tiers)}")
    _build(tiers)
    wheel = _Wheel(wheel_directory, f"{_version()}+{tiers[0]}", f"py3-none-{_platform_tag()}")
    wheel.add(f"_{DISTRIBUTION}_editable.pth", f"{PYTHON_DIRECTORY}\n".encode())
    return wheel.close()


@_one_line_errors
def build_sdist(sdist_directory, config_settings=None):
    """The package and, in ``swift/``, the Swift package it is built from."""
    if REPOSITORY != PYTHON_DIRECTORY.parent:
        raise BuildError("build the sdist from a checkout of the repository")
    base = f"{DISTRIBUTION}-{_version()}"
    python_files = _tree(PYTHON_DIRECTORY, ("pyproject.toml", "build_backend", "gumbel_softmax"))
    files = [(path, f"{base}/{path.relative_to(PYTHON_DIRECTORY)}") for path in python_files]
    files += [(path, f"{base}/swift/{path.relative_to(REPOSITORY)}") for path in _tree(REPOSITORY, SWIFT_PACKAGE_FILES)]
    filename = f"{base}.tar.gz"
    with tarfile.open(Path(sdist_directory) / filename, "w:gz", format=tarfile.PAX_FORMAT) as archive:
        for path, name in files:
            info = archive.gettarinfo(str(path.resolve()), name)  # a link's file, not the link
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 1577836800  # 2020-01-01, reproducible
            with open(path, "rb") as file:
                archive.addfile(info, file)
        metadata = _metadata(_version()).encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size, info.mtime = len(metadata), 1577836800
        archive.addfile(info, io.BytesIO(metadata))
    _log(f"wrote {filename}")
    return filename


def _tree(root: Path, names) -> list[Path]:
    """The files under root/name for each name, sorted, without build outputs and caches."""
    found = []
    for name in names:
        path = root / name
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        found += [p for p in candidates if not _is_output(p.relative_to(root))]
    return found


def _is_output(path: Path) -> bool:
    """Whether a path is a build output or a cache, not a source."""
    return any(part.startswith(".build") or part == "__pycache__" for part in path.parts)
