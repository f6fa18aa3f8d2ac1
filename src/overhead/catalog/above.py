"""What is overhead: the satellites above a place at a time, from the store's newest element sets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from overhead.geometry.topocentric import GroundSite, look_angles
from overhead.orbits.catalog import Catalog
from overhead.orbits.states import state_vectors
from overhead.orbits.sun import is_sunlit, sun_position_itrf_km
from overhead.orbits.timescales import to_datetime64

__all__ = ["ABOVE_COLUMNS", "above"]

ABOVE_COLUMNS = ("norad_id", "name", "azimuth_deg", "elevation_deg", "range_km", "sunlit", "element_age_days")


def above(catalog: Catalog, site: GroundSite, when=None, *, min_elevation_deg: float = 0.0) -> pd.DataFrame:
    """Satellites above ``min_elevation_deg`` at ``site`` at ``when`` (default now), highest first."""
    t = np.atleast_1d(to_datetime64(when if when is not None else np.datetime64("now", "ns")))
    ds = catalog.propagate(t, frame="itrf", workers=1)
    r = state_vectors(ds)[0][:, 0]
    look = look_angles(r, site)
    up = np.flatnonzero(look.elevation_deg >= min_elevation_deg)
    lit = is_sunlit(r[up], sun_position_itrf_km(t)[0])
    table = pd.DataFrame(
        {
            "norad_id": ds.norad_id.values[up],
            "name": ds.name.values[up],
            "azimuth_deg": look.azimuth_deg[up],
            "elevation_deg": look.elevation_deg[up],
            "range_km": look.range_km[up],
            "sunlit": lit,
            "element_age_days": ds.element_age_days.values[up],
        }
    )
    return table.sort_values("elevation_deg", ascending=False, ignore_index=True)
