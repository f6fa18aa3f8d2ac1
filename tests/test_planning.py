"""Agile planning on real satellites: every plan checked independently (geometry re-propagated, daylight,
slews, memory), CP-SAT at least as good as the greedy plan, explanations for what is left out."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import overhead
from overhead.analysis.access import access_windows
from overhead.cli.main import main
from overhead.geometry.sensors import AccessConstraints
from overhead.geometry.targets import TargetSet
from overhead.orbits.sun import sun_position_itrf_km
from overhead.planning.agile import Agility, check_plan, explain_unscheduled, opportunities, plan_greedy, plan_optimal

START, STOP = "2026-05-30T00:00:00Z", "2026-05-30T12:00:00Z"


@pytest.fixture(scope="module")
def scenario():
    catalog = overhead.sample_catalog(("resource",))[:10]
    rng = np.random.default_rng(11)
    n = 150
    lat = np.r_[rng.uniform(-50, 60, n - 1), -80.0]  # the last one sits in the southern polar night
    requests = TargetSet.from_points(lat, rng.uniform(-180, 180, n), ids=[f"R{k:03d}" for k in range(n)])
    priority = rng.integers(1, 10, n).astype(float)
    agility = Agility(max_off_nadir_deg=30.0, memory_images=3)
    opps = opportunities(catalog, requests, priority, START, STOP, agility)
    stations = TargetSet.from_points([78.23, 67.86], [15.41, 20.96], 400, ids=["Svalbard", "Kiruna"])
    downlinks = access_windows(catalog, stations, START, STOP, AccessConstraints(min_elevation_deg=5.0))
    downlinks = downlinks.rename(columns={"target": "station"})[["norad_id", "station", "start", "end"]]
    return catalog, requests, agility, opps, downlinks


def _physically_possible(catalog, requests, plan: pd.DataFrame, agility: Agility) -> None:
    """Re-propagate each satellite at each image's start and end: the request within the field of regard,
    above the horizon, in daylight."""
    index = pd.Index(requests.ids).get_indexer(plan.request)
    for column in ("start", "end"):
        for k, row in enumerate(plan.itertuples()):
            when = np.array([np.datetime64(getattr(row, column), "ns")])
            ds = catalog.select([row.norad_id]).propagate(when, frame="itrf")
            r = np.array([float(ds.x_km[0, 0]), float(ds.y_km[0, 0]), float(ds.z_km[0, 0])])
            look = requests.itrf_km[index[k]] - r
            off_nadir = np.degrees(np.arccos(np.dot(look, -r) / np.linalg.norm(look) / np.linalg.norm(r)))
            assert off_nadir <= agility.max_off_nadir_deg + 1e-3
            up = requests.up_unit()[index[k]]
            assert np.dot(-look, up) > 0
            sun = sun_position_itrf_km(when)[0]
            assert np.degrees(np.arcsin(np.dot(sun / np.linalg.norm(sun), up))) >= agility.min_sun_elevation_deg - 1e-3


def test_greedy_and_cp_sat_plans_are_feasible_and_cp_sat_is_no_worse(scenario):
    catalog, requests, agility, opps, downlinks = scenario
    greedy = plan_greedy(opps, downlinks, agility, START)
    optimal, _proven = plan_optimal(opps, downlinks, agility, START, time_limit_s=30)
    for plan in (greedy, optimal):
        check_plan(plan, opps, downlinks, agility, START)
        _physically_possible(catalog, requests, plan, agility)
    assert len(greedy) > 20
    assert optimal.priority.sum() >= greedy.priority.sum()


def test_memory_and_slews_bound_the_plan(scenario):
    _catalog, _requests, _agility, opps, downlinks = scenario
    no_downlinks = downlinks.iloc[:0]
    tight = Agility(max_off_nadir_deg=30.0, memory_images=2)
    plan, _ = plan_optimal(opps, no_downlinks, tight, START, time_limit_s=20)
    assert plan.groupby("norad_id").size().max() <= 2
    # two images on one satellite with rolls 60° apart need a minute: the checker refuses them closer
    first = plan.iloc[0]
    forged = pd.DataFrame([first, first.copy()]).reset_index(drop=True)
    forged.loc[1, "request"] = "other"
    forged.loc[1, "roll_deg"] = first.roll_deg + 60.0
    forged.loc[1, ["start", "end"]] = forged.loc[0, ["start", "end"]] + pd.Timedelta(seconds=20)
    with pytest.raises(overhead.OverheadError):
        check_plan(forged, pd.concat([opps, opps.assign(request="other")]), no_downlinks, tight, START)


def test_unscheduled_requests_say_why(scenario):
    _catalog, requests, agility, opps, downlinks = scenario
    plan = plan_greedy(opps, downlinks, agility, START)
    reasons = explain_unscheduled(requests.ids, opps, plan, downlinks, agility, START)
    polar_night = reasons[reasons.request == "R149"].reason.iloc[0]
    assert polar_night.startswith("no opportunity")
    assert set(reasons.request).isdisjoint(set(plan.request))
    assert len(reasons) + len(plan) == len(requests)


def test_cli_plan_writes_json_and_a_timeline(tmp_path):
    requests = tmp_path / "requests.csv"
    pd.DataFrame(
        {"id": ["A", "B", "C"], "lat": [43.6, 48.85, 40.4], "lon": [1.44, 2.35, -3.7], "priority": [3, 2, 1]}
    ).to_csv(requests, index=False)
    out, gantt = tmp_path / "plan.json", tmp_path / "plan.png"
    assert (
        main(
            [
                "plan",
                str(requests),
                "--elements",
                str(overhead.sample_path("resource")),
                "--start",
                START,
                "--stop",
                STOP,
                "--time-limit",
                "10",
                "-o",
                str(out),
                "--gantt",
                str(gantt),
            ]
        )
        == 0
    )
    plan = json.loads(out.read_text())
    imaged = {a["request"] for sat in plan["satellites"].values() for a in sat["acquisitions"]}
    assert imaged | {u["request"] for u in plan["unscheduled"]} == {"A", "B", "C"}
    assert gantt.stat().st_size > 5_000
    areas = tmp_path / "areas.geojson"
    square = [[2.2, 48.75], [2.5, 48.75], [2.5, 48.95], [2.2, 48.95], [2.2, 48.75]]
    areas.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"id": "paris", "priority": 4},
                        "geometry": {"type": "Polygon", "coordinates": [square]},
                    }
                ],
            }
        )
    )
    assert (
        main(
            [
                "plan",
                str(areas),
                "--elements",
                str(overhead.sample_path("resource")),
                "--start",
                START,
                "--stop",
                STOP,
                "--greedy",
                "--tile-km",
                "10",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    area = json.loads(out.read_text())["areas"][0]
    assert area["request"] == "paris" and area["tiles"] > 1
    assert area["imaged"] == round(area["fraction"] * area["tiles"])


@pytest.mark.slow
def test_aeossp_case_plans_are_valid_and_cp_sat_beats_greedy(tmp_path):
    from overhead.planning.aeossp import read_aeossp
    from tests.conftest import shared_file

    folder = shared_file(
        "scheduling_benchmarks", "astro_reason", "aeossp_standard", "dataset", "cases", "test", "case_0002"
    )
    case = read_aeossp(folder)
    assert len(case.catalog) >= 20 and len(case.tasks) > 1000
    opps, agility = case.opportunities(), case.agility()
    none = opps.iloc[:0][["norad_id"]].assign(station=[], start=[], end=[])
    greedy = plan_greedy(opps, none, agility, case.start)
    optimal, _ = plan_optimal(opps, none, agility, case.start, time_limit_s=20)
    tasks = case.tasks.set_index("task_id")
    for plan in (greedy, optimal):
        check_plan(plan, opps, none, agility, case.start)
        task = tasks.loc[plan.request]
        assert (plan.start.to_numpy() >= task.release.to_numpy()).all()
        assert (plan.end.to_numpy() <= task.due.to_numpy()).all()
        durations = (plan.end - plan.start).dt.total_seconds().to_numpy()
        assert np.allclose(durations, task.duration_s.to_numpy())
        offsets = ((plan.start - case.start).dt.total_seconds() % case.step_s).to_numpy()
        assert np.allclose(offsets, 0.0)  # on the benchmark's action grid
    assert tasks.weight[optimal.request].sum() >= tasks.weight[greedy.request].sum()
    out = tmp_path / "solution.json"
    assert main(["plan", "aeossp", str(folder), "--greedy", "-o", str(out)]) == 0
    actions = json.loads(out.read_text())["actions"]
    assert len(actions) == len(greedy) and {"satellite_id", "task_id", "start_time", "end_time"} <= set(actions[0])


def test_power_duty_limit_per_orbit(scenario):
    """At most one 10 s image per revolution: counted independently from each satellite's mean motion and the
    window each image lies in; the limit binds, the explanation names it, and the checker refuses more."""
    catalog, requests, _agility, opps, downlinks = scenario
    duty = Agility(max_off_nadir_deg=30.0, memory_images=50, max_imaging_s_per_orbit=10.0)
    free = Agility(max_off_nadir_deg=30.0, memory_images=50)
    t0 = np.datetime64(START.rstrip("Z"), "ns")
    period_s = {r.norad_id: 86_400.0 / r.mean_motion_rev_per_day for r in catalog.records}
    for solve in (
        lambda a: plan_greedy(opps, downlinks, a, START),
        lambda a: plan_optimal(opps, downlinks, a, START, time_limit_s=20)[0],
    ):
        limited, unlimited = solve(duty), solve(free)
        check_plan(limited, opps, downlinks, duty, START)
        revolutions = []
        for row in limited.itertuples():
            window = opps[
                (opps.request == row.request)
                & (opps.norad_id == row.norad_id)
                & (opps.start <= row.start)
                & (opps.end >= row.end - pd.Timedelta("1ms"))
            ].iloc[0]
            revolutions.append(
                (row.norad_id, int((window.start - t0) / np.timedelta64(1, "s") // period_s[row.norad_id]))
            )
        assert len(revolutions) == len(set(revolutions))  # one image per satellite and revolution
        assert len(unlimited) > len(limited) > 5
    with pytest.raises(overhead.OverheadError, match="power/duty"):
        check_plan(unlimited, opps, downlinks, duty, START)
    reasons = explain_unscheduled(requests.ids, opps, limited, downlinks, duty, START)
    assert reasons.reason.str.startswith("power/duty").any()


def test_per_satellite_agility(scenario):
    """One fast satellite, one with a narrow field of regard, the rest slow: every plan keeps each satellite's
    own numbers (checked here from those numbers, not through the planner's code)."""
    catalog, requests, _agility, _opps, downlinks = scenario
    ids = catalog.norad_ids.tolist()
    fast, narrow = ids[0], ids[1]
    agility = Agility(
        max_off_nadir_deg=30.0,
        memory_images=50,
        slew_rate_deg_s=0.5,
        settle_s=20.0,
        per_satellite={fast: {"slew_rate_deg_s": 4.0, "settle_s": 2.0}, narrow: {"max_off_nadir_deg": 15.0}},
    )
    opps = opportunities(catalog, requests, np.ones(len(requests)), START, STOP, agility)
    assert opps[opps.norad_id == narrow].min_off_nadir_deg.max() <= 15.0 + 1e-6
    assert opps[opps.norad_id != narrow].min_off_nadir_deg.max() > 15.0
    own = {fast: (4.0, 2.0)}
    for plan in (
        plan_greedy(opps, downlinks, agility, START),
        plan_optimal(opps, downlinks, agility, START, time_limit_s=20)[0],
    ):
        check_plan(plan, opps, downlinks, agility, START)
        _physically_possible(catalog, requests, plan[plan.norad_id != narrow], Agility(max_off_nadir_deg=30.0))
        _physically_possible(catalog, requests, plan[plan.norad_id == narrow], Agility(max_off_nadir_deg=15.0))
        for norad_id, images in plan.groupby("norad_id"):
            rate, settle = own.get(norad_id, (0.5, 20.0))
            images = images.sort_values("start")
            gaps_s = (images.start.to_numpy()[1:] - images.end.to_numpy()[:-1]) / np.timedelta64(1, "s")
            assert np.all(gaps_s >= settle + np.abs(np.diff(images.roll_deg.to_numpy())) / rate - 1e-6)
    everyone_fast = Agility(max_off_nadir_deg=30.0, memory_images=50, slew_rate_deg_s=4.0, settle_s=2.0)
    quick = plan_greedy(opps, downlinks, everyone_fast, START)
    with pytest.raises(overhead.OverheadError, match="slew"):
        check_plan(quick, opps, downlinks, agility, START)
    with pytest.raises(overhead.OverheadError, match="per satellite"):
        Agility(per_satellite={fast: {"time_step_s": 5.0}})


def test_repeat_requests_get_one_image_per_period(scenario):
    """A request to image every 4 h over 12 h is three requests, one per period; each image lies in a window
    opening in its own period (checked from the window times), at most one per period."""
    from overhead.planning.agile import repeat_request_ids

    catalog, requests, agility, _opps, downlinks = scenario
    every = np.full(len(requests), np.nan)
    every[:20] = 4.0
    wanted = repeat_request_ids(requests.ids, every, START, STOP)
    assert wanted[:3] == ["R000#1", "R000#2", "R000#3"] and len(wanted) == 20 * 3 + len(requests) - 20
    opps = opportunities(catalog, requests, np.ones(len(requests)), START, STOP, agility, repeat_every_h=every)
    t0 = np.datetime64(START.rstrip("Z"), "ns")
    for plan in (
        plan_greedy(opps, downlinks, agility, START),
        plan_optimal(opps, downlinks, agility, START, time_limit_s=20)[0],
    ):
        check_plan(plan, opps, downlinks, agility, START)
        repeated = plan[plan.request.str.contains("#")]
        assert repeated.request.is_unique
        assert repeated.request.str.split("#").str[0].value_counts().max() >= 2  # a place seen again
        for row in repeated.itertuples():
            parent, period = row.request.split("#")
            window = opps[
                (opps.request == row.request) & (opps.norad_id == row.norad_id) & (opps.start <= row.start)
            ].iloc[0]
            opened_h = (window.start - t0) / np.timedelta64(1, "h")
            assert window.parent == parent and int(opened_h // 4.0) + 1 == int(period)
        reasons = explain_unscheduled(wanted, opps, plan, downlinks, agility, START)
        assert len(reasons) + len(plan) == len(wanted)


def test_stereo_pairs_fit_in_one_pass_and_take_two_images(scenario):
    """Stereo requests get both images in one window (the pair's span inside it, fore and aft one separation
    apart) and count twice against the memory (checked from the plan's rows)."""
    catalog, requests, _agility, _opps, downlinks = scenario
    agility = Agility(max_off_nadir_deg=30.0, memory_images=4, stereo_separation_s=40.0)
    stereo = np.zeros(len(requests), dtype=bool)
    stereo[:40] = True
    opps = opportunities(catalog, requests, np.ones(len(requests)), START, STOP, agility, stereo=stereo)
    pairs = opps[opps.request.isin(requests.ids[:40])]
    assert (pairs.images == 2).all() and (pairs.duration_s == 2 * agility.imaging_s + 40.0).all()
    assert ((pairs.end - pairs.start).dt.total_seconds() >= 60.0).all()
    for plan in (
        plan_greedy(opps, downlinks, agility, START),
        plan_optimal(opps, downlinks, agility, START, time_limit_s=20)[0],
    ):
        check_plan(plan, opps, downlinks, agility, START)
        taken = plan[plan.request.isin(requests.ids[:40])]
        assert len(taken) > 0 and ((taken.end - taken.start).dt.total_seconds() == 60.0).all()
        _physically_possible(catalog, requests, taken, agility)  # both ends: fore and aft views in the field
        for norad_id, images in plan.groupby("norad_id"):
            ends = np.sort(downlinks[downlinks.norad_id == norad_id].end.to_numpy())
            cycle = np.searchsorted(ends, images.start.to_numpy())
            per_cycle = pd.Series(np.where(images.request.isin(requests.ids[:40]), 2, 1)).groupby(cycle).sum()
            assert per_cycle.max() <= 4
    single = plan_greedy(opps.assign(images=1), downlinks, agility, START)
    heavy = single[single.request.isin(requests.ids[:40])].assign(images=2)
    # the refusal is checked, never skipped: the scenario has three pairs on one satellite (six images > 4)
    assert heavy.groupby("norad_id").size().max() >= 3
    with pytest.raises(overhead.OverheadError, match="memory"):
        check_plan(
            pd.concat([single[~single.request.isin(requests.ids[:40])], heavy]),
            opps,
            downlinks.iloc[:0],
            agility,
            START,
        )


def test_polygon_requests_are_tiled_and_their_coverage_counted(scenario):
    """A 40 × 30 km area near Paris becomes 10 km tiles inside it (spacing checked by great-circle distance),
    shares its priority among them; a plan's coverage of it is the imaged fraction of its tiles."""
    from shapely.geometry import Point, box

    from overhead.planning.polygons import polygon_coverage, polygon_requests

    catalog, _requests, agility, _opps, downlinks = scenario
    dlat, dlon = 30 / 111.32, 40 / (111.32 * np.cos(np.radians(48.85)))
    area = box(2.35 - dlon / 2, 48.85 - dlat / 2, 2.35 + dlon / 2, 48.85 + dlat / 2)
    tiny = Point(13.4, 52.5).buffer(0.01)  # smaller than a tile: one request
    tiles = polygon_requests({"paris": area, "berlin": tiny}, {"paris": 6.0, "berlin": 1.0}, tile_km=10.0)
    assert tiles.tiles_per_polygon == {"paris": 12, "berlin": 1}
    lat, lon = tiles.targets.lat_deg[:12], tiles.targets.lon_deg[:12]
    assert all(area.contains(Point(x, y)) for x, y in zip(lon, lat, strict=True))
    phi, lam = np.radians(lat), np.radians(lon)
    distance = 6371.0 * np.arccos(
        np.clip(
            np.sin(phi[:, None]) * np.sin(phi) + np.cos(phi[:, None]) * np.cos(phi) * np.cos(lam[:, None] - lam), -1, 1
        )
    )
    nearest = np.sort(distance, axis=1)[:, 1]
    assert np.allclose(nearest, 10.0, atol=0.3)
    assert tiles.priority[:12].sum() == pytest.approx(6.0) and tiles.targets.ids[12] == "berlin"
    opps = opportunities(catalog, tiles.targets, tiles.priority, START, "2026-05-31T00:00:00Z", agility)
    plan = plan_greedy(opps, downlinks, Agility(max_off_nadir_deg=30.0, memory_images=50), START)
    covered = polygon_coverage(plan, tiles).set_index("request")
    imaged_paris = plan.request.str.startswith("paris/").sum()
    assert covered.loc["paris", "imaged"] == imaged_paris > 0
    assert covered.loc["paris", "fraction"] == pytest.approx(imaged_paris / 12)
    with pytest.raises(overhead.OverheadError, match="invalid"):
        from shapely.geometry import Polygon

        polygon_requests({"bow": Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])}, {})
