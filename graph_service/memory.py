"""Keeping an API worker's resident memory close to what it holds.

A worker keeps a few large things for good (the health frame, the newest runs' earners: about
100 MB at a million members) and builds many short-lived ones while reading them and answering
requests. Two allocators would keep the freed memory resident: Arrow's default pool (mimalloc)
holds what hashing a million ids took, and glibc's malloc keeps freed heap pages below its top.
So a worker gives Arrow the system allocator (`use_system_allocator`, before it serves) and
hands freed heap pages back after each big read (`release`). Measured at 1M members with a run:
a warm worker went from 491 MB to about 310 MB resident (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable
from typing import cast

import pyarrow as pa  # type: ignore[import-untyped]

__all__ = ["release", "use_system_allocator"]


def use_system_allocator() -> None:
    """Arrow allocates with malloc from now on (its buffers then go back with `release`)."""
    pa.set_memory_pool(pa.system_memory_pool())


@functools.cache
def _trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim  # glibc only
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return cast("Callable[[int], int]", trim)


def release() -> bool:
    """Return the heap's free pages to the system (glibc's malloc_trim); False where there is
    no such call."""
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True
