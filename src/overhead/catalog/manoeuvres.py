"""Manoeuvre detection in element-set histories: changes of semi-major axis or inclination beyond what the
element-set noise and drag explain.

Three tests run on each object's mean semi-major axis (from the mean motion) and inclination, each scored in
units of the local element-set noise (running medians over ``noise_sets`` sets, so drag's slow drift is the
baseline):

* a **jump** between consecutive element sets, kept only when neither of its two sets is contradicted by its
  neighbours on both sides (a lone bad element set is not a manoeuvre);
* a **step**: a line plus an offset fitted to ``window_sets`` element sets before and after each candidate,
  leaving ``ramp_sets`` sets out between them. Element sets fitted to tracking that straddles a burn spread the
  change over several sets (older histories spread a few metres over three to five days), which consecutive
  differences miss; the offset, scored against its standard error, does not. The manoeuvre time is where the
  series leaves the line it followed before;
* a **slope change** at a set, for old histories where a burn shows as a climb lasting a week or two; counted
  only where no jump or step explains it and where it does not end an earlier climb.

Detections closer than ``merge_days`` are one manoeuvre, timed by its most precise test. Each has a time and
its uncertainty, the change it made (Δa, Δi, and the Δv that makes it), a kind, and a confidence that is a
probability (calibrated on operators' manoeuvre records, see :data:`CONFIDENCE_MODEL`). All objects of a table
are tested in one pass (laid end to end, apart by gaps wider than any window).

**Timing in deep space.** A burn changes the velocity, not the position: the orbit before it and the orbit after
it pass through the same point at the burn, and their along-track separation grows from there (3/2 n Δa per
unit time). Where the table holds the full elements and the orbit is SGP4's deep-space kind (period ≥ 225 min:
no drag to re-fit), the element set before the change and the one after the next are propagated over the gap and
the burn is where their orbit-averaged along-track separation crosses zero. In low orbits drag and its re-fitted
B* move the separation by more than small burns do, so the time stays the mean-element tests'.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd
from sgp4.api import WGS72, Satrec

from overhead.catalog.specs import ManoeuvreQuery
from overhead.constants import EARTH_MU_KM3_S2 as MU_KM3_S2
from overhead.orbits.timescales import julian_date_split

__all__ = [
    "CONFIDENCE_MODEL",
    "MANOEUVRE_COLUMNS",
    "MANOEUVRE_KINDS",
    "ManoeuvreQuery",
    "ManoeuvreSettings",
    "detect_manoeuvres",
    "fit_confidence_model",
    "manoeuvre_confidence",
    "manoeuvre_evidence",
    "semi_major_axis_km",
]


MANOEUVRE_COLUMNS = (
    "norad_id",
    "time",
    "time_uncertainty_h",
    "delta_a_km",
    "delta_i_deg",
    "delta_v_m_s",
    "kind",
    "test",
    "tests_agreeing",
    "score",
    "confidence",
    "tier",
)
TESTS = ("jump", "step", "slope change")  # by ``_Detection.timing``
MANOEUVRE_KINDS = ("in-plane raise", "in-plane lower", "plane change", "east-west", "north-south", "unknown")
DEEP_SPACE_PERIOD_MIN = 225.0  # SGP4's own boundary: from here on SDP4, no drag term re-fitted set to set
HIGH_TIER_CONFIDENCE = 0.9
# the element columns an SGP4 state needs (besides epoch, mean motion and inclination; or the TLE lines, line1 and
# line2); without them the deep-space crossing is not tried
_FULL_ELEMENTS = ("eccentricity", "raan_deg", "arg_of_pericenter_deg", "mean_anomaly_deg")


@dataclass(frozen=True)
class ManoeuvreSettings:
    """Settings of :func:`detect_manoeuvres`. Thresholds are in units of the local noise; windows count
    element sets; floors keep quiet, quantised histories from dividing by a zero noise."""

    jump_threshold: float = 20.0
    inclination_jump_threshold: float = 40.0
    step_threshold: float = 6.0
    slope_change_threshold: float = 12.0
    window_sets: int = 5
    ramp_sets: int = 4
    slope_change_window_sets: int = 6
    slope_change_separation_days: float = 3.0
    longest_climb_days: float = 20.0
    noise_sets: int = 61
    floor_a_km: float = 0.0003
    floor_i_deg: float = 0.0003
    floor_a_rate_km_day: float = 0.00001
    onset_fraction: float = 0.15
    merge_days: float = 1.0


def semi_major_axis_km(mean_motion_rev_per_day) -> np.ndarray:
    n = np.asarray(mean_motion_rev_per_day, dtype=float) * 2.0 * np.pi / 86_400.0
    return np.cbrt(MU_KM3_S2 / (n * n))


@dataclass(frozen=True)
class _History:
    """Element sets of many objects in one array per quantity, oldest first within each object, one per
    epoch, objects apart by a gap of NaN wider than any window of the tests, so running statistics and fitted
    windows never mix two objects and every test runs once over the whole table."""

    norad_id: np.ndarray  # per position; -1 in the gaps
    epoch0: np.datetime64  # datetime64[ms], UTC
    days: np.ndarray  # since epoch0; NaN in the gaps
    a_km: np.ndarray
    inc_deg: np.ndarray

    @classmethod
    def of(cls, history: pd.DataFrame, s: ManoeuvreSettings, *, min_sets: int = 5) -> _History:
        ids = history.norad_id.to_numpy(dtype=np.int64)
        epoch = pd.to_datetime(history.epoch).to_numpy().astype("datetime64[ms]")
        order = np.lexsort((epoch, ids))
        ids, epoch = ids[order], epoch[order]
        keep = np.ones(len(ids), bool)
        keep[1:] = (ids[1:] != ids[:-1]) | (epoch[1:] != epoch[:-1])  # one element set per epoch
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.array([], int)
        counts = np.add.reduceat(keep.astype(int), starts) if len(starts) else np.array([], int)
        keep &= np.repeat(counts >= min_sets, np.diff(np.r_[starts, len(ids)]))
        order, ids, epoch = order[keep], ids[keep], epoch[keep]
        gap = max(s.noise_sets // 2, 2 * s.window_sets + s.ramp_sets, 2 * s.slope_change_window_sets) + 2
        first = np.r_[True, ids[1:] != ids[:-1]] if len(ids) else np.array([], bool)
        position = np.arange(len(ids)) + gap * np.cumsum(first)  # each object after a gap
        size = int(position[-1]) + gap + 1 if len(ids) else 0
        epoch0 = epoch.min() if len(ids) else np.datetime64(0, "ms")

        def spread(values, fill):
            out = np.full(size, fill, dtype=np.asarray(values).dtype)
            out[position] = values
            return out

        return cls(
            spread(ids, -1),
            epoch0,
            spread((epoch - epoch0) / np.timedelta64(1, "D"), np.nan),
            spread(semi_major_axis_km(history.mean_motion_rev_per_day.to_numpy()[order]), np.nan),
            spread(history.inclination_deg.to_numpy(dtype=float)[order], np.nan),
        )

    @property
    def sets(self) -> np.ndarray:
        """Positions that hold an element set."""
        return np.flatnonzero(self.norad_id >= 0)

    def time(self, day):
        """UTC of ``day`` (a number or an array) on this history's day axis."""
        return self.epoch0 + _duration(day)


def _duration(days):
    """A number (or array) of days as ``timedelta64[ms]``."""
    return np.round(np.asarray(days, dtype=float) * 86_400e3).astype(np.int64).astype("timedelta64[ms]")


@dataclass(frozen=True)
class _Detection:
    norad_id: int
    time: np.datetime64
    delta_a_km: float
    delta_i_deg: float
    score: float  # multiple of its test's threshold
    timing: int = 0  # how precisely its test times a burn: 0 (a jump between two sets) is best
    uncertainty_h: float = float("nan")
    plane: bool = False  # the inclination's change, not the semi-major axis's, made the detection
    tests: int = 0  # the tests that found it, as bits (1 jump, 2 step, 4 slope change; 0 its own test alone)


@numba.njit(cache=True)
def _running_median(values: np.ndarray, window: int) -> np.ndarray:
    """Centred running median ignoring NaN; NaN where the window holds fewer than 5 values. The window's
    values are kept sorted as it slides (one insertion and one removal per step)."""
    n, half = len(values), window // 2
    out = np.full(n, np.nan)
    held = np.empty(window)
    count = 0
    for step in range(-(window - 1 - half), n):
        entering = step + window - 1 - half
        if 0 <= entering < n and not np.isnan(values[entering]):
            k = np.searchsorted(held[:count], values[entering])
            held[k + 1 : count + 1] = held[k:count].copy()
            held[k] = values[entering]
            count += 1
        if step >= 0:
            if count >= 5:
                out[step] = 0.5 * (held[(count - 1) // 2] + held[count // 2])
            leaving = step - half
            if leaving >= 0 and not np.isnan(values[leaving]):
                k = np.searchsorted(held[:count], values[leaving])
                held[k : count - 1] = held[k + 1 : count].copy()
                count -= 1
    return out


def _robust_z(values: np.ndarray, window: int, floor: float) -> np.ndarray:
    """Departure from the running median in running MADs (never below ``floor``)."""
    residual = values - np.nan_to_num(_running_median(values, window))
    spread = 1.4826 * _running_median(np.abs(residual), window)
    return residual / np.maximum(np.nan_to_num(spread, nan=floor), floor)


def _windowed_fit(
    days: np.ndarray,
    values: np.ndarray,
    splits: np.ndarray,
    rows: np.ndarray,
    extra: Callable[[np.ndarray], np.ndarray],
):
    """Least squares ``values = c + b (t - t_k) + x·extra`` over each split k's ``rows``: x, its standard
    error, c and b per element set (NaN where no split)."""
    n = len(values)
    out = [np.full(n, np.nan) for _ in range(4)]
    whole = ~np.isnan(days[rows]).any(axis=1) if len(splits) else np.array([], bool)  # within one object
    splits, rows = splits[whole], rows[whole]
    if len(splits) == 0:
        return out
    dt = days[rows] - days[splits][:, None]
    design = np.stack([np.ones_like(dt), dt, extra(dt)], axis=2)
    inverse = np.linalg.inv(np.einsum("kij,kil->kjl", design, design))
    coef = np.einsum("kjl,kl->kj", inverse, np.einsum("kij,ki->kj", design, values[rows]))
    residual = values[rows] - np.einsum("kij,kj->ki", design, coef)
    variance = (residual * residual).sum(axis=1) / (rows.shape[1] - 3)
    x, error, intercept, slope = out
    x[splits], intercept[splits], slope[splits] = coef[:, 2], coef[:, 0], coef[:, 1]
    error[splits] = np.sqrt(variance * inverse[:, 2, 2])
    return out


def _step_fit(days: np.ndarray, values: np.ndarray, window: int, gap: int):
    """An offset between sets [k-window, k) and [k+gap, k+gap+window), on a common line."""
    splits = np.arange(window, len(values) - gap - window + 1)
    columns = np.arange(window)[None, :]
    rows = np.concatenate([splits[:, None] - window + columns, splits[:, None] + gap + columns], axis=1)
    after = np.concatenate([np.zeros(window), np.ones(window)])
    return _windowed_fit(days, values, splits, rows, lambda dt: np.broadcast_to(after, dt.shape))


def _slope_change_fit(days: np.ndarray, values: np.ndarray, window: int):
    """A change of slope at set k, on sets [k-window, k+window)."""
    splits = np.arange(window, len(values) - window + 1)
    rows = splits[:, None] + np.arange(-window, window)[None, :]
    return _windowed_fit(days, values, splits, rows, lambda dt: np.maximum(dt, 0.0))


def _scores(x: np.ndarray, error: np.ndarray, threshold: float, *, window: int, floor: float) -> np.ndarray:
    """|x| in units of its quiet noise (windows that hold a manoeuvre have a large error of their own, so the
    running median of the errors is the noise; never below ``floor``), as a multiple of ``threshold``."""
    noise = np.maximum(error, np.nan_to_num(_running_median(error, window), nan=0.0))
    return np.abs(np.nan_to_num(x / np.maximum(noise, floor))) / threshold


def _jump_scores(h: _History, s: ManoeuvreSettings):
    """Per pair of consecutive sets (k, k+1): the larger of the Δa and Δi scores of changes that last, Δa, Δi."""
    da, di = np.diff(h.a_km), np.diff(h.inc_deg)
    score_a = np.abs(_robust_z(da, s.noise_sets, s.floor_a_km)) / s.jump_threshold
    score_i = np.abs(_robust_z(di, s.noise_sets, s.floor_i_deg)) / s.inclination_jump_threshold
    kept_a, kept_i = _lasting(h.a_km, da), _lasting(h.inc_deg, di)
    score_a, score_i = np.nan_to_num(np.where(kept_a, score_a, 0.0)), np.nan_to_num(np.where(kept_i, score_i, 0.0))
    return np.maximum(score_a, score_i), da, di, score_i > score_a


def _jumps(h: _History, s: ManoeuvreSettings) -> list[_Detection]:
    score, da, di, plane = _jump_scores(h, s)
    return [
        _Detection(
            int(h.norad_id[k + 1]),
            h.time(_just_before(h.days, int(k) + 1)),
            float(da[k]),
            float(di[k]),
            float(score[k]),
            uncertainty_h=12.0 * float(h.days[k + 1] - h.days[k]),
            plane=bool(plane[k]),
        )
        for k in np.flatnonzero(score > 1.0)
    ]


def _lasting(values: np.ndarray, change: np.ndarray) -> np.ndarray:
    """Whether each change between consecutive sets lasts: neither of its two sets is a lone bad element set
    that its neighbours on both sides contradict (the newest set has no later one to contradict it)."""
    two_apart = np.nan_to_num(np.abs(values[2:] - values[:-2]), nan=np.inf)  # no neighbour: nothing contradicts
    after_holds = np.append(two_apart, np.inf) > 0.5 * np.abs(change)  # set k+2 still differs from set k
    before_holds = np.insert(two_apart, 0, np.inf) > 0.5 * np.abs(change)  # set k+1 differs from set k-1
    return after_holds & before_holds


def _step_scores(h: _History, s: ManoeuvreSettings):
    offset, error, _, _ = _step_fit(h.days, h.a_km, s.window_sets, s.ramp_sets)
    return _scores(offset, error, s.step_threshold, window=s.noise_sets, floor=s.floor_a_km), offset


def _steps(h: _History, s: ManoeuvreSettings) -> list[_Detection]:
    score, offset = _step_scores(h, s)
    offset_i = _step_fit(h.days, h.inc_deg, s.window_sets, s.ramp_sets)[0]
    found = []
    for cluster in _clusters(np.flatnonzero(score > 1.0), s.ramp_sets + 1):
        k = cluster[int(np.argmax(score[cluster]))]
        when = _onset_day(h.days, h.a_km, cluster[0], k, offset[k], s)
        found.append(
            _Detection(
                int(h.norad_id[k]),
                h.time(when),
                float(offset[k]),
                float(np.nan_to_num(offset_i[k])),
                float(score[k]),
                timing=1,
                uncertainty_h=24.0 * _gap_days(h.days, when),
            )
        )
    return found


def _onset_day(days, a_km, first_split: int, k: int, offset: float, s: ManoeuvreSettings) -> float:
    """When the series leaves the line it followed before the manoeuvre (fitted to the sets before the
    cluster's first split, all of them earlier than the change): between the last set on the line and the
    first off it or, when the first set off it carries less than half the change (the change spreads over
    several sets), where the ramp through them meets the line."""
    before = np.arange(max(first_split - s.window_sets, 0), first_split)
    line = np.polyfit(days[before] - days[first_split], a_km[before], 1)
    candidates = np.arange(first_split, min(k + s.ramp_sets + 1, len(days)))
    moved = (a_km[candidates] - np.polyval(line, days[candidates] - days[first_split])) / offset
    first = candidates[int(np.argmax(moved > s.onset_fraction))] if np.any(moved > s.onset_fraction) else candidates[-1]
    when = days[first - 1] + 0.7 * (days[first] - days[first - 1])
    on_ramp = (candidates >= first) & (np.cumsum(moved >= 0.9) == 0)
    if moved[candidates == first][0] < 0.5 and np.count_nonzero(on_ramp) >= 2:
        rate, level = np.polyfit(days[candidates[on_ramp]] - days[first_split], moved[on_ramp], 1)
        if rate > 0:
            when = float(np.clip(days[first_split] - level / rate, days[first - 1], when))
    return when


def _slope_change_scores(h: _History, s: ManoeuvreSettings):
    change, error, _, _ = _slope_change_fit(h.days, h.a_km, s.slope_change_window_sets)
    return _scores(change, error, s.slope_change_threshold, window=s.noise_sets, floor=s.floor_a_rate_km_day), change


def _slope_changes(h: _History, s: ManoeuvreSettings) -> list[_Detection]:
    """Old element sets fitted over long spans turn a burn into a slow ramp: the decay stops and the
    semi-major axis climbs for days. A change of slope finds it; the burn is where the climb leaves the line of
    the decay."""
    score, change = _slope_change_scores(h, s)
    found = []
    for cluster in _clusters(np.flatnonzero(score > 1.0), s.slope_change_window_sets):
        k = cluster[int(np.argmax(score[cluster]))]
        rise_km = change[k] * (h.days[min(k + s.slope_change_window_sets, len(h.days)) - 1] - h.days[k])
        when = _onset_day(h.days, h.a_km, k, k, rise_km, s)
        found.append(
            _Detection(
                int(h.norad_id[k]),
                h.time(when),
                float(rise_km),
                0.0,
                float(score[k]),
                timing=2,
                uncertainty_h=24.0 * s.ramp_sets * _gap_days(h.days, when),
            )
        )
    return found


def _just_before(days: np.ndarray, k: int) -> float:
    """The burn time for a change first seen in set k: an element set's epoch tends to trail the tracking it
    was fitted to, so a little before it."""
    return days[k] - 0.3 * (days[k] - days[k - 1])


def _gap_days(days: np.ndarray, day: float) -> float:
    """The spacing of the element sets around ``day`` (the gap that holds it)."""
    k = int(np.clip(np.searchsorted(np.nan_to_num(days, nan=-np.inf), day), 1, len(days) - 1))
    return float(np.nan_to_num(days[k] - days[k - 1], nan=1.0))


def _clusters(indices: np.ndarray, gap: int) -> list[np.ndarray]:
    if len(indices) == 0:
        return []
    return np.split(indices, np.flatnonzero(np.diff(indices) > gap) + 1)


def _merged(found: list[_Detection], merge_days: float) -> list[_Detection]:
    """One detection per manoeuvre: the time from the group's most precisely timed test, the change and
    score of its strongest."""
    merged: list[list[_Detection]] = []
    for d in sorted(found, key=lambda d: d.time):
        if merged and d.time - merged[-1][0].time < _duration(merge_days):
            merged[-1].append(d)
        else:
            merged.append([d])
    out = []
    for group in merged:
        strongest = max(group, key=lambda d: d.score)
        timed = min(group, key=lambda d: (d.timing, d.time))
        out.append(
            _Detection(
                timed.norad_id,
                timed.time,
                strongest.delta_a_km,
                strongest.delta_i_deg,
                strongest.score,
                timed.timing,
                timed.uncertainty_h,
                strongest.plane,
                tests=_test_bits(group),
            )
        )
    return out


def _test_bits(group: list[_Detection]) -> int:
    """The tests that found a merged group, as bits (1 jump, 2 step, 4 slope change)."""
    bits = 0
    for d in group:
        bits |= d.tests or (1 << d.timing)
    return bits


def _unexplained(slope_changes: list[_Detection], found: list[_Detection], s: ManoeuvreSettings) -> list[_Detection]:
    """Slope changes that no jump or step explains (a manoeuvre also bends the series around it, and a slope
    change places it less precisely) and that do not end the climb of an earlier manoeuvre (a raise spread
    over days bends the series up where it starts and down where it ends)."""
    separation, climb = _duration(s.slope_change_separation_days), _duration(s.longest_climb_days)
    kept: list[_Detection] = []
    for d in slope_changes:
        if any(abs(f.time - d.time) <= separation for f in found):
            continue
        if any(
            np.timedelta64(0, "ms") < (d.time - f.time) <= climb and f.delta_a_km * d.delta_a_km < 0
            for f in found + kept
        ):
            continue
        kept.append(d)
    return kept


def detect_manoeuvres(
    history: pd.DataFrame,
    settings: ManoeuvreSettings | None = None,
    *,
    min_confidence: float = ManoeuvreQuery().min_confidence,
) -> pd.DataFrame:
    """Manoeuvres in a table of element sets, any number of objects: rows of :data:`MANOEUVRE_COLUMNS` with
    ``confidence`` ≥ ``min_confidence``, time in UTC.

    The table's columns: norad_id, epoch, mean_motion_rev_per_day, inclination_deg; with eccentricity, raan_deg,
    arg_of_pericenter_deg and mean_anomaly_deg (or line1 and line2) too, deep-space burns are timed where the
    orbits meet. ``time_uncertainty_h`` is the half-width the timing claims, ``test`` the test that timed it,
    ``score`` its strongest test's multiple of that test's threshold, ``confidence`` the probability that it
    is a manoeuvre (±1 day), ``tier`` "high" from 0.9."""
    s = settings or ManoeuvreSettings()
    h = _History.of(history, s)
    by_object: dict[int, tuple[list[_Detection], list[_Detection]]] = {}
    if len(h.sets):
        for d in _jumps(h, s) + _steps(h, s):
            by_object.setdefault(d.norad_id, ([], []))[0].append(d)
        for d in _slope_changes(h, s):
            by_object.setdefault(d.norad_id, ([], []))[1].append(d)
    full = all(c in history.columns for c in _FULL_ELEMENTS) or {"line1", "line2"} <= set(history.columns)
    rows = []
    for norad_id in sorted(by_object):
        changes, slope_changes = by_object[norad_id]
        found = _merged(changes, s.merge_days)
        found = _merged(found + _unexplained(slope_changes, found, s), s.merge_days)
        mean_motion = float(np.median(history.mean_motion_rev_per_day[history.norad_id == norad_id]))
        deep_space = 1440.0 / mean_motion >= DEEP_SPACE_PERIOD_MIN
        if deep_space and full:
            found = _timed_by_crossing(history[history.norad_id == norad_id], found)
        rows += [_row(d, mean_motion, deep_space) for d in found]
    table = pd.DataFrame(rows, columns=list(MANOEUVRE_COLUMNS))
    table = table.astype(
        {
            "norad_id": "int64",
            "time": "datetime64[ns]",
            "time_uncertainty_h": float,
            "delta_a_km": float,
            "delta_i_deg": float,
            "delta_v_m_s": float,
            "kind": object,
            "test": object,
            "tests_agreeing": "int64",
            "score": float,
            "confidence": float,
            "tier": object,
        }
    )
    return table[table.confidence >= min_confidence].reset_index(drop=True)


def _row(d: _Detection, mean_motion_rev_per_day: float, deep_space: bool) -> dict:
    n_rad_s = mean_motion_rev_per_day * 2.0 * np.pi / 86_400.0
    a_km = float(np.cbrt(MU_KM3_S2 / n_rad_s**2))
    in_plane_m_s = 0.5 * n_rad_s * abs(d.delta_a_km) * 1000.0  # Δv = v Δa / 2a for a tangential burn
    # Δv = v Δi, counted only where the inclination's change is what was detected: the fitted offsets of the
    # other tests carry the inclination's noise, which v Δi would turn into a false plane change
    plane_m_s = n_rad_s * a_km * abs(np.radians(d.delta_i_deg)) * 1000.0 if d.plane else 0.0
    tests_agreeing = bin(d.tests or (1 << d.timing)).count("1")
    confidence = float(manoeuvre_confidence(d.score, TESTS[d.timing], tests_agreeing, deep_space)[0])
    return {
        "norad_id": d.norad_id,
        "time": d.time,
        "time_uncertainty_h": d.uncertainty_h,
        "delta_a_km": d.delta_a_km,
        "delta_i_deg": d.delta_i_deg,
        "delta_v_m_s": float(np.hypot(in_plane_m_s, plane_m_s)),
        "kind": _kind(d, geostationary=0.9 < mean_motion_rev_per_day < 1.1),
        "test": TESTS[d.timing],
        "tests_agreeing": tests_agreeing,
        "score": d.score,
        "confidence": confidence,
        "tier": "high" if confidence >= HIGH_TIER_CONFIDENCE else "normal",
    }


def _kind(d: _Detection, *, geostationary: bool) -> str:
    """The burn's kind from the element that changed; station-keeping names in the geostationary belt."""
    if d.plane:
        return "north-south" if geostationary else "plane change"
    if d.delta_a_km == 0.0:
        return "unknown"
    if geostationary:
        return "east-west"
    return "in-plane raise" if d.delta_a_km > 0 else "in-plane lower"


# Logistic model of P(a detection is a listed manoeuvre within ±1 day) from its score (log of the multiple of
# its strongest test's threshold), the test that timed it, how many tests found it and the orbit's kind (deep
# space or not), fitted by :func:`fit_confidence_model` on the Shorten et al. (2023) histories
# (``benchmarks.run catalog`` prints its leave-one-satellite-out reliability table). Refit it on an operator's
# own ledger with the same function.
CONFIDENCE_MODEL = {
    "intercept": -0.014,
    "log_score": 0.344,
    "step": 0.76,
    "slope_change": 2.827,
    "deep_space": -1.225,
    "more_tests": 2.494,
    "deep_space_log_score": -0.187,
}
_CONFIDENCE_TERMS = (
    "intercept",
    "log_score",
    "step",
    "slope_change",
    "deep_space",
    "more_tests",
    "deep_space_log_score",
)


def _confidence_terms(score, test, tests_agreeing, deep_space) -> np.ndarray:
    score, test = np.atleast_1d(np.asarray(score, float)), np.atleast_1d(np.asarray(test, object))
    log_score, deep = np.log(np.maximum(score, 1e-9)), np.broadcast_to(deep_space, score.shape).astype(float)
    return np.column_stack(
        [
            np.ones(len(score)),
            log_score,
            test == "step",
            test == "slope change",
            deep,
            np.broadcast_to(np.asarray(tests_agreeing) - 1, score.shape),
            deep * log_score,
        ]
    ).astype(float)


def manoeuvre_confidence(score, test, tests_agreeing, deep_space, model: dict[str, float] | None = None):
    """The probability that a detection is a real manoeuvre (within ±1 day), by :data:`CONFIDENCE_MODEL` (or
    ``model``); arguments as the columns of :func:`detect_manoeuvres` (arrays or scalars)."""
    m = CONFIDENCE_MODEL if model is None else model
    z = _confidence_terms(score, test, tests_agreeing, deep_space) @ np.array([m[k] for k in _CONFIDENCE_TERMS])
    return 1.0 / (1.0 + np.exp(-z))


def fit_confidence_model(detections: pd.DataFrame, is_manoeuvre, *, ridge: float = 0.1) -> dict[str, float]:
    """A :data:`CONFIDENCE_MODEL` fitted to detections (columns ``score``, ``test``, ``tests_agreeing``,
    ``deep_space``) and whether each is a logged manoeuvre: logistic regression (maximum likelihood with a
    small ridge, so a term that never fails on the ledger does not run to infinity)."""
    from scipy.optimize import minimize

    x = _confidence_terms(
        detections.score, detections.test, detections.tests_agreeing.to_numpy(), detections.deep_space.to_numpy()
    )
    y = np.asarray(is_manoeuvre, float)

    def loss(beta):
        z = x @ beta
        return np.sum(np.logaddexp(0.0, z) - y * z) + ridge * beta[1:] @ beta[1:]

    beta = minimize(loss, np.zeros(x.shape[1]), method="BFGS").x
    return {k: round(float(b), 3) for k, b in zip(_CONFIDENCE_TERMS, beta, strict=True)}


def _satrec(row) -> Satrec:
    """SGP4 (WGS72, as element sets are fitted) of one element-set row: from its TLE lines where it has them."""
    if isinstance(getattr(row, "line1", None), str) and isinstance(getattr(row, "line2", None), str):
        return Satrec.twoline2rv(row.line1[:69], row.line2[:69], WGS72)
    epoch_days = (pd.Timestamp(row.epoch).tz_localize(None) - pd.Timestamp("1949-12-31")) / pd.Timedelta(days=1)
    sat = Satrec()
    sat.sgp4init(
        WGS72,
        "i",
        0,
        epoch_days,
        float(getattr(row, "bstar", 0.0) or 0.0),
        0.0,
        0.0,
        float(row.eccentricity),
        np.radians(row.arg_of_pericenter_deg),
        np.radians(row.inclination_deg),
        np.radians(row.mean_anomaly_deg),
        float(row.mean_motion_rev_per_day) * 2.0 * np.pi / 1440.0,
        np.radians(row.raan_deg),
    )
    return sat


def _timed_by_crossing(sets: pd.DataFrame, found: list[_Detection]) -> list[_Detection]:
    """Each detection timed where the orbit before it meets the orbit after it (module docstring); kept as it
    was where the two never meet in the gap's neighbourhood or SGP4 fails."""
    sets = (
        sets.assign(epoch=pd.to_datetime(sets.epoch).dt.tz_localize(None)).sort_values("epoch").drop_duplicates("epoch")
    )
    epochs = sets.epoch.to_numpy().astype("datetime64[ms]")
    out = []
    for d in found:
        k = int(np.searchsorted(epochs, d.time))  # the first set after the change
        if not 1 <= k < len(epochs) - 1:
            out.append(d)
            continue
        pre, post = _satrec(sets.iloc[k - 1]), _satrec(sets.iloc[k + 1])  # the next may straddle the burn
        half_day = np.timedelta64(12, "h")
        crossing = _crossing(pre, post, epochs[k - 1] - half_day, epochs[k + 1] + half_day)
        # the burn lies between the last set before it and the first after: half that gap is the claim
        gap_h = float((epochs[k] - epochs[k - 1]) / np.timedelta64(1, "h"))
        out.append(d if crossing is None else dataclasses.replace(d, time=crossing, uncertainty_h=0.5 * gap_h))
    return out


def _crossing(pre: Satrec, post: Satrec, start: np.datetime64, stop: np.datetime64) -> np.datetime64 | None:
    """The time where ``post``'s position passes ``pre``'s along its track, averaged over one
    orbit (which removes the once-a-revolution terms of a changed eccentricity): the crossing nearest to zero
    where there are several, the closest approach where there is none; None where SGP4 fails."""
    period_min = 2.0 * np.pi / pre.no_kozai
    per_orbit = 40
    step = np.timedelta64(int(period_min * 60e3 / per_orbit), "ms")
    times = np.arange(start, stop, step)
    if len(times) < 2 * per_orbit:
        return None
    error_pre, r_pre, v_pre = pre.sgp4_array(*julian_date_split(times))
    error_post, r_post, _ = post.sgp4_array(*julian_date_split(times))
    if np.any(error_pre) or np.any(error_post):
        return None
    along = np.einsum("ij,ij->i", r_post - r_pre, v_pre / np.linalg.norm(v_pre, axis=1)[:, None])
    mean = np.convolve(along, np.ones(per_orbit) / per_orbit, mode="valid")
    centres = times[per_orbit // 2 : per_orbit // 2 + len(mean)]
    sign_changes = np.flatnonzero(np.sign(mean[1:]) != np.sign(mean[:-1]))
    if len(sign_changes):
        j = sign_changes[int(np.argmin(np.abs(mean[sign_changes])))]
        when = centres[j] + (mean[j] / (mean[j] - mean[j + 1]) * (centres[j + 1] - centres[j]))
    else:  # they never pass each other (noise of the same order as the drift): where they come closest
        j = min(int(np.argmin(np.abs(mean))), len(mean) - 2)
        when = centres[j]
    return when.astype("datetime64[ms]")


def manoeuvre_evidence(history: pd.DataFrame, settings: ManoeuvreSettings | None = None) -> pd.DataFrame:
    """The scores behind :func:`detect_manoeuvres`, per element set: columns norad_id, epoch, jump_score (the
    change from the previous set), step_score (a change in the ``ramp_sets`` sets from this one) and
    slope_change_score (a change of slope at this set), each as a multiple of its test's threshold (1 or more
    is a detection)."""
    s = settings or ManoeuvreSettings()
    h = _History.of(history, s)
    sets = h.sets
    if len(sets) == 0:
        return pd.DataFrame(columns=["norad_id", "epoch", "jump_score", "step_score", "slope_change_score"])
    return pd.DataFrame(
        {
            "norad_id": h.norad_id[sets],
            "epoch": h.time(h.days[sets]),
            "jump_score": np.insert(_jump_scores(h, s)[0], 0, 0.0)[sets],
            "step_score": np.nan_to_num(_step_scores(h, s)[0])[sets],
            "slope_change_score": np.nan_to_num(_slope_change_scores(h, s)[0])[sets],
        }
    )
