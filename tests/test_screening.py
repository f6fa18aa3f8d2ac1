"""Catalogue screening against a dense independent search, and the conjunction CLI from the user's side."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from scipy.spatial import cKDTree
from sgp4.api import SatrecArray, jday

from overhead.analysis.conjunctions.screening import INTERPOLATION_MARGIN_KM, SCREEN_COLUMNS, sample_steps_s, screen
from overhead.cli.main import main
from overhead.errors import WorkTooLargeError
from overhead.orbits.catalog import load_elements
from overhead.orbits.hermite import hermite_states
from overhead.orbits.timescales import julian_date_split
from overhead.tables import json_records
from tests.conftest import shared_file


def _leo_subset(n: int):
    catalog = load_elements(shared_file("catalog", "celestrak_active_2026-03-19", "active.tle"))
    orbits = catalog.orbits()
    # a crowded shell, so that a few hundred objects have close approaches within hours
    index = np.nonzero((orbits.perigee_km.values > 520) & (orbits.apogee_km.values < 580))[0][:n]
    return catalog[list(index)]


def _dense_search(
    catalog, t0: np.datetime64, hours: float, threshold_km: float, max_closing_km_s: float = 16.0
) -> pd.DataFrame:
    """python-sgp4 at 2 s, a KD-tree per step with a radius no approach can escape, minima by Brent on the rate of
    the positions' range (central differences: SGP4's deep-space velocities are not the positions' rates)."""
    satrecs = catalog.satrecs
    step = 2.0
    offsets = np.arange(0, hours * 3600 + step, step)
    base = pd.Timestamp(t0)
    jd0, fr0 = jday(base.year, base.month, base.day, base.hour, base.minute, base.second + base.microsecond / 1e6)
    jd = np.full(offsets.size, jd0)
    fr = fr0 + offsets / 86400
    err, r, _v = SatrecArray(satrecs).sgp4(jd, fr)
    radius = threshold_km + max_closing_km_s * step / 2 + 0.1  # no two objects close faster
    pairs = set()
    for k in range(offsets.size):
        ok = err[:, k] == 0
        idx = np.nonzero(ok)[0]
        tree = cKDTree(r[idx, k])
        for a, b in tree.query_pairs(radius):
            pairs.add((idx[a], idx[b], k))

    def distance(i, j, t):
        _e1, p1, _ = satrecs[i].sgp4(jd0, fr0 + t / 86400)
        _e2, p2, _ = satrecs[j].sgp4(jd0, fr0 + t / 86400)
        return float(np.linalg.norm(np.subtract(p2, p1)))

    def range_rate(i, j, t):  # of the positions alone (SGP4's deep-space velocities are not their rates)
        return (distance(i, j, t + 0.05) - distance(i, j, t - 0.05)) / 0.1

    rows = {}
    for i, j, k in pairs:
        lo, hi = offsets[max(k - 1, 0)], offsets[min(k + 1, offsets.size - 1)]
        # a minimum: the positions' range rate goes from negative to positive (brackets overlap, so one at a
        # bracket's end is inside the next); the range alone is too flat at a slow pair's minimum, where SGP4's
        # rounding makes false minima of a micrometre
        if not range_rate(i, j, lo) < 0 < range_rate(i, j, hi):
            continue
        t = optimize.brentq(lambda t, i=i, j=j: range_rate(i, j, t), lo, hi, xtol=1e-6)
        if distance(i, j, t) < threshold_km:
            key = (min(i, j), max(i, j), round(t, 1))
            rows[key] = (int(catalog.norad_ids[min(i, j)]), int(catalog.norad_ids[max(i, j)]), t, distance(i, j, t))
    return pd.DataFrame(list(rows.values()), columns=["a", "b", "t", "range_km"])


def test_screening_finds_what_a_dense_independent_search_finds():
    catalog = _leo_subset(250)
    t0 = catalog.median_epoch()
    hours, threshold = 6.0, 20.0
    ours = screen(
        catalog, t0, t0 + np.timedelta64(int(hours * 3600), "s"), threshold_km=threshold, split_pairs=False
    ).conjunctions
    truth = _dense_search(catalog, t0, hours, threshold)
    assert len(truth) > 20  # the test means something
    _assert_found(ours, truth, t0, threshold)
    assert list(ours.columns[: len(SCREEN_COLUMNS)]) == SCREEN_COLUMNS
    assert ours.tca.is_monotonic_increasing


def _assert_found(ours: pd.DataFrame, truth: pd.DataFrame, t0: np.datetime64, threshold_km: float) -> None:
    offsets = (ours.tca - pd.Timestamp(t0)).dt.total_seconds().to_numpy()
    pair = [tuple(sorted(p)) for p in zip(ours.norad_id_1, ours.norad_id_2, strict=True)]
    for row in truth.itertuples():
        match = [k for k, p in enumerate(pair) if p == tuple(sorted((row.a, row.b))) and abs(offsets[k] - row.t) < 1.0]
        assert match, f"missed {row.a}-{row.b} at +{row.t:.1f} s, {row.range_km:.3f} km"
        k = match[0]
        assert abs(ours.min_range_km[k] - row.range_km) < 1e-3  # range within 1 m
        if ours.relative_speed_km_s[k] < 0.01 and abs(ours.min_range_km[k] - row.range_km) < 1e-9:
            # a pair slower than 10 m/s: the range changes by under a micrometre within 0.1 s of TCA, less than
            # SGP4's rounding, so the time of its flat minimum is not defined to 1 ms by either search
            assert abs(offsets[k] - row.t) < 0.1
        else:
            assert abs(offsets[k] - row.t) < 1e-3  # TCA within 1 ms
    assert (ours.min_range_km <= threshold_km).all()


@pytest.mark.slow
def test_objects_sampled_at_different_steps_meet_as_a_dense_search_finds():
    """LEO sampled every 180 s, eccentric orbits crossing it and GEO every 60 or 120 s: pairs across the groups
    are found as a 2 s search of python-sgp4 finds them."""
    catalog = load_elements(shared_file("catalog", "celestrak_active_2026-03-19", "active.tle"))
    orbits = catalog.orbits()
    perigee, apogee = orbits.perigee_km.values, orbits.apogee_km.values
    chosen = [
        *np.nonzero((perigee > 520) & (apogee < 580))[0][:150],
        *np.nonzero((perigee < 1500) & (apogee > 2000))[0],
        *np.nonzero((perigee > 35_000) & (apogee < 36_500))[0][:150],
    ]
    subset = catalog[chosen]
    steps = dict(zip(subset.norad_ids, sample_steps_s(subset, 60.0), strict=True))
    assert set(steps.values()) == {60.0, 120.0, 180.0}
    t0 = subset.median_epoch()
    hours, threshold = 12.0, 100.0
    ours = screen(
        subset, t0, t0 + np.timedelta64(int(hours * 3600), "s"), threshold_km=threshold, split_pairs=False
    ).conjunctions
    truth = _dense_search(subset, t0, hours, threshold, max_closing_km_s=20.0)
    mixed = [(a, b) for a, b in zip(truth.a, truth.b, strict=True) if steps[a] != steps[b]]
    assert len(truth) > 100 and mixed  # pairs across sample steps are among them
    _assert_found(ours, truth, t0, threshold)


@pytest.mark.slow
def test_each_objects_sample_step_keeps_the_interpolation_error_under_the_margin():
    """The cubic Hermite error at each object's sample step, against SGP4 itself every 20 s over a day, for the
    whole active catalogue (LEO to GEO, HEO perigees included)."""
    catalog = load_elements(shared_file("catalog", "celestrak_active_2026-03-19", "active.tle"))
    steps = sample_steps_s(catalog, 60.0)
    t0 = catalog.median_epoch()
    worst = 0.0
    for h in np.unique(steps):
        index = np.nonzero(steps == h)[0]
        array = SatrecArray([catalog.satrecs[i] for i in index])
        k = round(h / 20.0)
        offsets = np.arange(0.0, 86_400.0 + h, 20.0)
        for first in range(0, offsets.size - k, 12 * k):
            block = offsets[first : first + 12 * k + 1]
            err, r, v = array.sgp4(*julian_date_split(t0 + (block * 1e9).astype("timedelta64[ns]")))
            bad = (err != 0).any(axis=1)
            for a in range(0, block.size - k, k):
                for f in range(1, k):
                    p, _ = hermite_states(r[:, a], v[:, a], r[:, a + k], v[:, a + k], h, f / k, velocity=False)
                    miss = np.linalg.norm(p - r[:, a + f], axis=1)[~bad]
                    worst = max(worst, float(miss.max(initial=0.0)))
    assert 0.001 < worst <= INTERPOLATION_MARGIN_KM


def test_a_span_of_years_is_refused_before_any_work():
    catalog = _leo_subset(5)
    t0 = catalog.median_epoch()
    with pytest.raises(WorkTooLargeError, match="reduce the span"):
        screen(catalog, t0, t0 + np.timedelta64(800, "D"))


def test_cli_pc_json_has_the_documented_fields(capsys):
    folder = shared_file("conjunctions", "cara_pc_test_conjunctions")
    files = sorted(str(p) for p in folder.glob("*.cdm"))[:2]
    assert main(["conjunctions", "pc", *files, "--method", "3d", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in rows] == files
    for key in ("tca", "miss_distance_m", "relative_speed_m_s", "hbr_m", "pc2d", "nc3d", "method_valid"):
        assert key in rows[0]
    assert rows[0]["tca"].endswith("Z")


def test_cli_pc_bad_file_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.cdm"
    bad.write_text("CCSDS_CDM_VERS = 1.0\nTCA = yesterday\n")
    assert main(["conjunctions", "pc", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "bad.cdm" in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_cli_screen_writes_the_csv_and_one_line(tmp_path, capsys):
    elements = shared_file("catalog", "celestrak_active_2026-03-19", "active.tle")
    out = tmp_path / "conj.csv"
    cdms = tmp_path / "cdms"
    cdms.mkdir()
    code = main(
        [
            "conjunctions",
            "screen",
            str(elements),
            "--start",
            "2026-03-19T06:00:00Z",
            "--stop",
            "2026-03-19T06:10:00Z",
            "--threshold-km",
            "5",
            "--primaries",
            "25544,20580",
            "-o",
            str(out),
            "--cdm-dir",
            str(cdms),
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    table = pd.read_csv(out)
    assert list(table.columns) == SCREEN_COLUMNS
    assert set(table.norad_id_1) <= {25544, 20580}
    assert len(list(cdms.glob("*.cdm"))) == len(table)
    import overhead
    from overhead.analysis.conjunctions import read_cdm

    xml = tmp_path / "xml"
    xml.mkdir()
    assert (
        main(
            [
                "conjunctions",
                "screen",
                str(overhead.sample_path("resource")),
                "--threshold-km",
                "25",
                "--start",
                "2026-05-30T00:00:00Z",
                "--stop",
                "2026-05-30T06:00:00Z",
                "-o",
                str(out),
                "--cdm-dir",
                str(xml),
                "--cdm-format",
                "xml",
            ]
        )
        == 0
    )
    table = pd.read_csv(out)
    read = [read_cdm(p) for p in xml.glob("*.xml")]
    assert len(read) == len(table) > 0
    assert all(m.hbr_m == 10.0 and m.object1.has_velocity_covariance for m in read)


def test_cli_screen_span_of_years_exit_2(capsys):
    elements = shared_file("catalog", "celestrak_active_2026-03-19", "active.tle")
    assert (
        main(
            [
                "conjunctions",
                "screen",
                str(elements),
                "--start",
                "2026-03-19T00:00:00Z",
                "--stop",
                "2029-03-19T00:00:00Z",
            ]
        )
        == 2
    )
    assert "reduce the span" in capsys.readouterr().err


def test_api_pc_of_a_posted_cdm_equals_caras(tmp_path):
    import csv
    import warnings

    from overhead.api import ServiceSettings, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    folder = shared_file("conjunctions", "cara_pc_test_conjunctions")
    with open(folder / "reference_pc.csv") as f:
        case = next(csv.DictReader(f))
    app = create_app(ServiceSettings(db_url=f"sqlite:///{tmp_path / 'c.sqlite'}", token="t", scheduler="none"))
    with TestClient(app) as client:
        body = (folder / f"{case['Conjunction_ID']}.cdm").read_bytes()
        answer = client.post("/api/conjunctions/pc", content=body, headers={"Content-Type": "text/plain"})
        assert answer.status_code == 200, answer.text
        assert abs(answer.json()["pc2d"] / float(case["Pc2D"]) - 1) < 1e-6
        bad = client.post("/api/conjunctions/pc", content=b"CCSDS_CDM_VERS = 1.0\nTCA = <script>\n")
        assert bad.status_code == 422 and "OBJECT" in bad.json()["detail"] and "<script>" not in bad.text


def test_screening_job_keeps_its_conjunctions_in_the_store(tmp_path):
    """The job's answer equals a direct screening of the same elements, and GET /api/conjunctions serves it."""
    import time
    import warnings

    from overhead.api import ServiceSettings, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    app = create_app(ServiceSettings(db_url=f"sqlite:///{tmp_path / 'c.sqlite'}", token="t", scheduler="none"))
    auth = {"Authorization": "Bearer t"}
    body = {"group": "resource", "start": "2026-05-30T00:00:00Z", "stop": "2026-05-30T06:00:00Z", "threshold_km": 50.0}
    with TestClient(app) as client:
        assert client.post("/api/jobs/conjunctions", json=body).status_code == 401  # jobs need a token
        created = client.post("/api/jobs/conjunctions", json=body, headers=auth)
        assert created.status_code == 202, created.text
        for _ in range(300):
            job = client.get(f"/api/jobs/{created.json()['id']}", headers=auth).json()
            if job["state"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert job["state"] == "done", job
        rows = client.get(f"/api/jobs/{job['id']}/result", headers=auth).json()
        stored = client.get("/api/conjunctions").json()
        catalog = app.state.service.satellites(None, "resource", None)
    direct = screen(catalog, "2026-05-30T00:00:00Z", "2026-05-30T06:00:00Z", threshold_km=50.0)
    together = [r for r in rows if r["kind"] == "co-moving"]  # the TerraSAR-X/TanDEM-X formation: no Pc, no tca
    rows = [r for r in rows if r["kind"] == "conjunction"]
    assert [r["tca"] for r in json_records(direct.conjunctions)] == [r["tca"] for r in rows]
    assert len(together) == len(direct.co_moving) > 0 and all("assumed_cov_pc" not in r for r in together)
    assert len(stored) == len(rows) and len(rows) > 0
    assert [r["tca"] for r in stored] == [r["tca"] for r in rows]
    assert all(r["epoch_1"] and r["epoch_2"] for r in stored)


def test_a_new_screening_replaces_the_stored_conjunctions_of_its_span(tmp_path):
    from overhead.catalog.store import CatalogStore

    store = CatalogStore(f"sqlite:///{tmp_path / 's.sqlite'}")
    row = {
        "norad_id_1": 1,
        "name_1": "A",
        "norad_id_2": 2,
        "name_2": "B",
        "tca": "2026-05-30T01:00:00.000Z",
        "min_range_km": 1.0,
        "relative_speed_km_s": 10.0,
        "radial_km": 0.1,
        "in_track_km": 0.2,
        "cross_track_km": 0.9,
        "max_pc": 1e-5,
        "assumed_cov_pc": 1e-7,
    }
    store.save_conjunctions(pd.DataFrame([row]), "2026-05-30T00:00:00Z", "2026-05-30T06:00:00Z")
    moved = row | {"tca": "2026-05-30T01:00:02.500Z", "min_range_km": 0.8}
    store.save_conjunctions(pd.DataFrame([moved]), "2026-05-30T00:00:00Z", "2026-05-30T06:00:00Z")
    kept = store.conjunctions(norad_id=2)
    assert len(kept) == 1 and kept.min_range_km[0] == 0.8
    assert len(store.conjunctions(min_pc=1e-6)) == 0


@pytest.mark.parametrize("scheduler", ["none", "local"])
def test_screening_split_into_time_windows_equals_one_screening(scheduler):
    from overhead.analysis.conjunctions.screening import screen_distributed

    catalog = _leo_subset(150)
    t0 = catalog.median_epoch()
    stop = t0 + np.timedelta64(4 * 3600, "s")
    whole = screen(catalog, t0, stop, threshold_km=20.0).conjunctions
    split = screen_distributed(catalog, t0, stop, parts=3, scheduler=scheduler, threshold_km=20.0).conjunctions
    assert len(whole) > 10
    key = ["norad_id_1", "norad_id_2", "tca"]
    assert whole[key].reset_index(drop=True).equals(split[key].reset_index(drop=True))
    assert np.allclose(whole.min_range_km.to_numpy(), split.min_range_km.to_numpy(), atol=1e-6)


def test_an_approach_before_a_short_last_interval_is_not_missed():
    """Found by comparing split and whole screenings: a span whose last sample interval is short (40 s of 60)
    once gave the time that also closes the longer interval before it a reach of only the short one's half."""
    catalog = load_elements(shared_file("catalog", "celestrak_active_2026-03-19", "active.tle"))
    pair = catalog.select([63367, 64881, 37224, 67382])
    found = screen(pair, "2026-03-19T06:11:00Z", "2026-03-19T06:21:40Z").conjunctions
    assert set(zip(found.norad_id_1, found.norad_id_2, strict=True)) == {(63367, 64881), (37224, 67382)}
    assert (found.min_range_km < 5).all()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-3000, 3000), st.integers(-3000, 3000), st.integers(-3000, 3000)),
        min_size=0,
        max_size=300,
    ),
    st.integers(0, 20),
)
def test_the_kernels_cell_order_is_numpys_stable_sort(cells, invalid):
    """The radix argsort of the packed cell keys against numpy's stable argsort of the cells themselves (x, then
    y, then z; objects without a state last)."""
    from overhead.analysis.conjunctions._screen_kernel import pack_keys, radix_argsort

    indices = np.array([*cells, *[(0, 0, 0)] * invalid], dtype=np.int64).reshape(-1, 3)
    valid = np.r_[np.ones(len(cells), dtype=bool), np.zeros(invalid, dtype=bool)]
    keys = np.empty(len(indices), dtype=np.int64)
    pack_keys(indices, valid, keys)
    expected = np.lexsort((indices[:, 2], indices[:, 1], indices[:, 0], ~valid))
    assert np.array_equal(radix_argsort(keys), expected)


def test_an_empty_catalogue_screens_to_an_empty_table():
    import overhead

    catalog = overhead.sample_catalog()
    empty = catalog[[]]
    result = screen(empty, catalog.median_epoch(), catalog.median_epoch() + np.timedelta64(600, "s"))
    assert result.objects == 0 and result.conjunctions.empty
    assert list(result.conjunctions.columns[: len(SCREEN_COLUMNS)]) == SCREEN_COLUMNS


def test_cli_pc_one_message_without_a_radius_is_one_line_and_the_others_are_assessed(tmp_path, capsys):
    """Issue #25: one CDM without a hard-body radius stopped a multi-file `pc` run with no output for the
    others. The screening's own CDMs now carry the radius (read without --hbr-m); the one without is its own row
    saying why, the others are assessed, and the exit code is 2; --hbr-m is the radius of files without one."""
    import overhead
    from overhead.analysis.conjunctions.cdm import write_cdm_kvn
    from overhead.analysis.conjunctions.screening import screen, screening_messages

    catalog = overhead.sample_catalog()
    start = catalog.median_epoch()
    table = screen(catalog, start, start + np.timedelta64(6, "h"), threshold_km=25.0).conjunctions.head(3)
    paths = []
    for k, message in enumerate(screening_messages(catalog, table, hbr_m=10.0)):
        paths.append(tmp_path / f"c{k}.cdm")
        paths[-1].write_text(write_cdm_kvn(message))
    text = paths[1].read_text()
    paths[1].write_text("\n".join(line for line in text.splitlines() if "HBR" not in line) + "\n")
    assert main(["conjunctions", "pc", *map(str, paths), "--format", "json"]) == 2
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [r["file"] for r in rows] == list(map(str, paths))
    assert rows[0]["hbr_m"] == rows[2]["hbr_m"] == 10.0 and "hard-body radius" in rows[1]["error"]
    assert "1 of 3" in captured.err and "Traceback" not in captured.err
    # a radius given is the default of the file without one only: the others keep their own
    assert main(["conjunctions", "pc", *map(str, paths), "--format", "json", "--hbr-m", "3"]) == 0
    assert [r["hbr_m"] for r in json.loads(capsys.readouterr().out)] == [10.0, 3.0, 10.0]
    assert main(["conjunctions", "pc", *map(str, paths)]) == 2
    table = capsys.readouterr().out
    assert "c1.cdm: not assessed:" in table.replace("\n", " ") or "not assessed" in table


def test_a_cdm_whose_state_is_not_a_bound_orbit_is_one_located_line_and_a_422(tmp_path, capsys):
    """Issue #25: `POST /api/conjunctions/pc?method=3d` answered 500 on a CDM whose state is not a bound orbit
    (nc3d raised a bare ValueError). Both doors: one line naming the file and the object, exit 2; a 422."""
    import re
    import warnings

    from overhead.api import ServiceSettings, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    source = next(shared_file("conjunctions", "cara_pc_test_conjunctions").glob("*.cdm"))
    text = source.read_text()
    # object 2's velocity times 2: above the escape speed at its radius
    parts = text.split("OBJECT2")
    parts[1] = re.sub(
        r"(X_DOT\s*=\s*)([-0-9.Ee+]+)", lambda m: f"{m.group(1)}{2 * float(m.group(2)):.9f}", parts[1], count=1
    )
    parts[1] = re.sub(
        r"(Y_DOT\s*=\s*)([-0-9.Ee+]+)", lambda m: f"{m.group(1)}{2 * float(m.group(2)):.9f}", parts[1], count=1
    )
    parts[1] = re.sub(
        r"(Z_DOT\s*=\s*)([-0-9.Ee+]+)", lambda m: f"{m.group(1)}{2 * float(m.group(2)):.9f}", parts[1], count=1
    )
    bad = tmp_path / "unbound.cdm"
    bad.write_text("OBJECT2".join(parts))
    assert main(["conjunctions", "pc", str(bad), "--method", "3d"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unbound.cdm" in err and "OBJECT2" in err and "bound" in err
    app = create_app(ServiceSettings(db_url=f"sqlite:///{tmp_path / 'c.sqlite'}", scheduler="none", load_sample=False))
    with TestClient(app) as client:
        answer = client.post(
            "/api/conjunctions/pc",
            params={"method": "3d"},
            content=bad.read_bytes(),
            headers={"Content-Type": "text/plain"},
        )
        assert answer.status_code == 422 and "bound" in answer.json()["detail"]


def test_docked_and_formation_pairs_come_out_once_as_co_moving_never_with_a_pc():
    """Issue #25: the Chinese station's docked vehicles (bundled stations group) and the TerraSAR-X / TanDEM-X
    formation (~0.5 km, shared resource group) stay within a few km for the whole day: each pair is one
    co-moving row with its range band and span, and none of their minima is left among the conjunctions."""
    import overhead
    from overhead.analysis.conjunctions.screening import CO_MOVING_COLUMNS

    stations = overhead.sample_catalog(("stations",))
    start = stations.median_epoch()
    result = screen(stations, start, start + np.timedelta64(1, "D"), threshold_km=5.0)
    together = result.co_moving
    assert list(together.columns) == CO_MOVING_COLUMNS and len(together) >= 1
    assert set(together.kind) == {"co-moving"} and (together.conjunctions_folded > 0).all()
    assert (together.max_range_km < 15.0).all() and (together.max_relative_speed_km_s < 0.1).all()
    pairs = set(zip(together.norad_id_1, together.norad_id_2, strict=True))
    assert not any(
        (a, b) in pairs for a, b in zip(result.conjunctions.norad_id_1, result.conjunctions.norad_id_2, strict=True)
    )
    resource = load_elements(shared_file("catalog", "celestrak_groups_2026-05-30", "resource.tle"))
    names = list(resource.names)
    formation = resource[[i for i, n in enumerate(names) if n.strip() in ("TERRASAR-X", "TANDEM-X")]]
    assert len(formation) == 2
    start = formation.median_epoch()
    pair = screen(formation, start, start + np.timedelta64(1, "D"), threshold_km=5.0)
    assert pair.conjunctions.empty and len(pair.co_moving) == 1
    row = pair.co_moving.iloc[0]
    assert 0.1 < row.min_range_km <= row.median_range_km <= row.max_range_km < 2.0


def test_a_pair_together_for_less_than_the_hours_stays_a_conjunction():
    """The same formation over 2 hours (under CO_MOVING_HOURS): its minima stay conjunctions."""
    resource = load_elements(shared_file("catalog", "celestrak_groups_2026-05-30", "resource.tle"))
    names = list(resource.names)
    formation = resource[[i for i, n in enumerate(names) if n.strip() in ("TERRASAR-X", "TANDEM-X")]]
    start = formation.median_epoch()
    pair = screen(formation, start, start + np.timedelta64(2, "h"), threshold_km=5.0)
    assert pair.co_moving.empty and len(pair.conjunctions) >= 1
