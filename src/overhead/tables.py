"""Flattening labelled results into the CLI's documented tables and files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from overhead.orbits.timescales import format_iso

STATE_COLUMNS = {
    "teme": ("x_km", "y_km", "z_km", "vx_km_s", "vy_km_s", "vz_km_s"),
    "itrf": ("x_km", "y_km", "z_km", "vx_km_s", "vy_km_s", "vz_km_s"),
    "geodetic": ("lat_deg", "lon_deg", "alt_km"),
}


def states_table(ds: xr.Dataset) -> pd.DataFrame:
    """One row per (satellite, time): norad_id, time, minutes_since_epoch, the frame's columns, error."""
    n_sat, n_time = ds.sizes["satellite"], ds.sizes["time"]
    if "utc" in ds.coords:
        times = ds.utc.values
        minutes = np.broadcast_to(ds.minutes_since_epoch.values, (n_sat, n_time))
    else:
        times = np.broadcast_to(ds.time.values, (n_sat, n_time))
        minutes = (times - ds.epoch.values[:, None]) / np.timedelta64(1, "m")
    table = {
        "norad_id": np.repeat(ds.norad_id.values, n_time),
        "time": format_iso(times.ravel()),
        "minutes_since_epoch": np.asarray(minutes, dtype=float).ravel(),
    }
    for column in STATE_COLUMNS[ds.attrs["frame"]]:
        table[column] = ds[column].values.ravel()
    table["error"] = ds.error.values.ravel()
    return pd.DataFrame(table)


def with_iso_times(table: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """A copy with the given datetime columns as ISO-8601 UTC strings (millisecond precision, ``Z``)."""
    out = table.copy()
    for column in columns:
        out[column] = format_iso(out[column].to_numpy(), digits=3) if len(out) else out[column].astype(object)
    return out


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write CSV or Parquet, by the file's extension."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        table.to_parquet(path, index=False)
    elif path.suffix == ".csv":
        table.to_csv(path, index=False, float_format="%.9g")
    else:
        raise ValueError(f"unknown output type {path.suffix!r}; use .csv or .parquet")
    return path


POINT_COLUMNS = ("id", "lon_deg", "lat_deg", "accesses", "covered_s", "mean_revisit_s", "max_revisit_s",
                 "p95_revisit_s", "first_access_s", "mean_response_s")


def coverage_table(stats: xr.Dataset) -> pd.DataFrame:
    """One row per grid point in grid order: the point columns of the CLI, then the other figures of merit."""
    table = stats.reset_coords().to_dataframe().reset_index(drop=True)
    table["accesses"] = table["accesses"].astype(int)
    rest = [c for c in ("percent_covered", "time_averaged_gap_s", "area_km2") if c in table]
    return table[[*POINT_COLUMNS, *rest]]


def write_coverage(stats: xr.Dataset, path: str | Path) -> Path:
    """Per-point statistics as CSV (blank where undefined), Parquet or NetCDF, by extension."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".nc":
        stats.assign_coords(id=stats.id.astype("S")).to_netcdf(path)
        return path
    table = coverage_table(stats)
    if path.suffix == ".csv":
        table.to_csv(path, index=False, float_format="%.3f", na_rep="")
    elif path.suffix == ".parquet":
        table.to_parquet(path, index=False)
    else:
        raise ValueError(f"unknown output type {path.suffix!r}; use .csv, .parquet or .nc")
    return path


def coverage_geojson(stats: xr.Dataset, boundaries: list[np.ndarray] | None) -> dict:
    """A FeatureCollection of the grid: H3 cells as polygons (or points), figures of merit as properties."""
    table = coverage_table(stats)
    features = []
    for k, row in enumerate(table.to_dict("records")):
        properties = {key: (None if isinstance(value, float) and not np.isfinite(value) else value)
                      for key, value in row.items()}
        if boundaries is not None:
            ring = boundaries[k].tolist()
            geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
        else:
            geometry = {"type": "Point", "coordinates": [row["lon_deg"], row["lat_deg"]]}
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features}
