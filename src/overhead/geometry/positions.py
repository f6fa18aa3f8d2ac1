"""Where satellites are at one time, as a person reads it: sub-satellite point, height, sunlight, footprint."""

from __future__ import annotations

import numpy as np
import pandas as pd

from overhead.geometry.sensors import footprint_central_angle_rad
from overhead.orbits.catalog import warn_if_stale
from overhead.orbits.frames import itrf_to_geodetic
from overhead.orbits.satellites import Satellites, positions_itrf_km
from overhead.orbits.sun import is_sunlit, sun_position_itrf_km

__all__ = ["POSITION_COLUMNS", "ground_tracks", "sub_satellite_points"]

POSITION_COLUMNS = ("norad_id", "name", "lat_deg", "lon_deg", "alt_km", "sunlit", "footprint_deg")


def sub_satellite_points(
    satellites: Satellites, when: np.datetime64, *, min_elevation_deg: float = 10.0
) -> tuple[pd.DataFrame, np.ndarray]:
    """(table of :data:`POSITION_COLUMNS`, NORAD ids that SGP4 could not place) at ``when`` (UTC).

    ``footprint_deg``: the Earth-central angle within which the satellite is above ``min_elevation_deg``.
    """
    r_all = positions_itrf_km(satellites, when)
    ok = np.isfinite(r_all).all(axis=1)
    r = r_all[ok]
    warn_if_stale(satellites.age_days(np.atleast_1d(when)))
    lat, lon, alt = itrf_to_geodetic(r)
    lit = is_sunlit(r, sun_position_itrf_km(np.atleast_1d(when))[0])
    footprint = np.degrees(footprint_central_angle_rad(alt, lat, min_elevation_deg=min_elevation_deg))
    table = pd.DataFrame(
        {
            "norad_id": np.asarray(satellites.norad_ids)[ok].astype(int),
            "name": np.asarray(satellites.names)[ok],
            "lat_deg": lat,
            "lon_deg": lon,
            "alt_km": alt,
            "sunlit": np.asarray(lit, bool),
            "footprint_deg": footprint,
        }
    )
    return table, np.asarray(satellites.norad_ids)[~ok].astype(int)


def ground_tracks(satellites: Satellites, times) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Geodetic latitude, longitude (deg) and height (km) of every satellite at every UTC time, each
    (satellite, time); NaN where a satellite cannot be placed. A catalogue with a sampled ephemeris reads it."""
    from overhead.orbits.timescales import to_datetime64

    t = np.atleast_1d(to_datetime64(times))
    warn_if_stale(satellites.age_days(t))
    r = satellites.state_arrays(t, "itrf")[0]
    return itrf_to_geodetic(r)
