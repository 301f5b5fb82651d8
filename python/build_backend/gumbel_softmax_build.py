"""The in-tree PEP 517 build backend of the ``gumbel-softmax`` Python package.

``pip install ./python`` (or ``pip wheel ./python``) from a checkout of the repository calls
:func:`build_wheel`, which

1. runs ``swift build -c release --product gumbelsoftmax`` in the repository root (the parent of
   ``python/``) with the flags of this machine's instruction set tier (``Scripts/build/tier-flags``;
   ``TIER=baseline|avx2|avx512`` in the environment picks another) and the Swift runtime linked
   statically, as ``make build`` does, so the two share ``.build-release-TIER``;
2. writes a wheel holding the package and ``libgumbelsoftmax.so`` inside it, tagged
   ``py3-none-<platform>`` (the library is loaded with ctypes, so any CPython 3 on this platform
   works, but only this platform), with the tier as the version's local label: ``0.2.0+avx2``.

The wheel is a local build, not one for PyPI: its platform tag is the generic ``linux_x86_64``
(built against this machine's glibc and OpenBLAS, no manylinux audit; PyPI refuses the tag), and
``+avx2`` says which CPUs it runs on (a local version label, which PyPI refuses too; ``==0.2.0``
still matches it).

Standard library only: the build needs nothing from PyPI. A source distribution is refused: the
package cannot be built without the Swift sources around it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

NAME = "gumbel-softmax"
DISTRIBUTION = "gumbel_softmax"
LIBRARY = "libgumbelsoftmax.so"
PYTHON_DIRECTORY = Path(__file__).resolve().parent.parent
REPOSITORY = PYTHON_DIRECTORY.parent
PACKAGE = PYTHON_DIRECTORY / "gumbel_softmax"


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
            "Requires-External: libopenblas0",
            "",
            "Counter-based (Philox4x32-10) Gumbel-Softmax sampling: every result is a pure function of",
            "(seed, stream, position, inputs, temperature). See the repository's README.md.",
            "",
        ]
    )


def _platform_tag() -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", sysconfig.get_platform())


def _log(message: str) -> None:
    print(f"gumbel_softmax_build: {message}", file=sys.stderr, flush=True)


def _build_library() -> tuple[Path, str]:
    """Builds libgumbelsoftmax.so for the tier and returns its path and the tier."""
    if not (REPOSITORY / "Package.swift").exists():
        raise RuntimeError(
            f"{REPOSITORY} is not the GumbelSoftmax repository: build the package from a checkout "
            "(`pip install ./python` in the repository root)"
        )
    tier = os.environ.get("TIER") or subprocess.run(
        [str(REPOSITORY / "Scripts" / "build" / "tier")], check=True, capture_output=True, text=True
    ).stdout.strip()
    flags = subprocess.run(
        [str(REPOSITORY / "Scripts" / "build" / "tier-flags"), tier], check=True, capture_output=True, text=True
    ).stdout.split()
    swift = shlex.split(os.environ.get("SWIFT", "swift"))
    # The flags and build folder of the Makefile's RELEASE_FLAGS, so `make build` and this share one
    # build, and a plain `swift build` (in .build) rebuilds neither.
    command = swift + ["build", "-c", "release", *flags, "-Xswiftc", "-static-stdlib",
                       "--scratch-path", str(REPOSITORY / f".build-release-{tier}")]
    _log(f"tier {tier}: {' '.join(command)} --product gumbelsoftmax (in {REPOSITORY})")
    subprocess.run(command + ["--product", "gumbelsoftmax"], cwd=REPOSITORY, check=True, stdout=sys.stderr)
    bin_path = subprocess.run(
        command + ["--show-bin-path"], cwd=REPOSITORY, check=True, capture_output=True, text=True
    ).stdout.strip()
    library = Path(bin_path) / LIBRARY
    if not library.exists():
        raise RuntimeError(f"swift build made no {library}")
    return library, tier


class _Wheel:
    """A wheel being written, with its RECORD."""

    def __init__(self, path: Path):
        self.archive = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.records: list[str] = []

    def add(self, name: str, data: bytes, executable: bool = False) -> None:
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = (0o755 if executable else 0o644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self.archive.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        self.records.append(f"{name},sha256={digest},{len(data)}")

    def close(self, record_name: str) -> None:
        self.records.append(f"{record_name},,")
        self.archive.writestr(
            zipfile.ZipInfo(record_name, date_time=(2020, 1, 1, 0, 0, 0)), "\n".join(self.records) + "\n"
        )
        self.archive.close()


# MARK: PEP 517 hooks


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    library, tier = _build_library()
    version = f"{_version()}+{tier}"  # the tier, as a local version label
    tag = f"py3-none-{_platform_tag()}"
    filename = f"{DISTRIBUTION}-{version}-{tag}.whl"
    dist_info = f"{DISTRIBUTION}-{version}.dist-info"
    wheel = _Wheel(Path(wheel_directory) / filename)
    for source in sorted(PACKAGE.glob("*.py")):
        wheel.add(f"gumbel_softmax/{source.name}", source.read_bytes())
    wheel.add(f"gumbel_softmax/{LIBRARY}", library.read_bytes(), executable=True)
    wheel.add(f"{dist_info}/METADATA", _metadata(version).encode())
    wheel_file = f"Wheel-Version: 1.0\nGenerator: gumbel_softmax_build\nRoot-Is-Purelib: false\nTag: {tag}\n"
    wheel.add(f"{dist_info}/WHEEL", wheel_file.encode())
    wheel.close(f"{dist_info}/RECORD")
    _log(f"wrote {filename} with {library}")
    return filename


def build_sdist(sdist_directory, config_settings=None):
    raise RuntimeError(
        "gumbel-softmax has no source distribution: the wheel is built from the whole repository "
        "(Swift sources included); run `pip install ./python` or `pip wheel ./python` in a checkout"
    )
