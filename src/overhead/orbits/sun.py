"""The Sun's position (low precision, ~0.01°) and whether satellites are in the Earth's shadow."""

from __future__ import annotations

import numpy as np

from overhead.orbits.frames import WGS84_A_KM, teme_to_itrf_matrices
from overhead.orbits.timescales import to_datetime64, tt_julian_date

__all__ = [
    "AU_KM",
    "SUN_RADIUS_KM",
    "is_sunlit",
    "sun_position_gcrs_km",
    "sun_position_itrf_km",
    "sun_position_teme_km",
]

AU_KM = 149_597_870.7
SUN_RADIUS_KM = 695_700.0  # IAU 2015 nominal solar radius


def sun_position_gcrs_km(times, *, apparent: bool = False) -> np.ndarray:
    """Geocentric Sun position (time, 3), km, GCRS axes, from ERFA's ``epv00`` (a few km).

    Geometric by default (the Sun minus the Earth, as shadow models use); ``apparent=True`` adds the annual
    aberration (20.5″, the direction an observer sees, as the Sun's altitude at a site needs).
    """
    import erfa

    whole, fraction = tt_julian_date(np.atleast_1d(to_datetime64(times)))
    heliocentric, _barycentric = erfa.epv00(whole, fraction)
    sun = -heliocentric["p"] * AU_KM
    if not apparent:
        return sun
    distance = np.linalg.norm(sun, axis=-1, keepdims=True)
    direction = sun / distance
    beta = heliocentric["v"] / 173.14463267424034  # the Earth's velocity / c (AU/day over c in AU/day)
    shifted = direction + beta - np.sum(direction * beta, axis=-1, keepdims=True) * direction
    return shifted / np.linalg.norm(shifted, axis=-1, keepdims=True) * distance


def sun_position_teme_km(times) -> np.ndarray:
    """Geocentric Sun position (time, 3), km, in the equator and equinox of date (taken as TEME).

    The Astronomical Almanac's low-precision formulae (Vallado 4th ed. algorithm 29): 0.01° in direction,
    good for daylight and eclipse decisions; the equinox-of-date difference to TEME is under 1″.
    """
    whole, fraction = tt_julian_date(np.atleast_1d(to_datetime64(times)))
    t = ((whole - 2451545.0) + fraction) / 36525.0
    mean_longitude = np.radians(280.460 + 36000.771 * t)
    mean_anomaly = np.radians(357.5291092 + 35999.05034 * t)
    ecliptic_longitude = (
        mean_longitude
        + np.radians(1.914666471) * np.sin(mean_anomaly)
        + np.radians(0.019994643) * np.sin(2 * mean_anomaly)
    )
    distance_au = 1.000140612 - 0.016708617 * np.cos(mean_anomaly) - 0.000139589 * np.cos(2 * mean_anomaly)
    obliquity = np.radians(23.439291 - 0.0130042 * t)
    r = distance_au * AU_KM
    return np.stack(
        [
            r * np.cos(ecliptic_longitude),
            r * np.cos(obliquity) * np.sin(ecliptic_longitude),
            r * np.sin(obliquity) * np.sin(ecliptic_longitude),
        ],
        axis=-1,
    )


def sun_position_itrf_km(times, *, model: str = "iers2010") -> np.ndarray:
    """Geocentric Sun position (time, 3), km, Earth-fixed (ITRF). ``model="gmst82"`` rotates by sidereal time
    alone (arcseconds off: no polar motion or UT1, a tenth of the cost), enough for a point Sun's shadow."""
    rotation, _ = teme_to_itrf_matrices(times, model=model)
    return np.einsum("tij,tj->ti", rotation, sun_position_teme_km(times))


def is_sunlit(r_sat_km: np.ndarray, r_sun_km: np.ndarray) -> np.ndarray:
    """True where the satellite sees the Sun's centre: the line to the Sun misses the Earth.

    The Earth is a sphere of the equatorial radius, the Sun a point (the umbra/penumbra boundary is
    within ~10 s of this in LEO). Both positions in the same frame, broadcastable (..., 3).
    """
    to_sun = r_sun_km - r_sat_km
    distance = np.linalg.norm(to_sun, axis=-1)
    unit = to_sun / distance[..., None]
    along = np.einsum("...i,...i->...", r_sat_km, unit)  # projection of the satellite on the Sun line
    closest_sq = np.einsum("...i,...i->...", r_sat_km, r_sat_km) - along * along
    return (along >= 0) | (closest_sq > WGS84_A_KM**2)
