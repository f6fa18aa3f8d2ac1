"""Eclipses of satellites by the Earth (umbra and penumbra entry and exit) and the beta angle.

Shadow models (Montenbruck & Gill, Satellite Orbits, 3.4), the Earth a sphere of the WGS84 equatorial radius,
the Sun the ERFA ``epv00`` geometric position (a few km) with the IAU nominal radius:

``conical`` (default)
    seen from the satellite, the Sun's disc (angular radius a) and the Earth's (b) are ``c`` apart: in umbra when
    c < b - a, in penumbra when c < a + b. ``penumbra`` rows span the whole shadow pass (from the first
    to the last contact of the Sun's disc, the umbra rows inside them).
``cylindrical``
    the shadow is the cylinder of the Earth's radius behind it: ``umbra`` rows only.
``point``
    the Sun is a point: in shadow while its centre is behind the Earth (what Skyfield's ``is_sunlit`` says).

States come from SGP4 at ``step_s`` (30 s) in ITRF; each boundary is bracketed by a sign change of its shadow
function between two samples and found by regula falsi (:mod:`overhead.analysis.events`) on cubic Hermite
interpolation of the state (under a metre at 30 s in LEO: timing errors under 1 ms). An eclipse shorter than a
step can be missed; ``step_s`` bounds it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from overhead.analysis.events import find_roots
from overhead.constants import WGS84_A_KM
from overhead.errors import OverheadError, WorkTooLargeError
from overhead.orbits.catalog import check_element_age
from overhead.orbits.frames import gcrs_to_itrf_matrices
from overhead.orbits.hermite import hermite_states
from overhead.orbits.sun import SUN_RADIUS_KM, sun_position_gcrs_km
from overhead.orbits.timescales import to_datetime64

__all__ = ["ECLIPSE_COLUMNS", "SHADOW_MODELS", "beta_angle_deg", "beta_angles", "eclipses", "shadow_functions"]

ECLIPSE_COLUMNS = ["norad_id", "name", "kind", "start", "end", "duration_s", "beta_deg", "cut_start", "cut_end"]
SHADOW_MODELS = ("conical", "cylindrical", "point")
MAX_STATES = 200_000_000  # satellites × samples refused beyond this (about 10 GB of states)
MAX_ELEMENT_AGE_DAYS = 30.0  # as access windows: SGP4 used further from the epoch is refused
ROOT_TOLERANCE = 1e-7  # of a step: 3 µs at 30 s


def shadow_functions(r_km: np.ndarray, sun_km: np.ndarray, model: str) -> dict[str, np.ndarray]:
    """Per boundary, a function negative inside the shadow: ``umbra`` and (conical) ``penumbra``.

    ``r_km`` (..., 3) satellite positions and ``sun_km`` the Sun's, same frame, broadcastable.
    """
    r_norm = np.linalg.norm(r_km, axis=-1)
    if model == "cylindrical":
        along = -np.einsum("...i,...i->...", r_km, sun_km) / np.linalg.norm(sun_km, axis=-1)
        closest = np.sqrt(np.maximum(r_norm**2 - along**2, 0.0))
        # on the night side the boundary is the cylinder's wall; on the day side there is no shadow
        return {"umbra": np.where(along > 0, closest - WGS84_A_KM, r_norm)}
    to_sun = sun_km - r_km
    d_sun = np.linalg.norm(to_sun, axis=-1)
    a = np.arcsin(np.clip(SUN_RADIUS_KM / d_sun, -1, 1))
    b = np.arcsin(np.clip(WGS84_A_KM / r_norm, -1, 1))
    cos_c = -np.einsum("...i,...i->...", r_km, to_sun) / (r_norm * d_sun)
    c = np.arccos(np.clip(cos_c, -1, 1))
    if model == "point":
        return {"umbra": c - b}
    if model == "conical":
        return {"umbra": c - (b - a), "penumbra": c - (a + b)}
    raise OverheadError(f"unknown shadow model {model!r}; use one of {', '.join(SHADOW_MODELS)}")


def beta_angle_deg(r_km: np.ndarray, v_km_s: np.ndarray, sun_km: np.ndarray) -> np.ndarray:
    """The Sun's elevation above the orbit plane (degrees): positive on the side of the angular momentum.

    The velocities must be inertial (the orbit plane of Earth-fixed velocities is slightly wrong): give
    inertial states, or accept ~0.05° of error from ITRF ones in LEO.
    """
    h = np.cross(r_km, v_km_s)
    return np.degrees(
        np.arcsin(
            np.clip(
                np.einsum("...i,...i->...", h, sun_km) / (np.linalg.norm(h, axis=-1) * np.linalg.norm(sun_km, axis=-1)),
                -1,
                1,
            )
        )
    )


def beta_angles(satellites, times, *, max_element_age_days: float | None = MAX_ELEMENT_AGE_DAYS) -> pd.DataFrame:
    """The beta angle of every satellite at every time: ``norad_id, name, time, beta_deg`` (TEME states, which
    are inertial, and the Sun of date; 0.01°). Element sets further than ``max_element_age_days`` from their
    epochs at the times are refused before any work (None: no limit)."""
    from overhead.orbits.sun import sun_position_teme_km

    t = np.atleast_1d(to_datetime64(times))
    if t.size:
        check_element_age(satellites, t.min(), t.max(), max_element_age_days)
    if len(satellites) * t.size > MAX_STATES:
        raise WorkTooLargeError(
            f"{len(satellites):,} satellites × {t.size:,} times is over {MAX_STATES:,}: reduce "
            "the span or the satellites, or raise --step-s"
        )
    r, v = satellites.state_arrays(t, frame="teme")
    beta = beta_angle_deg(r, v, sun_position_teme_km(t)[None])
    n_sat = r.shape[0]
    return pd.DataFrame(
        {
            "norad_id": np.repeat(np.asarray(satellites.norad_ids), t.size),
            "name": np.repeat(np.asarray(satellites.names), t.size),
            "time": np.tile(t, n_sat),
            "beta_deg": beta.ravel(),
        }
    )


def _roots(f_lo, f_hi, r0, v0, r1, v1, s0, s1, h, model, kind) -> np.ndarray:
    """Fractions (0..1) of each interval where ``kind``'s function crosses zero (:func:`events.find_roots`
    on the interpolated state, to ``ROOT_TOLERANCE`` of the interval)."""

    def f(rows: np.ndarray, fraction: np.ndarray) -> np.ndarray:
        r, _ = hermite_states(r0[rows], v0[rows], r1[rows], v1[rows], h[rows], fraction, velocity=False)
        sun = s0[rows] + (s1[rows] - s0[rows]) * fraction[:, None]
        return shadow_functions(r, sun, model)[kind]

    n = len(f_lo)
    return find_roots(f, np.zeros(n), np.ones(n), f_lo, f_hi, ROOT_TOLERANCE)


def eclipses(
    satellites,
    start,
    stop,
    *,
    model: str = "conical",
    step_s: float = 30.0,
    max_element_age_days: float | None = MAX_ELEMENT_AGE_DAYS,
) -> pd.DataFrame:
    """Every umbra (and, conical, penumbra) interval of every satellite between ``start`` and ``stop`` (UTC).

    Columns :data:`ECLIPSE_COLUMNS`; ``start`` and ``end`` UTC ``datetime64[ns]``; ``beta_deg`` at the middle of
    the interval; ``cut_start`` / ``cut_end`` where the interval is cut by the span. Element sets further than
    ``max_element_age_days`` from their epochs in the span are refused before any work (None: no limit).
    """
    if model not in SHADOW_MODELS:
        raise OverheadError(f"unknown shadow model {model!r}; use one of {', '.join(SHADOW_MODELS)}")
    t0, t1 = to_datetime64(start), to_datetime64(stop)
    span_s = (t1 - t0) / np.timedelta64(1, "s")
    if not span_s > 0:
        raise OverheadError("the span is empty: --stop must be after --start")
    if not 0 < step_s <= 120:
        raise OverheadError(f"step {step_s} s must be in (0, 120] s")
    check_element_age(satellites, t0, t1, max_element_age_days)
    n_samples = int(np.ceil(span_s / step_s)) + 1
    if len(satellites) * n_samples > MAX_STATES:
        raise WorkTooLargeError(
            f"{len(satellites):,} satellites × {n_samples:,} samples is over "
            f"{MAX_STATES:,} states: reduce the span, the satellites or raise --step-s"
        )
    offsets = np.minimum(np.arange(n_samples) * step_s, span_s)
    times = t0 + (offsets * 1e9).astype("timedelta64[ns]")
    rows: list[dict] = []
    for a in range(0, n_samples, 2880):  # a day at 30 s per block: memory bounded by the block
        b = min(a + 2880 + 1, n_samples)
        rows += _block(satellites, times[a:b], offsets[a:b], model, t0, span_s)
    table = pd.DataFrame(
        rows, columns=["norad_id", "name", "kind", "start_s", "end_s", "beta_deg", "cut_start", "cut_end"]
    )
    table = _merge_block_edges(table)
    table["start"] = t0 + np.round(table.start_s.to_numpy(dtype=float) * 1e9).astype("timedelta64[ns]")
    table["end"] = t0 + np.round(table.end_s.to_numpy(dtype=float) * 1e9).astype("timedelta64[ns]")
    table["duration_s"] = table.end_s - table.start_s
    return table.sort_values(["start_s", "norad_id", "kind"]).reset_index(drop=True)[ECLIPSE_COLUMNS]


def _block(satellites, times, offsets, model, t0, span_s) -> list[dict]:
    r, v = satellites.state_arrays(times, frame="itrf")  # (sat, time, 3)
    rotation = gcrs_to_itrf_matrices(times)
    sun = np.einsum("tij,tj->ti", rotation, sun_position_gcrs_km(times))
    functions = shadow_functions(r, sun[None], model)
    ids, names = np.asarray(satellites.norad_ids), np.asarray(satellites.names)
    rows: list[dict] = []
    for kind, f in functions.items():
        inside = f < 0
        for sat in range(r.shape[0]):
            ok = np.isfinite(f[sat])
            if not ok.any():
                continue
            changes = np.flatnonzero(ok[:-1] & ok[1:] & (inside[sat, :-1] != inside[sat, 1:]))
            h = offsets[changes + 1] - offsets[changes]
            fraction = (
                _roots(
                    f[sat, changes],
                    f[sat, changes + 1],
                    r[sat, changes],
                    v[sat, changes],
                    r[sat, changes + 1],
                    v[sat, changes + 1],
                    sun[changes],
                    sun[changes + 1],
                    h[:, None],
                    model,
                    kind,
                )
                if changes.size
                else np.zeros(0)
            )
            when = offsets[changes] + fraction * h
            entering = ~inside[sat, changes]
            rows += _intervals(
                when,
                entering,
                inside[sat, 0],
                inside[sat, -1],
                offsets[0],
                offsets[-1],
                ids[sat],
                names[sat],
                kind,
                span_s,
            )
    for row in rows:
        middle = 0.5 * (row["start_s"] + row["end_s"])
        k = int(np.clip(np.searchsorted(offsets, middle), 0, len(offsets) - 1))
        sat = int(np.flatnonzero(ids == row["norad_id"])[0])
        row["beta_deg"] = float(beta_angle_deg(r[sat, k], v[sat, k], sun[k]))
    return rows


def _intervals(when, entering, inside_first, inside_last, first_s, last_s, norad_id, name, kind, span_s) -> list[dict]:
    rows = []
    begin = first_s if inside_first else None
    for t, enters in zip(when, entering, strict=True):
        if enters:
            begin = t
        elif begin is not None:
            rows.append(
                {
                    "norad_id": int(norad_id),
                    "name": str(name),
                    "kind": kind,
                    "start_s": float(begin),
                    "end_s": float(t),
                    "cut_start": bool(begin == 0.0),
                    "cut_end": False,
                }
            )
            begin = None
    if begin is not None:
        rows.append(
            {
                "norad_id": int(norad_id),
                "name": str(name),
                "kind": kind,
                "start_s": float(begin),
                "end_s": float(last_s),
                "cut_start": bool(begin == 0.0),
                "cut_end": bool(last_s >= span_s),
            }
        )
    return rows


def _merge_block_edges(table: pd.DataFrame) -> pd.DataFrame:
    """Join the pieces of one eclipse that a block boundary cut in two (end of one = start of the next)."""
    if table.empty:
        return table
    table = table.sort_values(["norad_id", "kind", "start_s"]).reset_index(drop=True)
    keep = []
    for _, group in table.groupby(["norad_id", "kind"], sort=False):
        current = None
        for row in group.itertuples(index=False):
            if current is not None and abs(row.start_s - current["end_s"]) < 1e-9:
                current["end_s"], current["cut_end"] = row.end_s, row.cut_end
            else:
                if current is not None:
                    keep.append(current)
                current = row._asdict()
        if current is not None:
            keep.append(current)
    return pd.DataFrame(keep, columns=table.columns)
