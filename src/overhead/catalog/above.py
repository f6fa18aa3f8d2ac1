"""What is overhead: the satellites above a place at a time, from the store's newest element sets."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from overhead.geometry.topocentric import GroundSite, elevation_sines, look_angles
from overhead.orbits.catalog import Catalog, warn_if_stale
from overhead.orbits.sun import is_sunlit, sun_position_itrf_km
from overhead.orbits.timescales import to_datetime64

__all__ = ["ABOVE_COLUMNS", "above", "above_columns"]

ABOVE_COLUMNS = ("norad_id", "name", "azimuth_deg", "elevation_deg", "range_km", "sunlit", "element_age_days")


def above(catalog: Catalog, site: GroundSite, when=None, *, min_elevation_deg: float = 0.0) -> pd.DataFrame:
    """Satellites above ``min_elevation_deg`` at ``site`` at ``when`` (default now), highest first: columns
    :data:`ABOVE_COLUMNS`."""
    return pd.DataFrame(above_columns(catalog, site, when, min_elevation_deg=min_elevation_deg))


def above_columns(
    catalog: Catalog, site: GroundSite, when=None, *, min_elevation_deg: float = 0.0
) -> dict[str, np.ndarray]:
    """:func:`above` as arrays by column (no table to build: what a service answering many asks wants)."""
    t = np.atleast_1d(to_datetime64(when if when is not None else np.datetime64("now", "ns")))
    r = catalog.positions_itrf_km(t)  # a SampledCatalog reads its ephemeris: no SGP4 per request
    # the elevation's sine for every object, the full look angles only for those above the mask
    with np.errstate(invalid="ignore"):
        near = np.flatnonzero(elevation_sines(r, site) >= np.sin(np.radians(min_elevation_deg)) - 1e-12)
    look = look_angles(r[near], site)
    keep = np.flatnonzero(look.elevation_deg >= min_elevation_deg)
    keep = keep[np.argsort(-look.elevation_deg[keep], kind="stable")]  # highest first
    up = near[keep]
    age_days = catalog.age_days(t, up)
    warn_if_stale(age_days)
    return {
        "norad_id": catalog.norad_ids[up],
        "name": catalog.names[up],
        "azimuth_deg": look.azimuth_deg[keep],
        "elevation_deg": look.elevation_deg[keep],
        "range_km": look.range_km[keep],
        "sunlit": is_sunlit(r[up], _sun_itrf_km(int(t[0].astype("datetime64[ns]").astype(np.int64)))),
        "element_age_days": age_days,
    }


@functools.lru_cache(maxsize=64)
def _sun_itrf_km(time_ns: int) -> np.ndarray:
    """The Sun (km, Earth-fixed) at a time in ns since 1970, kept: a service is asked what is above *now* by many
    at once, and the Sun's position was a tenth of the answer's time. A point Sun by sidereal time alone
    (arcseconds off) is enough for whether a satellite is lit."""
    sun = sun_position_itrf_km(np.array([time_ns], dtype="datetime64[ns]"), model="gmst82")[0]
    sun.setflags(write=False)
    return sun
