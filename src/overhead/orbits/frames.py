"""TEME → ITRF → WGS84 geodetic, and back for ground sites.

TEME → PEF is a rotation about z by the Greenwich mean sidereal time of IAU 1982 evaluated at UT1
(Vallado et al. 2006, "Revisiting Spacetrack Report #3", AIAA 2006-6753, eq. C-4); PEF → ITRF applies
polar motion. The rotation is built once per time and applied to every satellite.
"""

from __future__ import annotations

import numpy as np

from overhead.orbits.iers import earth_orientation
from overhead.orbits.timescales import JD_UNIX_EPOCH, to_datetime64

__all__ = [
    "WGS84_A_KM",
    "WGS84_F",
    "geodetic_to_itrf",
    "gmst82_rad",
    "itrf_to_geodetic",
    "teme_to_itrf",
    "teme_to_itrf_matrices",
]

WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
WGS84_B_KM = WGS84_A_KM * (1.0 - WGS84_F)
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
J2000_JD = 2451545.0
SECONDS_PER_DAY = 86_400.0
TAU = 2.0 * np.pi


def gmst82_rad(jd_ut1_whole: np.ndarray, jd_ut1_fraction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IAU 1982 GMST (rad) and its rate (rad/s) at a split UT1 Julian date."""
    t = (jd_ut1_whole - J2000_JD + jd_ut1_fraction) / 36525.0
    g = 67310.54841 + (8640184.812866 + (0.093104 + (-6.2e-6) * t) * t) * t
    dg = 8640184.812866 + (0.093104 * 2.0 + (-6.2e-6 * 3.0) * t) * t
    theta = (jd_ut1_whole % 1.0 + jd_ut1_fraction + g / SECONDS_PER_DAY % 1.0) % 1.0 * TAU
    theta_dot = (1.0 + dg / (SECONDS_PER_DAY * 36525.0)) * TAU / SECONDS_PER_DAY
    return theta, theta_dot


def _ut1_julian_date(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ns = times.astype(np.int64)
    days, rem = np.divmod(ns, 86_400 * 10**9)
    dut1 = earth_orientation().ut1_minus_utc_s(times)
    return JD_UNIX_EPOCH + days.astype(np.float64), (rem / 1e9 + dut1) / SECONDS_PER_DAY


def teme_to_itrf_matrices(times, *, polar_motion: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Rotation matrices TEME → ITRF, shape (time, 3, 3), and Earth rotation rates (rad/s), shape (time,).

    ``polar_motion=False`` stops at the pseudo-Earth-fixed frame (PEF), which is what Skyfield's and
    python-sgp4's TEME → ITRF give without pole coordinates.
    """
    t = np.atleast_1d(to_datetime64(times))
    theta, theta_dot = gmst82_rad(*_ut1_julian_date(t))
    c, s = np.cos(theta), np.sin(theta)
    zero, one = np.zeros_like(c), np.ones_like(c)
    rot = np.stack([np.stack([c, s, zero], -1), np.stack([-s, c, zero], -1),
                    np.stack([zero, zero, one], -1)], -2)
    if polar_motion:
        xp, yp = earth_orientation().polar_motion_rad(t)
        cx, sx, cy, sy = np.cos(xp), np.sin(xp), np.cos(yp), np.sin(yp)
        # W = R1(-yp) · R2(-xp) (passive rotations): PEF → ITRF
        w = np.stack([np.stack([cx, zero, sx], -1),
                      np.stack([sx * sy, cy, -cx * sy], -1),
                      np.stack([-sx * cy, sy, cx * cy], -1)], -2)
        rot = w @ rot
    return rot, theta_dot


def teme_to_itrf(times, r_teme_km: np.ndarray, v_teme_km_s: np.ndarray | None = None, *,
                 polar_motion: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Rotate TEME states (..., time, 3) into ITRF; velocities include the Earth's rotation."""
    rot, theta_dot = teme_to_itrf_matrices(times, polar_motion=polar_motion)
    return apply_teme_to_itrf(rot, theta_dot, r_teme_km, v_teme_km_s)


def apply_teme_to_itrf(rot: np.ndarray, theta_dot: np.ndarray, r: np.ndarray,
                       v: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Apply precomputed matrices (time, 3, 3) to states shaped (..., time, 3)."""
    r_itrf = np.einsum("tij,...tj->...ti", rot, r)
    if v is None:
        return r_itrf, None
    v_rot = np.einsum("tij,...tj->...ti", rot, v)
    # v_ITRF = W (R v − ω × r_PEF); W is within 1e-6 of identity, so ω × r_ITRF suffices to < 1 µm/s.
    v_rot[..., 0] += theta_dot * r_itrf[..., 1]
    v_rot[..., 1] -= theta_dot * r_itrf[..., 0]
    return r_itrf, v_rot


def itrf_to_geodetic(r_km: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS84 latitude (deg), longitude (deg, −180..180) and height (km) of ITRF positions (..., 3).

    Heikkinen's closed form (exact, no iteration): M. Heikkinen (1982), Zeitschrift für
    Vermessungswesen 107, 207-211; as given by J. Zhu (1994), IEEE TAES 30(3), 957-961.
    """
    x, y, z = r_km[..., 0], r_km[..., 1], r_km[..., 2]
    a, b, e2 = WGS84_A_KM, WGS84_B_KM, WGS84_E2
    ep2 = e2 / (1.0 - e2)
    p2 = x * x + y * y
    p = np.sqrt(p2)
    z2 = z * z
    f = 54.0 * b * b * z2
    g = p2 + (1.0 - e2) * z2 - e2 * (a * a - b * b)
    c = e2 * e2 * f * p2 / (g * g * g)
    s = np.cbrt(1.0 + c + np.sqrt(c * c + 2.0 * c))
    k = s + 1.0 + 1.0 / s
    pp = f / (3.0 * k * k * g * g)
    q = np.sqrt(1.0 + 2.0 * e2 * e2 * pp)
    r0 = (-pp * e2 * p / (1.0 + q)
          + np.sqrt(np.maximum(0.5 * a * a * (1.0 + 1.0 / q) - pp * (1.0 - e2) * z2 / (q * (1.0 + q))
                               - 0.5 * pp * p2, 0.0)))
    t = p - e2 * r0
    u = np.sqrt(t * t + z2)
    v = np.sqrt(t * t + (1.0 - e2) * z2)
    z0 = b * b * z / (a * v)
    height = u * (1.0 - b * b / (a * v))
    lat = np.degrees(np.arctan2(z + ep2 * z0, p))
    lon = np.degrees(np.arctan2(y, x))
    return lat, lon, height


def geodetic_to_itrf(lat_deg, lon_deg, alt_km) -> np.ndarray:
    """ITRF position (..., 3) in km of WGS84 geodetic coordinates."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    alt = np.asarray(alt_km, dtype=float)
    sin_lat = np.sin(lat)
    n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat * sin_lat)
    return np.stack([(n + alt) * np.cos(lat) * np.cos(lon), (n + alt) * np.cos(lat) * np.sin(lon),
                     (n * (1.0 - WGS84_E2) + alt) * sin_lat], axis=-1)
