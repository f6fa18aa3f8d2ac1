"""Passes over a ground station: access windows under an elevation mask, in the station's terms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from overhead.analysis.access import access_windows
from overhead.geometry.sensors import AccessConstraints
from overhead.geometry.topocentric import GroundSite, look_angles
from overhead.labelled import dataset
from overhead.orbits.catalog import warn_if_stale
from overhead.orbits.timescales import to_datetime64

__all__ = ["PASS_COLUMNS", "look_angle_series", "passes_over_site"]

PASS_COLUMNS = (
    "norad_id",
    "name",
    "rise",
    "culmination",
    "set",
    "duration_s",
    "rise_azimuth_deg",
    "max_elevation_deg",
    "set_azimuth_deg",
    "truncated",
)


_WINDOW_COLUMN = {
    "rise": "start",
    "set": "end",
    "rise_azimuth_deg": "start_azimuth_deg",
    "set_azimuth_deg": "end_azimuth_deg",
}
_PASS_FROM_WINDOW = {name: _WINDOW_COLUMN.get(name, name) for name in PASS_COLUMNS}


def passes_over_site(
    satellites, site: GroundSite, start, stop, *, min_elevation_deg: float = 10.0, **options
) -> pd.DataFrame:
    """Rise, culmination and set of every pass above ``min_elevation_deg``, sorted by rise."""
    return access_windows(
        satellites,
        site,
        start,
        stop,
        AccessConstraints(min_elevation_deg=min_elevation_deg),
        columns=_PASS_FROM_WINDOW,  # the table built once, with a pass list's names and no other column
        **options,
    )


def look_angle_series(satellites, site: GroundSite, times) -> xr.Dataset:
    """Azimuth, elevation (deg) and range (km) of each satellite from a site, dims (satellite, time)."""
    t = np.atleast_1d(to_datetime64(times))
    warn_if_stale(satellites.age_days(t))
    r = satellites.state_arrays(t, "itrf")[0]  # a catalogue's sampled ephemeris where it has one
    look = look_angles(r, site)
    dims = ("satellite", "time")
    return dataset(
        {
            "azimuth_deg": (dims, look.azimuth_deg),
            "elevation_deg": (dims, look.elevation_deg),
            "range_km": (dims, look.range_km),
        },
        coords={
            "norad_id": ("satellite", np.asarray(satellites.norad_ids)),
            "name": ("satellite", np.asarray(satellites.names, dtype=object)),
            "time": ("time", t),
        },
    )
