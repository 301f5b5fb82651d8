"""The package version, and the version, contract and tier of the loaded library.

Importing this module (``gumbel_softmax`` does) loads the library when it can be found, and raises
``ImportError`` if it was built for an instruction set tier this CPU lacks; a library that cannot
be found yet is looked for again at the first call.
"""

from __future__ import annotations

from typing import NamedTuple

from . import _library

#: The package version: ``GS_VERSION`` of include/gumbel_softmax.h, which the library's
#: ``gs_version()`` returns (python/tests/test_version.py checks it). Written here as well because
#: the wheel's build backend reads it before any library exists.
__version__ = "0.2.0"


class VersionInfo(NamedTuple):
    """What :func:`version_info` reports."""

    #: The library version (``gs_version()``), e.g. ``"0.2.0"``.
    version: str
    #: The version of the sampling contract (SPEC.md) the library follows (``gs_contract_version()``).
    contract: str
    #: The instruction set tier the library was built for: ``"baseline"``, ``"avx2"`` or ``"avx512"``.
    tier: str
    #: Whether this CPU runs that tier (always true once the package imported).
    cpu_supported: bool
    #: The path of the loaded ``libgumbelsoftmax.so``.
    library: str


def version_info() -> VersionInfo:
    """The loaded library's version, contract version, tier, CPU support and path."""
    library = _library.load()
    return VersionInfo(
        version=library.gs_version().decode(),
        contract=library.gs_contract_version().decode(),
        tier=library.gs_build_tier().decode(),
        cpu_supported=bool(library.gs_cpu_supported()),
        library=library._name,
    )


_library.load_at_import()
