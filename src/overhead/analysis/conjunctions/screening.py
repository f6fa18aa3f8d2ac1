"""Screen a catalogue for close approaches: every pair whose range falls under a threshold over a span.

Method (no approach can be missed):

1. SGP4 states of every object at a coarse step, in TEME, in time chunks (memory is bounded by the chunk, not
   the span): 60 s (``sample_step_s``), or 120 or 180 s for the objects whose cubic Hermite interpolation error
   stays under the margin at that step (most of LEO; see :func:`sample_steps_s`).
2. Positions at a fine step (``grid_step_s``, 20 s) by cubic Hermite interpolation of the states (the bounded
   error is added to the margins).
3. At each fine time the positions sorted into cubic cells of R = threshold + v_max·Δt/2 + margins give the
   pairs within R (each cell against itself and its 13 forward neighbours, a compiled kernel): a pair whose range
   drops under the threshold between two fine times is within R of each other at the nearer of the two, because
   no pair closes faster than the sum of the two speeds (v_max). The pair's own relative speed then tightens the
   test, and its linear relative motion's miss within a fine step must be under the threshold plus the margins.
4. Each surviving pair's minima near those times are refined by Brent's method on the range rate with SGP4 itself
   (TCA to well under 1 ms).

Objects whose SGP4 fails at a time (decayed, bad elements) are skipped at that time only. A conjunction is a
minimum of the range inside the span: pairs already closing at its start or still closing at its end, and pairs
that never separate (docked vehicles sharing one element set), have no time of closest approach in it.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize
from sgp4.api import SatrecArray

from overhead.analysis.conjunctions._screen_kernel import search_batch
from overhead.analysis.conjunctions.assessment import (
    PLANE_COLUMNS,
    SOCRATES_SIGMA_RTN_M,
    assumed_covariance_probabilities,
)
from overhead.analysis.conjunctions.cdm import CdmObject, ConjunctionMessage, rtn_to_inertial_matrix
from overhead.analysis.conjunctions.nc3d import orbit_period_s
from overhead.constants import EARTH_MU_KM3_S2, EARTH_RADIUS_KM
from overhead.errors import OverheadError, WorkTooLargeError
from overhead.orbits.timescales import julian_date_split, to_datetime64

__all__ = [
    "CO_MOVING_COLUMNS",
    "SCREEN_COLUMNS",
    "ScreeningResult",
    "screen",
    "screen_distributed",
    "screening_messages",
    "split_co_moving",
]

SCREEN_COLUMNS = [
    "norad_id_1",
    "name_1",
    "norad_id_2",
    "name_2",
    "tca",
    "min_range_km",
    "relative_speed_km_s",
    "radial_km",
    "in_track_km",
    "cross_track_km",
    "max_pc",
    "assumed_cov_pc",
]
MAX_SPAN_DAYS = 31.0
_BLOCK = 2048  # objects per SGP4 call (about 60 ms for a 4-hour chunk)
_BATCH = 36  # fine times per task of the search threads (12 min at 20 s)
_NO_GROUP = (np.empty((2, 0, 3)), np.empty((2, 0, 3)), np.empty(2))  # pads the kernel's groups to three
INTERPOLATION_MARGIN_KM = 0.1  # bound of the cubic Hermite error at each object's sample step (sample_steps_s)
CO_MOVING_COLUMNS = [
    "norad_id_1",
    "name_1",
    "norad_id_2",
    "name_2",
    "kind",
    "start",
    "stop",
    "min_range_km",
    "median_range_km",
    "max_range_km",
    "max_relative_speed_km_s",
    "conjunctions_folded",
]
CO_MOVING_HOURS = 3.0  # together at least this long (two LEO orbits) ...
CO_MOVING_FACTOR = 3.0  # ... within this many times the threshold: docked, formation, co-located
CO_MOVING_SPEED_KM_S = 0.1  # pairs with a minimum slower than this are examined (crossings are km/s)
CO_MOVING_STEP_S = 60.0
MAX_CO_MOVING_CANDIDATES = 5000


@dataclass
class ScreeningResult:
    conjunctions: pd.DataFrame  # SCREEN_COLUMNS (then the encounter plane's PLANE_COLUMNS), sorted by TCA
    objects: int
    candidates_refined: int
    span: tuple[np.datetime64, np.datetime64]
    threshold_km: float
    co_moving: pd.DataFrame | None = None  # CO_MOVING_COLUMNS: pairs that stay together, not conjunctions


def _empty(columns: list[str]) -> pd.DataFrame:
    """A table of no rows with these columns, its times (``tca``, ``start``, ``stop``) typed as when it has rows."""
    return pd.DataFrame(
        {c: pd.Series(dtype="datetime64[ns]" if c in ("tca", "start", "stop") else object) for c in columns}
    )


@dataclass
class _SampleGroup:
    """Objects sampled with one SGP4 step: their indices in the catalogue and their SGP4 arrays (blocks of
    objects: python-sgp4 holds the GIL through a call, and the search threads need it between batches)."""

    index: np.ndarray
    arrays: list[SatrecArray]
    offsets: np.ndarray  # s from the start, the last one the span's end

    def sample(self, first: int, last: int, t0: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
        """TEME positions and velocities (objects, samples first..last, 3), NaN where SGP4 fails."""
        times = t0 + (self.offsets[first : last + 1] * 1e9).astype("timedelta64[ns]")
        jd, fr = julian_date_split(times)
        r = np.empty((len(self.index), times.size, 3))
        v = np.empty_like(r)
        row = 0
        for array in self.arrays:
            err, r_block, v_block = array.sgp4(jd, fr)
            rows = slice(row, row + len(r_block))
            r[rows], v[rows] = r_block, v_block
            r[rows][err != 0] = np.nan
            v[rows][err != 0] = np.nan
            row += len(r_block)
        return r, v


def sample_steps_s(
    catalog, base_step_s: float, *, margin_km: float = INTERPOLATION_MARGIN_KM, factors: tuple[int, ...] = (3, 2, 1)
) -> np.ndarray:
    """The SGP4 sample step of each object (s): the longest multiple of ``base_step_s`` whose cubic Hermite
    error, h⁴/384 · |d⁴r/dt⁴| with the fourth derivative of a Keplerian orbit at perigee ((v_p / r_p)⁴ · r_p),
    is a third of ``margin_km`` or less. Deep-space objects (period ≥ 225 min) keep the base step: SGP4's
    velocities there leave out the lunar-solar terms' rates, an error that grows with the step rather than its
    fourth power."""
    sats = catalog.satrecs
    a_km = np.array([s.a for s in sats]) * EARTH_RADIUS_KM
    e = np.clip(np.array([s.ecco for s in sats]), 0.0, 0.999)
    deep = np.array([_deep_space(s) for s in sats])
    with np.errstate(invalid="ignore", divide="ignore"):
        r_p = np.maximum(a_km * (1 - e), 6000.0)
        v_p = np.sqrt(EARTH_MU_KM3_S2 * (1 + e) / r_p)
        fourth = (v_p / r_p) ** 4 * r_p
    steps = np.full(len(sats), base_step_s)
    for factor in sorted(factors):
        h = factor * base_step_s
        fits = 3 * h**4 / 384 * fourth <= margin_km
        steps = np.where(fits & ~deep, h, steps)  # (an orbit without a finite perigee never fits)
    return steps


def _groups(catalog, span_s: float, base_step_s: float) -> list[_SampleGroup]:
    steps = sample_steps_s(catalog, base_step_s)
    satrecs = catalog.satrecs
    groups = []
    for h in np.unique(steps):
        index = np.nonzero(steps == h)[0]
        n_samples = math.ceil(span_s / h) + 1
        blocks = [SatrecArray([satrecs[i] for i in index[a : a + _BLOCK]]) for a in range(0, len(index), _BLOCK)]
        groups.append(_SampleGroup(index, blocks, np.minimum(np.arange(n_samples) * h, span_s)))
    return groups


def screen(
    catalog,
    start,
    stop,
    *,
    threshold_km: float = 5.0,
    primaries=None,
    sample_step_s: float = 60.0,
    grid_step_s: float = 20.0,
    hbr_m: float = 10.0,
    chunk_s: float = 3600.0,
    workers: int | None = None,
    progress: Callable[[float], None] | None = None,
    split_pairs: bool = True,
) -> ScreeningResult:
    """All close approaches under ``threshold_km`` between ``start`` and ``stop`` (UTC).

    ``primaries``: NORAD ids screened against everything (default: all against all). ``sample_step_s``: the
    finest SGP4 step (objects whose interpolation allows it are sampled at 2 or 3 times that, see
    :func:`sample_steps_s`). ``grid_step_s``: the fine times of the pair search. ``hbr_m``: the hard-body radius
    of the assumed-covariance probabilities (SOCRATES' 100/300/100 m RTN sigmas per object). ``chunk_s``: the
    span held in memory at once. ``workers``: threads for the pair search (default: every core; the compiled
    search runs without the GIL). ``split_pairs``: pairs that stay together are set apart (:func:`split_co_moving`)
    rather than listed as conjunctions.
    """
    t0, t1 = to_datetime64(start), to_datetime64(stop)
    span_s = (t1 - t0) / np.timedelta64(1, "s")
    _check_screening(span_s, threshold_km, sample_step_s, grid_step_s)
    ids = np.asarray(catalog.norad_ids)
    names = np.asarray(catalog.names)
    primary = _primary_mask(ids, primaries)
    if len(ids) == 0:
        return ScreeningResult(
            conjunctions=_empty([*SCREEN_COLUMNS, *PLANE_COLUMNS]),
            objects=0,
            candidates_refined=0,
            span=(t0, t1),
            threshold_km=threshold_km,
        )
    search = _PairSearch(catalog, t0, span_s, threshold_km, sample_step_s, grid_step_s, primary)
    (object_1, object_2, tca_s, states), refined = search.run(chunk_s, workers, progress)
    table = _table(object_1, object_2, tca_s, states, t0, ids, names, primary, hbr_m)
    table, co_moving = split_co_moving(catalog, table, t0, t1, threshold_km) if split_pairs else (table, None)
    return ScreeningResult(
        conjunctions=table,
        objects=len(ids),
        candidates_refined=refined,
        span=(t0, t1),
        threshold_km=threshold_km,
        co_moving=co_moving,
    )


def _check_screening(span_s: float, threshold_km: float, sample_step_s: float, grid_step_s: float) -> None:
    if not span_s > 0:
        raise OverheadError("the screening span is empty: --stop must be after --start")
    if span_s > MAX_SPAN_DAYS * 86400:
        raise WorkTooLargeError(
            f"a screening span of {span_s / 86400:.1f} days is over the {MAX_SPAN_DAYS:g}-day "
            "limit: element sets are not good for longer; reduce the span (7 days is usual)"
        )
    if not 0 < threshold_km <= 100:
        raise OverheadError(f"threshold {threshold_km} km must be in (0, 100] km")
    if not 0 < grid_step_s <= sample_step_s:
        raise OverheadError("the grid step must be positive and at most the sample step")


def _primary_mask(ids: np.ndarray, primaries) -> np.ndarray:
    """True for the objects screened against everything (none: all against all)."""
    if primaries is None:
        return np.zeros(len(ids), dtype=np.bool_)
    wanted = {int(x) for x in primaries}
    primary = np.isin(ids, list(wanted))
    if not primary.any():
        raise OverheadError(f"none of the primaries {sorted(wanted)[:5]} is in the catalogue")
    return primary


class _CandidateWindows:
    """A pair's consecutive fine times under the reach, as windows (first, last fine index); a window closes when
    the pair has not been seen for two steps, and closed windows wait to be refined."""

    def __init__(self) -> None:
        self.open: dict[tuple[int, int], list[int]] = {}
        self.closed: list[tuple[int, int, int, int]] = []

    def add(self, k: int, a: int, z: int) -> None:
        key = (a, z) if a < z else (z, a)
        window = self.open.get(key)
        if window is not None and k <= window[1] + 2:
            window[1] = k
            return
        if window is not None:
            self.closed.append((key[0], key[1], window[0], window[1]))
        self.open[key] = [k, k]

    def close_before(self, k: int) -> None:
        for key in [key for key, w in self.open.items() if w[1] < k - 2]:
            k_first, k_last = self.open.pop(key)
            self.closed.append((key[0], key[1], k_first, k_last))

    def close_all(self) -> None:
        self.closed += [(i, j, w[0], w[1]) for (i, j), w in self.open.items()]
        self.open = {}

    def take_closed(self) -> list[tuple[int, int, int, int]]:
        closed, self.closed = self.closed, []
        return closed


class _PairSearch:
    """The screening's search: SGP4 samples by group, the compiled pair search on the fine times chunk by chunk
    (on threads, without the GIL), candidate windows refined by Brent on the range rate."""

    def __init__(
        self,
        catalog,
        t0: np.datetime64,
        span_s: float,
        threshold_km: float,
        sample_step_s: float,
        grid_step_s: float,
        primary: np.ndarray,
    ):
        self.catalog, self.t0, self.threshold_km = catalog, t0, threshold_km
        self.step = sample_step_s / max(1, round(sample_step_s / grid_step_s))  # the fine step
        self.groups = _groups(catalog, span_s, sample_step_s)
        self.order_of = np.concatenate([g.index for g in self.groups])  # kernel's object k: the catalogue's order_of[k]
        self.primary_sorted = primary[self.order_of]
        self.n_fine = math.ceil(span_s / self.step) + 1
        self.fine = np.minimum(np.arange(self.n_fine) * self.step, span_s)  # s from the start, the last the end
        # the reach covers half of the nominal step on either side: a shorter last interval must not shrink it for
        # the time that also bounds the longer interval before it
        self.half = 0.5 * self.step
        accel_km_s2 = 3 * EARTH_MU_KM3_S2 * 2000 / 6500**3  # differential gravity bound, R ≤ 2,000 km, r ≥ 6,500 km
        self.margin = INTERPOLATION_MARGIN_KM + 0.5 * accel_km_s2 * self.half**2
        self.limit = threshold_km + INTERPOLATION_MARGIN_KM + 0.5 * accel_km_s2 * self.step**2

    def sample(self, ks: range) -> tuple[tuple, tuple, tuple, float]:
        """The SGP4 samples of every group bracketing the fine times ``ks``, and the largest speed among them."""
        rs, vs, offsets = [], [], []
        v_max = 0.0
        fine = self.fine
        for g in self.groups:
            first = min(max(int(np.searchsorted(g.offsets, fine[ks[0]], side="right")) - 1, 0), g.offsets.size - 2)
            last = max(min(int(np.searchsorted(g.offsets, fine[ks[-1]], side="right")), g.offsets.size - 1), first + 1)
            r, v = g.sample(first, last, self.t0)
            speed2 = np.einsum("ntk,ntk->nt", v, v)  # (numpy's norm over an axis is several times slower)
            if np.isfinite(speed2).any():
                v_max = max(v_max, math.sqrt(float(np.nanmax(speed2))))
            # (samples, objects, 3): the kernel reads all objects at one sample, now contiguous in memory
            rs.append(np.ascontiguousarray(r.transpose(1, 0, 2)))
            vs.append(np.ascontiguousarray(v.transpose(1, 0, 2)))
            offsets.append(np.ascontiguousarray(g.offsets[first : last + 1]))
        for _ in range(3 - len(self.groups)):
            rs.append(_NO_GROUP[0])
            vs.append(_NO_GROUP[1])
            offsets.append(_NO_GROUP[2])
        return tuple(rs), tuple(vs), tuple(offsets), v_max

    def run(
        self, chunk_s: float, workers: int | None, progress: Callable[[float], None] | None
    ) -> tuple[tuple[np.ndarray, ...], int]:
        """((object_1, object_2, tca_s, states), candidates refined): closed windows are refined after each chunk,
        so that memory holds one chunk's candidates, not the span's."""
        per_chunk = max(1, round(chunk_s / self.step))
        chunks = [range(k, min(k + per_chunk, self.n_fine)) for k in range(0, self.n_fine, per_chunk)]
        windows = _CandidateWindows()
        minima: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # each chunk's, as arrays
        refined = 0
        with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            upcoming = self.sample(chunks[0])
            for c, ks in enumerate(chunks):
                batches, searches = self.submit(pool, ks, upcoming)
                # while the threads search this chunk (without the GIL): the next chunk's SGP4, and the refinement
                # of the candidates that closed before
                if c + 1 < len(chunks):
                    upcoming = self.sample(chunks[c + 1])
                closed = windows.take_closed()
                minima.append(_refine(self.catalog.satrecs, closed, self.fine, self.t0, self.threshold_km))
                refined += len(closed)
                for batch, search in zip(batches, searches, strict=True):
                    b_idx, i_idx, j_idx = search.result()
                    for b, a, z in zip(
                        b_idx.tolist(), self.order_of[i_idx].tolist(), self.order_of[j_idx].tolist(), strict=True
                    ):
                        windows.add(batch.start + b, a, z)
                windows.close_before(ks[-1])
                if progress is not None:
                    progress(min(1.0, (ks[-1] + 1) / self.n_fine))
        windows.close_all()
        closed = windows.take_closed()
        minima.append(_refine(self.catalog.satrecs, closed, self.fine, self.t0, self.threshold_km))
        refined += len(closed)
        return tuple(np.concatenate(part) for part in zip(*minima, strict=True)), refined

    def submit(self, pool: ThreadPoolExecutor, ks: range, samples: tuple[tuple, tuple, tuple, float]):
        """The pair search of one chunk's fine times, in batches on the pool."""
        rs, vs, offsets, v_max = samples
        cell_km = self.threshold_km + 2 * v_max * self.half + self.margin
        batches = [ks[b : b + _BATCH] for b in range(0, len(ks), _BATCH)]
        searches = [
            pool.submit(
                search_batch,
                rs,
                vs,
                offsets,
                self.fine[batch.start : batch.stop],
                cell_km,
                self.primary_sorted,
                self.threshold_km,
                self.half,
                self.margin,
                self.step,
                self.limit,
            )
            for batch in batches
        ]
        return batches, searches


def split_co_moving(
    catalog, table: pd.DataFrame, start, stop, threshold_km: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(conjunctions, co-moving pairs): pairs whose range stays under ``CO_MOVING_FACTOR`` times the threshold
    for ``CO_MOVING_HOURS`` or more (docked vehicles, formations, co-located GEO satellites) are one row each of
    CO_MOVING_COLUMNS, with the range band and the span they are together, and their minima within that span
    leave the conjunctions: no short-encounter method applies to them, so they get no probability.

    Pairs with a minimum slower than ``CO_MOVING_SPEED_KM_S`` are followed with SGP4 every minute over the
    span; the longest stretch under the bound decides."""
    empty = _empty(CO_MOVING_COLUMNS)
    if table.empty:
        return table, empty
    slow = table[table.relative_speed_km_s < CO_MOVING_SPEED_KM_S]
    pairs = slow[["norad_id_1", "norad_id_2"]].drop_duplicates().to_numpy()[:MAX_CO_MOVING_CANDIDATES]
    if not len(pairs):
        return table, empty
    t0, t1 = to_datetime64(start), to_datetime64(stop)
    span_s = (t1 - t0) / np.timedelta64(1, "s")
    offsets = np.append(np.arange(0.0, span_s, CO_MOVING_STEP_S), span_s)
    jd, fr = julian_date_split(t0 + (offsets * 1e9).astype("timedelta64[ns]"))
    index = {int(x): k for k, x in enumerate(catalog.norad_ids)}
    names = np.asarray(catalog.names)
    tca = table.tca.to_numpy(dtype="datetime64[ns]")
    folded = np.zeros(len(table), dtype=bool)
    rows = []
    for a, b in pairs.tolist():
        together = _together(
            catalog.satrecs[index[a]], catalog.satrecs[index[b]], jd, fr, offsets, CO_MOVING_FACTOR * threshold_km
        )
        if together is None:
            continue
        first, last, ranges, speeds = together
        when = t0 + (np.array([offsets[first], offsets[last]]) * 1e9).astype("timedelta64[ns]")
        mine = ((table.norad_id_1 == a) & (table.norad_id_2 == b)).to_numpy() & (tca >= when[0]) & (tca <= when[1])
        folded |= mine
        rows.append(
            {
                "norad_id_1": a,
                "name_1": str(names[index[a]]),
                "norad_id_2": b,
                "name_2": str(names[index[b]]),
                "kind": "co-moving",
                "start": when[0].astype("datetime64[s]").astype("datetime64[ns]"),
                "stop": when[1].astype("datetime64[s]").astype("datetime64[ns]"),
                "min_range_km": float(ranges.min()),
                "median_range_km": float(np.median(ranges)),
                "max_range_km": float(ranges.max()),
                "max_relative_speed_km_s": float(speeds.max()),
                "conjunctions_folded": int(mine.sum()),
            }
        )
    co_moving = pd.DataFrame(rows, columns=CO_MOVING_COLUMNS) if rows else empty
    return table[~folded].reset_index(drop=True), co_moving


def _together(sat_a, sat_b, jd: np.ndarray, fr: np.ndarray, offsets: np.ndarray, bound_km: float):
    """(first, last sample, ranges, relative speeds) of the longest stretch of at least CO_MOVING_HOURS under
    ``bound_km``, or None."""
    e1, p1, v1 = sat_a.sgp4_array(jd, fr)
    e2, p2, v2 = sat_b.sgp4_array(jd, fr)
    ranges = np.linalg.norm(p2 - p1, axis=1)
    under = (ranges < bound_km) & (e1 == 0) & (e2 == 0)
    if not under.any():
        return None
    # runs of consecutive samples under the bound
    edges = np.diff(np.concatenate([[0], under.astype(np.int8), [0]]))
    starts, stops = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0] - 1
    longest = int(np.argmax(offsets[stops] - offsets[starts]))
    first, last = int(starts[longest]), int(stops[longest])
    if offsets[last] - offsets[first] < CO_MOVING_HOURS * 3600:
        return None
    speeds = np.linalg.norm(v2[first : last + 1] - v1[first : last + 1], axis=1)
    return first, last, ranges[first : last + 1], speeds


def _deep_space(satrec) -> bool:
    return satrec.no_kozai < 2 * math.pi / 225.0  # rad/min: a period of 225 min or more


def _minima(sat_i, sat_j, jd: float, fr: float, points: np.ndarray) -> list[tuple[float, tuple]]:
    """Times (s from jd + fr) of the range minima of two objects between the first and last of ``points``, by
    Brent's method on the range rate with SGP4 itself, and the two states there (TEME km, km/s).

    The rate is r·v from SGP4's velocities, or, where an object is deep-space, the central difference of the
    squared range over ±0.05 s: deep-space SGP4 velocities leave out the lunar-solar terms' rates, and for a
    slow pair (a formation, co-located GEO) that moves the zero of r·v by seconds from the positions' minimum."""

    def velocity_rate(t: float) -> float:
        e1, p1, w1 = sat_i.sgp4(jd, fr + t / 86400.0)
        e2, p2, w2 = sat_j.sgp4(jd, fr + t / 86400.0)
        if e1 or e2:
            return math.nan
        return (p2[0] - p1[0]) * (w2[0] - w1[0]) + (p2[1] - p1[1]) * (w2[1] - w1[1]) + (p2[2] - p1[2]) * (w2[2] - w1[2])

    def squared_range(t: float) -> float:
        e1, p1, _ = sat_i.sgp4(jd, fr + t / 86400.0)
        e2, p2, _ = sat_j.sgp4(jd, fr + t / 86400.0)
        return math.nan if e1 or e2 else (p2[0] - p1[0]) ** 2 + (p2[1] - p1[1]) ** 2 + (p2[2] - p1[2]) ** 2

    def position_rate(t: float) -> float:
        return (squared_range(t + 0.05) - squared_range(t - 0.05)) / 0.2

    range_rate = position_rate if _deep_space(sat_i) or _deep_space(sat_j) else velocity_rate

    out = []
    times = points.tolist()
    rates = [range_rate(t) for t in times]
    for ta, fa, tb, fb in zip(times, rates, times[1:], rates[1:], strict=False):
        if fa < 0 <= fb:  # NaN compares false: a failed SGP4 brackets nothing
            tca = optimize.brentq(range_rate, ta, tb, xtol=1e-5, rtol=1e-14, maxiter=100)
            e1, p1, w1 = sat_i.sgp4(jd, fr + tca / 86400.0)
            e2, p2, w2 = sat_j.sgp4(jd, fr + tca / 86400.0)
            if not (e1 or e2):
                out.append((tca, (p1, w1, p2, w2)))
    return out


def _refine(
    satrecs, windows, fine: np.ndarray, t0: np.datetime64, threshold_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact minima under the threshold (SGP4, Brent on the range rate) of each candidate pair near its fine
    times: (i, j, tca_s, (r_i, v_i, r_j, v_j)) each. The day fraction carries 1e-11 s of rounding."""
    jd_split = julian_date_split(np.array([t0]))
    jd, fr = float(jd_split[0][0]), float(jd_split[1][0])
    out = []
    for i, j, k_first, k_last in sorted(windows):
        points = fine[max(k_first - 1, 0) : min(k_last + 1, fine.size - 1) + 1]
        for tca, state in _minima(satrecs[i], satrecs[j], jd, fr, points):
            p1, p2 = state[0], state[2]
            if math.dist(p1, p2) <= threshold_km:
                out.append((i, j, tca, state))
    return (
        np.array([f[0] for f in out], dtype=np.int64),
        np.array([f[1] for f in out], dtype=np.int64),
        np.array([f[2] for f in out], dtype=float),
        np.array([f[3] for f in out], dtype=float).reshape(-1, 4, 3),
    )


def _table(
    i: np.ndarray, j: np.ndarray, tca_s: np.ndarray, s: np.ndarray, t0: np.datetime64, ids, names, primary, hbr_m: float
) -> pd.DataFrame:
    """The conjunctions' table (SCREEN_COLUMNS then PLANE_COLUMNS, sorted by TCA): the miss vector in object 1's
    RTN frame and the assumed-covariance probabilities, for all of them at once."""
    if not len(i):
        return _empty([*SCREEN_COLUMNS, *PLANE_COLUMNS])
    # the primary (when given) is object 1, and the miss vector is in its RTN frame
    swap = primary[j] & ~primary[i] if primary.any() else np.zeros(len(i), dtype=bool)
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    s[swap] = s[swap][:, [2, 3, 0, 1]]
    r1, v1, r2, v2 = s[:, 0], s[:, 1], s[:, 2], s[:, 3]
    d = r2 - r1
    rtn = np.einsum("nki,nk->ni", rtn_to_inertial_matrix(r1, v1), d)
    when = t0 + np.round(tca_s * 1e9).astype("timedelta64[ns]")
    planes: dict = {}
    pc, max_pc = assumed_covariance_probabilities(r1 * 1e3, v1 * 1e3, r2 * 1e3, v2 * 1e3, hbr_m, planes=planes)
    table = pd.DataFrame(
        {
            "norad_id_1": ids[i].astype(int),
            "name_1": names[i].astype(str),
            "norad_id_2": ids[j].astype(int),
            "name_2": names[j].astype(str),
            "tca": (when + np.timedelta64(500_000, "ns")).astype("datetime64[ms]").astype("datetime64[ns]"),  # to 1 ms
            "min_range_km": np.linalg.norm(d, axis=1),
            "relative_speed_km_s": np.linalg.norm(v2 - v1, axis=1),
            "radial_km": rtn[:, 0],
            "in_track_km": rtn[:, 1],
            "cross_track_km": rtn[:, 2],
            "max_pc": np.asarray(max_pc, dtype=float),
            "assumed_cov_pc": np.asarray(pc, dtype=float),
            **{name: np.asarray(planes[name], dtype=float) for name in PLANE_COLUMNS},
        }
    )
    return (
        table.sort_values(["tca", "norad_id_1", "norad_id_2"])
        .drop_duplicates(["norad_id_1", "norad_id_2", "tca"])
        .reset_index(drop=True)
    )


def _screen_part(catalog, start, stop, keep_start, keep_stop, options: dict) -> pd.DataFrame:
    """One time window of a distributed screening, with only the TCAs it owns (``keep_start`` ≤ TCA < ``keep_stop``)."""
    table = screen(catalog, start, stop, **options).conjunctions
    if table.empty:
        return table
    tca = table.tca.to_numpy(dtype="datetime64[ns]")
    return table[(tca >= keep_start) & (tca < keep_stop)]


def screen_distributed(
    catalog, start, stop, *, parts: int | None = None, scheduler: str | None = None, **options
) -> ScreeningResult:
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
    options = {**options, "workers": 1, "split_pairs": False}  # a task per worker thread: no threads inside
    calls = [
        (SHARED, max(t0, a - pad), min(t1, b + pad), a, b if k < parts - 1 else t1 + pad, options)
        for k, (a, b) in enumerate(itertools.pairwise(edges))
    ]
    tables = run_tasks(_screen_part, calls, scheduler=scheduler, shared=catalog, description="screening")
    table = pd.concat([t for t in tables if len(t)], ignore_index=True) if any(len(t) for t in tables) else tables[0]
    if len(table):
        table = table.sort_values(["tca", "norad_id_1", "norad_id_2"]).reset_index(drop=True)
    # the windows keep every minimum (split_pairs=False): together over the whole span is decided here
    table, together = split_co_moving(catalog, table, t0, t1, options.get("threshold_km", 5.0))
    return ScreeningResult(
        conjunctions=table,
        objects=len(catalog),
        candidates_refined=0,
        span=(t0, t1),
        threshold_km=options.get("threshold_km", 5.0),
        co_moving=together,
    )


def assumed_covariance_rtn_6x6(r_km: np.ndarray, v_km_s: np.ndarray) -> np.ndarray:
    """The 6x6 RTN covariance (m, m/s) a screening assumes for an object without one: SOCRATES' position sigmas
    (100, 300, 100 m) and, for the velocity rows that CDM 1.0 makes mandatory, the same sigmas times the mean
    motion (m/s). Uncorrelated. The screening's probabilities use the position block only."""
    period_s = orbit_period_s(np.asarray(r_km), np.asarray(v_km_s))
    mean_motion_rad_s = (
        2 * math.pi / period_s
        if math.isfinite(period_s)
        else float(np.linalg.norm(v_km_s)) / float(np.linalg.norm(r_km))
    )
    sigma = np.array(SOCRATES_SIGMA_RTN_M)
    return np.diag(np.square(np.concatenate([sigma, sigma * mean_motion_rad_s])))


def screening_messages(catalog, conjunctions: pd.DataFrame, *, hbr_m: float) -> Iterator[ConjunctionMessage]:
    """One CDM 1.0 per row of a screening table: each object's ITRF state at TCA (SGP4), its international
    designator, the full 6x6 covariance assumed (:func:`assumed_covariance_rtn_6x6`), the combined hard-body
    radius the screening used (CARA's comment; each object half of it as CDM 2.0's HBR), the miss vector and
    relative velocity in object 1's RTN frame, and the assumed-covariance Pc."""
    from overhead.orbits.frames import itrf_to_gcrs

    index = {int(n): k for k, n in enumerate(catalog.norad_ids)}
    object_ids = catalog.object_ids
    for row in conjunctions.itertuples():
        tca = to_datetime64(row.tca)
        pair = [index[int(row.norad_id_1)], index[int(row.norad_id_2)]]
        r, v = catalog[pair].state_arrays([tca], frame="itrf")
        # the RTN frame of the inertial state, as a reader of this message builds it
        r_g, v_g = itrf_to_gcrs(np.array([tca, tca]), r[:, 0], v[:, 0])
        rotation = rtn_to_inertial_matrix(r_g[0], v_g[0])
        objects = [
            CdmObject(
                designator=str(int(nid)),
                name=str(name),
                international_designator=str(object_ids[k]),
                ref_frame="ITRF",
                position_km=r[n, 0],
                velocity_km_s=v[n, 0],
                covariance_rtn=assumed_covariance_rtn_6x6(r_g[n], v_g[n]),
                keywords={"COVARIANCE_METHOD": "DEFAULT", "CATALOG_NAME": "SATCAT"},
                hbr_m=hbr_m / 2,
            )  # half the combined each: a CDM 2.0 reader sums them
            for n, (k, nid, name) in enumerate(
                zip(pair, (row.norad_id_1, row.norad_id_2), (row.name_1, row.name_2), strict=True)
            )
        ]
        yield ConjunctionMessage(
            tca=tca,
            object1=objects[0],
            object2=objects[1],
            miss_distance_m=row.min_range_km * 1e3,
            relative_speed_m_s=row.relative_speed_km_s * 1e3,
            relative_position_rtn_m=np.array([row.radial_km, row.in_track_km, row.cross_track_km]) * 1e3,
            relative_velocity_rtn_m_s=rotation.T @ (v_g[1] - v_g[0]) * 1e3,
            hbr_m=hbr_m,
            collision_probability=None if math.isnan(row.assumed_cov_pc) else float(row.assumed_cov_pc),
            collision_probability_method="FOSTER-1992",
            header={"ORIGINATOR": "OVERHEAD"},
        )
