"""One time convention: every table the library returns holds its times as naive UTC ``datetime64[ns]``, and the
files and JSON made from them write ISO-8601 with ``Z`` (README, "Times")."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import overhead
from overhead.tables import csv_cells, is_time_column, json_records

SITE = overhead.GroundSite(lat_deg=-33.92, lon_deg=18.42)  # Cape Town: a negative latitude on purpose


def _assert_convention(name: str, table: pd.DataFrame) -> int:
    """Every time column datetime64[ns] without a zone; no ISO text hiding in another column. Returns how many
    time columns the table has."""
    times = [c for c in table.columns if is_time_column(str(c))]
    for column in times:
        assert table[column].dtype == np.dtype("datetime64[ns]"), f"{name}.{column}: {table[column].dtype}"
    for column in table.columns:
        if column not in times and table[column].dtype == object and len(table):
            text = table[column].dropna().astype(str)
            assert not text.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d.*Z").any(), f"{name}.{column} holds ISO text"
    return len(times)


@pytest.fixture(scope="module")
def catalog():
    return overhead.sample_catalog(["resource"])[:12]


@pytest.fixture(scope="module")
def span(catalog):
    t0 = catalog.median_epoch()
    return t0, t0 + np.timedelta64(6 * 3600, "s")


def test_analysis_tables_hold_datetime64(catalog, span):
    from overhead.analysis.eclipses import beta_angles, eclipses
    from overhead.analysis.visibility import visible_passes

    t0, t1 = span
    tables = {
        "access_windows": overhead.access_windows(catalog, SITE, t0, t1),
        "passes_over_site": overhead.passes_over_site(catalog, SITE, t0, t1),
        "visible_passes": visible_passes(catalog, SITE, t0, t1, only_visible=False),
        "eclipses": eclipses(catalog, t0, t1),
        "beta_angles": beta_angles(catalog, [t0, t1]),
    }
    for name, table in tables.items():
        assert len(table), name  # the check means something
        assert _assert_convention(name, table) >= 1, name


def test_screening_tables_hold_datetime64_also_when_empty():
    from overhead.analysis.conjunctions.screening import screen

    stations = overhead.sample_catalog(["stations"])
    t0 = stations.median_epoch()
    found = screen(stations, t0, t0 + np.timedelta64(3 * 3600, "s"), threshold_km=50.0)
    assert len(found.co_moving)  # docked vehicles of the stations
    _assert_convention("co_moving", found.co_moving)
    _assert_convention("conjunctions", found.conjunctions)
    nothing = screen(stations[:0], t0, t0 + np.timedelta64(3600, "s"))
    assert nothing.conjunctions.tca.dtype == np.dtype("datetime64[ns]")


def test_store_tables_hold_datetime64(tmp_path, catalog):
    from overhead.catalog.manoeuvres import detect_manoeuvres
    from overhead.catalog.reentry import predict_reentries
    from overhead.catalog.watch import alerts_table

    store = overhead.CatalogStore(f"sqlite:///{tmp_path / 'store.sqlite'}")
    for name, table in {
        "ingests": store.ingests(),
        "tags": store.tags(),
        "changes": store.changes(),
        "conjunctions": store.conjunctions(),
        "alerts": alerts_table(store),
    }.items():
        _assert_convention(f"empty {name}", table)  # a fresh store types its empty tables as well
    store.ingest([overhead.sample_path("resource")])
    store.tag("mine", [int(catalog.norad_ids[0])])
    norad_id = int(catalog.norad_ids[0])
    history = store.history(norad_id)
    tables = {
        "objects": store.objects(),
        "ingests": store.ingests(),
        "tags": store.tags(),
        "quality": store.quality(),
        "changes": store.changes(),
        "history": history,
        "manoeuvres": detect_manoeuvres(history.assign(norad_id=norad_id)),
        "reentries": predict_reentries(history.assign(norad_id=norad_id)),
    }
    for name, table in tables.items():
        assert _assert_convention(name, table) >= 1, name


def test_files_and_json_write_iso_8601_z():
    table = pd.DataFrame(
        {
            "norad_id": [1, 2],
            "tca": np.array(["2026-05-30T01:00:02.5", "NaT"], "datetime64[ns]"),
            "miss_km": [0.5, np.nan],
        }
    )
    records = json_records(table)
    assert records[0]["tca"] == "2026-05-30T01:00:02.500Z" and records[1]["tca"] is None
    assert records[1]["miss_km"] is None
    json.dumps(records, allow_nan=False)  # strict JSON: no NaN
    cells = csv_cells(table)
    assert cells.tca[0] == "2026-05-30T01:00:02.500000Z" and pd.isna(cells.tca[1])  # an empty cell
