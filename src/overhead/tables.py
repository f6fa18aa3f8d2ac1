"""Flattening labelled results into the CLI's documented tables and files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from overhead.errors import OverheadError
from overhead.files import atomic_path
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
        "time": np.asarray(times, dtype="datetime64[ns]").ravel(),  # ISO text in CSV, a UTC timestamp in Parquet
        "minutes_since_epoch": np.asarray(minutes, dtype=float).ravel(),
    }
    for column in STATE_COLUMNS[ds.attrs["frame"]]:
        table[column] = ds[column].values.ravel()
    table["error"] = ds.error.values.ravel()
    return pd.DataFrame(table)


# bytes per row of a states table, measured on the CLI's output (CSV: 12 significant digits; Parquet: snappy)
STATE_ROW_BYTES = {
    ("csv", "teme"): 140,
    ("csv", "itrf"): 140,
    ("csv", "geodetic"): 100,
    ("parquet", "teme"): 60,
    ("parquet", "itrf"): 60,
    ("parquet", "geodetic"): 45,
}
CHUNK_STATES = 1_000_000  # states propagated and written at a time: memory stays ~0.3 GB whatever the output


def state_output_bytes(rows: int, frame: str, fmt: str) -> int:
    """About how many bytes a states table of ``rows`` rows takes as ``fmt`` (csv or parquet)."""
    return int(rows * STATE_ROW_BYTES[(fmt, frame)])


def iter_state_tables(
    catalog,
    *,
    times=None,
    minutes_since_epoch=None,
    frame: str = "teme",
    chunk_states: int = CHUNK_STATES,
    progress: bool = False,
) -> Iterator[pd.DataFrame]:
    """The states table of ``catalog.propagate(...)`` in pieces of about ``chunk_states`` rows, in the same row
    order (satellite, then time): a table of any size is written with bounded memory."""
    axis = np.asarray(minutes_since_epoch if times is None else times)
    n_sat, n_time = len(catalog), len(axis)
    sats_per_chunk = max(1, chunk_states // max(n_time, 1))
    times_per_chunk = max(1, min(n_time, chunk_states))  # one satellite's times are split only beyond a chunk
    for a in range(0, n_sat, sats_per_chunk):
        part = catalog[a : a + sats_per_chunk]
        for b in range(0, max(n_time, 1), times_per_chunk):
            piece = axis[b : b + times_per_chunk]
            ds = (
                part.propagate(minutes_since_epoch=piece, frame=frame)
                if times is None
                else part.propagate(piece, frame=frame, progress=progress)
            )
            yield states_table(ds)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet takes for a formula (OWASP's list)
# a negative number or a list of coordinates ('-33.9000,18.4000', a site's label) calls nothing: left as it is
_PLAIN_NEGATIVE = re.compile(r"^-\d[\d.]*(,[-+]?\d[\d.]*)*$")


def formula_safe(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell a spreadsheet would run as a formula (``=HYPERLINK(...``, ``@SUM``) quoted
    by a leading apostrophe, as OWASP advises for CSV: outside names reach a spreadsheet as text. Numbers (negative
    ones included) are not text cells and stay as they are."""
    text_columns = [
        c
        for c in table.columns
        if pd.api.types.is_object_dtype(table[c].dtype) or pd.api.types.is_string_dtype(table[c].dtype)
    ]
    if not text_columns:
        return table
    guarded = table.copy()
    for column in text_columns:
        guarded[column] = [
            f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) and not _PLAIN_NEGATIVE.match(v) else v
            for v in guarded[column]
        ]
    return guarded


def csv_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The table as CSV cells: times (datetime64 columns) as ISO-8601 UTC text with ``Z`` to the microsecond,
    formula-like text quoted (:func:`formula_safe`)."""
    times = tuple(c for c in table.columns if pd.api.types.is_datetime64_any_dtype(table[c].dtype))
    return formula_safe(with_iso_times(table, times, digits=6) if times else table)


# the columns of overhead's tables that hold times: in Parquet they are timestamps (UTC), whether the table holds
# them as datetime64 or as the ISO-8601 text of the CSV form
TIME_COLUMNS = frozenset(
    {
        "time",
        "start",
        "end",
        "stop",
        "rise",
        "set",
        "culmination",
        "visible_start",
        "visible_end",
        "brightest_time",
        "tca",
        "epoch",
        "epoch_1",
        "epoch_2",
        "first_epoch",
        "last_epoch",
        "first_seen",
        "last_seen",
        "reentry",
        "window_start",
        "window_end",
    }
)


def is_time_column(name: str) -> bool:
    """Whether a column of overhead's tables holds times: the names above, and every ``…_at`` (when a record was
    made: ``started_at``, ``screened_at``)."""
    return name in TIME_COLUMNS or name.endswith("_at")


def utc_times(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its time columns as naive UTC ``datetime64[ns]``, the one time type of overhead's tables
    (the database hands back Python datetimes, or None where a column is empty). Converted in place."""
    for column in table.columns:
        if is_time_column(str(column)) and table[column].dtype != "datetime64[ns]":
            utc = pd.to_datetime(table[column], utc=True, format="ISO8601")
            table[column] = utc.dt.tz_convert(None).astype("datetime64[ns]")
    return table


def arrow_table(table: pd.DataFrame):
    """A pyarrow Table of ``table`` with its time columns as ``timestamp[ns, tz=UTC]``."""
    import pyarrow as pa

    out = table
    for column in table.columns:
        values = table[column]
        is_time = pd.api.types.is_datetime64_any_dtype(values.dtype)
        is_iso_text = (
            column in TIME_COLUMNS
            and (pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype))
            and values.map(lambda v: v is None or v is pd.NA or isinstance(v, str)).all()
        )
        if is_time or is_iso_text:
            if out is table:
                out = table.copy()
            out[column] = pd.to_datetime(values, utc=True, format="ISO8601" if is_iso_text else None)
    return pa.Table.from_pandas(out, preserve_index=False)


STATE_FLOAT_FORMAT = "%.12g"  # 0.1 mm at GEO distances, 1e-12 km/s: states written as they were computed


def write_table_chunks(tables, path: str | Path | None, *, float_format: str = STATE_FLOAT_FORMAT, stream=None) -> int:
    """Write an iterable of tables as one CSV or Parquet file (atomically), or as CSV to ``stream``; returns rows."""
    rows = 0
    if path is None:
        for k, table in enumerate(tables):
            csv_cells(table).to_csv(stream, index=False, header=k == 0, float_format=float_format)
            rows += len(table)
        return rows
    path = Path(path)
    if path.suffix not in (".parquet", ".csv"):
        raise OverheadError(f"unknown output type {path.suffix!r} of {path.name}: use .csv or .parquet")
    with atomic_path(path) as temporary:
        if path.suffix == ".csv":
            with open(temporary, "w", encoding="utf-8", newline="") as handle:
                for k, table in enumerate(tables):
                    csv_cells(table).to_csv(handle, index=False, header=k == 0, float_format=float_format)
                    rows += len(table)
        else:
            import pyarrow.parquet as pq

            writer = None
            try:
                for table in tables:
                    arrow = arrow_table(table)
                    writer = writer or pq.ParquetWriter(temporary, arrow.schema)
                    writer.write_table(arrow)
                    rows += len(table)
            finally:
                if writer is not None:
                    writer.close()
    return rows


def with_iso_times(table: pd.DataFrame, columns: tuple[str, ...], *, digits: int = 3) -> pd.DataFrame:
    """A copy with the given datetime columns as ISO-8601 UTC strings (``digits`` decimals, milliseconds by
    default, ``Z``)."""
    out = table.copy()
    for column in columns:
        out[column] = iso_text(out[column].to_numpy(dtype="datetime64[ns]"), digits=digits)
    return out


def iso_text(values: np.ndarray, *, digits: int = 3) -> np.ndarray:
    """UTC times as ISO-8601 text with ``Z`` (an object array), None where there is no time (not "NaT")."""
    if not len(values):
        return np.zeros(0, dtype=object)
    text = np.asarray(format_iso(values, digits=digits), dtype=object)
    text[np.isnat(values)] = None
    return text


def json_columns(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """The table's columns as arrays, what :func:`json_records` writes: times (datetime64 columns) as ISO-8601
    UTC text to the millisecond."""
    return {
        name: iso_text(values.to_numpy(dtype="datetime64[ns]"))
        if pd.api.types.is_datetime64_any_dtype(values.dtype)
        else values.to_numpy()
        for name, values in table.items()
    }


def json_records(table: pd.DataFrame) -> list[dict]:
    """The rows as JSON-ready dicts of Python values: times (datetime64 columns) as ISO-8601 UTC text with ``Z``
    to the millisecond, missing values as None."""
    return column_records(json_columns(table))


def column_records(columns: dict[str, np.ndarray], *, decimals: int | None = None) -> list[dict]:
    """Rows as JSON-ready dicts from equal-length arrays by column (no table built): missing values as None,
    floats rounded to ``decimals`` when given. Times must already be text."""
    names = list(columns)
    lists = [_json_column(np.asarray(columns[name]), decimals) for name in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]


def _json_column(values: np.ndarray, decimals: int | None) -> list:
    """An array as a list of Python values, None where missing (column by column: ten times to_dict's speed)."""
    if values.dtype.kind == "f" and decimals is not None:
        values = values.round(decimals)
    items = values.tolist()
    if values.dtype.kind in "iub":
        return items
    missing = np.isnan(values) if values.dtype.kind == "f" else pd.isna(values)
    for i in np.flatnonzero(missing):
        items[i] = None
    return items


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write CSV or Parquet, by the file's extension (atomically)."""
    write_table_chunks([table], path, float_format="%.9g")
    return Path(path)


POINT_COLUMNS = (
    "id",
    "lon_deg",
    "lat_deg",
    "accesses",
    "covered_s",
    "mean_revisit_s",
    "max_revisit_s",
    "p95_revisit_s",
    "first_access_s",
    "mean_response_s",
)


def coverage_table(stats: xr.Dataset) -> pd.DataFrame:
    """One row per grid point in grid order: the point columns of the CLI, then the other figures of merit."""
    table = stats.reset_coords().to_dataframe().reset_index(drop=True)
    table["accesses"] = table["accesses"].astype(int)
    from overhead.analysis.figures import FIGURES_OF_MERIT

    rest = [c for c in (*FIGURES_OF_MERIT, "observed", "area_km2") if c in table and c not in POINT_COLUMNS]
    return table[[*POINT_COLUMNS, *rest]]


def write_coverage(stats: xr.Dataset, path: str | Path) -> Path:
    """Per-point statistics as CSV (blank where undefined), Parquet or NetCDF, by extension."""
    path = Path(path)
    if path.suffix not in (".nc", ".csv", ".parquet"):
        raise OverheadError(f"unknown output type {path.suffix!r} of {path.name}: use .csv, .parquet or .nc")
    with atomic_path(path) as temporary:
        if path.suffix == ".nc":
            cf_coverage(stats).to_netcdf(temporary)
        elif path.suffix == ".csv":
            coverage_table(stats).to_csv(temporary, index=False, float_format="%.3f", na_rep="")
        else:
            coverage_table(stats).to_parquet(temporary, index=False)
    return path


def cf_coverage(stats: xr.Dataset) -> xr.Dataset:
    """The statistics with the CF conventions' attributes (CF-1.8): standard names and units of latitude and
    longitude, UDUNITS units and long names of every figure, integer counts, text ids, the span as ACDD's
    time_coverage_start/end."""
    from overhead.analysis.figures import FIGURE_DEFINITIONS

    out = stats.copy()
    out["accesses"] = out["accesses"].astype(np.int32)
    out = out.assign_coords(id=out.id.astype(str))
    out.lat_deg.attrs.update(standard_name="latitude", units="degrees_north", long_name="grid point latitude")
    out.lon_deg.attrs.update(standard_name="longitude", units="degrees_east", long_name="grid point longitude")
    out.id.attrs.update(long_name="grid point id (H3 cell or given id)")
    if "area_km2" in out.coords or "area_km2" in out:
        out.area_km2.attrs.update(units="km2", long_name="area the grid point stands for")
    for name, definition in FIGURE_DEFINITIONS.items():
        if name in out:
            units = "s" if name.endswith("_s") else "percent" if name.startswith("percent") else "1"
            out[name].attrs.update(units=units, long_name=definition)
    if "observed" in out:
        out["observed"] = out["observed"].astype(np.int8)
        out.observed.attrs.update(
            long_name="whether any satellite saw the point",
            flag_values=np.array([0, 1], np.int8),
            flag_meanings="never_seen seen",
        )
    out.attrs.update(
        Conventions="CF-1.8",
        title="overhead coverage and revisit statistics",
        time_coverage_start=str(out.attrs.get("start", "")),
        time_coverage_end=str(out.attrs.get("stop", "")),
    )
    return out


def coverage_geojson(stats: xr.Dataset, boundaries: list[np.ndarray] | None) -> dict:
    """A FeatureCollection of the grid: H3 cells as polygons (or points), figures of merit as properties."""
    from overhead.exports import ring_geometry

    table = coverage_table(stats)
    features = []
    for k, row in enumerate(table.to_dict("records")):
        properties = {
            key: (None if isinstance(value, float) and not np.isfinite(value) else value) for key, value in row.items()
        }
        if boundaries is not None:
            geometry = ring_geometry(boundaries[k])  # cut at the antimeridian, the pole cells closed at the pole
        else:
            geometry = {"type": "Point", "coordinates": [row["lon_deg"], row["lat_deg"]]}
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features}
