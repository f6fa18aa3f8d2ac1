"""Visible passes, as Heavens-Above and N2YO give them, and satellites' visual magnitudes.

A pass is visible while the satellite is sunlit (the Sun's centre above the Earth's limb, as seen from it), the
Sun is below ``max_sun_altitude_deg`` at the observer (-6°: civil twilight) and the satellite above the mask.

Magnitude: the standard model of a diffuse (Lambertian) sphere, from the object's standard (intrinsic) magnitude
at 1,000 km range and 50 % illumination (phase angle 90°):

    m = m_std + 5 log10(range / 1000 km) - 2.5 log10((π - φ) cos φ + sin φ)

with φ the phase angle at the satellite between the Sun and the observer (the last term is 0 at φ = 90°).
Standard magnitudes come from a small shipped table (``data/standard_magnitudes.csv``, with its source) or from
the caller. Where none is known but a radar cross-section is (SATCAT's RCS), an *estimate* is made from the size,
taking the RCS as the area of a diffuse sphere of albedo 0.175 (``magnitude_source = "estimate (RCS)"``):

    m_std = -26.74 - 2.5 log10( (2/3) · 0.175 · RCS / (π² · (1,000 km)²) )

Objects with neither have no magnitude (NaN), never a guess presented as a value.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from overhead._resources import data_path
from overhead.analysis.eclipses import shadow_functions
from overhead.analysis.events import find_roots
from overhead.analysis.passes import PASS_COLUMNS, passes_over_site
from overhead.geometry.topocentric import GroundSite, look_angles
from overhead.orbits.frames import gcrs_to_itrf_matrices
from overhead.orbits.hermite import hermite_states
from overhead.orbits.sun import sun_position_gcrs_km
from overhead.orbits.timescales import to_datetime64

__all__ = [
    "VISIBLE_COLUMNS",
    "read_satcat_rcs",
    "standard_magnitude_from_rcs",
    "standard_magnitudes",
    "visible_passes",
    "visual_magnitude",
]

SUN_MAGNITUDE = -26.74
DEFAULT_ALBEDO = 0.175

VISIBLE_COLUMNS = (
    *PASS_COLUMNS,
    "visible_start",
    "visible_end",
    "visible_s",
    "brightest_magnitude",
    "brightest_time",
    "magnitude_source",
)


@lru_cache(maxsize=1)
def standard_magnitudes() -> dict[int, float]:
    """NORAD id → standard magnitude of the shipped table."""
    with open(data_path("standard_magnitudes.csv"), newline="", encoding="utf-8") as f:
        return {int(row["norad_id"]): float(row["standard_magnitude"]) for row in csv.DictReader(f)}


def standard_magnitude_from_rcs(rcs_m2, albedo: float = DEFAULT_ALBEDO) -> np.ndarray:
    """An estimated standard magnitude from a radar cross-section (m²), as a diffuse sphere of that area."""
    flux = (2.0 / 3.0) * albedo * np.asarray(rcs_m2, dtype=float) / (np.pi**2 * 1.0e6**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return SUN_MAGNITUDE - 2.5 * np.log10(flux)


def read_satcat_rcs(path) -> dict[int, float]:
    """NORAD id → RCS (m²) of a CelesTrak SATCAT CSV (columns NORAD_CAT_ID and RCS; empty RCS skipped)."""
    from overhead.errors import OverheadError
    from overhead.readers import csv_rows, read_text_file

    what = "a SATCAT CSV (with the columns NORAD_CAT_ID and RCS)"
    rows = csv_rows(read_text_file(path, what), str(path), what)
    if not rows or not {"NORAD_CAT_ID", "RCS"} <= set(rows[0]):
        raise OverheadError(f"{path}: not {what}")
    norad_column, rcs_column = rows[0].index("NORAD_CAT_ID"), rows[0].index("RCS")
    out: dict[int, float] = {}
    for number, cells in enumerate(rows[1:], start=2):
        text = cells[rcs_column].strip() if len(cells) > rcs_column else ""
        if not text:
            continue
        try:
            value, norad_id = float(text), int(cells[norad_column])
        except (ValueError, IndexError) as exc:
            raise OverheadError(f"{path}, line {number}: RCS {text[:20]!r} or NORAD_CAT_ID is not a number") from exc
        if value > 0 and np.isfinite(value):
            out[norad_id] = value
    return out


def visual_magnitude(standard_magnitude, range_km, phase_angle_rad) -> np.ndarray:
    """Apparent visual magnitude of a diffuse sphere (see the module docstring)."""
    phi = np.asarray(phase_angle_rad, dtype=float)
    phase = (np.pi - phi) * np.cos(phi) + np.sin(phi)
    with np.errstate(divide="ignore"):
        return (
            np.asarray(standard_magnitude, dtype=float)
            + 5.0 * np.log10(np.asarray(range_km) / 1000.0)
            - 2.5 * np.log10(np.maximum(phase, 1e-300))
        )


SUN_GRID_STEP_S = 30.0


def _sun_itrf_interpolator(table: pd.DataFrame):
    """The Sun's ITRF position (km), geometric and apparent, at any time of the passes: computed on a 30 s grid
    over their span and interpolated linearly. The Sun turns 0.125° in ITRF in 30 s, so the interpolated
    direction is off by under 1e-6 rad (a few ms of the twilight and shadow crossings); computing it at every
    1 s sample of every pass was 95 % of the time (ERFA's ephemeris and precession-nutation per sample)."""
    if table.empty:
        return lambda times: (np.empty((0, 3)), np.empty((0, 3)))
    first = to_datetime64(table.rise.min()) - np.timedelta64(60, "s")
    last = to_datetime64(table.set.max()) + np.timedelta64(60, "s")
    span_s = (last - first) / np.timedelta64(1, "s")
    grid_s = np.arange(0.0, span_s + SUN_GRID_STEP_S, SUN_GRID_STEP_S)
    grid = first + (grid_s * 1e9).astype("timedelta64[ns]")
    rotation = gcrs_to_itrf_matrices(grid)
    geometric = np.einsum("tij,tj->ti", rotation, sun_position_gcrs_km(grid))
    apparent = np.einsum("tij,tj->ti", rotation, sun_position_gcrs_km(grid, apparent=True))

    def at(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t_s = (times - first) / np.timedelta64(1, "s")
        return (
            np.stack([np.interp(t_s, grid_s, geometric[:, k]) for k in range(3)], axis=1),
            np.stack([np.interp(t_s, grid_s, apparent[:, k]) for k in range(3)], axis=1),
        )

    return at


CROSSING_TOLERANCE_S = 1e-4  # visible start and end solved to 0.1 ms (the pass search's tolerance)
LIT, DARK = 0, 1  # the two conditions whose crossings bound the visible part


@dataclass
class _PassSamples:
    """Every pass sampled (one SGP4 call per satellite, not per pass): times, offsets from the rise (s), Earth-fixed
    positions and velocities, and the first sample of each pass (``bounds[p]:bounds[p + 1]``)."""

    times: np.ndarray
    offsets: np.ndarray
    r: np.ndarray
    v: np.ndarray
    bounds: np.ndarray

    @classmethod
    def of(cls, satellites, table: pd.DataFrame, index: dict[int, int]) -> _PassSamples:
        rises = table.rise.to_numpy("datetime64[ns]")
        lengths = (table.set.to_numpy("datetime64[ns]") - rises) / np.timedelta64(1, "s")
        offsets = [np.r_[np.arange(0.0, n, max(1.0, n / 3000.0)), n] for n in lengths]
        bounds = np.r_[0, np.cumsum([len(o) for o in offsets])].astype(np.int64)
        all_offsets = np.concatenate(offsets) if offsets else np.empty(0)
        times = np.repeat(rises, np.diff(bounds)) + (all_offsets * 1e9).astype("timedelta64[ns]")
        r, v = np.empty((len(times), 3)), np.empty((len(times), 3))
        owner = np.repeat(np.array([index[int(n)] for n in table.norad_id], dtype=np.int64), np.diff(bounds))
        for sat in np.unique(owner):
            at = np.flatnonzero(owner == sat)
            r_sat, v_sat = satellites[[int(sat)]].state_arrays(times[at], frame="itrf")
            r[at], v[at] = r_sat[0], v_sat[0]
        return cls(times, all_offsets, r, v, bounds)


def _visible_brackets(samples: _PassSamples, margins: np.ndarray, visible: np.ndarray):
    """Per pass: its first and last visible sample (-1 where none) and which brackets (rows of the returned list of
    (sample k, condition)) hold the crossings that begin and end its visible part: a condition that did not hold at
    the sample before the first visible one (after the last) crosses between them."""
    spans: list[tuple[int, int, list[int], list[int]]] = []
    brackets: list[tuple[int, int]] = []
    for p in range(len(samples.bounds) - 1):
        a, b = samples.bounds[p], samples.bounds[p + 1]
        seen = np.flatnonzero(visible[a:b])
        if not seen.size:
            spans.append((-1, -1, [], []))
            continue
        first, last = a + seen[0], a + seen[-1]
        begin_rows, end_rows = [], []
        for condition in (LIT, DARK):
            if first > a and margins[condition, first - 1] <= 0:
                begin_rows.append(len(brackets))
                brackets.append((first - 1, condition))
            if last < b - 1 and margins[condition, last + 1] <= 0:
                end_rows.append(len(brackets))
                brackets.append((last, condition))
        spans.append((first, last, begin_rows, end_rows))
    return spans, brackets


def _dark_margin(apparent_sun_km: np.ndarray, site: GroundSite, max_sun_altitude_deg: float) -> np.ndarray:
    """Degrees the Sun is below ``max_sun_altitude_deg`` at the site (> 0: the sky is dark enough). The observer
    sees the Sun where aberration puts it (20″: 1-2 s of twilight)."""
    to_sun = apparent_sun_km - site.itrf_km
    up = site.enu_matrix()[2]
    return max_sun_altitude_deg - np.degrees(np.arcsin(to_sun @ up / np.linalg.norm(to_sun, axis=1)))


def _crossing_times(samples: _PassSamples, brackets: np.ndarray, margins: np.ndarray, sun_at, site, max_sun_deg):
    """The zero of the lit or dark margin between samples k and k + 1 of each bracket (k, condition), by regula
    falsi (:func:`overhead.analysis.events.find_roots`) on the satellite's cubic Hermite state between them."""
    if not len(brackets):
        return np.empty(0)
    k, condition = brackets[:, 0], brackets[:, 1]
    t_a, t_b = samples.offsets[k], samples.offsets[k + 1]
    h = t_b - t_a
    start = samples.times[k] - (t_a * 1e9).astype("timedelta64[ns]")  # the pass's rise

    def margin(rows: np.ndarray, t: np.ndarray) -> np.ndarray:
        when = start[rows] + (t * 1e9).astype("timedelta64[ns]")
        sun, apparent = sun_at(when)
        kk = k[rows]
        position, _ = hermite_states(
            samples.r[kk],
            samples.v[kk],
            samples.r[kk + 1],
            samples.v[kk + 1],
            h[rows, None],
            (t - t_a[rows]) / h[rows],
            velocity=False,
        )
        lit = condition[rows] == LIT
        out = _dark_margin(apparent, site, max_sun_deg)
        out[lit] = shadow_functions(position[lit], sun[lit], "point")["umbra"]
        return out

    f_a, f_b = margins[condition, k], margins[condition, k + 1]
    return find_roots(margin, t_a, t_b, f_a, f_b, CROSSING_TOLERANCE_S)


def _standard_magnitude(
    norad_id: int, known: dict[int, float], user: set[int], rcs_m2: dict[int, float] | None
) -> tuple[float | None, str]:
    """An object's standard magnitude and where it comes from (the user's, the table's, or estimated from RCS)."""
    standard = known.get(norad_id)
    source = "user" if norad_id in user else "table"
    if standard is None and rcs_m2 and norad_id in rcs_m2:
        return float(standard_magnitude_from_rcs(rcs_m2[norad_id])), "estimate (RCS)"
    return standard, source


def _magnitudes(standard: float, r_km: np.ndarray, sun_km: np.ndarray, site: GroundSite) -> np.ndarray:
    """Visual magnitude at each sample (ITRF satellite and Sun positions) by range and phase angle."""
    look = look_angles(r_km[None], site)
    to_sun_sat, to_site = sun_km - r_km, site.itrf_km - r_km
    cos_phase = np.einsum("ti,ti->t", to_sun_sat, to_site) / (
        np.linalg.norm(to_sun_sat, axis=1) * np.linalg.norm(to_site, axis=1)
    )
    return visual_magnitude(standard, look.range_km[0], np.arccos(np.clip(cos_phase, -1, 1)))


def visible_passes(
    satellites,
    site: GroundSite,
    start,
    stop,
    *,
    min_elevation_deg: float = 10.0,
    max_sun_altitude_deg: float = -6.0,
    magnitudes: dict[int, float] | None = None,
    rcs_m2: dict[int, float] | None = None,
    only_visible: bool = True,
) -> pd.DataFrame:
    """Passes with their visible part, brightest magnitude and when (:data:`VISIBLE_COLUMNS`).

    ``magnitudes``: NORAD id → standard magnitude, over the shipped table; ``rcs_m2``: NORAD id → RCS for the
    size-based estimate where no standard magnitude is known. ``only_visible``: drop passes with no
    visible part. The visible part's ends are bracketed by 1 s samples and solved to 0.1 ms by regula falsi
    (:mod:`overhead.analysis.events`) on the shadow and Sun-altitude functions of the interpolated state.
    """
    table = passes_over_site(satellites, site, start, stop, min_elevation_deg=min_elevation_deg)
    known = {**standard_magnitudes(), **(magnitudes or {})}
    user = set(magnitudes or {})
    index = {int(n): k for k, n in enumerate(satellites.norad_ids)}
    extra: dict[str, list] = {c: [] for c in VISIBLE_COLUMNS if c not in PASS_COLUMNS}
    sun_at = _sun_itrf_interpolator(table)
    samples = _PassSamples.of(satellites, table, index)
    sun, apparent_sun = sun_at(samples.times)
    margins = np.stack(  # (condition, sample): > 0 where it holds
        [
            shadow_functions(samples.r, sun, "point")["umbra"],  # the Sun's centre is visible from the satellite
            _dark_margin(apparent_sun, site, max_sun_altitude_deg),
        ]
    )
    visible: np.ndarray = np.all(margins > 0, axis=0)
    spans, brackets = _visible_brackets(samples, margins, visible)
    crossings = _crossing_times(
        samples, np.array(brackets, dtype=np.int64).reshape(-1, 2), margins, sun_at, site, max_sun_altitude_deg
    )
    for p, row in enumerate(table.itertuples()):
        first, last, begin_rows, end_rows = spans[p]
        if first < 0:
            for c in extra:
                extra[c].append(
                    None
                    if c in ("visible_start", "visible_end", "brightest_time", "magnitude_source")
                    else (0.0 if c == "visible_s" else np.nan)
                )
            continue
        begin = float(crossings[begin_rows].max()) if begin_rows else float(samples.offsets[first])
        end = float(crossings[end_rows].min()) if end_rows else float(samples.offsets[last])
        rise = to_datetime64(row.rise)
        extra["visible_start"].append(rise + np.timedelta64(round(begin * 1e9), "ns"))
        extra["visible_end"].append(rise + np.timedelta64(round(end * 1e9), "ns"))
        extra["visible_s"].append(end - begin)
        standard, source = _standard_magnitude(int(row.norad_id), known, user, rcs_m2)
        if standard is None:
            extra["brightest_magnitude"].append(np.nan)
            extra["brightest_time"].append(None)
            extra["magnitude_source"].append(None)
            continue
        a, b = samples.bounds[p], samples.bounds[p + 1]
        m = np.where(visible[a:b], _magnitudes(standard, samples.r[a:b], sun[a:b], site), np.inf)
        k = int(np.argmin(m))
        extra["brightest_magnitude"].append(float(m[k]))
        extra["brightest_time"].append(samples.times[a + k])
        extra["magnitude_source"].append(source)
    for c, values in extra.items():
        table[c] = (
            pd.to_datetime(pd.Series(values, dtype=object)).to_numpy("datetime64[ns]")
            if c in ("visible_start", "visible_end", "brightest_time")
            else values
        )
    if only_visible:
        table = table[table.visible_s > 0].reset_index(drop=True)
    return table[list(VISIBLE_COLUMNS)]
