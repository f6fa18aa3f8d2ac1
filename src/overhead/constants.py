"""Physical constants, once (WGS84 and the Earth's gravitational parameter as SGP4's WGS72-era users quote it)."""

from __future__ import annotations

__all__ = [
    "EARTH_MU_KM3_S2",
    "EARTH_RADIUS_KM",
    "LEO_MIN_MEAN_MOTION_REV_DAY",
    "NORAD_ID_MAX",
    "SECONDS_PER_DAY",
    "STALE_ELEMENTS_DAYS",
    "WGS84_A_KM",
    "WGS84_F",
]

EARTH_MU_KM3_S2 = 398_600.4418  # km³/s², EGM96 / WGS84
WGS84_A_KM = 6378.137  # equatorial radius
WGS84_F = 1 / 298.257223563  # flattening
EARTH_RADIUS_KM = WGS84_A_KM  # "the Earth's radius" where a sphere is meant: the equatorial one
SECONDS_PER_DAY = 86_400.0
# an orbit of period under ~128 min (more than 11.25 revolutions a day) is low Earth orbit
LEO_MIN_MEAN_MOTION_REV_DAY = 11.25
STALE_ELEMENTS_DAYS = 3.0  # element sets used further than this from their epoch are flagged as old
# NORAD catalogue numbers: 1 to 9 digits (OMM's NORAD_CAT_ID; a TLE holds up to 339,999 in Alpha-5); every door
# (API, CLI, store) checks ids against this range, which also fits every database's 32-bit integer
NORAD_ID_MAX = 999_999_999
