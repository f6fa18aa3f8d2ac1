"""Passes of satellites over one ground site: rise, culmination and set above an elevation mask.

Coarse vectorised search over all satellites (SGP4 + ITRF at a fixed step), then per pass Brent's method
on elevation − mask for rise and set and a bounded scalar search for culmination, re-running SGP4 at
each trial time. A pass shorter than the coarse step can be missed; the step defaults to 30 s, which no
LEO pass above a 0°-10° mask is shorter than except grazing ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import brentq, minimize_scalar

from overhead.geometry.topocentric import GroundSite, look_angles
from overhead.orbits.catalog import Catalog
from overhead.orbits.frames import teme_to_itrf_matrices
from overhead.orbits.timescales import julian_date_split, to_datetime64

__all__ = ["PASS_COLUMNS", "passes_over_site"]

PASS_COLUMNS = ("norad_id", "name", "rise", "culmination", "set", "duration_s", "rise_azimuth_deg",
                "max_elevation_deg", "set_azimuth_deg", "truncated")
TIME_TOLERANCE_S = 1e-3


def _look_function(one: Catalog, site: GroundSite, t0: np.datetime64):
    """Look angles of one satellite at ``seconds`` after ``t0``: SGP4 and the ITRF rotation, no labels."""
    satrec = one.satrecs[0]

    def look(seconds: float):
        t = np.array([t0 + np.timedelta64(round(seconds * 1e9), "ns")])
        jd, fr = julian_date_split(t)
        _, r, _ = satrec.sgp4_array(jd, fr)
        rotation, _ = teme_to_itrf_matrices(t)
        return look_angles(rotation[0] @ r[0], site)
    return look


def passes_over_site(catalog: Catalog, site: GroundSite, start, stop, *, min_elevation_deg: float = 10.0,
                     step_s: float = 30.0) -> pd.DataFrame:
    """Passes between ``start`` and ``stop`` (UTC) as a table of :data:`PASS_COLUMNS`, sorted by rise."""
    t_start, t_stop = to_datetime64(start), to_datetime64(stop)
    if t_stop <= t_start:
        raise ValueError("stop must be after start")
    span_s = (t_stop - t_start) / np.timedelta64(1, "s")
    offsets = np.append(np.arange(0.0, span_s, step_s), span_s)
    times = t_start + (offsets * 1e9).astype("timedelta64[ns]")
    ds = catalog.propagate(times, frame="itrf")
    r = np.stack([ds.x_km.values, ds.y_km.values, ds.z_km.values], -1)
    above = look_angles(r, site).elevation_deg - min_elevation_deg
    rows = []
    for i in np.flatnonzero(np.nanmax(above, axis=1) > 0):
        rows.extend(_refine(catalog[int(i)], site, t_start, offsets, above[i], min_elevation_deg))
    table = pd.DataFrame(rows, columns=list(PASS_COLUMNS))
    return table.sort_values("rise", ignore_index=True)


def _refine(one: Catalog, site: GroundSite, t0, offsets, above, mask):
    look = _look_function(one, site, t0)

    def elevation(seconds: float) -> float:
        return float(look(seconds).elevation_deg)
    up = np.nan_to_num(above, nan=-1.0) > 0
    edges = np.flatnonzero(np.diff(up.astype(np.int8)))
    starts = [0] if up[0] else []
    starts += [k + 1 for k in edges if not up[k]]
    record = one.records[0]
    out = []
    for k in starts:
        end = k
        while end + 1 < len(up) and up[end + 1]:
            end += 1
        rise = offsets[k] if k == 0 else brentq(lambda s: elevation(s) - mask, offsets[k - 1], offsets[k],
                                                xtol=TIME_TOLERANCE_S)
        last = len(up) - 1
        set_ = offsets[end] if end == last else brentq(lambda s: elevation(s) - mask, offsets[end],
                                                       offsets[end + 1], xtol=TIME_TOLERANCE_S)
        peak = minimize_scalar(lambda s: -elevation(s), bounds=(rise, set_), method="bounded",
                               options={"xatol": TIME_TOLERANCE_S})
        at = [t0 + np.timedelta64(round(s * 1e9), "ns") for s in (rise, peak.x, set_)]
        az = [float(look(s).azimuth_deg) for s in (rise, set_)]
        out.append((record.norad_id, record.name, at[0], at[1], at[2], set_ - rise, az[0], -peak.fun, az[1],
                    bool(k == 0 or end == last)))
    return out
