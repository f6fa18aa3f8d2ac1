"""Where satellites are at one time, as a person reads it: sub-satellite point, height, sunlight, footprint."""

from __future__ import annotations

import numpy as np
import pandas as pd

from overhead.geometry.sensors import footprint_central_angle_rad
from overhead.orbits.frames import itrf_to_geodetic
from overhead.orbits.satellites import Satellites
from overhead.orbits.sun import is_sunlit, sun_position_itrf_km

__all__ = ["POSITION_COLUMNS", "sub_satellite_points"]

POSITION_COLUMNS = ("norad_id", "name", "lat_deg", "lon_deg", "alt_km", "sunlit", "footprint_deg")


def sub_satellite_points(
    satellites: Satellites, when: np.datetime64, *, min_elevation_deg: float = 10.0
) -> tuple[pd.DataFrame, np.ndarray]:
    """(table of :data:`POSITION_COLUMNS`, NORAD ids that SGP4 could not place) at ``when`` (UTC).

    ``footprint_deg``: the Earth-central angle within which the satellite is above ``min_elevation_deg``.
    """
    itrf = satellites.propagate(np.atleast_1d(when), frame="itrf", workers=1)
    ok = itrf.error.values[:, 0] == 0
    r = np.column_stack([itrf.x_km.values[ok, 0], itrf.y_km.values[ok, 0], itrf.z_km.values[ok, 0]])
    lat, lon, alt = itrf_to_geodetic(r)
    lit = is_sunlit(r, sun_position_itrf_km(np.atleast_1d(when))[0])
    footprint = np.degrees(footprint_central_angle_rad(alt, lat, min_elevation_deg=min_elevation_deg))
    table = pd.DataFrame(
        {
            "norad_id": itrf.norad_id.values[ok].astype(int),
            "name": itrf.name.values[ok],
            "lat_deg": lat,
            "lon_deg": lon,
            "alt_km": alt,
            "sunlit": np.asarray(lit, bool),
            "footprint_deg": footprint,
        }
    )
    return table, itrf.norad_id.values[~ok].astype(int)
