"""The one thing the package can do about OpenBLAS under an address-space limit: say so.

Not API. OpenBLAS (the pthread build) starts one thread per core when it loads, each mapping a
128 MiB buffer and retrying forever when ``RLIMIT_AS`` refuses it; its exit handler then waits for
those threads and the process never ends. The library never uses them and never changes a host's
OpenBLAS settings (docs/embedding.md, "Memory limits and OpenBLAS"), so before the library loads
this warns when the limit leaves less room than those buffers need and nothing keeps OpenBLAS to
one thread.
"""

from __future__ import annotations

import os
import resource
import warnings

OPENBLAS_BUFFER = 128 << 20
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")


def _openblas_threads() -> int:
    """The thread count OpenBLAS picks when it loads: its variables in its order, else the CPUs
    this process may run on."""
    for name in _THREAD_VARIABLES:
        try:
            value = int(os.environ.get(name, ""))
        except ValueError:
            continue
        if value > 0:
            return value
    return len(os.sched_getaffinity(0))


def _address_space_in_use() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def warn_if_openblas_may_hang() -> None:
    limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    if limit == resource.RLIM_INFINITY:
        return
    threads = _openblas_threads()
    if threads <= 1:
        return
    try:
        headroom = limit - _address_space_in_use()
    except OSError:
        return
    if headroom < threads * OPENBLAS_BUFFER:
        warnings.warn(
            f"gumbel_softmax: the address-space limit (RLIMIT_AS, ulimit -v) leaves {headroom >> 20} MiB, less "
            f"than the {threads} x 128 MiB buffers of OpenBLAS's {threads} threads: OpenBLAS retries them forever "
            "and the process may hang at exit. Set OPENBLAS_NUM_THREADS=1 before starting the process, or raise "
            "the limit (docs/embedding.md, 'Memory limits and OpenBLAS').",
            ResourceWarning,
            stacklevel=3,
        )
