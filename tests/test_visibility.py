"""Visible passes against Skyfield (find_events, is_sunlit, the Sun's altitude at the site, all at 1 s, written
here), and magnitudes against the diffuse-sphere formula evaluated independently."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import overhead
from overhead.analysis.visibility import visible_passes, visual_magnitude
from overhead.cli.main import main
from overhead.geometry.topocentric import GroundSite
from tests.conftest import shared_file, skyfield_with_ephemeris

START, STOP = "2026-05-30T00:00:00Z", "2026-06-06T00:00:00Z"
SITES = [GroundSite(-33.9, 18.4, 0.0), GroundSite(43.6047, 1.4442, 150.0), GroundSite(64.14, -21.94, 20.0)]


def _skyfield_visible(skyfield, eph, ts, line1, line2, site: GroundSite) -> list[tuple[float, float]]:
    """(first, last) visible second of each pass above 10°, seconds from START."""
    satellite = skyfield.EarthSatellite(line1, line2, ts=ts)
    place = skyfield.wgs84.latlon(site.lat_deg, site.lon_deg, elevation_m=site.alt_m)
    t0, t1 = ts.utc(2026, 5, 30), ts.utc(2026, 6, 6)
    times, events = satellite.find_events(place, t0, t1, altitude_degrees=10.0)
    out = []
    rise = None
    for t, event in zip(times, events, strict=True):
        if event == 0:
            rise = t
        elif event == 2 and rise is not None:
            start_s = (rise.tt - t0.tt) * 86_400
            stop_s = (t.tt - t0.tt) * 86_400
            seconds = np.arange(np.ceil(start_s), np.floor(stop_s) + 1)
            grid = ts.utc(2026, 5, 30, 0, 0, seconds)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lit = satellite.at(grid).is_sunlit(eph)
                sun_alt = (eph["earth"] + place).at(grid).observe(eph["sun"]).apparent().altaz()[0].degrees
            visible = lit & (sun_alt < -6.0)
            if visible.any():
                out.append((float(seconds[visible][0]), float(seconds[visible][-1])))
            rise = None
    return out


@pytest.mark.slow
def test_visible_passes_equal_skyfields_for_the_iss_and_a_dozen_objects_over_a_week():
    skyfield, eph, ts = skyfield_with_ephemeris()
    catalog = overhead.sample_catalog(("stations", "resource"))
    catalog = catalog[[0, *list(range(1, len(catalog), max(1, len(catalog) // 12)))]][:13]
    lines = catalog.to_tle(names=False).splitlines()
    compared = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for site in SITES:
            ours = visible_passes(catalog, site, START, STOP)
            for k, norad_id in enumerate(catalog.norad_ids):
                theirs = _skyfield_visible(skyfield, eph, ts, lines[2 * k], lines[2 * k + 1], site)
                mine = ours[ours.norad_id == norad_id]
                begin = (pd.to_datetime(mine.visible_start) - pd.Timestamp("2026-05-30")).dt.total_seconds()
                end = (pd.to_datetime(mine.visible_end) - pd.Timestamp("2026-05-30")).dt.total_seconds()
                assert len(mine) == len(theirs), (norad_id, site)
                for (a, b), (c, d) in zip(zip(begin, end, strict=True), theirs, strict=True):
                    # Skyfield's are whole seconds: the first visible second is at most 1 s after the start
                    assert -1.5 <= c - a <= 1.5 and -1.5 <= b - d <= 1.5, (norad_id, a, c, b, d)
                compared += len(theirs)
    print(f"visible passes compared: {compared}")
    assert compared >= 30


def test_magnitude_is_the_diffuse_sphere_formula():
    rng = np.random.default_rng(0)
    range_km = rng.uniform(300, 3000, 50)
    phase = rng.uniform(0.05, np.pi - 0.05, 50)
    fraction = ((np.pi - phase) * np.cos(phase) + np.sin(phase)) / np.pi  # brightness relative to a full disc
    expected = -1.8 - 2.5 * np.log10((1000.0 / range_km) ** 2 * fraction / (1 / np.pi))
    assert np.allclose(visual_magnitude(-1.8, range_km, phase), expected, atol=1e-12)
    assert visual_magnitude(-1.8, 1000.0, np.pi / 2) == pytest.approx(-1.8)  # the standard's definition


def test_brightest_magnitude_of_a_visible_iss_pass_is_realistic_and_marked_with_its_source():
    catalog = overhead.sample_catalog(("stations",)).select([25544])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = visible_passes(catalog, SITES[0], START, STOP)
    assert len(table) >= 3
    assert table.brightest_magnitude.between(-4.5, 1.0).all()  # what observers report for the ISS
    assert (table.magnitude_source == "table").all()
    assert (pd.to_datetime(table.brightest_time) >= pd.to_datetime(table.visible_start)).all()


def test_cli_passes_visible(capsys, tmp_path):
    out = tmp_path / "v.csv"
    stations = overhead.sample_catalog(("stations",))
    path = tmp_path / "stations.tle"
    path.write_text(stations.to_tle())
    code = main(
        [
            "passes",
            str(path),
            "--site",
            "-33.9,18.4",
            "--start",
            START,
            "--stop",
            STOP,
            "--visible",
            "--ids",
            "25544",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    table = pd.read_csv(out)
    for column in ("visible_start", "visible_end", "brightest_magnitude", "brightest_time"):
        assert column in table.columns
    assert table.visible_start.str.endswith("Z").all()


def test_api_visible_passes(tmp_path):
    from overhead.api import ServiceSettings, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    app = create_app(ServiceSettings(db_url=f"sqlite:///{tmp_path / 'v.sqlite'}", token="t", scheduler="none"))
    with TestClient(app) as client:
        params = {"lat_deg": -33.9, "lon_deg": 18.4, "start": START, "stop": STOP, "ids": "25544", "visible": "true"}
        answer = client.get("/api/passes", params=params)
        assert answer.status_code == 200, answer.text
        rows = answer.json()
        plain = client.get("/api/passes", params={k: v for k, v in params.items() if k != "visible"}).json()
    assert 0 < len(rows) < len(plain)
    assert all(r["visible_start"].endswith("Z") and r["brightest_magnitude"] < 1.0 for r in rows)


def test_rcs_estimate_is_the_diffuse_sphere_of_that_area_and_marked_as_such(tmp_path):
    from overhead.analysis.visibility import read_satcat_rcs, standard_magnitude_from_rcs

    # an independent evaluation: a Lambertian sphere of area A and albedo 0.175 at 1,000 km, half lit
    area = np.array([0.1, 1.0, 10.0, 100.0])
    radius = np.sqrt(area / np.pi)
    flux = 2.0 / 3.0 * 0.175 * radius**2 / (1.0e6) ** 2 * (1.0 / np.pi)  # phase 90°: [(π-φ)cosφ + sinφ]/π = 1/π
    assert np.allclose(standard_magnitude_from_rcs(area), -26.74 - 2.5 * np.log10(flux))
    satcat = shared_file("catalog", "celestrak_satcat_sample_2026-07", "satcat_sample.csv")
    rcs = read_satcat_rcs(satcat)
    assert rcs[1] == pytest.approx(20.42) and 2 not in rcs  # SL-1 R/B has one; Sputnik 1's is empty
    catalog = overhead.sample_catalog(("resource",))
    ours = {int(n): 5.0 for n in catalog.norad_ids}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = visible_passes(catalog, SITES[0], START, "2026-05-31T00:00:00Z", rcs_m2=ours)
    assert len(table) > 0 and (table.magnitude_source == "estimate (RCS)").all()
    assert table.brightest_magnitude.notna().all()
