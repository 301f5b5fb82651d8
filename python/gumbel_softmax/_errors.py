"""The library's refusals in Python: ``gs_status`` as :class:`Status`, and :class:`GumbelSoftmaxError`.

Not API: ``gumbel_softmax`` exports both classes.
"""

from __future__ import annotations

import enum

from . import _library


class Status(enum.IntEnum):
    """``gs_status`` of include/gumbel_softmax.h: each member is the constant without its ``GS_``
    (python/tests/test_prototypes.py checks them against the library's ``gs_status_name``)."""

    __module__ = "gumbel_softmax"

    OK = 0
    INVALID_TEMPERATURE = 1
    NAN_LOGIT = 2
    INFINITE_LOGIT = 3
    ALL_MASKED_ROW = 4
    NO_CATEGORIES = 5
    INVALID_SHAPE = 6
    SIZE_MISMATCH = 7
    INVALID_TOP_K = 8
    INVALID_THREAD_COUNT = 9
    NULL_POINTER = 10
    INVALID_ARGUMENT = 11
    INSUFFICIENT_CATEGORIES = 12
    INVALID_POINT = 13
    UNSUPPORTED_CPU = 14
    OUT_OF_MEMORY = 15


class GumbelSoftmaxError(ValueError):
    """An input the library refused: ``str(error)`` is its message, ``status`` its code.

    Survives ``pickle`` and ``copy`` with its status and message (subclasses too, when their
    ``__init__`` takes ``(status, message)``), so a refusal inside a ``multiprocessing.Pool`` or
    ``ProcessPoolExecutor`` worker reaches the caller intact.
    """

    __module__ = "gumbel_softmax"

    def __init__(self, status: int, message: str):
        super().__init__(message)
        try:
            self.status = Status(status)
        except ValueError:
            self.status = status
        self.message = message

    def __reduce__(self):
        return (type(self), (int(self.status), self.message), self.__dict__)


def check(status: int) -> None:
    """Raises :class:`GumbelSoftmaxError` with the calling thread's last error message unless
    ``status`` is ``GS_OK``."""
    if status != 0:
        message = _library.function("gs_last_error_message")().decode("utf-8", "replace")
        raise GumbelSoftmaxError(status, message)


def temperature_error(message: str) -> GumbelSoftmaxError:
    return GumbelSoftmaxError(Status.INVALID_TEMPERATURE, message)
