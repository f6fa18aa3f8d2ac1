"""`overhead export` as a user runs it, each file read by the tool it is for (georinex for SP3, shapely for GeoJSON,
fastkml for KML, json for CZML) and checked against python-sgp4; the store's groups and tags as the satellites of
export, access and screening."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sgp4.api import Satrec, jday

import overhead
from overhead.cli.main import main

ISS, TIANHE = 25544, 48274
SPAN = ["--start", "2026-05-30T00:00:00Z", "--stop", "2026-05-30T01:00:00Z", "--step-s", "120"]
TIMES = np.datetime64("2026-05-30T00:00:00", "ns") + np.arange(0, 3601, 120) * np.timedelta64(1, "s")


def _sgp4_teme_km(norad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """python-sgp4's TEME states (km, km/s) of a bundled satellite at TIMES."""
    catalog = overhead.sample_catalog().select([norad_id])
    line1, line2 = catalog.to_tle(names=False).splitlines()
    satrec = Satrec.twoline2rv(line1, line2)
    r, v = [], []
    for t in TIMES.astype("datetime64[us]").tolist():
        _, position, velocity = satrec.sgp4(
            *jday(t.year, t.month, t.day, t.hour, t.minute, t.second + t.microsecond / 1e6)
        )
        r.append(position)
        v.append(velocity)
    return np.array(r), np.array(v)


def _read_stk(path) -> tuple[list[str], np.ndarray]:
    """The header lines and the EphemerisTimePosVel rows of an STK .e file (as STK's format defines them)."""
    lines = path.read_text().splitlines()
    start, end = lines.index("EphemerisTimePosVel"), lines.index("END Ephemeris")
    rows = np.array([[float(x) for x in line.split()] for line in lines[start + 1 : end] if line.strip()])
    return lines[:start], rows


def test_stk_ephemeris_states_are_python_sgp4s_within_a_millimetre(tmp_path):
    out = tmp_path / "iss.e"
    assert (
        main(
            [
                "export",
                str(overhead.sample_path("stations")),
                "--ids",
                str(ISS),
                "--format",
                "stk-e",
                *SPAN,
                "-o",
                str(out),
            ]
        )
        == 0
    )
    header, rows = _read_stk(out)
    assert header[0] == "stk.v.11.0" and "CoordinateSystem TEMEOfDate" in header
    assert "ScenarioEpoch 30 May 2026 00:00:00.000000" in header and "DistanceUnit Meters" in header
    assert f"NumberOfEphemerisPoints {len(TIMES)}" in header
    np.testing.assert_allclose(rows[:, 0], np.arange(0, 3601, 120))
    r_km, v_km_s = _sgp4_teme_km(ISS)
    assert np.abs(rows[:, 1:4] / 1000 - r_km).max() < 1e-6  # 1 mm
    assert np.abs(rows[:, 4:7] / 1000 - v_km_s).max() < 1e-8  # 10 µm/s


def test_sp3_reads_in_georinex_with_the_itrf_states_and_times(tmp_path):
    georinex = pytest.importorskip("georinex")
    out = tmp_path / "orbits.sp3"
    assert (
        main(
            [
                "export",
                str(overhead.sample_path("stations")),
                "--ids",
                f"{ISS},{TIANHE}",
                "--format",
                "sp3",
                *SPAN,
                "-o",
                str(out),
            ]
        )
        == 0
    )
    sp3 = georinex.load(out)
    assert list(sp3.sv.values) == ["L01", "L02"]
    np.testing.assert_array_equal(sp3.time.values.astype("datetime64[ns]"), TIMES)
    ds = overhead.sample_catalog().select([ISS, TIANHE]).propagate(TIMES, frame="itrf")
    for i in range(2):  # ITRF itself is checked against Orekit (test_against_orekit); here the file's values
        xyz = np.stack([ds.x_km.values[i], ds.y_km.values[i], ds.z_km.values[i]], -1)
        assert np.abs(sp3.position.values[:, i] - xyz).max() < 1e-6  # km: 1 mm
        vxyz = np.stack([ds.vx_km_s.values[i], ds.vy_km_s.values[i], ds.vz_km_s.values[i]], -1) * 1e4  # dm/s
        assert np.abs(sp3.velocity.values[:, i] - vxyz).max() < 1e-5
    assert "/* L01 NORAD 25544 ISS (ZARYA)" in out.read_text()


def test_export_writes_czml_kml_geojson_and_oem_each_readable(tmp_path):
    from fastkml import kml
    from shapely.geometry import shape

    stations = str(overhead.sample_path("stations"))
    for fmt in ("czml", "kml", "geojson", "oem"):
        assert (
            main(
                [
                    "export",
                    stations,
                    "--ids",
                    f"{ISS},{TIANHE}",
                    "--format",
                    fmt,
                    *SPAN,
                    "-o",
                    str(tmp_path / f"out.{fmt}"),
                ]
            )
            == 0
        )
    czml = json.loads((tmp_path / "out.czml").read_text())
    assert czml[0]["id"] == "document" and {p["id"] for p in czml[1:]} == {f"satellite/{ISS}", f"satellite/{TIANHE}"}
    document = next(iter(kml.KML.from_string((tmp_path / "out.kml").read_bytes()).features))
    assert len(list(document.features)) == 2
    tracks = json.loads((tmp_path / "out.geojson").read_text())
    assert all(shape(f["geometry"]).is_valid for f in tracks["features"])
    oem = (tmp_path / "out.oem").read_text()
    assert "OBJECT_ID = 1998-067A" in oem and "REF_FRAME = TEME" in oem


def test_export_refuses_what_its_format_cannot_hold(tmp_path, capsys):
    stations = str(overhead.sample_path("stations"))
    assert main(["export", stations, "--format", "stk-e", *SPAN, "-o", str(tmp_path / "x.e")]) == 2
    assert "one satellite" in capsys.readouterr().err
    assert main(["export", stations, "--format", "kml", "--frame", "itrf", *SPAN]) == 2
    assert "geodetic" in capsys.readouterr().err
    assert (
        main(
            [
                "export",
                stations,
                "--format",
                "oem",
                "--start",
                "2026-05-30T00:00:00Z",
                "--stop",
                "2026-06-30T00:00:00Z",
                "--step-s",
                "1",
            ]
        )
        == 2
    )
    assert "--force" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    assert main(["catalog", "ingest", str(overhead.sample_path("stations")), "--group", "stations", "--db", url]) == 0
    assert main(["catalog", "ingest", str(overhead.sample_path("resource")), "--group", "resource", "--db", url]) == 0
    assert main(["catalog", "tag", "watch", str(ISS), str(TIANHE), "--db", url]) == 0
    return url


def test_access_and_export_take_the_stores_group_or_tag(store, tmp_path):
    """Issue #29: access and screening took only a file and id lists, not a stored group or tag."""
    import pandas as pd

    out = tmp_path / "windows.csv"
    assert (
        main(["access", "--group", "resource", "--db", store, "--site", "-33.9,18.4", *SPAN[:4], "-o", str(out)]) == 0
    )
    from_file = tmp_path / "from_file.csv"
    assert (
        main(["access", str(overhead.sample_path("resource")), "--site", "-33.9,18.4", *SPAN[:4], "-o", str(from_file)])
        == 0
    )
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(from_file))
    assert main(["export", "--tag", "watch", "--db", store, "--format", "stk-e", *SPAN, "-o", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.e")) == [f"{ISS}.e", f"{TIANHE}.e"]


def test_screening_the_stores_tag_against_the_store(store, tmp_path):
    import pandas as pd

    out = tmp_path / "conjunctions.csv"
    assert (
        main(
            [
                "conjunctions",
                "screen",
                "--tag",
                "watch",
                "--db",
                store,
                "--start",
                "2026-05-30T00:00:00Z",
                "--stop",
                "2026-05-30T12:00:00Z",
                "--threshold-km",
                "5",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    table = pd.read_csv(out)
    together = pd.read_csv(tmp_path / "conjunctions_co_moving.csv")  # Tianhe's docked vehicles: apart, no Pc
    assert len(together) and set(together.kind) == {"co-moving"}
    for part in (table, together):
        assert all({int(a), int(b)} & {ISS, TIANHE} for a, b in zip(part.norad_id_1, part.norad_id_2, strict=True))


def test_a_missing_group_or_tag_is_one_line(store, capsys):
    assert main(["access", "--group", "nothing", "--db", store, "--site", "1,2", *SPAN[:4]]) == 2
    assert "no active object in group 'nothing'" in capsys.readouterr().err
    assert main(["conjunctions", "screen", "--tag", "nothing", "--db", store]) == 2
    assert "no object tagged 'nothing'" in capsys.readouterr().err
    assert (
        main(
            [
                "access",
                str(overhead.sample_path("resource")),
                "--group",
                "resource",
                "--db",
                store,
                "--site",
                "1,2",
                *SPAN[:4],
            ]
        )
        == 2
    )
    assert "not both" in capsys.readouterr().err


def test_a_year_of_global_coverage_is_refused_up_front_with_its_estimate(capsys, monkeypatch):
    """Issue #29: an 11-month global coverage started with no estimate and reached 18.6 GB in 10 minutes. It is
    refused before any work, saying its size and what to do; --bounded-memory lifts the memory refusal (not the
    time one), and the estimate is the one suggested_scheduler uses."""
    from overhead.analysis import coverage as coverage_module

    called = []
    monkeypatch.setattr(coverage_module, "coverage", lambda *a, **k: called.append(1))
    resource = str(overhead.sample_path("resource"))
    year = ["--global", "--start", "2026-01-01T00:00:00Z", "--stop", "2026-12-01T00:00:00Z"]
    assert main(["coverage", resource, *year]) == 2
    said = capsys.readouterr().err
    assert "167 satellites × 334.0 days × 5,882 points" in said and "--bounded-memory" in said
    assert main(["coverage", resource, *year, "--resolution", "4", "--bounded-memory"]) == 2  # hours on 64 cores
    said = capsys.readouterr().err
    assert "hours on this machine" in said and "--force" in said
    assert not called  # refused, never started


def test_above_at_a_march_time_uses_marchs_elements_on_a_store_holding_march_and_july(tmp_path, capsys):
    """Issue #29: `above --time T` used the newest elements the store had (July's for a March time: months of
    SGP4 error) and advised ingesting newer ones. Each object's set nearest T is used now."""
    from tests.conftest import SHARED_DATA

    march_file = SHARED_DATA / "catalog" / "celestrak_active_2026-03-19" / "active.tle"
    july_file = SHARED_DATA / "catalog" / "celestrak_active_omm_csv_2026-07-10" / "active.csv"
    if not (march_file.exists() and july_file.exists()):
        pytest.skip("the shared catalogue snapshots are absent")
    from overhead.catalog.store import CatalogStore

    march = overhead.load_elements(march_file)
    july = overhead.load_elements(july_file)
    both = sorted(set(march.norad_ids.tolist()) & set(july.norad_ids.tolist()))[:300]
    (tmp_path / "march.tle").write_text(march.select(both).to_tle())
    (tmp_path / "july.json").write_text(july.select(both).to_omm("json"))
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = CatalogStore(url)
    store.ingest(tmp_path / "march.tle", group="active")
    store.ingest(tmp_path / "july.json", group="active")
    when = np.datetime64("2026-03-19T12:00:00", "ns")
    nearest = store.nearest_catalog(when)
    expected = dict(zip(march.select(both).norad_ids.tolist(), march.select(both).epochs, strict=True))
    assert len(nearest) == len(both)
    assert all(
        abs(epoch - expected[int(n)]) < np.timedelta64(1, "ms")
        for n, epoch in zip(nearest.norad_ids, nearest.epochs, strict=True)
    )
    assert max(store.latest_catalog().epochs) > np.datetime64("2026-07-01")  # the newest are July's
    assert (
        main(["above", "43.6,1.44", "--time", "2026-03-19T12:00:00Z", "--min-elevation-deg", "-90", "--db", url]) == 0
    )
    said = capsys.readouterr()
    assert "Ingest newer elements" not in said.err and "days from" not in said.err


@pytest.mark.slow
@pytest.mark.parametrize("columns", [80, 200])
def test_the_pc_table_shows_every_value_whole_at_any_terminal_width(columns, monkeypatch, capsys):
    """Issue #29: at 80 columns the Pc table cut its values ('0.42…', 'Omit…'). Every value of the JSON output
    appears whole in the table's text, narrow or wide."""
    from tests.conftest import SHARED_DATA

    folder = SHARED_DATA / "conjunctions" / "cara_sample_cdms"
    files = [folder / "OmitronTestCase_Test01_HighPc.cdm", folder / "OmitronTestCase_Test06_MinRelVel.cdm"]
    if not all(f.exists() for f in files):
        pytest.skip("the shared CDMs are absent")
    assert main(["conjunctions", "pc", *map(str, files), "--method", "3d", "--format", "json"]) == 0
    results = json.loads(capsys.readouterr().out)
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["conjunctions", "pc", *map(str, files), "--method", "3d"]) == 0
    text = capsys.readouterr().out
    assert "…" not in text
    for r in results:
        for value in (r["file"].rsplit("/", 1)[-1], r["tca"], f"{r['pc2d']:.6g}", f"{r['nc3d']:.6g}"):
            assert value in text


def test_a_time_with_an_offset_is_converted_and_one_without_a_zone_is_utc_in_the_cli_and_the_api(tmp_path):
    """Issue #29: times without Z were taken as UTC silently and offsets refused. The rule (README): no zone is
    UTC, an offset is converted; the CLI and the API answer the same for the three spellings of one instant."""
    from fastapi.testclient import TestClient

    from overhead.api import ServiceSettings, create_app

    spellings = [
        "2026-05-30T12:00:00Z",
        "2026-05-30T12:00:00",
        "2026-05-30T14:00:00+02:00",
        "2026-05-30T07:00:00-05:00",
    ]
    outputs = []
    for k, when in enumerate(spellings):
        out = tmp_path / f"{k}.csv"
        assert (
            main(
                [
                    "propagate",
                    str(overhead.sample_path("stations")),
                    "--ids",
                    str(ISS),
                    "--start",
                    when,
                    "--stop",
                    when,
                    "-o",
                    str(out),
                ]
            )
            == 0
        )
        outputs.append(out.read_text())
    assert all(o == outputs[0] for o in outputs) and "2026-05-30T12:00:00.000000Z" in outputs[0]
    app = create_app(ServiceSettings(db_url=f"sqlite:///{tmp_path / 'api.sqlite'}", token="t", scheduler="none"))
    with TestClient(app) as client:
        answers = [client.get("/api/positions", params={"time": when, "ids": str(ISS)}).json() for when in spellings]
    assert all(a == answers[0] for a in answers) and answers[0]["time"].startswith("2026-05-30T12:00:00")


def test_an_ambiguous_city_name_says_which_city_was_taken_and_the_others(capsys):
    """Issue #29: an ambiguous city name was picked silently. The most populous is taken, and the notice names it
    and the others with their coordinates (the GeoNames list's own cities named so)."""
    from overhead.geometry.places import find_places

    stations = str(overhead.sample_path("stations"))
    span = ["--start", "2026-05-30T00:00:00Z", "--stop", "2026-05-30T06:00:00Z", "--ids", str(ISS)]
    assert main(["passes", stations, "--site", "Springfield", *span]) == 0
    said = capsys.readouterr().err
    springfields = [p for p in find_places("springfield", limit=50) if p.name == "Springfield"]
    assert len(springfields) > 1
    assert f"took Springfield, {springfields[0].country} ({springfields[0].lat_deg:.2f}" in said
    assert f"({springfields[1].lat_deg:.2f}, {springfields[1].lon_deg:.2f}" in said
    assert main(["passes", stations, "--site", "Toulouse", *span]) == 0
    assert "cities: took" not in capsys.readouterr().err


def test_satnogs_stations_min_horizon_is_each_stations_mask():
    """Issue #29: SatNOGS' min_horizon was ignored: 228 of 1,714 windows peaked below their station's own mask.
    Read from the station list, it is each station's mask (the higher of it and the analysis' own)."""
    from tests.conftest import SHARED_DATA

    path = SHARED_DATA / "ground_stations" / "satnogs_2024-01-06" / "stations.json"
    if not path.exists():
        pytest.skip("the shared SatNOGS station list is absent")
    from overhead.analysis.access import AccessConstraints, access_windows
    from overhead.geometry.targets import load_targets

    raw = {str(s["id"]): s for s in json.loads(path.read_text())}
    with pytest.warns(UserWarning, match="left out"):  # SatNOGS' own list has stations off the Earth
        targets = load_targets(path)
    masks = dict(zip(targets.ids, targets.min_elevation_deg, strict=True))
    assert all(masks[i] == float(raw[i]["min_horizon"]) for i in masks if raw[i].get("min_horizon") is not None)
    assert len({m for m in masks.values()}) > 5  # the list's masks differ from station to station
    windows = access_windows(
        overhead.sample_catalog().select([ISS]),
        targets,
        "2026-05-30T00:00:00Z",
        "2026-05-30T12:00:00Z",
        AccessConstraints(min_elevation_deg=5.0),
    )
    assert len(windows) > 200
    own = windows.target.map(masks).astype(float)
    assert (windows.max_elevation_deg >= np.fmax(own, 5.0) - 1e-6).all()
    assert (own > 5.0).sum() > 20  # windows where the station's own mask, not the analysis', held
