"""SGP4 over satellites × times through python-sgp4's ``SatrecArray`` (Vallado's C++), in chunks.

Per-satellite failures (decay, eccentricity out of range...) become NaN states plus SGP4's error code;
nothing is raised for the whole batch.
"""

from __future__ import annotations

import numpy as np
from sgp4.api import Satrec, SatrecArray

from overhead.orbits.parallel import default_workers, run_over_satellites
from overhead.orbits.states import ERRORS as SGP4_ERRORS
from overhead.orbits.states import StateBuffers, rotation_for
from overhead.orbits.timescales import julian_date_split

__all__ = [
    "SGP4_ERRORS",
    "limit_chunk_states",
    "propagate_minutes_since_epoch",
    "propagate_shared_times",
    "propagate_where",
]

MAX_CHUNK_STATES = 400_000  # ~40 MB of float64 r, v and their rotations per chunk
_chunk_states = MAX_CHUNK_STATES


def limit_chunk_states(n: int | None) -> None:
    """States per SGP4 call (None: the default). python-sgp4 holds the GIL through a call, ~0.3 µs a state: a
    threaded server sets ~50,000 so that no call keeps its other threads waiting more than ~20 ms."""
    global _chunk_states
    _chunk_states = MAX_CHUNK_STATES if n is None else max(1, int(n))


def _chunk_size(n_time: int) -> int:
    return max(1, min(512, _chunk_states // max(n_time, 1)))


def propagate_shared_times(
    satrecs: list[Satrec],
    times: np.ndarray,
    frame: str,
    *,
    workers: int | None = None,
    progress: bool = False,
    earth_model: str = "iers2010",
) -> StateBuffers:
    """States of every satellite at the same UTC ``times`` (1-D ``datetime64[ns]``)."""
    n_sat, n_time = len(satrecs), len(times)
    workers = default_workers(n_sat * n_time) if workers is None else workers
    buffers = StateBuffers.allocate(frame, n_sat, n_time, shared=workers > 1)
    jd, fr = julian_date_split(times)
    rotation = rotation_for(frame, times, model=earth_model)

    def task(start: int, stop: int) -> None:
        array = SatrecArray(satrecs[start:stop])
        step = max(1, _chunk_states // (stop - start))  # one call, unless one satellite has more times than that
        for a in range(0, n_time, step):
            columns = slice(a, min(a + step, n_time)) if step < n_time else slice(None)
            error, r, v = array.sgp4(jd[columns], fr[columns])
            buffers.store(slice(start, stop), r, v, error, rotation, columns)

    run_over_satellites(n_sat, task, chunk_size=_chunk_size(n_time), workers=workers, progress=progress)
    return buffers


def propagate_where(
    satrecs: list[Satrec], times: np.ndarray, needed: np.ndarray, frame: str = "itrf", *, earth_model: str = "iers2010"
) -> StateBuffers:
    """States of each satellite at the UTC ``times`` (1-D) where ``needed`` (satellite, time) is True; NaN with
    error 0 elsewhere. One SGP4 call per satellite on its own times, the frame rotation applied to all at once."""
    n_sat, n_time = len(satrecs), len(times)
    out = StateBuffers.allocate(frame, n_sat, n_time, shared=False)
    for array in (out.position, out.velocity, out.geodetic):
        if array is not None:
            array.fill(np.nan)
    out.error.fill(0)
    sat, column = np.nonzero(needed)
    if not sat.size:
        return out
    jd, fr = julian_date_split(times)
    bounds = np.searchsorted(sat, np.arange(n_sat + 1))
    error, r, v = np.empty(sat.size, np.uint8), np.empty((sat.size, 3)), np.empty((sat.size, 3))
    for i in np.flatnonzero(np.diff(bounds)):
        at = slice(bounds[i], bounds[i + 1])
        error[at], r[at], v[at] = satrecs[i].sgp4_array(jd[column[at]], fr[column[at]])
    rotation = rotation_for(frame, times, model=earth_model)
    pairs = StateBuffers.allocate(frame, 1, sat.size, shared=False)
    pairs.store(
        slice(0, 1),
        r[None],
        v[None],
        error[None],
        None if rotation is None else (rotation[0][column], rotation[1][column]),
    )
    out.error[sat, column] = pairs.error[0]
    if frame == "geodetic":
        out.geodetic[:, sat, column] = pairs.geodetic[:, 0]
    else:
        out.position[sat, column], out.velocity[sat, column] = pairs.position[0], pairs.velocity[0]
    return out


def propagate_minutes_since_epoch(
    satrecs: list[Satrec], minutes: np.ndarray, frame: str, *, earth_model: str = "iers2010"
) -> tuple[StateBuffers, np.ndarray]:
    """States of each satellite at ``minutes`` after its own epoch (the SGP4 ``tsince`` convention).

    Returns the buffers and the UTC times, shape (satellite, time).
    """
    minutes = np.asarray(minutes, dtype=np.float64)
    n_sat, n_time = len(satrecs), minutes.size
    buffers = StateBuffers.allocate(frame, n_sat, n_time, shared=False)
    whole, fraction = np.divmod(minutes / 1440.0, 1.0)
    times = np.empty((n_sat, n_time), dtype="datetime64[ns]")
    for i, sat in enumerate(satrecs):
        error, r, v = sat.sgp4_array(sat.jdsatepoch + whole, sat.jdsatepochF + fraction)
        epoch_ns = round((sat.jdsatepoch - 2440587.5) * 86_400e9) + round(sat.jdsatepochF * 86_400e9)
        times[i] = (np.int64(epoch_ns) + np.round(minutes * 60e9).astype(np.int64)).astype("datetime64[ns]")
        buffers.store(slice(i, i + 1), r[None], v[None], error[None], rotation_for(frame, times[i], model=earth_model))
    return buffers, times
