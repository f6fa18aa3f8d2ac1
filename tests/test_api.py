"""The REST API through httpx (FastAPI's TestClient), checked against Skyfield, python-sgp4 and closed forms."""

from __future__ import annotations

import gzip
import json
import re
import time
import warnings
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import overhead
from overhead import data_path
from overhead.api import ServiceSettings, create_app
from overhead.api.service import iso
from overhead.catalog.manoeuvres import MANOEUVRE_KINDS, detect_manoeuvres
from tests.conftest import shared_file

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
T0 = "2026-05-30T00:00:00Z"
TOULOUSE = {"lat_deg": 43.6047, "lon_deg": 1.4442, "alt_m": 150.0}
ISS = 25544


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("api") / "catalog.sqlite"
    app = create_app(ServiceSettings(db_url=f"sqlite:///{db}", token=TOKEN, scheduler="none", max_work=3e6))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def skyfield(tmp_path_factory):
    api = pytest.importorskip("skyfield.api")
    folder = tmp_path_factory.mktemp("skyfield")
    (folder / "finals2000A.all").write_bytes(gzip.decompress(data_path("finals2000A.all.gz").read_bytes()))
    ts = api.Loader(str(folder), verbose=False).timescale(builtin=False)
    lines = overhead.sample_catalog().select([ISS]).to_tle(names=False).splitlines()
    return api, ts, api.EarthSatellite(lines[0], lines[1], ts=ts)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def test_status_and_openapi(client):
    status = client.get("/api/status").json()
    assert status["active"] == len(overhead.sample_catalog())
    assert status["groups"] == ["resource", "stations"]
    assert status["elements_stale"] and status["default_time"].startswith("2026-05-30")
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.") and "/api/passes" in spec["paths"] and "/api/jobs/coverage" in spec["paths"]


def test_object_search_and_detail(client):
    found = client.get("/api/objects", params={"q": "sentinel-2", "limit": 50}).json()
    assert found["total"] >= 2 and all("SENTINEL-2" in o["name"] for o in found["objects"])
    assert all(o["regime"] == "LEO" and 700 < o["perigee_km"] < 800 for o in found["objects"])
    by_designator = client.get("/api/objects", params={"q": "1998-067A"}).json()["objects"]
    assert [o["norad_id"] for o in by_designator] == [ISS]
    detail = client.get(f"/api/objects/{ISS}").json()
    assert detail["tle"][1].startswith("1 25544U") and len(detail["history"]) == 1
    assert 92.5 < detail["period_min"] < 93.5  # the ISS's period from its mean motion
    assert client.get("/api/objects/999999").status_code == 404
    leo = client.get("/api/objects", params={"regime": "GEO"}).json()
    assert all(o["regime"] == "GEO" for o in leo["objects"])


def test_reentries_in_the_object_detail_and_the_feed(client):
    """The bundled stations' decaying objects: their detail carries the drag model's prediction (a window of
    ±20 % of the time to go around it); the feed lists those within the days asked, soonest first; a Sentinel-2
    at ~790 km has none; the feed's bounds are the request model's."""
    from overhead.catalog.reentry import reentries_from

    at = pd.Timestamp("2026-05-30")
    expected = reentries_from(overhead.sample_catalog().elements, at=at, within_days=60)
    feed = client.get("/api/reentries", params={"within_days": 60, "time": T0}).json()
    assert feed["total"] == len(expected) >= 1 and feed["at"].startswith("2026-05-30T00:00:00")
    assert [r["norad_id"] for r in feed["reentries"]] == [int(n) for n in expected.norad_id]
    assert [r["reentry"] for r in feed["reentries"]] == sorted(r["reentry"] for r in feed["reentries"])
    first = feed["reentries"][0]
    detail = client.get(f"/api/objects/{first['norad_id']}").json()["reentry"]
    assert detail["reentry"] == first["reentry"] and detail["rate_from"] == "element set"
    to_go = (_utc(detail["reentry"]) - _utc(detail["epoch"])).total_seconds()
    assert (_utc(detail["window_end"]) - _utc(detail["reentry"])).total_seconds() == pytest.approx(0.2 * to_go, abs=2)
    assert detail["perigee_km"] < 450 and detail["decay_km_day"] < 0 and detail["ballistic_m2_kg"] > 0
    sentinel = client.get("/api/objects", params={"q": "sentinel-2"}).json()["objects"][0]["norad_id"]
    assert client.get(f"/api/objects/{sentinel}").json()["reentry"] is None
    assert client.get("/api/reentries", params={"within_days": 0}).status_code == 422
    assert client.get("/api/reentries", params={"within_days": 10, "time": "soon"}).status_code == 422


def test_passes_match_skyfield(client, skyfield):
    """The ISS's passes over Toulouse from the API against Skyfield's find_events on the same elements."""
    api, ts, iss = skyfield
    passes = client.get(
        "/api/passes",
        params={**TOULOUSE, "start": T0, "stop": "2026-05-31T00:00:00Z", "min_elevation_deg": 10, "ids": str(ISS)},
    ).json()
    where = api.wgs84.latlon(TOULOUSE["lat_deg"], TOULOUSE["lon_deg"], elevation_m=TOULOUSE["alt_m"])
    t, events = iss.find_events(where, ts.utc(2026, 5, 30), ts.utc(2026, 5, 31), altitude_degrees=10.0)
    rises = [x.utc_datetime() for x, e in zip(t, events, strict=True) if e == 0]
    sets = [x.utc_datetime() for x, e in zip(t, events, strict=True) if e == 2]
    assert len(passes) == len(rises) >= 2
    for ours, rise, set_ in zip(passes, rises, sets, strict=True):
        assert abs((_utc(ours["rise"]) - rise).total_seconds()) < 1.0
        assert abs((_utc(ours["set"]) - set_).total_seconds()) < 1.0
    csv = client.get("/api/passes", params={**TOULOUSE, "start": T0, "ids": str(ISS), "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("norad_id,name,rise,culmination,set")


def test_above_matches_skyfield(client, skyfield):
    api, ts, iss = skyfield
    first = client.get("/api/passes", params={**TOULOUSE, "start": T0, "ids": str(ISS)}).json()[0]
    when = first["culmination"]
    rows = client.get("/api/above", params={**TOULOUSE, "time": when, "min_elevation_deg": 0}).json()
    ours = next(r for r in rows if r["norad_id"] == ISS)
    where = api.wgs84.latlon(TOULOUSE["lat_deg"], TOULOUSE["lon_deg"], elevation_m=TOULOUSE["alt_m"])
    alt, az, distance = (iss - where).at(ts.from_datetime(_utc(when))).altaz()
    assert ours["elevation_deg"] == pytest.approx(alt.degrees, abs=0.05)
    assert (ours["azimuth_deg"] - az.degrees + 180) % 360 - 180 == pytest.approx(0.0, abs=0.1)
    assert ours["range_km"] == pytest.approx(distance.km, abs=1.0)
    assert all(r["elevation_deg"] >= 0 for r in rows)
    assert [r["elevation_deg"] for r in rows] == sorted((r["elevation_deg"] for r in rows), reverse=True)


def test_oem_states_are_sgp4s(client):
    """OEM (TEME) against python-sgp4 called directly on the stored TLE."""
    from sgp4.api import Satrec, jday

    text = client.get(
        "/api/export/ephemeris",
        params={"format": "oem", "ids": str(ISS), "start": T0, "stop": "2026-05-30T00:10:00Z", "step_s": 120},
    ).text
    assert text.startswith("CCSDS_OEM_VERS = 2.0") and "REF_FRAME = TEME" in text and "TIME_SYSTEM = UTC" in text
    tle = client.get(f"/api/objects/{ISS}").json()["tle"]
    sat = Satrec.twoline2rv(tle[1], tle[2])
    rows = [line.split() for line in text.splitlines() if line[:4] == "2026"]
    assert len(rows) == 6
    for stamp, *values in rows:
        t = _utc(stamp + "Z")
        jd, fr = jday(t.year, t.month, t.day, t.hour, t.minute, t.second + t.microsecond / 1e6)
        error, r, v = sat.sgp4(jd, fr)
        assert error == 0
        np.testing.assert_allclose([float(x) for x in values[:3]], r, atol=1e-5)
        np.testing.assert_allclose([float(x) for x in values[3:]], v, atol=1e-8)


def test_czml_kml_geojson_agree_with_each_other_and_skyfield(client, skyfield):
    api, ts, iss = skyfield
    span = {"ids": str(ISS), "start": T0, "stop": "2026-05-30T01:00:00Z", "step_s": 300}
    czml = client.get("/api/export/ephemeris", params={**span, "format": "czml"}).json()
    assert czml[0]["id"] == "document" and czml[1]["position"]["referenceFrame"] == "FIXED"
    samples = np.array(czml[1]["position"]["cartesian"]).reshape(-1, 4)
    assert len(samples) == 13
    t = ts.from_datetime(_utc(T0))
    from skyfield.framelib import itrs as itrs_frame

    itrs = iss.at(t).frame_xyz(itrs_frame).m
    np.testing.assert_allclose(samples[0, 1:], itrs, atol=100.0)  # metres: IERS 2010 chain vs Skyfield's frames
    tracks = client.get("/api/export/ephemeris", params={**span, "format": "geojson"}).json()
    parts = tracks["features"][0]["geometry"]["coordinates"]
    coordinates = [p for part in parts for p in part]
    assert len(coordinates) == 13 + 2 * (len(parts) - 1)  # the samples, and each antimeridian crossing twice
    subpoint = api.wgs84.subpoint_of(iss.at(t))
    assert coordinates[0] == pytest.approx([subpoint.longitude.degrees, subpoint.latitude.degrees], abs=0.01)
    kml = ET.fromstring(client.get("/api/export/ephemeris", params={**span, "format": "kml"}).text)
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    kml_points = [c for line in kml.iterfind(".//k:LineString/k:coordinates", ns) for c in line.text.split()]
    assert len(kml_points) == len(coordinates)
    assert [float(x) for x in kml_points[0].split(",")[:2]] == pytest.approx(coordinates[0], abs=1e-5)


def test_footprint_edge_is_at_the_elevation_mask(client):
    """Every vertex of a footprint sees the satellite at the mask elevation (to the sphere's approximation)."""
    from overhead.geometry.topocentric import GroundSite, look_angles

    when = "2026-05-30T00:00:00Z"
    features = client.get(
        "/api/export/footprints", params={"ids": str(ISS), "start": when, "min_elevation_deg": 10}
    ).json()["features"]
    assert len(features) == 1
    state = overhead.sample_catalog().select([ISS]).propagate(np.atleast_1d(np.datetime64(when[:-1])), frame="itrf")
    r = np.array([state.x_km.values[0, 0], state.y_km.values[0, 0], state.z_km.values[0, 0]])
    geometry = features[0]["geometry"]
    rings = [geometry["coordinates"][0]] if geometry["type"] == "Polygon" else [p[0] for p in geometry["coordinates"]]
    elevations = [
        look_angles(r[None, None], GroundSite(lat, lon)).elevation_deg.item()
        for ring in rings
        for lon, lat in ring
        if abs(lon) < 179.999
    ]
    assert np.median(elevations) == pytest.approx(10.0, abs=0.3)
    assert min(elevations) > 9.0 and max(elevations) < 11.0


def test_elements_export_round_trips(client):
    tle = client.get("/api/export/elements", params={"group": "stations"}).text
    assert len(overhead.load_elements(tle)) == client.get("/api/objects", params={"group": "stations"}).json()["total"]
    omm = client.get("/api/export/elements", params={"format": "omm-xml", "ids": str(ISS)}).text
    assert overhead.load_elements(omm).norad_ids.tolist() == [ISS]


def test_access_windows_endpoint(client):
    body = {
        "targets": [{"id": "toulouse", **TOULOUSE}],
        "ids": [ISS],
        "start": T0,
        "stop": "2026-05-31T00:00:00Z",
        "constraints": {"min_elevation_deg": 10},
    }
    windows = client.post("/api/access", json=body).json()
    passes = client.get("/api/passes", params={**TOULOUSE, "start": T0, "ids": str(ISS)}).json()
    # the same windows; a question may be answered from SGP4 or from the sampled ephemeris (within 1 m of SGP4,
    # whichever holds the hours asked at that moment): rise times agree to a few milliseconds
    rises = [_utc(p["rise"]).timestamp() for p in passes]
    assert len(windows) == len(passes) > 0
    assert np.abs(np.array([_utc(w["start"]).timestamp() for w in windows]) - rises).max() < 5e-3
    body["constraints"] = {"min_elevation_deg": 10, "half_angle_deg": 30}
    narrow = client.post("/api/access", json=body).json()
    assert all(w["min_off_nadir_deg"] <= 30.0 + 1e-6 for w in narrow) and len(narrow) < len(windows)


def test_bad_requests_say_what_to_do(client):
    r = client.get("/api/passes", params={**TOULOUSE, "start": "yesterday-ish"})
    assert r.status_code == 422 and "ISO-8601" in r.json()["detail"]
    r = client.get("/api/passes", params={"lat_deg": 123, "lon_deg": 0})
    assert r.status_code == 422
    r = client.get("/api/passes", params={**TOULOUSE, "start": T0, "stop": "2026-06-09T00:00:00Z"})
    assert r.status_code == 413 and "reduce" in r.json()["detail"]
    r = client.get("/api/tracks", params={"start": T0, "stop": "2026-06-05T00:00:00Z", "step_s": 1})
    assert r.status_code == 413 and "step_s" in r.json()["detail"]
    r = client.get("/api/positions", params={"ids": "25544,abc"})
    assert r.status_code == 422
    r = client.get("/api/positions", params={"ids": "11"})
    assert r.status_code == 404 and "11" in r.json()["detail"]
    r = client.post(
        "/api/jobs/coverage",
        json={"grid": {"kind": "global", "resolution": 6}, "start": T0, "stop": "2026-05-30T01:00:00Z"},
        headers=AUTH,
    )
    assert r.status_code == 413 and "resolution" in r.json()["detail"]
    stale = client.get("/api/passes", params={**TOULOUSE, "start": "2026-11-25T00:00:00Z", "ids": str(ISS)})
    assert stale.status_code == 422 and "days" in stale.json()["detail"]


def _with_checksum(line: str) -> str:
    return line + str(sum(int(c) if c.isdigit() else c == "-" for c in line) % 10)


def test_write_endpoints_need_the_token(client, tmp_path):
    text = (data_path("stations.tle")).read_text()
    assert client.post("/api/catalog/ingest", content=text).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post("/api/catalog/ingest", content=text, headers=wrong).status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"}
    again = client.post("/api/catalog/ingest", params={"group": "stations"}, content=text, headers=auth).json()
    assert again["new_sets"] == 0 and again["unchanged_sets"] == again["records"]  # idempotent
    line1 = _with_checksum("1 99990U 26001A   26150.50000000  .00000000  00000+0  00000+0 0  999")
    line2 = _with_checksum("2 99990  51.6000 100.0000 0001000  90.0000 270.0000 15.50000000    1")
    fresh = f"TEST SAT\n{line1}\n{line2}\n"
    broken = fresh.replace("99990", "99991")[:-2] + str((int(line2[-1]) + 5) % 10) + "\n"  # a wrong checksum
    report = client.post("/api/catalog/ingest", params={"group": "upload"}, content=fresh + broken, headers=auth)
    assert report.status_code == 201, report.text
    body = report.json()
    assert body["new_objects"] == 1 and len(body["rejected"]) == 1 and "checksum" in body["rejected"][0]
    assert client.get("/api/objects/99990").json()["name"] == "TEST SAT"
    assert client.post("/api/catalog/ingest", content="", headers=auth).status_code == 422


def test_object_detail_lists_the_manoeuvres_in_its_history(tmp_path):
    history = overhead.load_elements(shared_file("tle_history", "manoeuvre_benchmark_shorten2023", "Sentinel-3A.tle"))
    app = create_app(
        ServiceSettings(db_url=f"sqlite:///{tmp_path / 'c.sqlite'}", token=TOKEN, scheduler="none", load_sample=False)
    )
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"}
    with TestClient(app) as c:
        assert c.post("/api/catalog/ingest", content=history[:300].to_tle(names=False), headers=auth).status_code == 201
        detail = c.get("/api/objects/41335").json()
    assert len(detail["history"]) == 300
    expected = detect_manoeuvres(history[:300].elements)
    assert [m["time"] for m in detail["manoeuvres"]] == [iso(t) for t in expected.time]
    burn = pd.Timestamp("2016-12-15T08:46Z")  # in the operator's record, inside these 300 sets
    assert any(abs(pd.Timestamp(m["time"]) - burn) <= pd.Timedelta(days=1) for m in detail["manoeuvres"])


def test_the_changes_feed_keeps_the_manoeuvres_at_least_as_likely_as_asked(tmp_path):
    history = overhead.load_elements(shared_file("tle_history", "manoeuvre_benchmark_shorten2023", "Sentinel-3A.tle"))
    app = create_app(
        ServiceSettings(db_url=f"sqlite:///{tmp_path / 'c.sqlite'}", token=TOKEN, scheduler="none", load_sample=False)
    )
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"}
    with TestClient(app) as c:
        for part in (history[:200], history[200:400]):  # the second ingest's sets hold several logged burns
            assert c.post("/api/catalog/ingest", content=part.to_tle(names=False), headers=auth).status_code == 201
        every = c.get("/api/changes", params={"change": "manoeuvre", "min_confidence": 0}).json()["changes"]
        confidences = sorted(m["confidence"] for m in every)
        by_default = c.get("/api/changes", params={"change": "manoeuvre"}).json()["changes"]
        assert sorted(m["confidence"] for m in by_default) == [p for p in confidences if p >= 0.5]
        assert len(confidences) >= 2 and confidences[0] < confidences[-1]
        middle = (confidences[0] + confidences[-1]) / 2
        kept = c.get("/api/changes", params={"change": "manoeuvre", "min_confidence": middle}).json()["changes"]
        assert sorted(m["confidence"] for m in kept) == [p for p in confidences if p >= middle]
        assert c.get("/api/changes", params={"min_confidence": 1.5}).status_code == 422
        detail = c.get("/api/objects/41335").json()
    assert {m["tier"] for m in detail["manoeuvres"]} <= {"high", "normal"}
    assert all(m["kind"] in MANOEUVRE_KINDS and m["delta_v_m_s"] >= 0 for m in detail["manoeuvres"])


def test_write_endpoints_are_off_without_a_configured_token(tmp_path):
    app = create_app(ServiceSettings(db_url=f"sqlite:///{tmp_path / 'c.sqlite'}", token=None, scheduler="none"))
    with TestClient(app) as c:
        r = c.post("/api/catalog/ingest", content="x", headers={"Authorization": "Bearer anything"})
        assert r.status_code == 403 and "--token" in r.json()["detail"]
        assert "access-control-allow-origin" not in c.get("/api/status", headers={"Origin": "http://x"}).headers


def _wait(client, job_id: str, timeout_s: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}", headers=AUTH).json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_coverage_job_matches_access_windows(client):
    """A coverage job's covered time per point equals the sum of the access windows' durations there."""
    points = [{"id": "quito", "lat_deg": -0.18, "lon_deg": -78.47}, {"id": "oslo", "lat_deg": 59.91, "lon_deg": 10.75}]
    span = {"start": T0, "stop": "2026-05-30T12:00:00Z"}
    created = client.post(
        "/api/jobs/coverage",
        json={
            "group": "stations",
            "grid": {"kind": "points", "points": points},
            **span,
            "constraints": {"min_elevation_deg": 10},
        },
        headers=AUTH,
    )
    assert created.status_code == 202
    assert client.get(f"/api/jobs/{created.json()['id']}/result", headers=AUTH).status_code in (200, 409)
    job = _wait(client, created.json()["id"])
    assert job["state"] == "done", job
    result = client.get(f"/api/jobs/{job['id']}/result", headers=AUTH).json()
    windows = client.post(
        "/api/access", json={"group": "stations", "targets": points, **span, "constraints": {"min_elevation_deg": 10}}
    ).json()
    for point in result["points"]:
        mine = [w for w in windows if w["target"] == point["id"]]
        assert point["accesses"] == len(mine)
        # overlapping windows of several satellites count once in covered time
        intervals = sorted((_utc(w["start"]).timestamp(), _utc(w["end"]).timestamp()) for w in mine)
        covered, end = 0.0, -np.inf
        for a, b in intervals:
            covered += max(0.0, b - max(a, end))
            end = max(end, b)
        # API times are to the ms, and the job reads SGP4 where the service may read its ephemeris (1 m)
        assert point["covered_s"] == pytest.approx(covered, abs=5e-3 * len(mine))
    csv = client.get(f"/api/jobs/{job['id']}/result", params={"format": "csv"}, headers=AUTH).text
    assert csv.splitlines()[0].startswith("id,lon_deg,lat_deg,accesses")
    geojson = client.get(f"/api/jobs/{job['id']}/result", params={"format": "geojson"}, headers=AUTH).json()
    assert len(geojson["features"]) == 2


def test_plan_job_is_inside_access_windows(client):
    requests = [
        {"id": "paris", "lat_deg": 48.857, "lon_deg": 2.352, "priority": 3},
        {"id": "madrid", "lat_deg": 40.417, "lon_deg": -3.704, "priority": 1},
    ]
    body = {
        "group": "resource",
        "requests": requests,
        "start": T0,
        "stop": "2026-05-30T12:00:00Z",
        "agility": {"max_off_nadir_deg": 25},
        "solver": "cp-sat",
        "time_limit_s": 5,
    }
    job = _wait(client, client.post("/api/jobs/plan", json=body, headers=AUTH).json()["id"])
    assert job["state"] == "done", job
    plan = client.get(f"/api/jobs/{job['id']}/result", headers=AUTH).json()
    images = [(sat, a) for sat, s in plan["satellites"].items() for a in s["acquisitions"]]
    assert plan["value"] == sum(a["priority"] for _, a in images) > 0
    windows = client.post(
        "/api/access",
        json={
            "group": "resource",
            "targets": [{k: r[k] for k in ("id", "lat_deg", "lon_deg")} for r in requests],
            "start": T0,
            "stop": body["stop"],
            "constraints": {"min_elevation_deg": 0, "max_off_nadir_deg": 25},
        },
    ).json()
    for sat, a in images:
        assert any(
            str(w["norad_id"]) == sat
            and w["target"] == a["request"]
            and _utc(w["start"]) <= _utc(a["start"])
            and _utc(a["end"]) <= _utc(w["end"])
            for w in windows
        )
    unauthorised = client.delete(f"/api/jobs/{job['id']}")
    assert unauthorised.status_code == 401
    assert client.delete(f"/api/jobs/{job['id']}", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 204
    assert client.get(f"/api/jobs/{job['id']}", headers=AUTH).status_code == 404


def test_dashboard_and_offline_assets_are_served(client):
    page = client.get("/")
    # the map view needs no Cesium: the globe's script loads it when the globe is opened
    assert page.status_code == 200 and '<script type="module" src="/static/js/main.js">' in page.text
    assert "Cesium.js" not in page.text
    assert "/vendor/cesium/Cesium.js" in client.get("/static/js/globe.js").text
    assert 'from "/vendor/satellite.es.js"' in client.get("/static/js/sky-worker.js").text
    docs = client.get("/docs").text
    assert "/vendor/swagger/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    # every module the page imports is served, as JavaScript (a module with another MIME type is refused)
    modules, seen = ["main.js"], set()
    while modules:
        name = modules.pop()
        if name in seen:
            continue
        seen.add(name)
        answer = client.get(f"/static/js/{name}")
        assert answer.status_code == 200 and "javascript" in answer.headers["content-type"], name
        modules += re.findall(r'(?:from|import\()\s*"\./([a-z-]+\.js)"', answer.text)
    assert {"main.js", "map.js", "globe.js", "sky.js", "format.js"} <= seen
    vendor = client.get("/vendor/countries-110m.json")
    if vendor.status_code == 404:
        pytest.skip("front-end packages not installed (npm install in web/)")
    assert json.loads(vendor.text)["type"] == "Topology"
    assert client.get("/vendor/cesium/Assets/Textures/NaturalEarthII/tilemapresource.xml").status_code == 200
    assert "export { SatRecError" in client.get("/vendor/satellite.es.js").text


def test_concurrent_requests_get_their_own_answers(client):
    """Requests served at once on the server's threads give what each gives alone."""
    from concurrent.futures import ThreadPoolExecutor

    sites = [
        {"lat_deg": lat, "lon_deg": lon}
        for lat, lon in ((43.6, 1.44), (-33.9, 18.4), (64.1, -21.9), (35.7, 139.7), (-0.2, -78.5), (78.2, 15.4))
    ]

    def passes(site):
        return client.get("/api/passes", params={**site, "start": T0, "group": "resource"}).json()

    alone = [passes(s) for s in sites]
    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(passes, sites))
    assert together == alone and all(len(p) > 0 for p in alone)


def test_plan_job_with_stereo_repeat_and_duty_limits(client):
    requests = [
        {"id": "paris", "lat_deg": 48.857, "lon_deg": 2.352, "priority": 2, "stereo": True},
        {"id": "madrid", "lat_deg": 40.417, "lon_deg": -3.704, "repeat_every_h": 6},
    ]
    body = {
        "group": "resource",
        "requests": requests,
        "start": T0,
        "stop": "2026-05-30T12:00:00Z",
        "agility": {"max_off_nadir_deg": 30, "stereo_separation_s": 30, "max_imaging_s_per_orbit": 60},
        "solver": "cp-sat",
        "time_limit_s": 5,
    }
    job = _wait(client, client.post("/api/jobs/plan", json=body, headers=AUTH).json()["id"])
    assert job["state"] == "done", job
    plan = client.get(f"/api/jobs/{job['id']}/result", headers=AUTH).json()
    images = [a for s in plan["satellites"].values() for a in s["acquisitions"]]
    named = {a["request"] for a in images} | {u["request"] for u in plan["unscheduled"]}
    assert named == {"paris", "madrid#1", "madrid#2"}
    for a in images:
        seconds = (_utc(a["end"]) - _utc(a["start"])).total_seconds()
        assert (seconds, a["images"]) == ((50.0, 2) if a["request"] == "paris" else (10.0, 1))


def test_the_sky_gives_every_active_object_elements_that_sgp4_reproduces(client):
    """The elements the dashboard propagates: one entry per active object, the same TLE the store holds (python
    sgp4 on these lines gives the server's own sub-satellite point), compressed on the wire."""
    from sgp4.api import Satrec

    status = client.get("/api/status").json()
    response = client.get("/api/sky", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    assert response.num_bytes_downloaded < len(response.content) / 2.5  # TLE digits compress about 3x
    sky = response.json()
    assert sky["count"] == status["active"] == len(sky["norad_id"]) == len(sky["line1"]) == len(sky["groups"])
    i = sky["norad_id"].index(25544)
    assert "stations" in sky["groups"][i].split(",") and sky["regime"][i] == "LEO"
    satrec = Satrec.twoline2rv(sky["line1"][i], sky["line2"][i])
    assert satrec.satnum == 25544
    when = status["default_time"]
    position = next(p for p in client.get("/api/positions", params={"time": when, "ids": "25544"}).json()["positions"])
    jd, fr = _jd(when)
    error, r_teme, _ = satrec.sgp4(jd, fr)
    assert error == 0
    # the geocentric distance is frame-independent: the lines served propagate to the server's altitude
    radius = np.linalg.norm(r_teme)
    assert abs(radius - (6371.0 + position["alt_km"])) < 25.0  # WGS-84 vs a mean sphere: at most ~21 km


def _jd(when: str) -> tuple[float, float]:
    from sgp4.api import jday

    t = _utc(when)
    jd, fr = jday(t.year, t.month, t.day, t.hour, t.minute, t.second + t.microsecond / 1e6)
    return jd, fr


def test_places_from_coordinates_or_a_city_name(client):
    assert client.get("/api/places", params={"q": "-33.9, 18.4"}).json() == [
        {
            "name": "-33.9000, 18.4000",
            "lat_deg": -33.9,
            "lon_deg": 18.4,
            "country": "",
            "population": 0,
            "timezone": "Africa/Johannesburg",
        }
    ]
    town = client.get("/api/places", params={"q": "cape town"}).json()[0]
    assert (town["name"], town["country"]) == ("Cape Town", "ZA")
    assert abs(town["lat_deg"] + 33.93) < 0.1 and abs(town["lon_deg"] - 18.42) < 0.1
    assert client.get("/api/places", params={"q": "sao paulo"}).json()[0]["name"] == "São Paulo"
    assert client.get("/api/places", params={"q": "zzzzqqq"}).json() == []
    off_earth = client.get("/api/places", params={"q": "95N 10E"})
    assert off_earth.status_code == 422 and "beyond ±90°" in off_earth.json()["detail"]


@pytest.mark.parametrize(("mask_deg", "accepted"), [(95.0, False), (-91.0, False), (-90.0, True), (89.0, True)])
def test_the_elevation_mask_has_one_validation_in_the_cli_and_the_api(client, capsys, mask_deg, accepted):
    """``passes --min-elevation-deg`` and ``/api/passes?min_elevation_deg=`` refuse and accept the same values."""
    from overhead._resources import data_path
    from overhead.cli.main import main

    answer = client.get(
        "/api/passes", params={**TOULOUSE, "start": T0, "ids": str(ISS), "hours": 2, "min_elevation_deg": mask_deg}
    )
    code = main(
        [
            "passes",
            str(data_path("stations.tle")),
            "--ids",
            str(ISS),
            "--site",
            "43.6047,1.4442",
            "--start",
            T0,
            "--stop",
            "2026-05-30T02:00:00Z",
            "--min-elevation-deg",
            str(mask_deg),
        ]
    )
    err = capsys.readouterr().err
    assert (answer.status_code == 200) == accepted
    assert (code == 0) == accepted
    if not accepted:
        assert "min_elevation_deg" in err and "min_elevation_deg" in answer.text and "Traceback" not in err


def test_the_service_gives_back_the_interpreter_setting_it_changed(tmp_path):
    """The service hands the GIL over every 1 ms while it runs (a process-global setting): stopped, it restores
    the interval it found."""
    import sys

    before = sys.getswitchinterval()
    app = create_app(ServiceSettings(db_url=f"sqlite:///{tmp_path / 'c.sqlite'}", token=None, scheduler="none"))
    with TestClient(app):
        assert sys.getswitchinterval() == pytest.approx(0.001)
    assert sys.getswitchinterval() == before


def test_the_sky_is_revalidated_not_downloaded_again_while_the_catalogue_is_unchanged(tmp_path):
    """A reload sends the ETag it has: 304 with no body while the catalogue is the same; once an ingest changes
    it, a new ETag and the whole body (which then holds the new object)."""
    app = create_app(ServiceSettings(db_url=f"sqlite:///{tmp_path / 'c.sqlite'}", token=TOKEN, scheduler="none"))
    with TestClient(app) as c:
        first = c.get("/api/sky")
        tag = first.headers["etag"]
        assert first.status_code == 200 and tag.startswith('W/"') and first.headers["cache-control"] == "no-cache"
        again = c.get("/api/sky", headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
        assert c.get("/api/sky", headers={"If-None-Match": 'W/"other"'}).status_code == 200
        line1 = _with_checksum("1 99990U 26001A   26150.50000000  .00000000  00000+0  00000+0 0  999")
        line2 = _with_checksum("2 99990  51.6000 100.0000 0001000  90.0000 270.0000 15.50000000    1")
        ingested = c.post(
            "/api/catalog/ingest",
            params={"group": "upload"},
            content=f"TEST SAT\n{line1}\n{line2}\n",
            headers={**AUTH, "Content-Type": "text/plain"},
        )
        assert ingested.status_code == 201, ingested.text
        changed = c.get("/api/sky", headers={"If-None-Match": tag})
        assert changed.status_code == 200 and changed.headers["etag"] != tag
        assert 99990 in changed.json()["norad_id"] and changed.json()["count"] == first.json()["count"] + 1


def test_passes_are_paged_by_rise_from_one_computation(client, monkeypatch):
    """Issue #28: pages of ``limit`` passes, cut at a cursor, whose concatenation is the whole answer, with the
    total; the pages (and the same question again) are served from one computation."""
    import overhead.analysis.passes as passes_module

    calls = []
    real = passes_module.passes_over_site

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(passes_module, "passes_over_site", counted)
    question = {"lat_deg": -33.92, "lon_deg": 18.42, "start": T0, "stop": "2026-05-30T13:00:00Z", "group": "resource"}
    whole = client.get("/api/passes", params=question)
    assert whole.status_code == 200 and int(whole.headers["x-total-count"]) == len(whole.json()) > 120
    assert "x-next-cursor" not in whole.headers
    pages, cursor = [], None
    while True:
        answer = client.get("/api/passes", params={**question, "limit": 50, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200 and answer.headers["x-total-count"] == whole.headers["x-total-count"]
        pages.append(answer.json())
        assert 0 < len(pages[-1]) <= 50
        cursor = answer.headers.get("x-next-cursor")
        if cursor is None:
            assert "link" not in answer.headers
            break
        assert answer.headers["link"].endswith('rel="next"') and "cursor=" in answer.headers["link"]
    assert [p for page in pages for p in page] == whole.json()
    assert len(pages) == -(-len(whole.json()) // 50)
    order = [(p["rise"], p["norad_id"]) for p in whole.json()]
    assert order == sorted(order)
    assert len(calls) == 1  # one computation for the whole answer and every page
    middle = whole.json()[len(whole.json()) // 2]["rise"]
    rising = client.get("/api/passes", params={**question, "cursor": middle}).json()  # a time: rising at or after
    assert rising == [p for p in whole.json() if p["rise"] >= middle]
    csv = client.get("/api/passes", params={**question, "limit": 10, "format": "csv"})
    assert len(csv.text.splitlines()) == 11 and csv.headers["x-total-count"] == whole.headers["x-total-count"]
    for bad in ("yesterday", "2026-13-45T00:00:00Z~5", "2026-05-30T00:00:00Z~x"):
        refused = client.get("/api/passes", params={**question, "cursor": bad})
        assert refused.status_code == 422, bad
    assert client.get("/api/passes", params={**question, "limit": 0}).status_code == 422


def test_a_groups_first_snapshot_is_one_baseline_line_not_news(tmp_path):
    """Every object of a group's first snapshot is 'new': the feed gives one line per such snapshot and lists
    the objects only when asked (baseline=true); a later snapshot's new object is news."""
    app = create_app(ServiceSettings(db_url=f"sqlite:///{tmp_path / 'c.sqlite'}", token=TOKEN, scheduler="none"))
    since = {"since": "1957-10-04T00:00:00Z"}
    with TestClient(app) as c:
        feed = c.get("/api/changes", params=since).json()
        assert sorted(b["group"] for b in feed["baselines"]) == sorted(overhead.SAMPLE_GROUPS)
        assert [x for x in feed["changes"] if x["change"] == "new"] == [] and feed["launches"] == []
        every = c.get("/api/changes", params={**since, "baseline": "true"}).json()
        assert len([x for x in every["changes"] if x["change"] == "new"]) == sum(
            b["objects"] for b in feed["baselines"]
        )
        stations = overhead.sample_path("stations").read_text().splitlines()
        extra = [stations[0].replace(stations[0].strip(), "EXTRA"), *_renumbered(stations[1:3], 99002)]
        report = c.post(
            "/api/catalog/ingest",
            params={"group": "stations"},
            content="\n".join([*stations, *extra]) + "\n",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"},
        )
        assert report.status_code == 201, report.text
        news = c.get("/api/changes", params=since).json()
        assert [(x["norad_id"], x["change"]) for x in news["changes"] if x["change"] == "new"] == [(99002, "new")]
        assert len(news["baselines"]) == len(overhead.SAMPLE_GROUPS)


def _renumbered(lines: list[str], norad_id: int) -> list[str]:
    """A TLE pair with another catalogue number (checksums recomputed)."""
    out = []
    for line in lines:
        body = line[:2] + f"{norad_id:05d}" + line[7:68]
        total = sum(int(ch) if ch.isdigit() else ch == "-" for ch in body)
        out.append(body + str(total % 10))
    return out


def test_a_place_says_its_time_zone(client):
    """The IANA zone of a place (timezonefinder's boundaries), checked against places whose zone is known."""
    for query, zone in (("43.6, 1.44", "Europe/Paris"), ("Cape Town", "Africa/Johannesburg"), ("0, -30", "Etc/GMT+2")):
        found = client.get("/api/places", params={"q": query, "limit": 1}).json()
        assert found and found[0]["timezone"] == zone, (query, found)


def test_visible_passes_are_given_magnitudes_from_the_stores_satcat(tmp_path):
    """Magnitudes of visible passes: the standard one where known, else estimated from the size the store's
    SATCAT gives (as `overhead passes --visible --satcat` does from a file)."""
    from overhead.analysis.visibility import visible_passes
    from overhead.catalog.store import CatalogStore
    from overhead.geometry.topocentric import GroundSite

    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    ids = overhead.sample_catalog(("resource",)).norad_ids[:40]
    satcat = "OBJECT_NAME,OBJECT_ID,NORAD_CAT_ID,OBJECT_TYPE,OPS_STATUS_CODE,OWNER,LAUNCH_DATE,LAUNCH_SITE,"
    satcat += "DECAY_DATE,PERIOD,INCLINATION,APOGEE,PERIGEE,RCS,DATA_STATUS_CODE,ORBIT_CENTER,ORBIT_TYPE\n"
    satcat += "".join(f"X,2000-001A,{i},PAYLOAD,+,US,2000-01-01,AFETR,,95,98,700,690,4.0,,EA,ORB\n" for i in ids)
    store = CatalogStore(db)
    for group in overhead.SAMPLE_GROUPS:
        store.ingest([overhead.sample_path(group)], group=group)
    store.ingest_satcat(satcat.encode(), source="test satcat")
    store.engine.dispose()
    span = {"start": "2026-05-30T18:00:00Z", "stop": "2026-05-31T06:00:00Z"}
    with TestClient(create_app(ServiceSettings(db_url=db, token=TOKEN, scheduler="none"))) as c:
        query = {"lat_deg": 43.6, "lon_deg": 1.44, **span, "visible": "true", "ids": ",".join(map(str, ids))}
        rows = c.get("/api/passes", params=query).json()
    expected = visible_passes(
        overhead.sample_catalog(("resource",)).select(ids),
        GroundSite(43.6, 1.44, 0.0),
        span["start"],
        span["stop"],
        rcs_m2=dict.fromkeys(ids.tolist(), 4.0),
    )
    assert len(rows) == len(expected) > 0
    magnitudes = sorted(round(r["brightest_magnitude"], 3) for r in rows)
    assert magnitudes == sorted(round(float(m), 3) for m in expected.brightest_magnitude)


def test_every_answer_carries_the_security_headers(client):
    """JSON, the page, a 404, a refused request and a 304 all carry the CSP and its companions (set by a plain
    ASGI middleware; an answer that sets its own keeps it)."""
    from overhead.api.app import SECURITY_HEADERS

    etag = client.get("/api/sky").headers["etag"]
    answers = [
        client.get("/api/status"),
        client.get("/"),
        client.get("/api/objects/999999999"),
        client.get("/api/above", params={"lat_deg": 91, "lon_deg": 0}),
        client.get("/api/sky", headers={"If-None-Match": etag}),
    ]
    assert [a.status_code for a in answers] == [200, 200, 404, 422, 304]
    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name) == value, (answer.request.url, name)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(-(2**53), 2**53),
            st.one_of(st.none(), st.text()),
            st.one_of(st.floats(min_value=-1e300, max_value=1e300), st.just(float("nan"))),
            st.booleans(),
        ),
        max_size=30,
    )
)
def test_rows_written_column_by_column_are_the_rows_json_writes(rows):
    """The fast writer of "what is above" (orjson by column, rows put together from the pieces) against the
    plain one (a dict per row, then JSON): the same JSON for any ints, texts (quotes, controls, any Unicode, none),
    floats (NaN: null) and booleans."""
    from overhead.api.routes_compute import json_rows, rendered
    from overhead.tables import column_records

    columns = {
        "norad_id": np.array([r[0] for r in rows], dtype=np.int64),
        "name": np.array([r[1] for r in rows], dtype=object),
        "elevation_deg": np.array([r[2] for r in rows], dtype=float),
        "sunlit": np.array([r[3] for r in rows], dtype=bool),
    }
    expected = json.loads(rendered(column_records(columns, decimals=6)).body)
    assert json.loads(json_rows(columns, decimals=6)) == expected


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 10**9),
            st.one_of(st.none(), st.text()),
            st.one_of(st.floats(min_value=-1e300, max_value=1e300), st.just(float("nan"))),
            st.booleans(),
            st.one_of(st.none(), st.integers(0, 4 * 10**18)),
        ),
        max_size=30,
    )
)
def test_a_table_written_fast_is_the_table_json_records_writes(rows):
    """Passes and access windows are written by the column writer from the table: the same JSON as the rows of
    dicts (times as ISO-8601 Z text to the millisecond, none as null; pandas' string column with missing names)."""
    from fastapi.responses import Response

    from overhead.api.routes_compute import rendered, table_json
    from overhead.tables import json_records

    table = pd.DataFrame(
        {
            "norad_id": np.array([r[0] for r in rows], dtype=np.int64),
            "name": pd.array([r[1] for r in rows], dtype="string"),
            "max_elevation_deg": np.array([r[2] for r in rows], dtype=float),
            "truncated": np.array([r[3] for r in rows], dtype=bool),
            "rise": np.array([np.datetime64("NaT") if r[4] is None else r[4] for r in rows], dtype="datetime64[ns]"),
        }
    )
    expected = json.loads(rendered(json_records(table)).body)
    assert json.loads(table_json(table, Response(), estimated_bytes=0).body) == expected


def test_a_busy_service_gives_its_memory_back_between_requests_and_after_them(monkeypatch):
    """Returning the heap's free pages after every request made the next one fault them in again (a third of
    the passes' requests/s): a service returns them at most every interval, and once more after the last."""
    import time

    from overhead.api import memory

    trims: list[float] = []

    class Libc:
        def malloc_trim(self, pad: int) -> int:
            trims.append(time.monotonic())
            return 1

    pending = memory._later[0]  # an earlier service's timer in this process would trim during the test: gone
    if pending is not None:
        pending.cancel()
        pending.join()
    monkeypatch.setattr(memory, "_libc", lambda: Libc())
    monkeypatch.setattr(memory, "_later", [None])
    monkeypatch.setitem(memory._trimmed, "at", 0.0)
    for _ in range(50):
        memory.release_memory(at_most_every_s=0.3)
    assert len(trims) == 1
    deadline = time.monotonic() + 10.0
    while len(trims) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(trims) == 2 and trims[1] - trims[0] >= 0.29  # the last requests' pages, once they stopped
    memory.release_memory()  # a job's: at once
    assert len(trims) == 3


def test_passes_are_sorted_for_paging_only_when_not_already_in_order():
    from overhead.api.routes_compute import _in_page_order

    rise = np.array(["2026-01-01T00:00", "2026-01-01T00:00", "2026-01-01T00:05"], dtype="datetime64[ns]")
    assert _in_page_order(pd.DataFrame({"rise": rise, "norad_id": [5, 7, 1]}))
    assert not _in_page_order(pd.DataFrame({"rise": rise, "norad_id": [7, 5, 1]}))  # same rise: by NORAD id
    assert not _in_page_order(pd.DataFrame({"rise": rise[::-1], "norad_id": [1, 5, 7]}))
    assert _in_page_order(pd.DataFrame({"rise": rise[:0], "norad_id": np.zeros(0, int)}))


def test_a_starting_service_makes_the_first_pages_catalogue_once_and_before_its_ephemeris(tmp_path, monkeypatch):
    """At start the service makes /api/sky's body in the background; a page asking meanwhile waited for it *and*
    made it again beside it, and the background ephemeris shared the two cores with both (first satellites
    1.8-2.0 s instead of 1.3-1.4 with the July 2026 catalogue). Now one body is made, and the ephemeris starts after
    it."""
    import threading

    from overhead.api import routes_catalog
    from overhead.orbits.sampled import CatalogEphemeris

    events: list[str] = []
    make, prepare = routes_catalog._make_sky_body, CatalogEphemeris.prepare

    def slow_make(view) -> None:
        events.append("sky")
        time.sleep(0.3)  # a page's request comes while it is being made
        make(view)
        events.append("sky made")

    def noted_prepare(self, start, stop):
        events.append("ephemeris")
        return prepare(self, start, stop)

    monkeypatch.setattr(routes_catalog, "_make_sky_body", slow_make)
    monkeypatch.setattr(CatalogEphemeris, "prepare", noted_prepare)
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    with TestClient(create_app(ServiceSettings(db_url=db, token=TOKEN, scheduler="none"))) as c:
        answers = []
        pages = [threading.Thread(target=lambda: answers.append(c.get("/api/sky"))) for _ in range(3)]
        for page in pages:
            page.start()
        for page in pages:
            page.join()
        deadline = time.monotonic() + 30
        while "ephemeris" not in events and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len({a.content for a in answers}) == 1
    assert events.count("sky") == 1, events
    assert events.index("ephemeris") > events.index("sky made"), events
