"""Coverage and revisit of a grid by a set of satellites, partitioned over satellites and time on Dask.

Windows of different satellites are independent, and windows of one satellite in consecutive time chunks
join where one is cut at the chunk's end and the next starts there; so every (satellite chunk, time chunk)
is one task. Tasks run in this process by default (``scheduler=None`` or ``"none"``: a plain script starts no
worker processes), on a ``LocalCluster`` on this machine's cores (``"local"``; :func:`suggested_scheduler` says
when it pays off, and the command line follows it), or on an existing cluster given its scheduler address. The
results are the same. With ``keep_windows=False`` the tasks are partitions of the points instead, each reduced to
its statistics where it runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from rich.progress import Progress

from overhead.analysis.access import WindowIntervals, access_intervals
from overhead.analysis.revisit import EDGE_CONVENTION, FIGURE_DEFINITIONS, FIGURES_OF_MERIT, revisit_stats, summarise
from overhead.errors import OverheadError
from overhead.geometry.grids import AnalysisGrid
from overhead.geometry.sensors import AccessConstraints
from overhead.labelled import dataset
from overhead.orbits.catalog import element_age_said
from overhead.orbits.timescales import format_iso, to_datetime64

__all__ = [
    "SHARED",
    "CoverageEstimate",
    "CoverageResult",
    "coverage",
    "coverage_estimate",
    "local_cluster",
    "run_tasks",
    "suggested_scheduler",
]


@dataclass
class CoverageResult:
    """Per-point figures of merit (``stats``, dims point), their area-weighted summary, and the windows."""

    stats: xr.Dataset
    summary: xr.Dataset
    windows: pd.DataFrame

    def text(self) -> str:
        """A short human summary."""
        s = self.summary
        hours = 3600.0
        return "\n".join(
            [
                f"{self.stats.sizes['point']:,} points ({self.stats.attrs['grid']}), "
                f"{self.stats.attrs['start']} to {self.stats.attrs['stop']}, "
                f"{self.stats.attrs['satellites']} satellites, {len(self.windows):,} access windows",
                f"points observed: {float(s.global_percent_points_observed):.1f} % of the area",
                f"time covered: {float(s.global_percent_covered):.2f} % (area-weighted mean)",
                f"mean revisit: {float(s.global_mean_revisit_s) / hours:.2f} h; max revisit "
                f"{float(s.global_max_revisit_s) / hours:.2f} h; "
                f"95th percentile {float(s.global_p95_revisit_s) / hours:.2f} h (gaps between accesses)",
                f"max gap over the whole interval (edges included): {float(s.global_max_gap_s) / hours:.2f} h "
                "(area-weighted mean)",
                f"mean response time: {float(s.global_mean_response_s) / hours:.2f} h; time to first access "
                f"{float(s.global_first_access_s) / hours:.2f} h",
            ]
        )


def _intervals(satellites, targets, start, stop, constraints) -> WindowIntervals:
    """The windows of every constraint set (several sensors: a point counts as seen while any holds)."""
    sets = constraints if isinstance(constraints, list | tuple) else [constraints]
    with element_age_said():  # said once by the caller
        return WindowIntervals.concatenate(
            [access_intervals(satellites, targets, start, stop, c, workers=1) for c in sets]
        )


def _task(satellites, targets, start, stop, constraints) -> pd.DataFrame:
    """One partition: windows as compact columns (target index, satellite id, UTC times, cut flags)."""
    w = _intervals(satellites, targets, start, stop, constraints)
    t0 = to_datetime64(start)
    return pd.DataFrame(
        {
            "point": w.target,
            "norad_id": np.asarray(satellites.norad_ids)[w.satellite],
            "start": t0 + np.round(w.start_s * 1e9).astype("timedelta64[ns]"),
            "end": t0 + np.round(w.end_s * 1e9).astype("timedelta64[ns]"),
            "cut_start": w.start_cut,
            "cut_end": w.end_cut,
        }
    )


def _stats_task(satellites, targets, start, stop, constraints) -> dict[str, np.ndarray]:
    """One partition of points with every satellite: its figures of merit, the windows dropped (bounded memory)."""
    w = _intervals(satellites, targets, start, stop, constraints)
    duration_s = (to_datetime64(stop) - to_datetime64(start)) / np.timedelta64(1, "s")
    return revisit_stats(w.target.astype(np.int64), w.start_s, w.end_s, len(targets), duration_s)


def _join_time_chunks(w: pd.DataFrame, edges: set) -> pd.DataFrame:
    """Join windows of one satellite and point that a time-chunk edge split in two."""
    if w.empty:
        return w
    w = w.sort_values(["norad_id", "point", "start"], ignore_index=True)
    continues = (w.cut_start & w.start.isin(edges)).to_numpy()
    previous_cut = np.r_[False, (w.cut_end & w.end.isin(edges)).to_numpy()[:-1]]
    same = np.r_[
        False,
        (w.norad_id.to_numpy()[1:] == w.norad_id.to_numpy()[:-1]) & (w.point.to_numpy()[1:] == w.point.to_numpy()[:-1]),
    ]
    joins = continues & previous_cut & same & np.r_[False, w.start.to_numpy()[1:] == w.end.to_numpy()[:-1]]
    first = np.nonzero(~joins)[0]  # each merged window: its first piece to the piece before the next first
    last = np.r_[first[1:] - 1, len(w) - 1]
    return pd.DataFrame(
        {
            "point": w.point.to_numpy()[first],
            "norad_id": w.norad_id.to_numpy()[first],
            "start": w.start.to_numpy()[first],
            "end": w.end.to_numpy()[last],
            "cut_start": w.cut_start.to_numpy()[first],
            "cut_end": w.cut_end.to_numpy()[last],
        }
    )


def _partitions(n_sat: int, t0, t1, satellites_per_task: int, time_chunk_days: float | None):
    sat_bounds = [(a, min(a + satellites_per_task, n_sat)) for a in range(0, n_sat, satellites_per_task)]
    if time_chunk_days:
        step = np.timedelta64(round(time_chunk_days * 86_400e9), "ns")
        edges = [*list(np.arange(t0, t1, step)), t1]
    else:
        edges = [t0, t1]
    return [(a, b, edges[k], edges[k + 1]) for a, b in sat_bounds for k in range(len(edges) - 1)], edges[1:-1]


def _client(scheduler: str | None):
    """A Dask client: a new LocalCluster (default), an existing scheduler, or None to run in this process."""
    if scheduler in ("none", "serial"):
        return None, None
    from distributed import Client

    if scheduler in (None, "local"):
        cluster = local_cluster()
        return Client(cluster), cluster
    return Client(scheduler), None


SHARED = object()  # stands, in a task's arguments, for the object run_tasks broadcasts to every worker


def run_tasks(
    function,
    calls: list[tuple],
    *,
    scheduler: str | None,
    shared=None,
    progress=False,
    description: str = "coverage",
    on_result=None,
) -> list:
    """``function(*args)`` for every argument tuple of ``calls``, in this process (``scheduler="none"``) or on
    Dask (a new LocalCluster for None/"local", else the scheduler at that address). ``shared`` is sent to
    every worker once and replaces :data:`SHARED` in the arguments; ``on_result(index, result)`` is called as
    each finishes. ``progress``: True for a progress bar, or a callable ``progress(done, total)``.
    Returns the results in the order of ``calls``."""
    results: list = [None] * len(calls)
    done = 0

    def finished(index: int) -> None:
        nonlocal done
        done += 1
        if on_result:
            on_result(index, results[index])
        if callable(progress):
            progress(done, len(calls))

    client, cluster = _client(scheduler)
    pool = None
    try:
        with Progress(disable=progress is not True, transient=True) as bar:
            job = bar.add_task(description, total=len(calls))
            if client is None:  # threads in this process: the compiled kernels release the GIL
                from concurrent.futures import ThreadPoolExecutor
                from concurrent.futures import as_completed as completed

                pool = ThreadPoolExecutor(max_workers=min(len(calls), os.cpu_count() or 1) or 1)
                futures = {
                    pool.submit(function, *(shared if a is SHARED else a for a in args)): index
                    for index, args in enumerate(calls)
                }
            else:
                from distributed import as_completed as completed  # type: ignore[assignment]

                remote = client.scatter(shared, broadcast=True) if shared is not None else None
                futures = {
                    client.submit(function, *(remote if a is SHARED else a for a in args), pure=False): index
                    for index, args in enumerate(calls)
                }
            for future in completed(futures):
                index = futures[future]
                results[index] = future.result()
                finished(index)
                bar.advance(job)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return results


def local_cluster(n_workers: int | None = None):
    """A Dask ``LocalCluster`` of single-threaded worker processes, one per core, tuned for this work.

    Dask sets MALLOC_TRIM_THRESHOLD_ in its workers, which turns off glibc's adaptive mmap threshold: every
    large numpy temporary is then mapped and unmapped, and the window search runs ~3x slower. A fixed mmap
    threshold of 64 MiB keeps the heap's reuse.
    """
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": 2**26}):
        return LocalCluster(
            n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None
        )


CLUSTER_WORTH_EVALUATIONS = 2e10  # satellites × 30 s samples × points above which worker processes pay off
SEARCH_STEP_S = 30.0  # the access search samples each orbit about every 30 s in LEO: the unit of work
# measured on the bundled resource group (167 satellites, a day, the global H3 resolution-2 grid, a 0° mask):
# 2.8e9 evaluations in 17-20 s on 2 cores, 6.1 M windows of 106 bytes each
EVALUATIONS_PER_CORE_S = 7e7
WINDOWS_PER_EVALUATION = 2.2e-3
WINDOW_BYTES = 110


@dataclass(frozen=True)
class CoverageEstimate:
    """What a coverage run will cost, known before it starts: evaluations (satellites × 30 s samples × points),
    about how long on this machine's cores, and about how much memory its windows take (an upper estimate: a
    0° mask over a global grid; narrower sensors find fewer)."""

    evaluations: float
    seconds: float
    windows_bytes: float


def coverage_estimate(n_satellites: int, span_s: float, n_points: int) -> CoverageEstimate:
    evaluations = float(n_satellites) * (float(span_s) / SEARCH_STEP_S) * float(n_points)
    return CoverageEstimate(
        evaluations,
        evaluations / (EVALUATIONS_PER_CORE_S * (os.cpu_count() or 1)),
        evaluations * WINDOWS_PER_EVALUATION * WINDOW_BYTES,
    )


def suggested_scheduler(n_satellites: int, span_s: float, n_points: int) -> str:
    """``"local"`` (a LocalCluster) when the work is large enough for worker processes to pay off their start-up
    (measured: the TAT-C scenario, 6.9e8 evaluations, takes 0.4 s in-process and ~6 s with a new cluster), else
    ``"none"`` (in this process)."""
    work = coverage_estimate(n_satellites, span_s, n_points).evaluations
    return "local" if work > CLUSTER_WORTH_EVALUATIONS and (os.cpu_count() or 1) > 1 else "none"


def coverage(
    satellites,
    grid: AnalysisGrid,
    start,
    stop,
    constraints: AccessConstraints | list[AccessConstraints] | None = None,
    *,
    scheduler: str | None = None,
    satellites_per_task: int | None = None,
    time_chunk_days: float | None = None,
    keep_windows: bool = True,
    points_per_task: int = 5_000,
    progress=False,
) -> CoverageResult:
    """Coverage and revisit statistics of ``grid`` by ``satellites`` (a Catalog or DesignedOrbits).

    ``constraints`` may list several sets (several sensors on every satellite): a point is covered while any
    holds; ``accesses`` then counts the windows of every sensor.

    ``scheduler``: None or ``"none"`` runs in this process (the library starts no worker processes unless asked:
    a plain script needs no ``if __name__ == "__main__"`` guard); ``"local"`` starts a LocalCluster on the local
    cores; ``"tcp://host:8786"`` uses an existing cluster. :func:`suggested_scheduler` says which pays off for a
    given size (the command line follows it). Returns per-point statistics (see
    :mod:`overhead.analysis.revisit` for the edge convention), their summary, and the windows.

    ``progress``: True for a progress bar, or a callable ``progress(done_tasks, total_tasks)``.

    ``keep_windows=False`` partitions over points instead (``points_per_task`` each, every satellite in every
    task), reduces each partition to its statistics where it runs and returns no windows: memory stays
    bounded however many windows there are.
    """
    constraints = constraints or AccessConstraints()
    scheduler = scheduler or "none"
    t0, t1 = to_datetime64(start), to_datetime64(stop)
    if len(satellites) == 0:
        raise OverheadError("no satellites to analyse")
    if t1 <= t0:
        raise OverheadError("the analysis stop must be after its start")
    targets = grid.to_targets()
    if not keep_windows:
        return _by_points(satellites, grid, t0, t1, constraints, scheduler, points_per_task, progress)
    per_task = satellites_per_task or max(1, min(64, -(-len(satellites) // (4 * (os.cpu_count() or 1)))))
    partitions, inner_edges = _partitions(len(satellites), t0, t1, per_task, time_chunk_days)
    parts = run_tasks(
        _task,
        [(satellites[a:b], SHARED, s, e, constraints) for a, b, s, e in partitions],
        scheduler=scheduler,
        shared=targets,
        progress=progress,
    )
    windows = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["point", "norad_id", "start", "end", "cut_start", "cut_end"])
    )
    windows = _join_time_chunks(windows, set(inner_edges))
    windows = windows.sort_values(["point", "start", "norad_id"], ignore_index=True)
    return _result(windows, grid, t0, t1, len(satellites))


def _by_points(
    satellites, grid: AnalysisGrid, t0, t1, constraints, scheduler, points_per_task: int, progress
) -> CoverageResult:
    targets = grid.to_targets()
    bounds = [(a, min(a + points_per_task, len(grid))) for a in range(0, len(grid), points_per_task)]
    results = run_tasks(
        _stats_task,
        [(SHARED, targets.subset(np.arange(a, b)), t0, t1, constraints) for a, b in bounds],
        scheduler=scheduler,
        shared=satellites,
        progress=progress,
    )
    parts = dict(zip(bounds, results, strict=True))
    values = {name: np.concatenate([parts[b][name] for b in bounds]) for name in FIGURES_OF_MERIT}
    empty = pd.DataFrame(columns=["point", "norad_id", "start", "end", "cut_start", "cut_end", "id"])
    return _package(values, empty, grid, t0, t1, len(satellites))


def _result(windows: pd.DataFrame, grid: AnalysisGrid, t0, t1, n_satellites: int) -> CoverageResult:
    duration_s = (t1 - t0) / np.timedelta64(1, "s")
    seconds = {k: (windows[k].to_numpy(dtype="datetime64[ns]") - t0) / np.timedelta64(1, "s") for k in ("start", "end")}
    values = revisit_stats(
        windows.point.to_numpy(dtype=np.int64), seconds["start"], seconds["end"], len(grid), duration_s
    )
    # object strings: the first conversion to pandas' Arrow strings costs a cold command 0.1 s (pyarrow's set-up)
    ids = grid.ids.astype(object)[windows.point.to_numpy(dtype=np.int64)] if len(windows) else []
    out = windows.assign(id=pd.Series(ids, index=windows.index, dtype=object))
    return _package(values, out, grid, t0, t1, n_satellites)


def _package(values: dict, windows: pd.DataFrame, grid: AnalysisGrid, t0, t1, n_satellites: int) -> CoverageResult:
    units = {"accesses": "1", "percent_covered": "%"}
    stats = dataset(
        {
            name: ("point", values[name], {"units": units.get(name, "s"), "long_name": FIGURE_DEFINITIONS[name]})
            for name in FIGURES_OF_MERIT
        }
        | {"observed": ("point", values["accesses"] > 0, {"long_name": "seen at least once (False: never observed)"})},
        coords={
            "point": np.arange(len(grid)),
            "id": ("point", grid.ids.astype(str)),
            "lat_deg": ("point", grid.lat_deg),
            "lon_deg": ("point", grid.lon_deg),
            "area_km2": ("point", grid.area_km2),
        },
        attrs={
            "grid": grid.kind + (f", H3 resolution {grid.resolution}" if grid.resolution is not None else ""),
            "start": str(format_iso(t0, digits=0)),
            "stop": str(format_iso(t1, digits=0)),
            "satellites": n_satellites,
            "edge_convention": EDGE_CONVENTION,
        },
    )
    return CoverageResult(stats, summarise(stats), windows)
