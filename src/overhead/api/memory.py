"""Keeping the service's memory on a plateau: glibc's allocator told to give large buffers back.

A request's arrays and its rendered answer are large and short-lived. By default glibc raises its mmap threshold
each time such a buffer is freed, so the next ones come from the heap, where they fragment and stay: the
service's RSS climbed with every large answer and never came back. With a fixed threshold large buffers are
mapped and unmapped (returned at once), two arenas serve the threads, and ``malloc_trim`` after a computation
hands back the heap's free tail. Elsewhere than glibc on Linux, these are no-ops.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["release_memory", "tune_allocator"]

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
_LIBC: ctypes.CDLL | None = None
_LIBC_LOOKED = False


def _libc() -> ctypes.CDLL | None:
    """glibc, looked up once; None elsewhere (musl, macOS) or where it has no ``mallopt``."""
    global _LIBC, _LIBC_LOOKED
    if not _LIBC_LOOKED and sys.platform.startswith("linux"):
        _LIBC_LOOKED = True
        try:
            libc = ctypes.CDLL("libc.so.6")
            libc.mallopt  # noqa: B018  (glibc only)
            _LIBC = libc
        except (OSError, AttributeError):
            _LIBC = None
    return _LIBC


def tune_allocator(mmap_threshold_bytes: int = 1 << 20, arenas: int = 2) -> bool:
    """Fix glibc's mmap threshold and cap its arenas; True where it applied."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold_bytes)) and bool(libc.mallopt(M_ARENA_MAX, arenas))


def release_memory() -> None:
    """Return the free memory at the top of glibc's heaps to the system."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
