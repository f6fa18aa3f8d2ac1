"""Constellation helpers: Walker patterns, sun-synchronous inclination, repeat ground tracks."""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from overhead.errors import OverheadError
from overhead.orbits.j2 import EARTH_RADIUS_KM, DesignedOrbits, j2_secular_rates

__all__ = ["ground_track_spacing_km", "repeat_ground_track_altitude_km", "sun_synchronous_inclination_deg", "walker"]

# Mean motion of the mean Sun: 360° per tropical year (365.2421897 days)
SUN_RATE_RAD_S = 2.0 * np.pi / (365.2421897 * 86_400.0)
EARTH_ROTATION_RAD_S = 7.292115146706979e-5  # sidereal rotation rate


def sun_synchronous_inclination_deg(altitude_km, eccentricity=0.0):
    """Inclination (deg) at which J2 turns the node at the Sun's mean rate (0.9856°/day).

    Solves Ω̇(i) = 360°/tropical year with Ω̇ = −3/2 n J2 (R/p)² cos i (Vallado 4th ed. eq. 11-15).
    Raises ValueError above ~5,970 km, where no inclination is fast enough.
    """
    a = np.asarray(altitude_km, dtype=float) + EARTH_RADIUS_KM
    raan_dot_at_zero_inclination = -j2_secular_rates(a, eccentricity, 0.0)[0]
    cos_i = -SUN_RATE_RAD_S / raan_dot_at_zero_inclination
    if np.any(np.abs(cos_i) > 1):
        raise OverheadError("no sun-synchronous orbit at this altitude (J2 too weak above ~5,970 km)")
    return np.degrees(np.arccos(cos_i))


def _revolutions_per_nodal_day(semi_major_axis_km: float, inclination_deg: float | None) -> float:
    """Nodal revolutions of a circular orbit per nodal day (the Earth turning under the drifting node);
    sun-synchronous when no inclination is given."""
    inc = (
        sun_synchronous_inclination_deg(semi_major_axis_km - EARTH_RADIUS_KM)
        if inclination_deg is None
        else inclination_deg
    )
    raan_dot, argp_dot, m_dot = j2_secular_rates(semi_major_axis_km, 0.0, inc)
    return float((m_dot + argp_dot) / (EARTH_ROTATION_RAD_S - raan_dot))


def repeat_ground_track_altitude_km(revolutions: int, days: float, *, inclination_deg: float | None = None) -> float:
    """Altitude (km above the equatorial radius) of a circular orbit whose track repeats after
    ``revolutions`` nodal periods in ``days`` nodal days; sun-synchronous when no inclination is given.

    Condition: k · T_nodal = d · 2π / (ω⊕ − Ω̇), with J2 secular rates (Vallado 4th ed. §11.4.2).
    """
    if revolutions <= 0 or days <= 0:
        raise OverheadError("revolutions and days must be positive")

    def mismatch(a: float) -> float:
        return _revolutions_per_nodal_day(a, inclination_deg) - revolutions / days

    low, high = EARTH_RADIUS_KM + 100.0, EARTH_RADIUS_KM + (5_900.0 if inclination_deg is None else 40_000.0)
    if mismatch(low) * mismatch(high) > 0:
        raise OverheadError(
            f"no circular orbit between 100 km and {high - EARTH_RADIUS_KM:.0f} km repeats "
            f"{revolutions} revolutions in {days} days"
        )
    return brentq(mismatch, low, high, xtol=1e-9) - EARTH_RADIUS_KM


def walker(
    total: int,
    planes: int,
    phasing: int,
    *,
    inclination_deg: float,
    altitude_km: float,
    pattern: str = "delta",
    epoch="2026-01-01T00:00:00Z",
    raan0_deg: float = 0.0,
) -> DesignedOrbits:
    """A Walker constellation i:t/p/f (Walker 1984, JBIS 37, 559-572).

    Plane j has RAAN raan0 + j·360°/p (delta) or j·180°/p (star); satellite k of plane j has mean
    anomaly k·360°/s + j·f·360°/t, where s = t/p.
    """
    if planes <= 0 or total % planes:
        raise OverheadError(f"total {total} must be a positive multiple of planes {planes}")
    if not 0 <= phasing < planes:
        raise OverheadError(f"phasing f must be in 0..{planes - 1}, got {phasing}")
    if pattern not in ("delta", "star"):
        raise OverheadError("pattern must be 'delta' or 'star'")
    per_plane = total // planes
    spread = 360.0 if pattern == "delta" else 180.0
    plane = np.repeat(np.arange(planes), per_plane)
    slot = np.tile(np.arange(per_plane), planes)
    raan = (raan0_deg + plane * spread / planes) % 360.0
    anomaly = (slot * 360.0 / per_plane + plane * phasing * 360.0 / total) % 360.0
    names = [f"WALKER-P{j + 1:02d}-S{k + 1:02d}" for j, k in zip(plane, slot, strict=True)]
    return DesignedOrbits.from_altitude(
        altitude_km, inclination_deg, raan_deg=raan, mean_anomaly_deg=anomaly, epoch=epoch, names=names
    )


def ground_track_spacing_km(altitude_km: float, *, inclination_deg: float | None = None) -> float:
    """Distance along the equator between the tracks of two successive revolutions (km).

    The Earth turns under the node by 2π · T_nodal / T_nodal-day each revolution; sun-synchronous when no
    inclination is given. (After a k-revolution repeat cycle, neighbouring tracks are 2πR/k apart.)
    """
    return float(
        2.0 * np.pi * EARTH_RADIUS_KM / _revolutions_per_nodal_day(EARTH_RADIUS_KM + altitude_km, inclination_deg)
    )
