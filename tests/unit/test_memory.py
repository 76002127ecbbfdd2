"""graph_service.memory: an API worker hands freed memory back to the system."""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
from collections.abc import Iterator

import pyarrow as pa
import pytest

from graph_service import memory


def _resident_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


@pytest.fixture
def arrow_pool() -> Iterator[None]:
    before = pa.default_memory_pool()
    yield
    pa.set_memory_pool(before)


def test_arrow_allocates_with_malloc_once_asked(arrow_pool: None) -> None:
    memory.use_system_allocator()
    assert pa.default_memory_pool().backend_name == "system"
    assert pa.array(range(10)).sum().as_py() == 45


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc")
def test_freed_heap_pages_below_a_live_block_go_back() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    # 200 MB in blocks below malloc's mmap threshold, touched, then freed but for the last one,
    # which pins the heap's top: free() alone cannot shrink it
    blocks = [libc.malloc(64 * 1024) for _ in range(3200)]
    for b in blocks:
        ctypes.memset(b, 1, 64 * 1024)
    for b in blocks[:-1]:
        libc.free(b)
    held = _resident_mib()
    assert memory.release()
    assert _resident_mib() < held - 150
    libc.free(blocks[-1])
