"""Splitting work over satellites across the machine's cores.

python-sgp4's ``SatrecArray`` holds the GIL, so threads do not help; forked worker processes inherit the
satellites and write into shared-memory outputs, so nothing is pickled but two integers per task.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable

from rich.progress import Progress

from overhead.cancel import check_cancelled

__all__ = ["default_workers", "run_over_satellites"]

_TASK: Callable[[int, int], object] | None = None  # set before forking; inherited by the workers


_MAX_WORKERS: int | None = None


def limit_workers(n: int | None) -> None:
    """Cap the processes any later computation forks (None: no cap). A multithreaded server sets 1: forking
    a process whose other threads may hold locks is unsafe, and its requests run in parallel already."""
    global _MAX_WORKERS
    _MAX_WORKERS = n


def default_workers(n_states: int) -> int:
    """Cores to use: all of them for large jobs, one where process start-up would dominate."""
    n = 1 if n_states < 2_000_000 else max(1, os.cpu_count() or 1)
    return min(n, _MAX_WORKERS) if _MAX_WORKERS else n


def _call(bounds: tuple[int, int]):
    assert _TASK is not None  # set before the pool forks
    return bounds, _TASK(*bounds)


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def run_over_satellites(
    n_sat: int,
    task: Callable[[int, int], object],
    *,
    chunk_size: int,
    workers: int = 1,
    progress: bool = False,
    description: str = "propagating",
) -> list:
    """Run ``task(start, stop)`` over satellite chunks, in ``workers`` forked processes when > 1.

    Returns the tasks' results in chunk order (what a task returns is pickled back from its worker).
    """
    global _TASK
    chunks = _chunks(n_sat, chunk_size)
    results: dict[tuple[int, int], object] = {}
    with Progress(disable=not progress, transient=True) as bar:
        job = bar.add_task(description, total=n_sat)
        if _MAX_WORKERS:
            workers = min(workers, _MAX_WORKERS)
        if workers <= 1 or len(chunks) < 2 or "fork" not in mp.get_all_start_methods():
            for bounds in chunks:
                check_cancelled()  # a service request whose client went away stops here
                results[bounds] = task(*bounds)
                bar.advance(job, bounds[1] - bounds[0])
        else:
            _TASK = task
            try:
                with mp.get_context("fork").Pool(min(workers, len(chunks))) as pool:
                    for bounds, result in pool.imap_unordered(_call, chunks):
                        check_cancelled()  # leaving the block terminates the pool
                        results[bounds] = result
                        bar.advance(job, bounds[1] - bounds[0])
            finally:
                _TASK = None
    return [results[bounds] for bounds in chunks]
