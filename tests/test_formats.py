"""overhead's geographic and tabular files as the readers users feed them to read them: shapely (cells and tracks
on the sphere's seams), fastkml (gx:Track), xarray's NetCDF reader (CF attributes), pyarrow (timestamps)."""

from __future__ import annotations

import itertools

import h3
import numpy as np
import pyarrow.parquet as pq
import pytest
import xarray as xr
from shapely.geometry import Point, shape

import overhead
from overhead.analysis.coverage import coverage
from overhead.exports import ground_tracks_geojson, kml_document
from overhead.geometry.grids import AnalysisGrid
from overhead.tables import coverage_geojson, write_coverage, write_table

ISS = 25544
DAY = np.datetime64("2026-05-30T00:00:00", "ns") + np.arange(0, 86_400, 60) * np.timedelta64(1, "s")


@pytest.fixture(scope="module")
def global_stats():
    grid = AnalysisGrid.global_grid(2)
    result = coverage(overhead.sample_catalog().select([ISS]), grid, "2026-05-30T00:00:00Z", "2026-05-30T03:00:00Z")
    return grid, result.stats


def test_h3_cells_are_valid_polygons_within_180_degrees_and_the_pole_cells_reach_the_poles(global_stats):
    """Issue #29: 88 of 5,882 cells at resolution 2 came out ~360° wide (39 self-intersecting) and the pole cells
    stopped at 89.07°. Each cell is valid, no polygon wider than 180° but the two pole cells, which are caps from
    -180° to 180° closed at ±90° (RFC 7946 5.3), each holds its H3 centre, and the cells tile the lon/lat
    rectangle exactly (no overlap, no gap)."""
    grid, stats = global_stats
    collection = coverage_geojson(stats, grid.cell_boundaries())
    shapes = [shape(f["geometry"]) for f in collection["features"]]
    assert len(shapes) == 5882
    assert all(s.is_valid for s in shapes)
    parts = [p for s in shapes for p in (s.geoms if s.geom_type == "MultiPolygon" else [s])]
    caps = [p for p in parts if abs(p.bounds[3]) == 90.0 or abs(p.bounds[1]) == 90.0]
    assert len(caps) == 2 and {c.bounds[0] for c in caps} == {-180.0} and {c.bounds[2] for c in caps} == {180.0}
    assert max(p.bounds[2] - p.bounds[0] for p in parts if p not in caps) <= 180.0
    assert all(p.bounds[0] >= -180.0 and p.bounds[2] <= 180.0 for p in parts)
    for cell_id, cell in zip(stats.id.values, shapes, strict=True):
        lat, lon = h3.cell_to_latlng(str(cell_id))
        assert cell.buffer(1e-9).contains(Point(lon, lat))
    assert max(s.bounds[3] for s in shapes) == 90.0 and min(s.bounds[1] for s in shapes) == -90.0
    assert sum(s.area for s in shapes) == pytest.approx(360.0 * 180.0, rel=1e-9)
    assert all(p.exterior.is_ccw for p in parts)  # RFC 7946's right-hand rule


def test_ground_tracks_reach_the_antimeridian_where_the_satellite_crosses_it():
    """Issue #29: the segment across 180° was dropped (a 5° gap for the ISS at 60 s). Each crossing ends one part
    at ±180° and starts the next at ∓180° at the same latitude, within 0.03° (3 km; the samples are 60 s apart,
    the track is no great circle) of the latitude a 1 s propagation finds there; every part is a valid line within
    [-180°, 180°]."""
    catalog = overhead.sample_catalog().select([ISS])
    features = ground_tracks_geojson(catalog.propagate(DAY, frame="geodetic"))["features"]
    parts = features[0]["geometry"]["coordinates"]
    assert len(parts) >= 15  # about one crossing per orbit
    for part in parts:
        line = np.array(part)
        assert shape({"type": "LineString", "coordinates": part}).is_valid
        assert np.abs(line[:, 0]).max() <= 180.0 and np.abs(np.diff(line[:, 0])).max() < 180.0
    fine = catalog.propagate(
        np.datetime64("2026-05-30T00:00:00", "ns") + np.arange(0, 86_400) * np.timedelta64(1, "s"), frame="geodetic"
    )
    lon, lat = fine.lon_deg.values[0], fine.lat_deg.values[0]
    crossings = np.flatnonzero(np.abs(np.diff(lon)) > 180.0)
    assert len(crossings) == len(parts) - 1
    for k, (before, after) in enumerate(itertools.pairwise(parts)):
        assert abs(before[-1][0]) == 180.0 and after[0][0] == -before[-1][0]
        assert before[-1][1] == after[0][1]
        true_lat = (lat[crossings[k]] + lat[crossings[k] + 1]) / 2
        assert abs(before[-1][1] - true_lat) < 0.03


def test_kml_has_a_gx_track_with_the_times_and_positions_fastkml_reads():
    """Issue #29: the KML had no gx:Track (no time animation in Google Earth)."""
    from fastkml import kml

    catalog = overhead.sample_catalog().select([ISS, 25397])
    ds = catalog.propagate(DAY[:30], frame="geodetic")
    document = next(iter(kml.KML.from_string(kml_document(ds).encode()).features))
    for i, folder in enumerate(document.features):
        tracks = [p.kml_geometry for p in folder.features if type(p.kml_geometry).__name__ == "Track"]
        assert len(tracks) == 1
        items = tracks[0].track_items
        assert [np.datetime64(item.when.dt.replace(tzinfo=None), "ns") for item in items] == list(DAY[:30])
        lon_lat_alt = np.array([item.coord.coords[0] for item in items])
        np.testing.assert_allclose(lon_lat_alt[:, 0], ds.lon_deg.values[i], atol=1e-5)
        np.testing.assert_allclose(lon_lat_alt[:, 1], ds.lat_deg.values[i], atol=1e-5)
        np.testing.assert_allclose(lon_lat_alt[:, 2], ds.alt_km.values[i] * 1000, atol=0.5)


def test_netcdf_coverage_follows_the_cf_conventions(global_stats, tmp_path):
    """Issue #29: no CF units on lat/lon, ids as bytes, accesses as floats."""
    _, stats = global_stats
    path = write_coverage(stats, tmp_path / "coverage.nc")
    ds = xr.open_dataset(path)
    assert ds.attrs["Conventions"] == "CF-1.8"
    assert (ds.lat_deg.attrs["standard_name"], ds.lat_deg.attrs["units"]) == ("latitude", "degrees_north")
    assert (ds.lon_deg.attrs["standard_name"], ds.lon_deg.attrs["units"]) == ("longitude", "degrees_east")
    assert ds.max_revisit_s.attrs["units"] == "s" and ds.percent_covered.attrs["units"] == "percent"
    assert all("long_name" in ds[v].attrs and "units" in ds[v].attrs for v in ds.data_vars if v != "observed")
    assert np.issubdtype(ds.accesses.dtype, np.integer)
    assert isinstance(ds.id.values[0], str) and ds.id.values[0] == str(stats.id.values[0])
    np.testing.assert_array_equal(ds.accesses.values, stats.accesses.values)


def test_parquet_times_are_utc_timestamps(tmp_path):
    """Issue #29: Parquet `time` was a string. Passes and states tables keep their times as timestamps (UTC) that
    equal the CSV form's ISO text."""
    import pyarrow as pa

    from overhead.analysis.passes import passes_over_site
    from overhead.geometry.topocentric import GroundSite
    from overhead.tables import iter_state_tables, with_iso_times, write_table_chunks

    catalog = overhead.sample_catalog().select([ISS])
    passes = passes_over_site(catalog, GroundSite(43.6, 1.44, 0.0), DAY[0], DAY[-1])
    table = with_iso_times(passes, ("rise", "culmination", "set"))
    write_table(table, tmp_path / "passes.parquet")
    read = pq.read_table(tmp_path / "passes.parquet")
    for column in ("rise", "culmination", "set"):
        assert pa.types.is_timestamp(read.schema.field(column).type) and read.schema.field(column).type.tz == "UTC"
    rise = read.column("rise").to_pandas().dt.tz_convert(None).to_numpy()
    np.testing.assert_array_equal(rise.astype("datetime64[ms]"), passes.rise.to_numpy().astype("datetime64[ms]"))
    write_table_chunks(iter_state_tables(catalog, times=DAY[:10]), tmp_path / "states.parquet")
    states = pq.read_table(tmp_path / "states.parquet")
    assert str(states.schema.field("time").type) == "timestamp[ns, tz=UTC]"
    write_table_chunks(iter_state_tables(catalog, times=DAY[:10]), tmp_path / "states.csv")
    text = (tmp_path / "states.csv").read_text().splitlines()
    assert text[1].split(",")[1] == "2026-05-30T00:00:00.000000Z"
