"""Screen a catalogue for close approaches: every pair whose range falls under a threshold over a span.

Method (no approach can be missed):

1. SGP4 states of every object at a coarse step (``sample_step_s``, 60 s), in TEME, in time chunks (memory is
   bounded by the chunk, not the span).
2. Positions at a fine step (``grid_step_s``) by cubic Hermite interpolation of the states (error under a metre
   at 60 s for LEO; bounded and added to the margins).
3. At each fine time a spatial hash of all positions with cells of R = threshold + v_max·Δt/2 + margins finds
   the pairs within R (27 neighbouring cells, a compiled kernel): a pair whose range drops under the threshold
   between two fine times is within R of each other at the nearer of the two, because no pair closes faster than
   the sum of the two speeds (v_max). The pair's own relative speed then tightens the test.
4. Each surviving pair's minimum near that time is estimated by linear relative motion; those possibly under the
   threshold are refined by Brent's method on the range rate with SGP4 itself (TCA to well under 1 ms).

Objects whose SGP4 fails at a time (decayed, bad elements) are skipped at that time only. A conjunction is a
minimum of the range inside the span: pairs already closing at its start or still closing at its end, and pairs
that never separate (docked vehicles sharing one element set), have no time of closest approach in it.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np
import pandas as pd
from scipy import optimize
from sgp4.api import SatrecArray

from overhead.analysis.conjunctions.assessment import PLANE_COLUMNS, assumed_covariance_probabilities
from overhead.analysis.conjunctions.cdm import rtn_to_inertial_matrix
from overhead.errors import OverheadError, WorkTooLargeError
from overhead.orbits.states import hermite_states
from overhead.orbits.timescales import julian_date_split, to_datetime64

__all__ = ["SCREEN_COLUMNS", "ScreeningResult", "screen", "screen_distributed"]

SCREEN_COLUMNS = ["norad_id_1", "name_1", "norad_id_2", "name_2", "tca", "min_range_km", "relative_speed_km_s",
                  "radial_km", "in_track_km", "cross_track_km", "max_pc", "assumed_cov_pc"]
MAX_SPAN_DAYS = 31.0
INTERPOLATION_MARGIN_KM = 0.05  # bound of the cubic Hermite error at the sample step, LEO to GEO


@dataclass
class ScreeningResult:
    conjunctions: pd.DataFrame  # SCREEN_COLUMNS (then the encounter plane's PLANE_COLUMNS), sorted by TCA
    objects: int
    candidates_refined: int
    span: tuple[np.datetime64, np.datetime64]
    threshold_km: float


_FORWARD = np.array([(dx, dy, dz) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dz in (-1, 0, 1)
                     if (dx, dy, dz) > (0, 0, 0)], dtype=np.int64)  # 13 half-neighbours: each pair seen once


@numba.njit(cache=True, nogil=True)
def _pairs_within(pos: np.ndarray, vel: np.ndarray, ok: np.ndarray, cell_km: float, primary: np.ndarray,
                  threshold_km: float, half_step_s: float, margin_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j) closer than threshold + |Δv|·half_step + margin at one time.

    Objects are sorted into cubic cells of ``cell_km``; each occupied cell is compared with itself and its 13
    forward neighbours (found by binary search among the occupied cells), so each pair is examined once.
    """
    n = pos.shape[0]
    big = np.int64(1 << 20)
    offset = big >> 1
    invalid = np.iinfo(np.int64).max
    keys = np.empty(n, dtype=np.int64)
    for i in range(n):
        if ok[i]:
            cx = np.int64(math.floor(pos[i, 0] / cell_km)) + offset
            cy = np.int64(math.floor(pos[i, 1] / cell_km)) + offset
            cz = np.int64(math.floor(pos[i, 2] / cell_km)) + offset
            keys[i] = (cx * big + cy) * big + cz
        else:
            keys[i] = invalid
    order = np.argsort(keys)
    sorted_keys = keys[order]
    # occupied cells: their keys and the ranges of ``order`` they hold
    cell_keys = np.empty(n, dtype=np.int64)
    cell_start = np.empty(n + 1, dtype=np.int64)
    n_valid = 0
    while n_valid < n and sorted_keys[n_valid] != invalid:
        n_valid += 1
    m = 0
    for k in range(n_valid):
        if k == 0 or sorted_keys[k] != sorted_keys[k - 1]:
            cell_keys[m] = sorted_keys[k]
            cell_start[m] = k
            m += 1
    cell_start[m] = n_valid
    cell_keys = cell_keys[:m]
    any_primary = primary.any()
    capacity = 4 * n + 16
    out_i = np.empty(capacity, dtype=np.int64)
    out_j = np.empty(capacity, dtype=np.int64)
    count = 0
    for c in range(m):
        key = cell_keys[c]
        cz = key % big
        cy = (key // big) % big
        cx = key // (big * big)
        for f in range(14):
            if f == 0:
                c2 = c
            else:
                k2 = ((cx + _FORWARD[f - 1, 0]) * big + (cy + _FORWARD[f - 1, 1])) * big + (cz + _FORWARD[f - 1, 2])
                c2 = np.searchsorted(cell_keys, k2)
                if c2 >= m or cell_keys[c2] != k2:
                    continue
            for a in range(cell_start[c], cell_start[c + 1]):
                i = order[a]
                b_first = a + 1 if c2 == c else cell_start[c2]
                for b in range(b_first, cell_start[c2 + 1]):
                    j = order[b]
                    if any_primary and not (primary[i] or primary[j]):
                        continue
                    ddx = pos[j, 0] - pos[i, 0]
                    ddy = pos[j, 1] - pos[i, 1]
                    ddz = pos[j, 2] - pos[i, 2]
                    dvx = vel[j, 0] - vel[i, 0]
                    dvy = vel[j, 1] - vel[i, 1]
                    dvz = vel[j, 2] - vel[i, 2]
                    reach = threshold_km + math.sqrt(dvx * dvx + dvy * dvy + dvz * dvz) * half_step_s + margin_km
                    if ddx * ddx + ddy * ddy + ddz * ddz <= reach * reach:
                        if count == capacity:
                            capacity *= 2
                            grown_i = np.empty(capacity, dtype=np.int64)
                            grown_j = np.empty(capacity, dtype=np.int64)
                            grown_i[:count] = out_i[:count]
                            grown_j[:count] = out_j[:count]
                            out_i, out_j = grown_i, grown_j
                        out_i[count] = min(i, j)
                        out_j[count] = max(i, j)
                        count += 1
    return out_i[:count], out_j[:count]


def screen(catalog, start, stop, *, threshold_km: float = 5.0, primaries=None, sample_step_s: float = 60.0,
           grid_step_s: float = 20.0, hbr_m: float = 10.0, chunk_samples: int = 240, workers: int | None = None,
           progress: Callable[[float], None] | None = None) -> ScreeningResult:
    """All close approaches under ``threshold_km`` between ``start`` and ``stop`` (UTC).

    ``primaries``: NORAD ids screened against everything (default: all against all). ``hbr_m``: the hard-body
    radius of the assumed-covariance probabilities (SOCRATES' 100/300/100 m RTN sigmas per object). ``workers``:
    threads for the spatial hash (default: every core; the compiled kernel releases the GIL).
    """
    t0, t1 = to_datetime64(start), to_datetime64(stop)
    span_s = (t1 - t0) / np.timedelta64(1, "s")
    if not span_s > 0:
        raise OverheadError("the screening span is empty: --stop must be after --start")
    if span_s > MAX_SPAN_DAYS * 86400:
        raise WorkTooLargeError(f"a screening span of {span_s / 86400:.1f} days is over the {MAX_SPAN_DAYS:g}-day "
                                "limit: element sets are not good for longer; reduce the span (7 days is usual)")
    if not 0 < threshold_km <= 100:
        raise OverheadError(f"threshold {threshold_km} km must be in (0, 100] km")
    if not 0 < grid_step_s <= sample_step_s:
        raise OverheadError("the grid step must be positive and at most the sample step")
    ids = np.asarray(catalog.norad_ids)
    names = np.asarray(catalog.names)
    n = len(ids)
    primary = np.zeros(n, dtype=np.bool_)
    if primaries is not None:
        wanted = {int(x) for x in primaries}
        primary = np.isin(ids, list(wanted))
        if not primary.any():
            raise OverheadError(f"none of the primaries {sorted(wanted)[:5]} is in the catalogue")
    satrecs = catalog.satrecs
    array = SatrecArray(satrecs)
    n_samples = math.ceil(span_s / sample_step_s) + 1
    sample_offsets = np.minimum(np.arange(n_samples) * sample_step_s, span_s)
    sub = max(1, round(sample_step_s / grid_step_s))
    fractions = np.arange(sub) / sub
    # candidate windows: a pair's consecutive fine times; closed windows are refined after each chunk, so that
    # memory holds one chunk's candidates, not the span's
    open_windows: dict[tuple[int, int], list[int]] = {}
    closed: list[tuple[int, int, int, int]] = []
    rows: list[list] = []
    refined = 0
    fine_times: list[float] = []
    accel_km_s2 = 3 * 398600.4418 * 2000 / 6500**3  # differential gravity bound, R ≤ 2,000 km, r ≥ 6,500 km

    def find(p: np.ndarray, w: np.ndarray, step: float, v_max: float) -> tuple[np.ndarray, np.ndarray]:
        """The pairs that may pass under the threshold within one fine step of this time (releases the GIL)."""
        half = 0.5 * step
        margin = INTERPOLATION_MARGIN_KM + 0.5 * accel_km_s2 * half**2
        ok = np.isfinite(p).all(axis=1)
        i_idx, j_idx = _pairs_within(p, w, ok, threshold_km + 2 * v_max * half + margin, primary, threshold_km,
                                     half, margin)
        if i_idx.size:
            dp = p[j_idx] - p[i_idx]
            dv = w[j_idx] - w[i_idx]
            dv2 = np.maximum(np.einsum("ij,ij->i", dv, dv), 1e-30)
            t_lin = np.clip(-np.einsum("ij,ij->i", dp, dv) / dv2, -step, step)
            miss_lin = np.linalg.norm(dp + t_lin[:, None] * dv, axis=1)
            keep = miss_lin <= threshold_km + INTERPOLATION_MARGIN_KM + 0.5 * accel_km_s2 * step**2
            i_idx, j_idx = i_idx[keep], j_idx[keep]
        return i_idx, j_idx

    step = nominal = sample_step_s / sub
    v_max = 0.0
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for chunk_start in range(0, n_samples - 1, chunk_samples):
            idx = np.arange(chunk_start, min(chunk_start + chunk_samples, n_samples - 1) + 1)
            times = t0 + (sample_offsets[idx] * 1e9).astype("timedelta64[ns]")
            jd, fr = julian_date_split(times)
            err, r, v = array.sgp4(jd, fr)  # (n, t, 3) TEME km, km/s
            r[err != 0] = np.nan
            v[err != 0] = np.nan
            speed = np.linalg.norm(v, axis=2)
            v_max = float(np.nanmax(speed)) if np.isfinite(speed).any() else 0.0
            jobs: list[tuple[np.ndarray, np.ndarray, float, float]] = []
            for a in range(len(idx) - 1):
                h = sample_offsets[idx[a + 1]] - sample_offsets[idx[a]]
                if h <= 0:
                    continue
                step = h / sub
                pos, vel = hermite_states(r[:, a], v[:, a], r[:, a + 1], v[:, a + 1], h, fractions[:, None])
                # the reach covers half of the nominal step on either side: a shorter last interval must not
                # shrink it for the time that also bounds the longer interval before it
                jobs += [(pos[s], vel[s], sample_offsets[idx[a]] + s * step, nominal) for s in range(sub)]
            if idx[-1] == n_samples - 1:  # the span's last time is checked too: it bounds the last interval
                jobs.append((r[:, -1], v[:, -1], span_s, nominal))
            for (_p, _w, when, _step), (i_idx, j_idx) in zip(
                    jobs, pool.map(lambda job, v_max=v_max: find(job[0], job[1], job[3], v_max), jobs), strict=True):
                k = len(fine_times)
                for i, j in zip(i_idx.tolist(), j_idx.tolist(), strict=True):
                    window = open_windows.get((i, j))
                    if window is not None and k <= window[1] + 2:
                        window[1] = k
                    else:
                        if window is not None:
                            closed.append((i, j, window[0], window[1]))
                        open_windows[(i, j)] = [k, k]
                fine_times.append(when)
            last = len(fine_times) - 1
            for key in [key for key, w in open_windows.items() if w[1] < last - 2]:
                w = open_windows.pop(key)
                closed.append((key[0], key[1], w[0], w[1]))
            rows += _refine(catalog, closed, fine_times, t0, hbr_m, threshold_km, ids, names, primary)
            refined += len(closed)
            closed = []
            if progress is not None:
                progress(min(1.0, (chunk_start + chunk_samples) / max(n_samples - 1, 1)))
    closed = [(i, j, w[0], w[1]) for (i, j), w in open_windows.items()]
    rows += _refine(catalog, closed, fine_times, t0, hbr_m, threshold_km, ids, names, primary)
    refined += len(closed)
    table = pd.DataFrame(rows, columns=[*SCREEN_COLUMNS, *PLANE_COLUMNS])
    if len(table):
        table = table.sort_values(["tca", "norad_id_1", "norad_id_2"]).drop_duplicates(
            ["norad_id_1", "norad_id_2", "tca"]).reset_index(drop=True)
    return ScreeningResult(conjunctions=table, objects=n, candidates_refined=refined, span=(t0, t1),
                           threshold_km=threshold_km)


@lru_cache(maxsize=64)
def _julian(t0: np.datetime64) -> tuple[float, float]:
    jd, fr = julian_date_split(np.array([t0]))
    return float(jd[0]), float(fr[0])


def _state(satrec, t0: np.datetime64, offset_s: float) -> tuple[np.ndarray, np.ndarray] | None:
    """SGP4 (TEME km, km/s) ``offset_s`` after t0; the day fraction carries 1e-11 s of rounding."""
    jd, fr = _julian(t0)
    err, r, v = satrec.sgp4(jd, fr + offset_s / 86400.0)
    if err != 0:
        return None
    return np.asarray(r), np.asarray(v)


def _minima(sat_i, sat_j, t0, lo: float, hi: float, fine: list[float]) -> list[float]:
    """Times of the range minima of two objects in [lo, hi] (s from t0): Brent on the range rate (SGP4)."""
    def range_rate(t: float) -> float:
        a, b = _state(sat_i, t0, t), _state(sat_j, t0, t)
        if a is None or b is None:
            return math.nan
        return float((b[0] - a[0]) @ (b[1] - a[1]))

    points = [t for t in fine if lo <= t <= hi] or [lo, hi]
    if points[0] > lo:
        points.insert(0, lo)
    if points[-1] < hi:
        points.append(hi)
    rates = [range_rate(t) for t in points]
    out = []
    for (ta, fa), (tb, fb) in zip(zip(points, rates, strict=True), zip(points[1:], rates[1:], strict=True),
                                  strict=False):
        if math.isfinite(fa) and math.isfinite(fb) and fa < 0 <= fb:
            out.append(optimize.brentq(range_rate, ta, tb, xtol=1e-5, rtol=1e-14, maxiter=100))
    return out


def _refine(catalog, windows, fine_times, t0, hbr_m, threshold_km, ids, names, primary) -> list[list]:
    """Exact minima (SGP4, Brent on the range rate) of each candidate pair near its fine times, with the
    assumed-covariance probabilities computed for all of them at once."""
    satrecs = catalog.satrecs
    rows: list[list] = []
    states: list[np.ndarray] = []
    for i, j, k_first, k_last in sorted(windows):
        lo = fine_times[max(k_first - 1, 0)]
        hi = fine_times[min(k_last + 1, len(fine_times) - 1)]
        window = fine_times[max(k_first - 1, 0):min(k_last + 1, len(fine_times) - 1) + 1]
        for tca in _minima(satrecs[i], satrecs[j], t0, lo, hi, window):
            found = _conjunction_row(satrecs, i, j, t0, tca, threshold_km, ids, names, primary)
            if found is not None:
                rows.append(found[0])
                states.append(found[1])
    if rows:
        s = np.array(states) * 1e3  # (N, 4, 3): r1, v1, r2, v2 in m, m/s
        planes: dict = {}
        pc, max_pc = assumed_covariance_probabilities(s[:, 0], s[:, 1], s[:, 2], s[:, 3], hbr_m, planes=planes)
        for k, (row, p, m) in enumerate(zip(rows, pc, max_pc, strict=True)):
            row[-2], row[-1] = float(m), float(p)
            row += [float(planes[name][k]) for name in PLANE_COLUMNS]
    return rows


def _conjunction_row(satrecs, i, j, t0, tca, threshold_km, ids, names, primary) -> tuple[list, np.ndarray] | None:
    a, b = _state(satrecs[i], t0, tca), _state(satrecs[j], t0, tca)
    if a is None or b is None:
        return None
    d = b[0] - a[0]
    rng = float(np.linalg.norm(d))
    if rng > threshold_km:
        return None
    # the primary (when given) is object 1, and the miss vector is in its RTN frame
    if primary.any() and not primary[i] and primary[j]:
        i, j, a, b, d = j, i, b, a, -d
    rtn = rtn_to_inertial_matrix(a[0], a[1]).T @ d
    dv = b[1] - a[1]
    when = t0 + np.timedelta64(round(tca * 1e9), "ns")
    row = [int(ids[i]), str(names[i]), int(ids[j]), str(names[j]),
           str(np.datetime_as_string(when.astype("datetime64[ms]"), unit="ms")) + "Z",
           rng, float(np.linalg.norm(dv)), float(rtn[0]), float(rtn[1]), float(rtn[2]), math.nan, math.nan]
    return row, np.array([a[0], a[1], b[0], b[1]])


def _screen_part(catalog, start, stop, keep_start, keep_stop, options: dict) -> pd.DataFrame:
    """One time window of a distributed screening, with only the TCAs it owns (``keep_start`` ≤ TCA < ``keep_stop``)."""
    table = screen(catalog, start, stop, **options).conjunctions
    if table.empty:
        return table
    tca = pd.to_datetime(table.tca.str.rstrip("Z")).to_numpy()
    return table[(tca >= keep_start) & (tca < keep_stop)]


def screen_distributed(catalog, start, stop, *, parts: int | None = None, scheduler: str | None = None,
                       **options) -> ScreeningResult:
    """:func:`screen` split into time windows run as tasks (a LocalCluster by default, or ``scheduler``).

    Each window is widened by two grid steps on both sides — a minimum at its edge is then inside it — and keeps
    the TCAs that fall in its own part, so that the union equals one screening of the whole span.
    """
    from overhead.analysis.coverage import SHARED, run_tasks

    t0, t1 = to_datetime64(start), to_datetime64(stop)
    span_s = (t1 - t0) / np.timedelta64(1, "s")
    parts = parts or max(2, min(32, math.ceil(span_s / 86_400)))
    edges = [t0 + np.timedelta64(round(span_s * k / parts * 1e9), "ns") for k in range(parts + 1)]
    pad = np.timedelta64(round(2 * options.get("grid_step_s", 20.0) * 1e9), "ns")
    options = {**options, "workers": 1}  # a task per worker thread: no threads inside the tasks
    calls = [(SHARED, max(t0, a - pad), min(t1, b + pad), a, b if k < parts - 1 else t1 + pad, options)
             for k, (a, b) in enumerate(itertools.pairwise(edges))]
    tables = run_tasks(_screen_part, calls, scheduler=scheduler, shared=catalog, description="screening")
    table = pd.concat([t for t in tables if len(t)], ignore_index=True) if any(len(t) for t in tables) else \
        tables[0]
    if len(table):
        table = table.sort_values(["tca", "norad_id_1", "norad_id_2"]).reset_index(drop=True)
    return ScreeningResult(conjunctions=table, objects=len(catalog), candidates_refined=0, span=(t0, t1),
                           threshold_km=options.get("threshold_km", 5.0))
