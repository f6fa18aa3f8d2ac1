"""Where satellites are at one time, as a person reads it: sub-satellite point, height, sunlight, footprint."""

from __future__ import annotations

import numpy as np
import pandas as pd

from overhead.geometry.sensors import footprint_central_angle_rad
from overhead.orbits.catalog import warn_if_stale
from overhead.orbits.frames import itrf_to_geodetic
from overhead.orbits.satellites import Satellites, positions_itrf_km
from overhead.orbits.sun import is_sunlit, sun_position_itrf_km

__all__ = ["POSITION_COLUMNS", "sub_satellite_points"]

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
