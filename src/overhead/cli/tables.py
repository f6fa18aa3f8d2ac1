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
