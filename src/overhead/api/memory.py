"""Keeping the service's memory on a plateau: glibc's allocator told to give large buffers back.

A request's arrays and its rendered answer are large and short-lived. By default glibc raises its mmap threshold
each time such a buffer is freed, so the next ones come from the heap, where they fragment and stay: the
service's RSS climbed with every large answer and never came back. With a fixed threshold large buffers are
mapped and unmapped (returned at once), two arenas serve the threads, and ``malloc_trim`` after a computation
hands back the heap's free pages. Elsewhere than glibc on Linux, these are no-ops.

The threshold is 64 MiB, not glibc's 128 KiB start: a request's working arrays (a watch list's states for a day,
a few MiB each) are reused from the heap request after request instead of being mapped, faulted in page by page
and unmapped each time (that cost a service answering passes 30 % of its requests/s). For the same reason a
service returns the heap's free pages at most every ``TRIM_INTERVAL_S`` between requests; a job, after each.
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time

__all__ = ["MMAP_THRESHOLD_BYTES", "TRIM_INTERVAL_S", "release_memory", "tune_allocator"]

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 64 << 20
TRIM_INTERVAL_S = 2.0
_trimmed = {"at": 0.0}
_trim_lock = threading.Lock()
_later: list[threading.Timer | None] = [None]
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


def tune_allocator(mmap_threshold_bytes: int = MMAP_THRESHOLD_BYTES, arenas: int = 2) -> bool:
    """Fix glibc's mmap threshold and cap its arenas; True where it applied."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold_bytes)) and bool(libc.mallopt(M_ARENA_MAX, arenas))


def release_memory(*, at_most_every_s: float = 0.0) -> None:
    """Return the free memory of glibc's heaps to the system; with ``at_most_every_s``, only if the last return
    was longer ago than that (a busy service would fault the pages it gave back in again at once)."""
    libc = _libc()
    if libc is None:
        return
    with _trim_lock:
        now = time.monotonic()
        wait_s = _trimmed["at"] + at_most_every_s - now
        if wait_s > 0:
            if _later[0] is None:  # the memory of the last requests goes back once they stop coming
                timer = threading.Timer(wait_s, _release_later)
                timer.daemon = True
                timer.start()
                _later[0] = timer
            return
        _trimmed["at"] = now
    libc.malloc_trim(0)
    with _trim_lock:  # the interval counts from the trim's end (a slow or descheduled trim ran later than `now`)
        _trimmed["at"] = max(_trimmed["at"], time.monotonic())


def _release_later() -> None:
    with _trim_lock:
        _later[0] = None
    release_memory()
