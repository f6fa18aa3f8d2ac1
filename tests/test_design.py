"""Design sweeps: published revisit figures, agreement with single coverage runs, caching, Pareto fronts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import overhead
from overhead.analysis import design as design_module
from overhead.analysis.coverage import coverage
from overhead.analysis.design import area_percentile, build_design, design_from_row, load_spec, pareto_front, sweep
from overhead.cli.main import main
from overhead.geometry.grids import AnalysisGrid
from overhead.geometry.sensors import AccessConstraints, NadirCone
from overhead.orbits.constellations import repeat_ground_track_altitude_km
from overhead.orbits.j2 import EARTH_RADIUS_KM
from overhead.requests import ConstraintsSpec

DAY_S = 86_400.0


def _half_angle_for_swath(swath_km: float, altitude_km: float) -> float:
    """Cone half-angle whose footprint is ``swath_km`` wide on a sphere of the equatorial radius."""
    lam = swath_km / 2.0 / EARTH_RADIUS_KM
    r = EARTH_RADIUS_KM + altitude_km
    return float(np.degrees(np.arctan2(EARTH_RADIUS_KM * np.sin(lam), r - EARTH_RADIUS_KM * np.cos(lam))))


def _equator(n: int = 36) -> AnalysisGrid:
    return AnalysisGrid.points(np.zeros(n), np.linspace(-175.0, 175.0, n))


def test_sentinel_2_pair_revisits_the_equator_every_5_days():
    # Sentinel-2: sun-synchronous, 143 revolutions in 10 days (786 km), 10:30 descending node, 290 km swath,
    # two satellites 180° apart in one plane → 5 days at the equator (ESA Sentinel-2 User Handbook, §2.2)
    altitude = repeat_ground_track_altitude_km(143, 10)
    assert altitude == pytest.approx(786.0, abs=5.0)
    pair = build_design(
        {"family": "repeat", "revolutions": 143, "repeat_days": 10, "per_plane": 2, "ltan_h": 22.5},
        np.datetime64("2026-03-21T00:00:00", "ns"),
    )
    cone = NadirCone(_half_angle_for_swath(290.0, altitude))
    daylight = AccessConstraints(sensor=cone, min_sun_elevation_deg=0.0)
    result = coverage(pair, _equator(), "2026-03-21T00:00:00Z", "2026-04-10T00:00:00Z", daylight, scheduler="none")
    assert (result.stats.accesses >= 3).all()
    assert float(result.stats.max_revisit_s.max()) / DAY_S == pytest.approx(5.0, abs=0.1)


def test_landsat_8_alone_repeats_every_16_days():
    landsat = build_design(
        {"family": "repeat", "revolutions": 233, "repeat_days": 16, "per_plane": 1, "ltan_h": 22.0},
        np.datetime64("2026-03-21T00:00:00", "ns"),
    )
    cone = NadirCone(_half_angle_for_swath(185.0, float(landsat.semi_major_axis_km[0] - EARTH_RADIUS_KM)))
    daylight = AccessConstraints(sensor=cone, min_sun_elevation_deg=0.0)
    result = coverage(landsat, _equator(), "2026-03-21T00:00:00Z", "2026-05-06T00:00:00Z", daylight, scheduler="none")
    assert (result.stats.accesses >= 2).all()
    # every point comes back after one 16-day cycle (a point under two overlapping swaths also sees the
    # neighbouring track a day earlier or later)
    assert float(result.stats.max_revisit_s.max()) / DAY_S == pytest.approx(16.0, abs=1.1)
    assert np.median(result.stats.max_revisit_s) / DAY_S == pytest.approx(16.0, abs=0.05)


SPEC = {
    "name": "test-sweep",
    "where": {"band": [-30, 30], "resolution": 1},
    "start": "2026-03-21T00:00:00Z",
    "days": 1,
    "sensor": {"half_angle_deg": [25, 35]},
    "designs": [
        {"walker": {"total": [4, 8], "planes": [2], "phasing": [1], "inclination_deg": [30, 60], "altitude_km": [600]}},
        {"sso": {"planes": [1], "per_plane": [2], "altitude_km": [700], "ltan_h": [10.5]}},
    ],
    "requirement": [{"metric": "max_revisit_s", "percentile_area": 90, "max": 43_200}],
    "cost": {"per_satellite": 1.0, "per_plane": 0.5},
}


def test_sweep_rows_equal_direct_coverage_runs_of_their_designs(tmp_path):
    """A consistency check: each sweep row equals coverage() run directly on its design (rebuilt from the row),
    i.e. the sweep's bookkeeping (design construction, percentiles, feasibility, cache) adds nothing of its own;
    coverage itself is checked against closed forms and brute force in test_coverage.py."""
    spec = load_spec(SPEC)
    table = sweep(spec, scheduler="none", cache_dir=tmp_path)
    assert len(table) == 10 and table.pareto.any()
    grid = spec.grid()
    for _, row in table.sample(3, random_state=1).iterrows():
        run = coverage(
            design_from_row(row),
            grid,
            "2026-03-21T00:00:00Z",
            "2026-03-22T00:00:00Z",
            AccessConstraints(sensor=NadirCone(float(row.half_angle_deg))),
            scheduler="none",
        )
        assert float(run.summary.global_mean_response_s) == pytest.approx(row.global_mean_response_s, rel=1e-9)
        value = area_percentile(run.stats.max_revisit_s.to_numpy(), run.stats.area_km2.to_numpy(), 90)
        assert value == pytest.approx(row.max_revisit_s_p90, rel=1e-9)
        assert row.feasible == (value <= 43_200)


def test_sweep_resumes_from_its_cache(tmp_path, monkeypatch):
    spec = load_spec(SPEC)
    first = sweep(spec, scheduler="none", cache_dir=tmp_path)

    def no_more(*args, **kwargs):
        raise AssertionError("a cached design was evaluated again")

    monkeypatch.setattr(design_module, "evaluate", no_more)
    again = sweep(spec, scheduler="none", cache_dir=tmp_path)
    pd.testing.assert_frame_equal(first, again)


def test_pareto_front_and_area_percentile():
    cost = np.array([1.0, 2.0, 2.0, 3.0, 4.0])
    objective = np.array([10.0, 8.0, 9.0, 8.5, 1.0])
    assert pareto_front(cost, objective).tolist() == [True, True, False, False, True]
    assert area_percentile(np.array([1.0, 2.0, np.nan, 4.0]), np.ones(4), 50) == 2.0
    assert area_percentile(np.array([1.0, 2.0, np.nan, 4.0]), np.ones(4), 100) == np.inf


def test_cli_sweep_and_export(tmp_path):
    spec = tmp_path / "spec.yaml"
    import yaml

    spec.write_text(yaml.safe_dump(SPEC))
    results, chart, tle = tmp_path / "r.parquet", tmp_path / "p.png", tmp_path / "best.tle"
    assert (
        main(
            [
                "design",
                "sweep",
                str(spec),
                "--scheduler",
                "none",
                "--cache",
                str(tmp_path / "c"),
                "-o",
                str(results),
                "--plot",
                str(chart),
            ]
        )
        == 0
    )
    assert main(["design", "export", str(results), "--best", "-o", str(tle)]) == 0
    table = pd.read_parquet(results)
    best = table[table.feasible].sort_values(["cost", "max_revisit_s_p90"]).iloc[0]
    assert len(overhead.load_elements(tle)) == best.satellites
    assert chart.stat().st_size > 10_000


def test_mixed_designs_combine_their_satellites(tmp_path):
    spec = load_spec(
        {
            **SPEC,
            "designs": [
                {
                    "mix": [
                        {"sso": {"planes": [1], "per_plane": [2], "altitude_km": [700], "ltan_h": [10.5]}},
                        {
                            "walker": {
                                "total": [4, 6],
                                "planes": [2],
                                "phasing": [1],
                                "inclination_deg": [30],
                                "altitude_km": [550],
                            }
                        },
                    ]
                }
            ],
            "sensor": {"half_angle_deg": 30},
        }
    )
    table = sweep(spec, scheduler="none", cache_dir=tmp_path)
    assert table.family.tolist() == ["mix", "mix"] and table.satellites.tolist() == [6, 8]
    assert table.cost.tolist() == [6 + 0.5 * 3, 8 + 0.5 * 3]  # 1 SSO plane + 2 Walker planes
    design = design_from_row(table.iloc[0])
    assert sorted(set(np.round(design.inclination_deg, 1))) == [30.0, 98.2]


@pytest.mark.slow
def test_the_france_example_best_design_meets_once_a_day_point_by_point(tmp_path):
    """The README's sweep, then its best design checked second by second over its 3 days: every point the
    requirement counts (95 % of France's area) has no gap over 24 h, the gaps at both ends included."""
    from pathlib import Path

    from overhead.analysis.design import best_design
    from overhead.orbits.sun import sun_position_itrf_km

    spec = load_spec(Path(__file__).parents[1] / "examples" / "sweep_france.yaml")
    table = sweep(spec, scheduler="none", cache_dir=tmp_path)
    best = best_design(table)
    satellites = design_from_row(best)
    grid = spec.grid()
    targets = grid.to_targets()
    half_angle = float(best["half_angle_deg"])
    start = np.datetime64(spec.start, "ns")
    seconds = int(spec.days * 86_400)
    seen = np.zeros((seconds + 1, len(grid)), dtype=bool)
    for block in range(0, seconds + 1, 21_600):  # six hours at a time, 1 s apart
        offsets = np.arange(block, min(block + 21_600, seconds + 1))
        times = start + offsets * np.timedelta64(1, "s")
        ds = satellites.propagate(times, frame="itrf")
        r = np.stack([ds.x_km.values, ds.y_km.values, ds.z_km.values], -1)
        sun = sun_position_itrf_km(times)
        to_sun = sun[:, None, :] - targets.itrf_km[None]
        sun_up = np.einsum("tjk,jk->tj", to_sun, targets.up_unit()) / np.linalg.norm(to_sun, axis=-1)
        daylight = np.degrees(np.arcsin(np.clip(sun_up, -1, 1))) >= 10.0
        for i in range(r.shape[0]):
            look = targets.itrf_km[None] - r[i][:, None]
            cos_off = (
                np.einsum("tjk,tk->tj", look, -r[i])
                / np.linalg.norm(look, axis=-1)
                / np.linalg.norm(r[i], axis=-1)[:, None]
            )
            above = np.einsum("tjk,jk->tj", -look, targets.up_unit()) > 0
            seen[offsets] |= (np.degrees(np.arccos(np.clip(cos_off, -1, 1))) <= half_angle) & above & daylight
    longest = np.array(
        [max(np.diff(np.flatnonzero(np.diff(np.r_[1, col.astype(int), 1])))[::2], default=0) for col in seen.T],
        dtype=float,
    )
    area = grid.area_km2
    meets = longest <= 86_400.0
    assert area[meets].sum() >= 0.95 * area.sum()
    # and our figure equals the brute force's at every point, within the sampling
    ours = coverage(
        satellites,
        grid,
        spec.start,
        spec.start + np.timedelta64(seconds, "s"),
        AccessConstraints.from_spec(ConstraintsSpec(half_angle_deg=half_angle, **spec.constraints)),
        scheduler="none",
    ).stats.max_gap_s.values
    assert np.abs(ours - longest).max() <= 2.0
