"""Issue 4, scale: coverage of Walker 53° constellations (550 km, 30° cone) over Fibonacci grids, on a warm
local Dask cluster with bounded memory (point partitions, statistics reduced where they run).

A ladder of satellites × points × days shows how the time grows; the goal case (1,000 satellites × 100,000
points × 7 days) runs when OVERHEAD_FULL_SCALE=1 (about 10 minutes on 2 cores) and is otherwise extrapolated
from the largest rung. The anchor is overhead's own vectorised (numpy) window search on the same rung with the
compiled loop switched off: it shows what the hand-written kernel buys.
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

import overhead.analysis.access as access
from benchmarks.common import Figure
from overhead.analysis.coverage import coverage, local_cluster
from overhead.geometry.grids import AnalysisGrid
from overhead.geometry.sensors import AccessConstraints, NadirCone
from overhead.orbits.constellations import walker

START = "2024-01-01T00:00:00Z"
LADDER = ((100, 25_000, 0.25), (200, 25_000, 0.25), (200, 50_000, 0.25), (200, 50_000, 0.5), (1000, 100_000, 0.25))
GOAL = (1000, 100_000, 7.0)


def _stop(days: float) -> str:
    return f"{np.datetime64('2024-01-01T00:00:00') + np.timedelta64(round(days * 86_400), 's')}Z"


def _run(n_sat: int, n_points: int, days: float, scheduler: str) -> tuple[float, int]:
    planes = 40 if n_sat % 40 == 0 else 10 if n_sat % 10 == 0 else 1
    design = walker(n_sat, planes, 1 if planes > 1 else 0, inclination_deg=53.0, altitude_km=550.0)
    grid = AnalysisGrid.fibonacci(n_points)
    started = time.perf_counter()
    result = coverage(
        design,
        grid,
        START,
        _stop(days),
        AccessConstraints(sensor=NadirCone(30.0)),
        scheduler=scheduler,
        keep_windows=False,
    )
    return time.perf_counter() - started, int(result.stats.accesses.sum())


class _WorkerMemory:
    """The largest resident memory of any worker, sampled every second while a run goes on."""

    def __init__(self, client):
        import threading

        self.client, self.peak_gb, self._stop = client, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(1.0):
            try:
                rss = self.client.run(lambda: psutil.Process().memory_info().rss)
                self.peak_gb = max(self.peak_gb, max(rss.values()) / 2**30)
            except Exception:  # a sample lost while a worker is busy is only a missed sample
                pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run() -> list[Figure]:
    from distributed import Client

    cluster = local_cluster()
    client = Client(cluster)
    address = cluster.scheduler_address
    figures = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _run(10, 1_000, 0.05, address)  # warm the workers (imports, compiled kernel from its cache)
            rows = []
            for n_sat, n_points, days in LADDER:
                seconds, windows = _run(n_sat, n_points, days, address)
                rows.append((n_sat, n_points, days, seconds, windows))
                print(
                    f"  {n_sat:5d} satellites × {n_points:7,d} points × {days:4.2f} d: {seconds:6.1f} s, "
                    f"{windows:,} windows, {seconds / windows * 1e6:.2f} µs/window"
                )
            kernel, access._window_kernel = access._window_kernel, None
            try:  # the anchor: the first rung in this process through the vectorised search, kernel off
                numpy_s, numpy_windows = _run(100, 25_000, 0.25, "none")
            finally:
                access._window_kernel = kernel
            compiled_s, compiled_windows = _run(100, 25_000, 0.25, "none")
            assert numpy_windows == compiled_windows, (numpy_windows, compiled_windows)
            if os.environ.get("OVERHEAD_FULL_SCALE") == "1":
                with _WorkerMemory(client) as memory:
                    goal_s, goal_windows = _run(*GOAL, address)
                goal_note = f"measured: {goal_windows:,} windows, peak worker memory {memory.peak_gb:.1f} GB"
            else:
                n_sat, n_points, days, seconds, windows = rows[-1]
                goal_s, goal_windows = seconds * GOAL[2] / days, round(windows * GOAL[2] / days)
                goal_note = (
                    f"extrapolated ×{GOAL[2] / days:g} in days from {n_sat}×{n_points:,}×{days} d "
                    f"(OVERHEAD_FULL_SCALE=1 runs it)"
                )
    finally:
        client.close()
        cluster.close()
    per_window = ", ".join(f"{s}×{p // 1000}k×{d}d {t / w * 1e6:.2f}" for s, p, d, t, w in rows)
    figures.append(
        Figure(
            "coverage 1,000 sats × 100,000 points × 7 d (goal < 10 min)",
            "minutes, 2-worker cluster",
            goal_s / 60,
            "goal",
            10.0,
            higher_is_better=False,
            note=f"{goal_note}; µs per window by rung: {per_window}",
        )
    )
    figures.append(
        Figure(
            "coverage 100 sats × 25,000 points × 6 h, one process",
            "s",
            compiled_s,
            "overhead's vectorised numpy search (kernel off)",
            numpy_s,
            higher_is_better=False,
            note=f"{compiled_windows:,} windows, identical counts",
        )
    )
    return figures
