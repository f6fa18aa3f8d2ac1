"""Access windows: when each satellite's sensor can see each ground target, under any constraints.

The search, vectorised over satellites × targets:

1. Sample every satellite's Earth-fixed state on a uniform grid (step from the orbital period). For a few
   targets under an elevation mask or a cone, first at every sixth sample only: a satellite is propagated at
   the samples between only where a target is within its reach at a coarse sample, the reach widened by the
   farthest its sub-point can move in half a coarse step (from its elements: h / r_perigee², plus the Earth's
   rotation). A satellite sees one place a few per cent of the time: SGP4 runs for about a third of the samples.
2. Pre-filter by geometry: a target can be seen only within an Earth-central angle λ of the sub-satellite
   point (from altitude and the elevation or off-nadir limit), widened by the angle the satellite moves in
   half a step, so that a window, however short, lies within reach of a sample. Candidates come from a
   dense matrix product for few targets and a KD-tree of target directions for many.
3. Evaluate the constraints' margins (positive = satisfied) at candidate samples and their neighbours;
   sign changes bracket window ends. Where a run of candidates has no positive sample, a golden-section
   search looks for a short window hiding between samples (a grazing pass).
4. Refine every start and end to 0.1 ms (Illinois regula falsi) and every culmination, the zero of the
   elevation's rate, likewise (compiled: ``_window_kernel.culminations``; Orekit agrees to 1.2 ms),
   evaluating the satellite by cubic Hermite interpolation of the sampled positions and velocities (~0.3 m at
   a 60 s step in LEO) rather than by re-running SGP4.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from overhead.analysis import _window_kernel  # the compiled loop; set to None, the vectorised path does all
from overhead.analysis._window_kernel import culminations, look_angles_at
from overhead.analysis.events import find_roots, search_positive
from overhead.constants import EARTH_MU_KM3_S2, SECONDS_PER_DAY
from overhead.errors import OverheadError
from overhead.geometry.sensors import AccessConstraints, NadirCone, central_angle_bound_rad
from overhead.geometry.targets import TargetSet
from overhead.geometry.topocentric import GroundSite
from overhead.orbits.catalog import check_element_age, warn_if_stale
from overhead.orbits.frames import EARTH_ROTATION_RATE_RAD_S, WGS84_A_KM
from overhead.orbits.hermite import hermite_coefficients, hermite_rows_at
from overhead.orbits.parallel import default_workers, run_over_satellites
from overhead.orbits.satellites import Satellites
from overhead.orbits.sun import sun_position_itrf_km
from overhead.orbits.timescales import to_datetime64

__all__ = ["WINDOW_COLUMNS", "WindowIntervals", "access_intervals", "access_windows", "orbit_step_s"]

WINDOW_COLUMNS = (
    "norad_id",
    "name",
    "target",
    "start",
    "end",
    "duration_s",
    "culmination",
    "max_elevation_deg",
    "min_off_nadir_deg",
    "start_azimuth_deg",
    "end_azimuth_deg",
    "truncated",
    "start_constraint",
    "end_constraint",
)
ROOT_TOLERANCE_S = 1e-4
DENSE_TARGETS = 4096
FEW_TARGETS = 64  # with the compiled index, a dense product only for this few targets
MAX_ELEMENT_AGE_DAYS = 30.0
HIDDEN_WINDOW_S = 0.25  # a window hidden between samples is found if it lasts longer than about this
FAILED = -1e9
# what may open or close a window (the margins of ``_geometry``, "interval" where the span cuts it, "" where not
# asked): windows carry codes into this until the table is built
CONSTRAINT_NAMES = (
    "elevation",
    "off_nadir",
    "sensor",
    "min_incidence",
    "max_incidence",
    "sun_elevation",
    "max_sun_elevation",
    "sunlit",
    "eclipse",
    "interval",
    "",
)
INTERVAL_CODE, UNASKED_CODE = CONSTRAINT_NAMES.index("interval"), CONSTRAINT_NAMES.index("")
TEXT_DTYPE = pd.Series(["text"]).dtype  # what pandas makes of Python strings (pandas 3: the Arrow-backed "str")
COARSE_STRIDE = 6  # the coarse pre-filter's step in samples (a third of the states; 4-10 cost about the same)
APOGEE_MARGIN_KM = 50.0  # SGP4's short-period terms move the radius by ~10 km in low orbits


def orbit_step_s(period_min: float) -> float:
    """Coarse step: 1/100 of the shortest period, between 10 s and 60 s."""
    return float(np.clip(period_min * 60.0 / 100.0, 10.0, 60.0))


@dataclass
class _Context:
    """What every margin evaluation needs, shared by all chunks."""

    targets: TargetSet
    position: np.ndarray  # (T, 3) km, ITRF
    up: np.ndarray
    north: np.ndarray
    east: np.ndarray
    base_mask: np.ndarray  # (T,) the elevation mask before terrain
    constraints: AccessConstraints
    sun_km: np.ndarray | None  # (K+1, 3) ITRF at the samples
    step_s: float
    n_steps: int  # K: samples are 0..K

    @property
    def target_unit(self) -> np.ndarray:
        """The targets' directions from the Earth's centre (T, 3), for the geometric pre-filters."""
        return self.position / np.linalg.norm(self.position, axis=-1)[:, None]

    @property
    def cone_only(self) -> bool:
        """Only an elevation mask and an off-nadir limit (a cone or field of regard) apply."""
        c = self.constraints
        return (
            not self.targets.terrain_masks
            and isinstance(c.sensor, NadirCone | None)
            and c.min_incidence_deg is None
            and c.max_incidence_deg is None
            and not c.needs_sun
        )

    @property
    def lowest_elevation_deg(self) -> float:
        """The lowest elevation at which any target can count as seen (for the geometric pre-filters)."""
        return float(np.min(self.constraints.lowest_elevation_deg(self.base_mask)))

    @property
    def simple_elevation(self) -> bool:
        """Only an elevation mask applies: the searches can skip every other angle."""
        c = self.constraints
        return (
            not self.targets.terrain_masks
            and c.sensor is None
            and c.max_off_nadir_deg is None
            and c.min_incidence_deg is None
            and c.max_incidence_deg is None
            and not c.needs_sun
        )


class _Ephemeris:
    """Sampled ITRF states of a chunk of satellites, evaluated anywhere by cubic Hermite interpolation."""

    def __init__(self, r: np.ndarray, v: np.ndarray, step_s: float):
        self.r, self.v, self.step = r, v, step_s
        self.k_max = r.shape[1] - 1

    def at(self, sat: np.ndarray, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """States of satellites ``sat`` at times ``t_s`` (one each)."""
        return hermite_rows_at(self.r, self.v, sat.astype(np.int64), t_s.astype(float), float(self.step))

    def local(self, sat: np.ndarray, first: np.ndarray, steps: int) -> _LocalStates:
        """The samples first..first+steps of each satellite as cubic polynomials, for many evaluations."""
        first = np.clip(first, 0, self.k_max - steps)
        index = first[:, None] + np.arange(steps + 1)
        r, v = self.r[sat[:, None], index], self.v[sat[:, None], index]
        coefficients = hermite_coefficients(r[:, :-1], v[:, :-1], r[:, 1:], v[:, 1:], self.step)
        return _LocalStates(coefficients, first * self.step, self.step)


@dataclass
class _LocalStates:
    """Cubic polynomials of position on a few consecutive steps per row: (row, step, power, xyz)."""

    c: np.ndarray
    t0: np.ndarray  # (n,) time of the first gathered sample, s
    step: float

    def at(self, rows: np.ndarray, t_s: np.ndarray, *, velocity: bool = True):
        x = (t_s - self.t0[rows]) / self.step
        if self.c.shape[1] == 1:
            k = np.zeros(rows.size, dtype=np.int64)
            c = self.c[rows, 0]
        else:
            k = np.clip(np.floor(x).astype(np.int64), 0, self.c.shape[1] - 1)
            c = self.c[rows, k]
        s = (x - k)[:, None]
        r = ((c[:, 3] * s + c[:, 2]) * s + c[:, 1]) * s + c[:, 0]
        if not velocity:
            return r, None
        v = ((3 * c[:, 3] * s + 2 * c[:, 2]) * s + c[:, 1]) / self.step
        return r, v


def _sun_at(ctx: _Context, t_s: np.ndarray) -> np.ndarray:
    x = np.clip(t_s / ctx.step_s, 0, ctx.n_steps)
    k = np.minimum(np.floor(x).astype(np.int64), ctx.n_steps - 1)
    f = (x - k)[:, None]
    assert ctx.sun_km is not None  # computed whenever a constraint needs the sun
    return ctx.sun_km[k] * (1 - f) + ctx.sun_km[k + 1] * f


@dataclass
class _Geometry:
    elevation_deg: np.ndarray
    azimuth_deg: np.ndarray
    off_nadir_deg: np.ndarray
    margins: dict[str, np.ndarray]

    @property
    def margin(self) -> np.ndarray:
        return np.min(np.stack(list(self.margins.values())), axis=0)

    def bounding(self) -> np.ndarray:
        """The code (position in :data:`CONSTRAINT_NAMES`) of the constraint nearest its limit, per row."""
        codes = np.array([CONSTRAINT_NAMES.index(name) for name in self.margins])
        return codes[np.argmin(np.abs(np.stack(list(self.margins.values()))), axis=0)]


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b)


def _elevation_deg(ctx: _Context, r: np.ndarray, target: np.ndarray) -> np.ndarray:
    d = r - ctx.position[target]
    return np.degrees(np.arcsin(np.clip(_dot(d, ctx.up[target]) / np.sqrt(_dot(d, d)), -1, 1)))


def _margin(ctx: _Context, r: np.ndarray, v: np.ndarray, target: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """The smallest constraint margin (positive = all satisfied); the cheap paths for the searches."""
    if ctx.simple_elevation:
        return _elevation_deg(ctx, r, target) - ctx.base_mask[target]
    if ctx.cone_only:
        d = ctx.position[target] - r  # satellite → target
        rng2 = _dot(d, d)
        elevation = np.degrees(np.arcsin(np.clip(-_dot(d, ctx.up[target]) / np.sqrt(rng2), -1, 1)))
        cos_off = -_dot(d, r) / np.sqrt(rng2 * _dot(r, r))
        off_nadir = np.degrees(np.arccos(np.clip(cos_off, -1, 1)))
        return np.minimum(elevation - ctx.base_mask[target], ctx.constraints.off_nadir_limit_deg() - off_nadir)
    return _geometry(ctx, r, v, target, t_s).margin


def _geometry(ctx: _Context, r: np.ndarray, v: np.ndarray, target: np.ndarray, t_s: np.ndarray) -> _Geometry:
    """Look angles and constraint margins for satellite states r, v (n, 3) and target indices (n,)."""
    d = r - ctx.position[target]
    rng = np.sqrt(_dot(d, d))
    up = _dot(d, ctx.up[target]) / rng
    elevation = np.degrees(np.arcsin(np.clip(up, -1, 1)))
    azimuth = np.degrees(np.arctan2(_dot(d, ctx.east[target]), _dot(d, ctx.north[target]))) % 360.0
    radius = np.sqrt(_dot(r, r))
    nadir = -r / radius[:, None]
    look = -d / rng[:, None]  # satellite → target
    down = _dot(look, nadir)
    off_nadir = np.degrees(np.arccos(np.clip(down, -1, 1)))
    c = ctx.constraints
    mask = ctx.base_mask[target]
    if ctx.targets.terrain_masks:
        mask = mask.copy()
        for j, (az, el) in ctx.targets.terrain_masks.items():
            rows = target == j
            if rows.any():
                mask[rows] = np.maximum(mask[rows], np.interp(azimuth[rows], az, el, period=360.0))
    margins = {"elevation": elevation - mask}
    if c.max_off_nadir_deg is not None:
        margins["off_nadir"] = c.max_off_nadir_deg - off_nadir
    if c.sensor is not None:
        along_axis = v - _dot(v, nadir)[:, None] * nadir
        along_axis /= np.sqrt(_dot(along_axis, along_axis))[:, None]
        cross_axis = np.cross(nadir, along_axis)
        along = np.degrees(np.arctan2(np.einsum("ij,ij->i", look, along_axis), down))
        cross = np.degrees(np.arctan2(np.einsum("ij,ij->i", look, cross_axis), down))
        margins["sensor"] = c.sensor.margin_deg(off_nadir, along, cross)
    if c.min_incidence_deg is not None:
        margins["min_incidence"] = (90.0 - elevation) - c.min_incidence_deg
    if c.max_incidence_deg is not None:
        margins["max_incidence"] = c.max_incidence_deg - (90.0 - elevation)
    if c.needs_sun:
        sun = _sun_at(ctx, t_s)
        sun_unit = sun / np.linalg.norm(sun, axis=-1)[:, None]
        sun_elevation = np.degrees(np.arcsin(np.clip(np.einsum("ij,ij->i", sun_unit, ctx.up[target]), -1, 1)))
        if c.min_sun_elevation_deg is not None:
            margins["sun_elevation"] = sun_elevation - c.min_sun_elevation_deg
        if c.max_sun_elevation_deg is not None:
            margins["max_sun_elevation"] = c.max_sun_elevation_deg - sun_elevation
        if c.sunlit is not None:
            toward = np.einsum("ij,ij->i", r, sun_unit)
            clearance = np.sqrt(np.maximum(radius**2 - toward**2, 0.0)) - WGS84_A_KM
            lit = np.where(toward >= 0, WGS84_A_KM, clearance)  # km beyond the shadow's edge
            margins["sunlit" if c.sunlit else "eclipse"] = lit if c.sunlit else -lit
    failed = ~np.isfinite(r).all(axis=-1)
    if failed.any():
        for value in margins.values():
            value[failed] = FAILED
    return _Geometry(elevation, azimuth, off_nadir, margins)


def _candidate_keys(ctx: _Context, r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Sorted keys ((satellite × targets + target) × samples + sample) of the samples that pass the geometric
    pre-filter."""
    n_samples = r.shape[1]
    n_targets = len(ctx.targets)
    if _window_kernel is not None and n_targets <= FEW_TARGETS:  # one compiled pass, no temporaries
        limit = ctx.constraints.off_nadir_limit_deg()
        return _window_kernel.candidate_keys_few(
            np.ascontiguousarray(r),
            np.ascontiguousarray(v),
            float(ctx.step_s),
            np.ascontiguousarray(ctx.target_unit),
            ctx.lowest_elevation_deg,
            np.nan if limit is None else float(limit),
        )
    radius = np.linalg.norm(r, axis=-1)
    speed = np.linalg.norm(v, axis=-1)
    bound = central_angle_bound_rad(
        np.nan_to_num(radius, nan=WGS84_A_KM + 1.0),
        min_elevation_deg=ctx.lowest_elevation_deg,
        max_off_nadir_deg=ctx.constraints.off_nadir_limit_deg(),
    )
    reach = np.minimum(bound + np.nan_to_num(speed, nan=0.0) * ctx.step_s / 2.0 / np.nan_to_num(radius, nan=1e9), np.pi)
    sub_point = (r / radius[..., None]).reshape(-1, 3)
    reach = reach.reshape(-1)
    finite = np.isfinite(sub_point).all(axis=-1)
    target_unit = ctx.target_unit
    if _window_kernel is not None and n_targets > FEW_TARGETS:  # a latitude-longitude bucket index, compiled
        typical_reach = np.nanmedian(np.where(finite, reach, np.nan)[:: max(1, reach.size // 10_000)])
        bucket_deg = _window_kernel.bucket_size_deg(n_targets, float(np.nan_to_num(typical_reach)))
        order, starts, n_lat, n_lon = _window_kernel.target_buckets(target_unit, bucket_deg)
        keys = _window_kernel.candidate_keys(
            np.ascontiguousarray(sub_point),
            np.ascontiguousarray(reach),
            np.ascontiguousarray(target_unit),
            order,
            starts,
            n_lat,
            n_lon,
            n_targets,
            n_samples,
        )
        return keys
    if n_targets <= DENSE_TARGETS:
        rows, cols = [], []
        block = max(1, 2_000_000 // n_targets)
        cos_reach = np.cos(reach)
        for a in range(0, sub_point.shape[0], block):
            dots = sub_point[a : a + block] @ target_unit.T
            i, j = np.nonzero((dots >= cos_reach[a : a + block, None]) & finite[a : a + block, None])
            rows.append(i + a)
            cols.append(j)
        flat, target = np.concatenate(rows), np.concatenate(cols)
    else:
        from scipy.spatial import cKDTree  # a sixth of a second to import: only where many targets need it

        tree = cKDTree(target_unit)
        chord = 2.0 * np.sin(reach / 2.0)
        index = np.flatnonzero(finite)
        lists = tree.query_ball_point(sub_point[index], chord[index], workers=1)
        lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
        flat = np.repeat(index, lengths)
        target = np.fromiter((j for x in lists for j in x), dtype=np.int64, count=int(lengths.sum()))
    return np.sort((flat // n_samples * n_targets + target) * n_samples + flat % n_samples)


def _arc_distance(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Angular distance (rad) from unit vectors p to the great-circle arcs from a to b (all (n, 3))."""
    normal = np.cross(a, b)
    length = np.sqrt(_dot(normal, normal))
    normal = normal / np.where(length > 0, length, 1.0)[:, None]
    off_plane = _dot(p, normal)
    foot = p - off_plane[:, None] * normal
    inside = (_dot(np.cross(a, foot), normal) >= 0) & (_dot(np.cross(foot, b), normal) >= 0) & (length > 0)
    to_ends = np.minimum(np.arccos(np.clip(_dot(p, a), -1, 1)), np.arccos(np.clip(_dot(p, b), -1, 1)))
    return np.where(inside, np.arcsin(np.clip(np.abs(off_plane), 0, 1)), to_ends)


def _track_reaches(ctx: _Context, r: np.ndarray, sat: np.ndarray, sample: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Whether the ground track within a step of ``sample`` comes within reach of the target, for constraints
    that depend on the Earth-central angle and altitude alone (an elevation mask, an off-nadir cone).

    The track between samples is taken as the great-circle arcs through the sampled sub-satellite points; it
    departs from them by far less than the 0.1° allowed.
    """
    last = r.shape[1] - 1
    points = [r[sat, np.clip(sample + d, 0, last)] for d in (-1, 0, 1)]
    radius = np.max([np.sqrt(_dot(p, p)) for p in points], axis=0)
    units = [p / np.sqrt(_dot(p, p))[:, None] for p in points]
    w = ctx.position[target] / np.sqrt(_dot(ctx.position[target], ctx.position[target]))[:, None]
    distance = np.minimum(_arc_distance(units[0], units[1], w), _arc_distance(units[1], units[2], w))
    reach = central_angle_bound_rad(
        radius, min_elevation_deg=ctx.lowest_elevation_deg, max_off_nadir_deg=ctx.constraints.off_nadir_limit_deg()
    )
    finite = np.isfinite(distance) & np.isfinite(reach)
    return ~finite | (distance <= reach + np.radians(0.1))


def _local_margin(ctx: _Context, states: _LocalStates, sat_target: np.ndarray):
    velocity = not (ctx.simple_elevation or ctx.cone_only)

    def f(rows: np.ndarray, t: np.ndarray) -> np.ndarray:
        r, v = states.at(rows, t, velocity=velocity)
        return _margin(ctx, r, v, sat_target[rows], t)

    return f


def _hidden_windows(
    ctx: _Context, r: np.ndarray, ephemeris: _Ephemeris, samples: tuple, positive: np.ndarray, new_segment: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows that open and close between two samples of a segment with no positive sample: the best sample of
    each such segment, its peak searched on the local ephemeris, and the roots either side of a positive peak.
    ``samples``: (sat, sample, target, t, g) of the candidate samples. Returns (the segments' best samples,
    start times, end times)."""
    sat, sample, target, t, g = samples
    nothing = np.empty(0, dtype=int), np.empty(0), np.empty(0)
    segment_id = np.cumsum(new_segment) - 1
    any_positive = np.zeros(segment_id[-1] + 1, dtype=bool)
    np.logical_or.at(any_positive, segment_id, positive)
    order = np.lexsort((-g, segment_id))
    best = order[np.r_[True, segment_id[order][1:] != segment_id[order][:-1]]]
    best = best[~any_positive[segment_id[best]]]
    if best.size and (ctx.simple_elevation or ctx.cone_only):
        best = best[_track_reaches(ctx, r, sat[best], sample[best], target[best])]
    if not best.size:
        return nothing
    states = ephemeris.local(sat[best], sample[best] - 1, 2)
    lo = np.maximum(t[best] - ctx.step_s, states.t0)
    hi = np.minimum(t[best] + ctx.step_s, states.t0 + 2 * ctx.step_s)
    f = _local_margin(ctx, states, target[best])
    peak_t, peak_g = search_positive(f, lo, hi, HIDDEN_WINDOW_S)
    hidden = np.flatnonzero(peak_g > 0)
    if not hidden.size:
        return nothing

    def f_hidden(rows, tt):
        return f(hidden[rows], tt)

    f_lo, f_hi = f(hidden, lo[hidden]), f(hidden, hi[hidden])
    hidden_start = find_roots(f_hidden, lo[hidden], peak_t[hidden], f_lo, peak_g[hidden], ROOT_TOLERANCE_S)
    hidden_end = find_roots(f_hidden, peak_t[hidden], hi[hidden], peak_g[hidden], f_hi, ROOT_TOLERANCE_S)
    return best[hidden], hidden_start, hidden_end


def _chunk_windows(ctx: _Context, r: np.ndarray, v: np.ndarray) -> dict[str, np.ndarray]:
    """Windows of one chunk of satellites, as arrays (satellite index within the chunk, target, times...)."""
    n_samples = r.shape[1]
    n_targets = len(ctx.targets)
    keys = _candidate_keys(ctx, r, v)
    if keys.size == 0:
        return _no_windows()
    if _window_kernel is not None and (ctx.simple_elevation or ctx.cone_only):
        return _compiled_windows(ctx, r, v, keys)
    pair, sample = keys // n_samples, keys % n_samples
    # candidates and their neighbours, sorted by pair then sample
    key = np.sort(np.concatenate([pair * n_samples + np.clip(sample + d, 0, n_samples - 1) for d in (-1, 0, 1)]))
    key = key[np.r_[True, key[1:] != key[:-1]]]
    pair, sample = key // n_samples, key % n_samples
    sat, target = pair // n_targets, pair % n_targets
    ephemeris = _Ephemeris(r, v, ctx.step_s)
    t = sample * ctx.step_s
    g = _margin(ctx, r[sat, sample], v[sat, sample], target, t)
    positive = g > 0
    new_segment = np.ones(key.size, dtype=bool)
    new_segment[1:] = (pair[1:] != pair[:-1]) | (sample[1:] != sample[:-1] + 1)
    last_of_segment = np.r_[new_segment[1:], True]
    next_positive = np.r_[positive[1:], False]

    # rises and sets between samples; a window open at a segment's edge starts or ends there
    step_up = ~last_of_segment & ~positive & next_positive
    step_down = ~last_of_segment & positive & ~next_positive
    open_start, open_end = new_segment & positive, last_of_segment & positive
    times = np.empty(key.size)
    for crossing in (np.flatnonzero(step_up), np.flatnonzero(step_down)):
        states = ephemeris.local(sat[crossing], sample[crossing], 1)
        times[crossing] = find_roots(
            _local_margin(ctx, states, target[crossing]),
            t[crossing],
            t[crossing] + ctx.step_s,
            g[crossing],
            g[crossing + 1],
            ROOT_TOLERANCE_S,
        )
    start_index = np.flatnonzero(step_up | open_start)  # the sample before (or at) each start
    end_index = np.flatnonzero(step_down | open_end)
    start_time = np.where(open_start[start_index], t[start_index], times[start_index])
    end_time = np.where(open_end[end_index], t[end_index], times[end_index])
    window_sat, window_target = sat[start_index], target[start_index]
    start_cut, end_cut = open_start[start_index], open_end[end_index]

    # grazing windows hidden between samples: segments with no positive sample
    b, hidden_start, hidden_end = _hidden_windows(ctx, r, ephemeris, (sat, sample, target, t, g), positive, new_segment)
    if b.size:
        window_sat = np.concatenate([window_sat, sat[b]])
        window_target = np.concatenate([window_target, target[b]])
        start_time = np.concatenate([start_time, hidden_start])
        end_time = np.concatenate([end_time, hidden_end])
        start_cut = np.concatenate([start_cut, np.zeros(b.size, bool)])
        end_cut = np.concatenate([end_cut, np.zeros(b.size, bool)])
    span = (n_samples - 1) * ctx.step_s
    return {
        "sat": window_sat,
        "target": window_target,
        "start": start_time,
        "end": end_time,
        "start_cut": start_cut & (start_time <= 0.0),
        "end_cut": end_cut & (end_time >= span),
        "ephemeris": ephemeris,
    }


def _no_windows() -> dict[str, np.ndarray]:
    """The windows of a chunk where no sample passes the pre-filter."""
    return {
        "sat": np.zeros(0, np.int64),
        "target": np.zeros(0, np.int64),
        "start": np.zeros(0),
        "end": np.zeros(0),
        "start_cut": np.zeros(0, bool),
        "end_cut": np.zeros(0, bool),
    }


def _compiled_windows(ctx: _Context, r: np.ndarray, v: np.ndarray, keys: np.ndarray) -> dict[str, np.ndarray]:
    """The windows of :func:`_chunk_windows` from the compiled loop (elevation mask and off-nadir cone only),
    given the sorted keys (pair × samples + sample) of the candidate samples."""
    limit = ctx.constraints.off_nadir_limit_deg() if ctx.cone_only and not ctx.simple_elevation else None
    found = _window_kernel.chunk_windows(
        np.ascontiguousarray(r),
        np.ascontiguousarray(v),
        float(ctx.step_s),
        keys.astype(np.int64),
        len(ctx.targets),
        np.ascontiguousarray(ctx.position, dtype=float),
        np.ascontiguousarray(ctx.up, dtype=float),
        np.sin(np.radians(ctx.base_mask.astype(float))),
        np.nan if limit is None else float(np.cos(np.radians(limit))),
        ctx.lowest_elevation_deg,
        np.nan if limit is None else float(limit),
        ROOT_TOLERANCE_S,
        HIDDEN_WINDOW_S,
    )
    names = ("sat", "target", "start", "end", "start_cut", "end_cut")
    return {**dict(zip(names, found, strict=True)), "ephemeris": _Ephemeris(r, v, ctx.step_s)}


def _describe(ctx: _Context, windows: dict, first_sat: int) -> dict[str, np.ndarray]:
    """Culmination, angles and bounding constraints of each window, by column (one row each): satellites and
    targets as positions (``first_sat`` the chunk's first satellite), constraints as codes; the strings are put
    in once, when the table is built."""
    ephemeris: _Ephemeris = windows["ephemeris"]
    sat, target, start, end = windows["sat"], windows["target"], windows["start"], windows["end"]

    peak_t = culminations(
        ephemeris.r,
        ephemeris.v,
        float(ctx.step_s),
        sat.astype(np.int64),
        target.astype(np.int64),
        start.astype(float),
        end.astype(float),
        np.ascontiguousarray(ctx.position, dtype=float),
        np.ascontiguousarray(ctx.up, dtype=float),
        ROOT_TOLERANCE_S,
    )
    at_peak, at_start, at_end = (_window_angles(ctx, ephemeris, sat, target, t) for t in (peak_t, start, end))
    start_constraint = np.where(windows["start_cut"], INTERVAL_CODE, at_start.bounding())
    end_constraint = np.where(windows["end_cut"], INTERVAL_CODE, at_end.bounding())
    return {
        "satellite": sat + first_sat,
        "target": target,
        "start_s": start,
        "end_s": end,
        "culmination_s": peak_t,
        "max_elevation_deg": at_peak.elevation_deg,
        "min_off_nadir_deg": at_peak.off_nadir_deg,
        "start_azimuth_deg": at_start.azimuth_deg,
        "end_azimuth_deg": at_end.azimuth_deg,
        "truncated": windows["start_cut"] | windows["end_cut"],
        "start_constraint": start_constraint,
        "end_constraint": end_constraint,
    }


def _window_angles(ctx: _Context, ephemeris: _Ephemeris, sat: np.ndarray, target: np.ndarray, t_s: np.ndarray):
    """The angles and margins at one time of each window: compiled where the elevation mask is the only
    constraint (the angles are all there is to know), ``_geometry`` otherwise."""
    if not ctx.simple_elevation:
        r, v = ephemeris.at(sat, t_s)
        return _geometry(ctx, r, v, target, t_s)
    elevation, azimuth, off_nadir = look_angles_at(
        ephemeris.r,
        ephemeris.v,
        float(ctx.step_s),
        sat.astype(np.int64),
        target.astype(np.int64),
        t_s.astype(float),
        *(np.ascontiguousarray(a, dtype=float) for a in (ctx.position, ctx.up, ctx.north, ctx.east)),
    )
    return _Geometry(elevation, azimuth, off_nadir, {"elevation": elevation - ctx.base_mask[target]})


def _times_only(windows: dict, first_sat: int) -> dict[str, np.ndarray]:
    """Windows without culmination or angles (what coverage statistics need); those columns are NaN, the
    constraints "" unless cut (:func:`_describe`'s codes)."""
    n = windows["sat"].size
    nan = np.full(n, np.nan)
    return {
        "satellite": windows["sat"] + first_sat,
        "target": windows["target"],
        "start_s": windows["start"],
        "end_s": windows["end"],
        "culmination_s": nan,
        "max_elevation_deg": nan,
        "min_off_nadir_deg": nan,
        "start_azimuth_deg": nan,
        "end_azimuth_deg": nan,
        "truncated": windows["start_cut"] | windows["end_cut"],
        "start_constraint": np.where(windows["start_cut"], INTERVAL_CODE, UNASKED_CODE),
        "end_constraint": np.where(windows["end_cut"], INTERVAL_CODE, UNASKED_CODE),
    }


def _as_targets(targets) -> TargetSet:
    if isinstance(targets, TargetSet):
        return targets
    if isinstance(targets, GroundSite):
        return TargetSet.from_sites([targets])
    if isinstance(targets, list | tuple) and targets and isinstance(targets[0], GroundSite):
        return TargetSet.from_sites(list(targets))
    raise TypeError("targets must be a TargetSet, a GroundSite or a list of GroundSites")


def _check_inputs(satellites, targets: TargetSet, t0, t1, max_element_age_days) -> None:
    if len(satellites) == 0:
        raise OverheadError("no satellites: the catalog is empty (were all its records rejected?)")
    if len(targets) == 0:
        raise OverheadError("no targets given")
    if t1 <= t0:
        raise OverheadError("the analysis stop must be after its start")
    if (t1 - t0) > np.timedelta64(366, "D"):
        raise OverheadError("the analysis interval is longer than a year; split it into shorter runs")
    check_element_age(satellites, t0, t1, max_element_age_days)


def access_windows(
    satellites,
    targets,
    start,
    stop,
    constraints: AccessConstraints | None = None,
    *,
    step_s: float | None = None,
    workers: int | None = None,
    progress: bool = False,
    max_element_age_days: float | None = MAX_ELEMENT_AGE_DAYS,
    details: bool = True,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Every window in [start, stop] in which a satellite can see a target under ``constraints``.

    Parameters
    ----------
    satellites : a :class:`~overhead.Catalog` (SGP4) or :class:`~overhead.orbits.j2.DesignedOrbits`.
    targets : a :class:`~overhead.geometry.targets.TargetSet`, a ``GroundSite`` or a list of them.
    start, stop : UTC times.
    constraints : elevation, off-nadir, sensor, incidence, sun and eclipse conditions, minimum duration.
    step_s : coarse step (default: 1/100 of the shortest orbital period, 10-60 s).

    Returns
    -------
    ``pandas.DataFrame`` with columns :data:`WINDOW_COLUMNS`, sorted by start: times are UTC
    ``datetime64[ns]``; ``truncated`` marks windows cut by the analysis interval; ``start_constraint`` and
    ``end_constraint`` name the condition that opened and closed each window (``interval`` where cut).
    ``details=False`` skips culmination, angles and bounding constraints (NaN, or "" unless cut): faster,
    for statistics that need the times alone (:func:`access_intervals` is faster still). ``columns``: the
    table's columns as {name: one of WINDOW_COLUMNS} (default: all, as named there): fewer, or renamed, without
    building the others (a pass list has no target or constraint columns: a third of a small question's table).
    """
    search = _Search.prepare(satellites, targets, start, stop, constraints, step_s, max_element_age_days)

    def tables(a: int, b: int, windows: dict) -> dict[str, np.ndarray] | None:
        if windows["sat"].size == 0:
            return None
        return _describe(search.ctx, windows, a) if details else _times_only(windows, a)

    parts = [p for p in search.run(tables, workers, progress) if p is not None]
    return _finish(parts, search, satellites, columns or {c: c for c in WINDOW_COLUMNS})


@dataclass
class WindowIntervals:
    """Windows as bare arrays, for statistics over many of them: satellite and target indices (positions in
    the inputs), start and end in seconds from the analysis start, and whether the interval cut each end."""

    satellite: np.ndarray
    target: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    start_cut: np.ndarray
    end_cut: np.ndarray

    def __len__(self) -> int:
        return self.satellite.size

    @classmethod
    def concatenate(cls, parts: list[WindowIntervals]) -> WindowIntervals:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))


def access_intervals(
    satellites,
    targets,
    start,
    stop,
    constraints: AccessConstraints | None = None,
    *,
    step_s: float | None = None,
    workers: int | None = None,
) -> WindowIntervals:
    """The windows of :func:`access_windows` (same search, same times) as arrays, unsorted: what coverage
    statistics over millions of windows need, without a table's names, strings and timestamps."""
    search = _Search.prepare(satellites, targets, start, stop, constraints, step_s, None)

    def arrays(a: int, _b: int, windows: dict) -> WindowIntervals:
        return WindowIntervals(
            windows["sat"] + a,
            windows["target"],
            windows["start"],
            windows["end"],
            windows["start_cut"],
            windows["end_cut"],
        )

    found = WindowIntervals.concatenate(search.run(arrays, workers, False))
    if search.constraints.min_duration_s <= 0:
        return found
    keep = found.end_s - found.start_s >= search.constraints.min_duration_s
    return WindowIntervals(*(getattr(found, f)[keep] for f in WindowIntervals.__dataclass_fields__))


@dataclass
class _Search:
    """The set-up both entry points share: the sample grid, the margin context, the satellites."""

    satellites: Satellites
    ctx: _Context
    times: np.ndarray
    t0: np.datetime64
    constraints: AccessConstraints

    @classmethod
    def prepare(cls, satellites, targets, start, stop, constraints, step_s, max_element_age_days) -> _Search:
        constraints = constraints or AccessConstraints()
        targets = _as_targets(targets)
        t0, t1 = to_datetime64(start), to_datetime64(stop)
        _check_inputs(satellites, targets, t0, t1, max_element_age_days)
        span_s = (t1 - t0) / np.timedelta64(1, "ns") / 1e9
        if step_s is None:
            step_s = orbit_step_s(_shortest_period_min(satellites))
        n_steps = max(1, int(np.ceil(span_s / step_s)))
        step_s = span_s / n_steps
        times = t0 + np.round(np.arange(n_steps + 1) * step_s * 1e9).astype("timedelta64[ns]")
        ctx = _Context(
            targets=targets,
            position=targets.itrf_km,
            up=targets.up_unit(),
            north=targets.north_unit(),
            east=targets.east_unit(),
            base_mask=np.fmax(targets.min_elevation_deg, constraints.min_elevation_deg),
            constraints=constraints,
            sun_km=sun_position_itrf_km(times) if constraints.needs_sun else None,
            step_s=step_s,
            n_steps=n_steps,
        )
        warn_if_stale(satellites.age_days(np.array([t0, t1])))
        return cls(satellites, ctx, times, t0, constraints)

    def run(self, finish, workers: int | None, progress: bool) -> list:
        """``finish(a, b, windows)`` of each chunk of satellites [a, b), in chunk order."""
        satellites, ctx, times = self.satellites, self.ctx, self.times

        def task(a: int, b: int):
            r, v = _search_states(ctx, satellites[a:b], times)  # no Dataset: this loop runs per chunk
            return finish(a, b, _chunk_windows(ctx, r, v))

        n_steps = ctx.n_steps
        chunk = max(1, min(1024, 2_000_000 // (n_steps + 1)))
        workers = default_workers(len(satellites) * (n_steps + 1) * 4) if workers is None else workers
        return run_over_satellites(
            len(satellites), task, chunk_size=chunk, workers=workers, progress=progress, description="access windows"
        )


def _search_states(ctx: _Context, satellites, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ITRF states the window search reads: at every sample; or, for a few targets under an elevation mask
    or a cone, where the satellites' orbits are known, only near the coarse samples (every ``COARSE_STRIDE``-th)
    from which a target is within reach, the reach widened by the farthest the sub-satellite point can move in
    half a coarse step (NaN elsewhere: no window is there). A satellite sees one place ~3 % of the time: the
    search then costs about a third of the states."""
    n = times.size
    extremes = _orbit_extremes(satellites)
    if (
        _window_kernel is None
        or extremes is None
        or n < 4 * COARSE_STRIDE
        or len(ctx.targets) > FEW_TARGETS
        or not (ctx.simple_elevation or ctx.cone_only)
        or not hasattr(satellites, "state_arrays_where")
        or satellites.reads_ephemeris(times)  # its states cost less than the filter
    ):
        return satellites.state_arrays(times, "itrf")
    coarse = np.unique(np.r_[np.arange(0, n, COARSE_STRIDE), n - 1])
    r_coarse, _ = satellites.state_arrays(times[coarse], "itrf")
    apogee_km, rate_rad_s = extremes
    reach = central_angle_bound_rad(
        apogee_km, min_elevation_deg=ctx.lowest_elevation_deg, max_off_nadir_deg=ctx.constraints.off_nadir_limit_deg()
    )
    reach = np.minimum(reach + rate_rad_s * COARSE_STRIDE * ctx.step_s / 2.0, np.pi)
    needed = _window_kernel.coarse_needed(
        np.ascontiguousarray(r_coarse),
        np.cos(reach),
        np.ascontiguousarray(ctx.target_unit),
        coarse,
        COARSE_STRIDE // 2 + 3,  # a window's bracketing samples and the culmination's neighbours
        n,
    )
    return satellites.state_arrays_where(times, needed)


def _orbit_extremes(satellites) -> tuple[np.ndarray, np.ndarray] | None:
    """Per satellite, from its mean elements: a radius (km) it does not exceed (apogee, widened for SGP4's
    periodic terms) and an angular rate (rad/s) its Earth-fixed direction does not exceed (h / r_perigee² with
    a tenth more, plus the Earth's rotation). None where the satellites carry no element records."""
    records = getattr(satellites, "records", None)
    if records is None or len(records) != len(satellites):
        return None
    n_rad_s = np.array([r.mean_motion_rev_per_day for r in records]) * 2.0 * np.pi / SECONDS_PER_DAY
    e = np.clip(np.array([r.eccentricity for r in records]), 0.0, 0.99)
    a_km = np.cbrt(EARTH_MU_KM3_S2 / np.maximum(n_rad_s, 1e-9) ** 2)
    apogee_km = a_km * (1.0 + e) + APOGEE_MARGIN_KM
    rate = 1.1 * n_rad_s * np.sqrt(1.0 + e) / (1.0 - e) ** 1.5 + EARTH_ROTATION_RATE_RAD_S
    return apogee_km, rate


def _finish(parts: list[dict[str, np.ndarray]], search: _Search, satellites, named: Mapping[str, str]) -> pd.DataFrame:
    """The windows' table: each column ``name`` of ``named`` holds the window column ``named[name]``."""
    if not parts:
        return pd.DataFrame({name: pd.Series(dtype=_dtype(c)) for name, c in named.items()})
    # as arrays, one table built at the end: a service's small questions pay pandas' per-operation cost once
    columns = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    columns["duration_s"] = columns["end_s"] - columns["start_s"]
    for column in ("start", "end", "culmination"):
        seconds = columns.pop(f"{column}_s").astype(float)
        columns[column] = search.t0 + np.round(seconds * 1e9).astype("timedelta64[ns]")
    ids = np.asarray(satellites.norad_ids)
    columns["norad_id"] = ids[columns["satellite"]]
    keep = np.flatnonzero(columns["duration_s"] >= search.constraints.min_duration_s)
    keep = keep[start_then_id_order(columns["start"][keep].view(np.int64), columns["norad_id"][keep])]
    strings = {
        "name": (_names(satellites), columns["satellite"]),
        "target": (search.ctx.targets.ids, columns["target"]),
        "start_constraint": (CONSTRAINT_NAMES, columns["start_constraint"]),
        "end_constraint": (CONSTRAINT_NAMES, columns["end_constraint"]),
    }
    return pd.DataFrame(
        {name: _string_column(*strings[c], keep) if c in strings else columns[c][keep] for name, c in named.items()}
    )


def start_then_id_order(start: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``np.lexsort((ids, start))`` (by start, then id, then position) at a quarter of the time: one quicksort
    by start, the few rows that share a start (windows cut by the span's beginning) put in order apart."""
    order = np.argsort(start)
    by_start = start[order]
    tied = np.flatnonzero(by_start[1:] == by_start[:-1])
    if tied.size:
        places = np.unique(np.r_[tied, tied + 1])  # runs of equal starts, in start order
        rows = order[places]
        order[places] = rows[np.lexsort((rows, ids[rows], start[rows]))]
    return order


def _string_column(vocabulary, codes: np.ndarray, keep: np.ndarray) -> pd.Series:
    """``vocabulary[codes[keep]]`` as pandas' string column, taken by Arrow from the few distinct strings (a
    tenth of the time of converting a Python string per row: a third of a large search's time went there);
    a vocabulary that is not all text (ids given as numbers) keeps its values."""
    words = np.asarray(vocabulary, dtype=object)
    arrow_text = isinstance(TEXT_DTYPE, pd.StringDtype) and TEXT_DTYPE.storage == "pyarrow"
    if not arrow_text or not all(isinstance(w, str) or w is None for w in words):
        return pd.Series(words[codes[keep]])
    return pd.Series(pa.array(words, pa.large_string()).take(pa.array(codes[keep])), dtype=TEXT_DTYPE)


def _dtype(column: str):
    if column in ("start", "end", "culmination"):
        return "datetime64[ns]"
    if column in ("name", "target", "start_constraint", "end_constraint"):
        return object
    return bool if column == "truncated" else float


def _names(satellites) -> np.ndarray:
    names = getattr(satellites, "names", None)
    return np.asarray(names if names is not None else [""] * len(satellites), dtype=object)


def _shortest_period_min(satellites) -> float:
    if hasattr(satellites, "records"):
        return 1440.0 / max(r.mean_motion_rev_per_day for r in satellites.records)
    a = float(np.min(satellites.semi_major_axis_km))
    return 2 * np.pi * np.sqrt(a**3 / EARTH_MU_KM3_S2) / 60.0
