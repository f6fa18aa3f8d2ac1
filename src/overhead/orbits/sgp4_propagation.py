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

__all__ = ["SGP4_ERRORS", "limit_chunk_states", "propagate_minutes_since_epoch", "propagate_shared_times"]

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
