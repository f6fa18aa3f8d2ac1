"""Coverage and revisit figures of merit, computed exactly from access windows (not from samples).

Per point, the windows of all satellites are merged into covered intervals. Conventions:

* a **revisit** (gap) is the time from the end of one covered interval to the start of the next; the
  mean, maximum and 95th percentile of revisits use these interior gaps only (NaN with fewer than two
  intervals);
* the **time-averaged gap** and the **mean response time** also count the edge gaps, from the analysis
  start to the first access and from the last access to the analysis stop, and count a point never seen
  as one gap the length of the analysis: time-averaged gap = Σ gᵢ² / T (the length of the gap a random
  instant falls in, covered instants counting 0), mean response time = Σ gᵢ² / (2T) (the expected wait
  from a random instant to the next access, 0 while covered), where T is the analysis length;
* the **gap** statistics ``max_gap_s``, ``p95_gap_s`` and ``mean_gap_s`` count every gap over the whole
  interval: the one before the first access and the one after the last as well as those between accesses. This
  is what "at least once every T" means: ``max_gap_s <= T``. A point covered for the whole interval has no gap
  (0); a point never seen has one gap of the whole interval; adding a satellite never makes them larger;
* **time to first access** is from the analysis start (NaN where never seen); ``observed`` says whether a point
  was seen at all, so that "never seen" is its own state and not a NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from overhead.analysis import _window_kernel
from overhead.analysis.figures import EDGE_CONVENTION, FIGURE_DEFINITIONS, FIGURES_OF_MERIT
from overhead.labelled import dataset

__all__ = ["FIGURES_OF_MERIT", "FIGURE_DEFINITIONS", "merge_intervals", "revisit_stats", "summarise", "weights_of"]


def merge_intervals(point: np.ndarray, start_s: np.ndarray, end_s: np.ndarray):
    """Union of intervals per point: (point, start, end) of the merged intervals, sorted (compiled: a counting
    sort by point, a sort of each point's starts, one sweep)."""
    if point.size == 0:
        return point, start_s, end_s
    return _window_kernel.merge_intervals(
        np.ascontiguousarray(point, dtype=np.int64),
        np.ascontiguousarray(start_s, dtype=float),
        np.ascontiguousarray(end_s, dtype=float),
        int(point.max()) + 1,
    )


def revisit_stats(
    point: np.ndarray, start_s: np.ndarray, end_s: np.ndarray, n_points: int, duration_s: float
) -> dict[str, np.ndarray]:
    """Figures of merit per point (arrays of ``n_points``) from windows given as point index, start, end (s
    from the analysis start)."""
    accesses = np.bincount(point, minlength=n_points).astype(float)
    mp, ms, me = merge_intervals(point, start_s, end_s)
    covered = np.bincount(mp, weights=me - ms, minlength=n_points)
    same = mp[1:] == mp[:-1]
    gap_point, gaps = mp[1:][same], (ms[1:] - me[:-1])[same]
    frame = pd.DataFrame({"point": gap_point, "gap": gaps})
    grouped = frame.groupby("point")["gap"]
    mean_revisit = grouped.mean().reindex(range(n_points)).to_numpy()
    max_revisit = grouped.max().reindex(range(n_points)).to_numpy()
    p95_revisit = grouped.quantile(0.95).reindex(range(n_points)).to_numpy()
    first = np.full(n_points, np.nan)
    last = np.full(n_points, np.nan)
    if mp.size:
        is_first = np.r_[True, ~same]
        is_last = np.r_[~same, True]
        first[mp[is_first]] = ms[is_first]
        last[mp[is_last]] = me[is_last]
    lead = np.where(np.isnan(first), duration_s, np.maximum(first, 0.0))
    tail = np.where(np.isnan(last), 0.0, np.maximum(duration_s - last, 0.0))
    squares = np.bincount(gap_point, weights=gaps**2, minlength=n_points) + lead**2 + tail**2
    everything = np.arange(n_points)
    all_points = np.concatenate([gap_point, everything, everything])
    all_gaps = np.concatenate([gaps, lead, tail])
    kept = all_gaps > 0  # touching intervals and covered edges leave no gap
    whole = pd.DataFrame({"point": all_points[kept], "gap": all_gaps[kept]}).groupby("point")["gap"]
    max_gap = whole.max().reindex(range(n_points), fill_value=0.0).to_numpy()
    p95_gap = whole.quantile(0.95).reindex(range(n_points), fill_value=0.0).to_numpy()
    mean_gap = whole.mean().reindex(range(n_points), fill_value=0.0).to_numpy()
    return {
        "accesses": accesses,
        "covered_s": covered,
        "percent_covered": 100.0 * covered / duration_s,
        "mean_revisit_s": mean_revisit,
        "max_revisit_s": max_revisit,
        "p95_revisit_s": p95_revisit,
        "max_gap_s": max_gap,
        "p95_gap_s": p95_gap,
        "mean_gap_s": mean_gap,
        "time_averaged_gap_s": squares / duration_s,
        "first_access_s": first,
        "mean_response_s": squares / (2.0 * duration_s),
    }


def weights_of(area_km2: np.ndarray) -> np.ndarray:
    """The weights of grid points: their areas, or 1 each where the grid's points stand for no area (NaN)."""
    area = np.asarray(area_km2, dtype=float)
    return area if np.isfinite(area).all() else np.ones_like(area)


def summarise(stats: xr.Dataset, *, band_deg: float = 10.0) -> xr.Dataset:
    """Area-weighted means of the figures of merit (over the points where each is defined): global, and by
    latitude band; plus the percentage of the area observed at least once."""
    area = weights_of(stats.area_km2.values)
    edges = np.arange(-90.0, 90.0 + band_deg, band_deg)
    band = np.clip(np.digitize(stats.lat_deg.values, edges) - 1, 0, edges.size - 2)
    n_bands = edges.size - 1

    def means(values: np.ndarray) -> tuple[np.ndarray, float]:
        valid = np.isfinite(values)
        w = np.where(valid, area, 0.0)
        v = np.where(valid, values, 0.0)
        num, den = np.bincount(band, w * v, n_bands), np.bincount(band, w, n_bands)
        with np.errstate(invalid="ignore", divide="ignore"):
            return num / den, (float(num.sum() / den.sum()) if den.sum() else np.nan)

    data, scalars = {}, {}
    columns = {name: stats[name].values for name in FIGURES_OF_MERIT}
    columns["percent_points_observed"] = 100.0 * (stats.accesses.values > 0)
    for name, values in columns.items():
        data[name], scalars[f"global_{name}"] = means(values)
    return dataset(
        {name: ("band", values) for name, values in data.items()} | {k: ((), v) for k, v in scalars.items()},
        coords={"band_min_lat_deg": ("band", edges[:-1]), "band_max_lat_deg": ("band", edges[1:])},
        attrs={
            "weighting": "area (km²) of each grid point; points without an area (a list of points) weigh the same",
            "edge_convention": EDGE_CONVENTION,
        },
    )
