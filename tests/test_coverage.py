"""Coverage and revisit: analytic cases, brute-force sampling, Dask partitions, grids, the CLI table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from overhead.analysis.coverage import coverage, local_cluster
from overhead.analysis.revisit import merge_intervals, revisit_stats
from overhead.cli.main import main
from overhead.geometry.grids import AnalysisGrid
from overhead.geometry.sensors import AccessConstraints, NadirCone
from overhead.orbits.constellations import walker
from overhead.orbits.j2 import EARTH_RADIUS_KM, DesignedOrbits, j2_secular_rates

EPOCH = "2026-01-01T00:00:00Z"
DAY = ("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")
EARTH_ROTATION_RAD_S = 7.292115146706979e-5
POLAR_RADIUS_KM = 6356.752314245


def _footprint_half_angle(radius_km: float, target_radius_km: float, cone_deg: float) -> float:
    """Earth-central half-angle of a nadir cone's footprint, plane geometry (exact in the orbit plane)."""
    eta = np.radians(cone_deg)
    return float(np.arcsin(radius_km / target_radius_km * np.sin(eta)) - eta)


def test_equatorial_orbit_over_the_equator_matches_the_analytic_revisit():
    altitude, cone = 700.0, 20.0
    design = DesignedOrbits.from_altitude(altitude, 0.0, epoch=EPOCH)
    a = EARTH_RADIUS_KM + altitude
    raan_dot, argp_dot, m_dot = j2_secular_rates(a, 0.0, 0.0)
    relative = float(raan_dot + argp_dot + m_dot) - EARTH_ROTATION_RAD_S  # ground-relative rate, rad/s
    lam = _footprint_half_angle(a, EARTH_RADIUS_KM, cone)
    pass_s, synodic_s = 2 * lam / relative, 2 * np.pi / relative
    grid = AnalysisGrid.points(np.zeros(12), np.linspace(-165, 165, 12))
    result = coverage(design, grid, *DAY, AccessConstraints(sensor=NadirCone(cone)), scheduler="none")
    stats = result.stats
    assert np.allclose(stats.mean_revisit_s, synodic_s - pass_s, atol=0.05)
    interior = result.windows[~(result.windows.cut_start | result.windows.cut_end)]
    durations = (interior.end - interior.start).dt.total_seconds()
    assert np.allclose(durations, pass_s, atol=0.05)  # polar motion tilts the ITRF equator by ~0.3″
    # a point beyond the footprint's reach is never seen
    far = coverage(
        design,
        AnalysisGrid.points([np.degrees(lam) + 0.5], [0.0]),
        *DAY,
        AccessConstraints(sensor=NadirCone(cone)),
        scheduler="none",
    )
    assert far.stats.accesses.item() == 0 and far.stats.mean_response_s.item() == pytest.approx(43_200.0)


def test_polar_orbit_sees_the_pole_every_revolution():
    altitude, cone = 600.0, 30.0
    design = DesignedOrbits.from_altitude(altitude, 90.0, epoch=EPOCH)
    a = EARTH_RADIUS_KM + altitude
    _, argp_dot, m_dot = j2_secular_rates(a, 0.0, 90.0)
    nodal_period = 2 * np.pi / float(argp_dot + m_dot)
    pass_s = 2 * _footprint_half_angle(a, POLAR_RADIUS_KM, cone) / float(argp_dot + m_dot)
    result = coverage(
        design,
        AnalysisGrid.points([90.0, -90.0], [0.0, 0.0]),
        *DAY,
        AccessConstraints(sensor=NadirCone(cone)),
        scheduler="none",
    )
    assert np.allclose(result.stats.max_revisit_s, nodal_period - pass_s, atol=0.5)
    assert np.allclose(result.stats.percent_covered, 100 * pass_s / nodal_period, atol=0.05)


def _seen_each_second(design, grid, half_angle_deg: float) -> np.ndarray:
    """Brute force, written here: (satellite, second of DAY, point) inside the nadir cone and above the horizon,
    from the design's ITRF positions every second."""
    times = np.datetime64("2026-01-01T00:00:00", "ns") + np.arange(0, 86_401) * np.timedelta64(1, "s")
    ds = design.propagate(times, frame="itrf")
    r = np.stack([ds.x_km.values, ds.y_km.values, ds.z_km.values], -1)  # (sat, time, 3)
    targets = grid.to_targets()
    seen = np.zeros((r.shape[0], times.size, len(grid)), dtype=bool)
    for i in range(r.shape[0]):
        look = targets.itrf_km[None] - r[i][:, None]
        cos_off = (
            np.einsum("tjk,tk->tj", look, -r[i])
            / np.linalg.norm(look, axis=-1)
            / np.linalg.norm(r[i], axis=-1)[:, None]
        )
        above = np.einsum("tjk,jk->tj", -look, targets.up_unit()) > 0
        seen[i] = (np.degrees(np.arccos(np.clip(cos_off, -1, 1))) <= half_angle_deg) & above
    return seen


def test_statistics_match_brute_force_sampling():
    design = walker(6, 2, 1, inclination_deg=60.0, altitude_km=650.0, epoch=EPOCH)
    grid = AnalysisGrid.fibonacci(60)
    constraints = AccessConstraints(sensor=NadirCone(35.0))
    result = coverage(design, grid, *DAY, constraints, scheduler="none")
    seen = _seen_each_second(design, grid, 35.0).any(axis=0)  # (time, point)
    sampled_covered = seen.sum(axis=0)  # seconds, ±1 per interval end
    runs = np.diff(np.r_[np.zeros((1, len(grid)), int), seen.astype(int), np.zeros((1, len(grid)), int)], axis=0)
    sampled_intervals = (runs == 1).sum(axis=0)
    merged_point, _, _ = merge_intervals(
        result.windows.point.to_numpy(),
        *(((result.windows[c] - result.windows.start.min()).dt.total_seconds().to_numpy()) for c in ("start", "end")),
    )
    intervals = np.bincount(merged_point, minlength=len(grid))
    assert (intervals == sampled_intervals).all()
    assert np.abs(result.stats.covered_s.to_numpy() - sampled_covered).max() <= 2.0 * intervals.max() + 1


def test_revisit_statistics_of_hand_made_windows():
    # point 0: [10,20], [15,30] overlap → one interval [10,30]; then [50,60]; T = 100 s
    stats = revisit_stats(np.array([0, 0, 0]), np.array([10.0, 15.0, 50.0]), np.array([20.0, 30.0, 60.0]), 2, 100.0)
    assert stats["accesses"].tolist() == [3.0, 0.0]
    assert stats["covered_s"].tolist() == [30.0, 0.0]
    assert stats["mean_revisit_s"][0] == 20.0 and np.isnan(stats["mean_revisit_s"][1])
    assert stats["first_access_s"][0] == 10.0
    gaps = np.array([10.0, 20.0, 40.0])  # start edge, between, end edge
    assert stats["time_averaged_gap_s"][0] == pytest.approx((gaps**2).sum() / 100.0)
    assert stats["mean_response_s"][0] == pytest.approx((gaps**2).sum() / 200.0)
    assert stats["mean_response_s"][1] == pytest.approx(50.0)


def test_dask_local_cluster_and_time_chunks_give_the_same_results():
    design = walker(8, 2, 1, inclination_deg=53.0, altitude_km=550.0, epoch=EPOCH)
    grid = AnalysisGrid.latitude_band(-20, 20, 1)
    constraints = AccessConstraints(sensor=NadirCone(30.0))
    serial = coverage(design, grid, *DAY, constraints, scheduler="none")
    with local_cluster(2) as cluster:
        distributed = coverage(
            design,
            grid,
            *DAY,
            constraints,
            scheduler=cluster.scheduler_address,
            satellites_per_task=1,
            time_chunk_days=0.25,
        )
    assert len(serial.windows) == len(distributed.windows) > 100
    for name in ("accesses", "covered_s", "mean_revisit_s", "max_revisit_s", "mean_response_s"):
        # window ends agree to the search's 10 ms specification (grazing ends are the least determined)
        np.testing.assert_allclose(serial.stats[name], distributed.stats[name], atol=0.01, equal_nan=True)


def test_grids():
    assert len(AnalysisGrid.global_grid(1)) == 842
    assert AnalysisGrid.global_grid(2).area_km2.sum() == pytest.approx(510_065_622, rel=1e-6)
    france = AnalysisGrid.country("France", 3)
    assert 40 < len(france) < 120 and (france.lat_deg > 41).sum() > 30
    band = AnalysisGrid.latitude_band(-10, 10, 2)
    assert band.lat_deg.min() >= -10 and band.lat_deg.max() <= 10
    with pytest.raises(ValueError, match="did you mean"):
        AnalysisGrid.country("Frnace")


def test_cli_points_csv_in_input_order(tmp_path):
    design = walker(12, 3, 1, inclination_deg=53.0, altitude_km=550.0, epoch=EPOCH)
    elements = tmp_path / "walker.tle"
    elements.write_text(design.to_catalog().to_tle())
    points = tmp_path / "points.csv"
    pd.DataFrame({"id": ["b", "a", "c"], "lon": [10.0, -60.0, 100.0], "lat": [45.0, 0.0, 80.0]}).to_csv(
        points, index=False
    )
    out = tmp_path / "stats.csv"
    assert (
        main(
            [
                "coverage",
                str(elements),
                "--points",
                str(points),
                "--start",
                DAY[0],
                "--stop",
                DAY[1],
                "--half-angle",
                "30",
                "--scheduler",
                "none",
                "-o",
                str(out),
                "--map",
                str(tmp_path / "m.png"),
            ]
        )
        == 0
    )
    table = pd.read_csv(out, keep_default_na=False)
    assert list(table.columns[:10]) == [
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
    ]
    assert table.id.tolist() == ["b", "a", "c"]
    assert table.accesses.iloc[0] > 2 and table.accesses.iloc[2] == 0 and table.mean_revisit_s.iloc[2] == ""
    # every figure of merit is in the file, the gap figures too: a point never seen has one gap of the whole day
    from overhead.analysis.figures import FIGURES_OF_MERIT

    assert set(FIGURES_OF_MERIT) <= set(table.columns)
    assert float(table.max_gap_s.iloc[2]) == 86_400.0 and float(table.max_gap_s.iloc[0]) < 86_400.0
    assert (tmp_path / "m.png").stat().st_size > 20_000


def test_point_partitions_without_windows_give_the_same_statistics():
    design = walker(6, 2, 1, inclination_deg=70.0, altitude_km=600.0, epoch=EPOCH)
    grid = AnalysisGrid.global_grid(1)
    constraints = AccessConstraints(sensor=NadirCone(30.0))
    whole = coverage(design, grid, *DAY, constraints, scheduler="none")
    parts = coverage(design, grid, *DAY, constraints, scheduler="none", keep_windows=False, points_per_task=100)
    assert parts.windows.empty
    for name in ("accesses", "covered_s", "mean_revisit_s", "p95_revisit_s", "mean_response_s"):
        np.testing.assert_allclose(whole.stats[name], parts.stats[name], atol=1e-6, equal_nan=True)


def test_several_sensors_cover_the_union_of_their_windows():
    design = walker(4, 2, 1, inclination_deg=60.0, altitude_km=600.0, epoch=EPOCH)
    grid = AnalysisGrid.fibonacci(200)
    narrow, wide = AccessConstraints(sensor=NadirCone(10.0)), AccessConstraints(sensor=NadirCone(30.0))
    both = coverage(design, grid, *DAY, [narrow, wide], scheduler="none")
    alone = coverage(design, grid, *DAY, wide, scheduler="none")
    # the narrow cone lies inside the wide one: covered time is the wide cone's, accesses add up
    np.testing.assert_allclose(both.stats.covered_s, alone.stats.covered_s, atol=1e-6)
    narrow_only = coverage(design, grid, *DAY, narrow, scheduler="none")
    np.testing.assert_array_equal(both.stats.accesses, alone.stats.accesses + narrow_only.stats.accesses)


def _sampled_gaps(seen: np.ndarray) -> list[list[int]]:
    """Per point, the lengths (s) of every run of unseen seconds of a 1 s visibility table, ends included."""
    out = []
    for column in seen.T:
        change = np.flatnonzero(np.diff(np.r_[1, column.astype(int), 1]))
        starts, ends = change[::2], change[1::2]  # unseen runs: from a 1→0 change to the next 0→1
        out.append([int(b - a) for a, b in zip(starts, ends, strict=True) if b > a])
    return out


def test_whole_interval_gaps_match_brute_force_sampling_and_never_grow_with_satellites():
    """max/mean_gap_s against gaps counted second by second from the design's positions and the
    sensor geometry written here; a fully covered point has no gap; one more satellite never lengthens them."""
    design = walker(6, 2, 1, inclination_deg=60.0, altitude_km=650.0, epoch=EPOCH)
    grid = AnalysisGrid.fibonacci(80)
    constraints = AccessConstraints(sensor=NadirCone(35.0))
    result = coverage(design, grid, *DAY, constraints, scheduler="none")
    per_satellite = _seen_each_second(design, grid, 35.0)
    gaps = _sampled_gaps(per_satellite.any(axis=0))
    stats = result.stats
    for k, point_gaps in enumerate(gaps):
        expected_max = max(point_gaps) if point_gaps else 0.0
        assert abs(stats.max_gap_s.values[k] - expected_max) <= 2.0, k  # each end of a gap within 1 s
        if point_gaps:
            assert abs(stats.mean_gap_s.values[k] - np.mean(point_gaps)) <= 2.0
    assert stats.observed.values.all() == all(per_satellite.any(axis=0).any(axis=0))
    # the edge gaps count: the largest whole-interval gap is at least the largest gap between accesses
    assert (stats.max_gap_s.values >= np.nan_to_num(stats.max_revisit_s.values) - 1e-6).all()
    fewer = coverage(design[:5], grid, *DAY, constraints, scheduler="none").stats
    assert (stats.max_gap_s.values <= fewer.max_gap_s.values + 1e-6).all()


def test_gap_conventions_of_hand_made_windows():
    # point 0 covered throughout; point 1 never seen; point 2 seen once in the middle; T = 100 s
    stats = revisit_stats(np.array([0, 2]), np.array([0.0, 40.0]), np.array([100.0, 50.0]), 3, 100.0)
    assert stats["max_gap_s"].tolist() == [0.0, 100.0, 50.0]
    assert stats["mean_gap_s"].tolist() == [0.0, 100.0, 45.0]
    assert np.isnan(stats["max_revisit_s"]).all()  # no gap between accesses anywhere
