"""Azimuth, elevation and range of satellites seen from ground sites."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from overhead.errors import OverheadError
from overhead.orbits.frames import geodetic_to_itrf

__all__ = ["GroundSite", "LookAngles", "elevation_sines", "look_angles"]


@dataclass(frozen=True)
class GroundSite:
    """A place on the ground: WGS84 latitude and longitude (deg), height above the ellipsoid (m)."""

    lat_deg: float
    lon_deg: float
    alt_m: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        if not -90.0 <= self.lat_deg <= 90.0:
            raise OverheadError(f"site latitude {self.lat_deg} is outside -90..90 deg")
        if not -180.0 <= self.lon_deg <= 360.0:
            raise OverheadError(f"site longitude {self.lon_deg} is outside -180..360 deg")
        if not -500.0 <= self.alt_m <= 9_000.0:
            raise OverheadError(
                f"site height {self.alt_m} m is not on the Earth's surface (-500..9000 m); heights are in metres"
            )

    @classmethod
    def from_text(cls, text: str, name: str = "") -> GroundSite:
        """A site written ``LAT,LON`` or ``LAT,LON,ALT_M`` (degrees, metres; south and west negative), in another
        usual notation (``33.9S 18.4E``, ``33°54'S 18°24'E``), or the name of a city (the most populous match of
        the bundled GeoNames list)."""
        from overhead.geometry.places import find_places, parse_coordinates

        parts = str(text).split(",")
        if len(parts) in (2, 3):
            try:
                numbers = [float(x) for x in parts]
            except ValueError:
                pass
            else:  # the plain form: the site's own checks say what is wrong with it
                return cls(numbers[0], numbers[1], numbers[2] if len(numbers) == 3 else 0.0, name)
        position = parse_coordinates(str(text))
        if position is not None:
            return cls(position[0], position[1], 0.0, name)
        cities = find_places(str(text), limit=1) if not any(c.isdigit() for c in str(text)) else []
        if cities:
            return cls(cities[0].lat_deg, cities[0].lon_deg, 0.0, name or cities[0].name)
        raise OverheadError(
            f"site {text!r} must be LAT,LON or LAT,LON,ALT_M (degrees, metres; south and west negative) or a city name"
        )

    @property
    def itrf_km(self) -> np.ndarray:
        return geodetic_to_itrf(self.lat_deg, self.lon_deg, self.alt_m / 1000.0)

    def enu_matrix(self) -> np.ndarray:
        """Rows: east, north, up unit vectors in ITRF."""
        lat, lon = np.radians(self.lat_deg), np.radians(self.lon_deg)
        sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
        return np.array([[-so, co, 0.0], [-sl * co, -sl * so, cl], [cl * co, cl * so, sl]])


@dataclass(frozen=True)
class LookAngles:
    """Azimuth (deg from north, eastwards), elevation (deg) and slant range (km), same shape."""

    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    range_km: np.ndarray


@njit(cache=True, nogil=True)
def _elevation_sines(r_km, site_km, up):
    sines = np.empty(r_km.shape[0])
    for i in range(r_km.shape[0]):
        dx, dy, dz = r_km[i, 0] - site_km[0], r_km[i, 1] - site_km[1], r_km[i, 2] - site_km[2]
        sines[i] = (dx * up[0] + dy * up[1] + dz * up[2]) / math.sqrt(dx * dx + dy * dy + dz * dz)
    return sines


def elevation_sines(r_itrf_km: np.ndarray, site: GroundSite) -> np.ndarray:
    """Sine of the elevation of ITRF positions (n, 3) from a site, in one compiled pass (no GIL held): the
    pre-filter of what is above a place, over the whole catalogue. NaN where a position is."""
    return _elevation_sines(np.ascontiguousarray(r_itrf_km, dtype=float), site.itrf_km, site.enu_matrix()[2])


def look_angles(r_itrf_km: np.ndarray, site: GroundSite) -> LookAngles:
    """Look angles of ITRF positions (..., 3) from a site (geodetic vertical)."""
    enu = np.einsum("ij,...j->...i", site.enu_matrix(), r_itrf_km - site.itrf_km)
    rng = np.linalg.norm(enu, axis=-1)
    elevation = np.degrees(np.arcsin(np.clip(enu[..., 2] / rng, -1.0, 1.0)))
    azimuth = np.degrees(np.arctan2(enu[..., 0], enu[..., 1])) % 360.0
    return LookAngles(azimuth, elevation, rng)
