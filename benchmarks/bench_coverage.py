"""Issue 4: TAT-C's anchor scenario side by side — Walker delta 53°: 24/3/1 at 550 km, 30° cone, 9,987 points,
one day — with TAT-C's own satellites (its TLEs) and points, so that the windows can be compared one by one.

TAT-C 3.6.0 runs in its own venv (benchmarks/anchors/setup_anchors.sh, created on first use).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import Figure, timed
from overhead import load_elements
from overhead.analysis.coverage import coverage, local_cluster
from overhead.geometry.grids import AnalysisGrid
from overhead.geometry.sensors import AccessConstraints, NadirCone
from overhead.orbits.catalog import Catalog

HERE = Path(__file__).resolve().parent
START, STOP = "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"


def _tatc(out: Path) -> dict:
    python = HERE / "anchors" / "venv" / "bin" / "python"
    if not python.exists():
        subprocess.run(["bash", str(HERE / "anchors" / "setup_anchors.sh")], check=True)
    subprocess.run(
        [str(python), str(HERE / "anchors" / "tatc_walker.py"), str(out)], check=True, capture_output=True, text=True
    )
    return json.loads((out / "summary.json").read_text())


def _scenario(out: Path):
    catalog = load_elements(out / "members.tle")
    # TAT-C numbers every member 0: number them 1..24 (same elements, same SGP4 state)
    records = [dataclasses.replace(r, norad_id=k + 1) for k, r in enumerate(catalog.records)]
    catalog = Catalog.from_records(records, from_tle=True)
    points = pd.read_csv(out / "points.csv")
    grid = AnalysisGrid.points(points.lat.to_numpy(), points.lon.to_numpy(), ids=points.point_id.to_numpy())
    return catalog, grid


def _compare(ours: pd.DataFrame, tatc: pd.DataFrame, grid: AnalysisGrid, names: dict[int, str]) -> dict:
    """Window counts per point, and start/end differences of windows matched by point, satellite and start."""
    tatc = tatc.assign(
        start=pd.to_datetime(tatc.start, utc=True).dt.tz_localize(None),
        end=pd.to_datetime(tatc.end, utc=True).dt.tz_localize(None),
    )
    tatc = tatc.assign(tatc_start=tatc.start, tatc_end=tatc.end).sort_values("start")
    ours = ours.assign(satellite=ours.norad_id.map(names), target_hash=grid.ids[ours.point.to_numpy()])
    per_point_ours = ours.groupby("target_hash").size().reindex(grid.ids, fill_value=0).to_numpy()
    per_point_tatc = tatc.groupby("target_hash").size().reindex(grid.ids, fill_value=0).to_numpy()
    inner = ours[~(ours.cut_start | ours.cut_end)].sort_values("start")
    matched = pd.merge_asof(
        inner,
        tatc[["start", "target_hash", "satellite", "tatc_start", "tatc_end"]],
        on="start",
        by=["target_hash", "satellite"],
        direction="nearest",
        tolerance=pd.Timedelta("30s"),
    )
    matched = matched.dropna(subset=["tatc_start"])
    gaps = pd.concat([(matched.start - matched.tatc_start).abs(), (matched.end - matched.tatc_end).abs()])
    gaps = gaps.dt.total_seconds()
    return {
        "windows_ours": len(ours),
        "windows_tatc": len(tatc),
        "points_same_count": float((per_point_ours == per_point_tatc).mean()),
        "unmatched_ours": int(len(inner) - len(matched)),
        "median_gap_s": float(gaps.median()),
        "p99_gap_s": float(gaps.quantile(0.99)),
        "max_gap_s": float(gaps.max()),
        "within_1s": float((gaps <= 1.0).mean()),
    }


def _tatc_cone_elevation_deg(half_angle_deg: float, altitude_km: float) -> float:
    """TAT-C's reading of a cone: a fixed minimum elevation, spherical Earth of mean radius 6371.0088 km
    (tatc.utils.observation.compute_min_elevation_angle)."""
    ratio = np.sin(np.radians(half_angle_deg)) / (6371.0088 / (6371.0088 + altitude_km))
    return float(np.degrees(np.arccos(ratio)))


def _note(result, comparison: dict, tatc_summary: dict) -> str:
    s = result.summary
    return (
        f"observed {float(s.global_percent_points_observed):.1f} % (TAT-C "
        f"{100 * tatc_summary['fraction_points_observed']:.1f} %); mean revisit "
        f"{float(s.global_mean_revisit_s) / 3600:.3f} h (TAT-C "
        f"{tatc_summary['global_mean_of_point_mean_revisit_h']:.3f} h); windows {comparison['windows_ours']:,} "
        f"vs {comparison['windows_tatc']:,}, same count at {100 * comparison['points_same_count']:.1f} % of "
        f"points; matched ends differ by median {comparison['median_gap_s']:.2f} s, p99 "
        f"{comparison['p99_gap_s']:.2f} s, {100 * comparison['within_1s']:.2f} % within 1 s"
    )


def run() -> list[Figure]:
    out = HERE / "out" / "tatc"
    tatc_summary = _tatc(out)
    catalog, grid = _scenario(out)
    observations = pd.read_csv(out / "observations.csv")
    names = {r.norad_id: r.name for r in catalog.records}
    conventions = {
        "TAT-C's cone as a fixed elevation": AccessConstraints(min_elevation_deg=_tatc_cone_elevation_deg(30.0, 550.0)),
        "exact 30° cone on WGS84": AccessConstraints(sensor=NadirCone(30.0)),
    }
    tatc_s = tatc_summary["collect_observations_s"]
    figures = []
    from distributed import Client

    started = time.perf_counter()
    cluster = local_cluster()
    client = Client(cluster)
    startup_s = time.perf_counter() - started
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for label, constraints in conventions.items():
                warm = ("2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z")
                coverage(catalog[:2], grid, *warm, constraints, scheduler="none")
                coverage(catalog[:2], grid, *warm, constraints, scheduler=cluster.scheduler_address)
                serial_s, result = timed(coverage, catalog, grid, START, STOP, constraints, scheduler="none")
                cluster_s, _ = timed(
                    coverage, catalog, grid, START, STOP, constraints, scheduler=cluster.scheduler_address
                )
                comparison = _compare(result.windows, observations, grid, names)
                (out / f"comparison {label}.json").write_text(json.dumps(comparison, indent=1))
                workload = f"TAT-C scenario (Walker 24/3/1, 550 km, 9,987 points, 1 day): {label}"
                figures.append(
                    Figure(
                        workload,
                        "s, one process",
                        serial_s,
                        "TAT-C collect_observations",
                        tatc_s,
                        higher_is_better=False,
                        note=_note(result, comparison, tatc_summary),
                    )
                )
                figures.append(
                    Figure(
                        workload,
                        f"s, warm {os.cpu_count()}-worker LocalCluster",
                        cluster_s,
                        "TAT-C collect_observations",
                        tatc_s,
                        higher_is_better=False,
                        note=f"starting the cluster: {startup_s:.1f} s",
                    )
                )
    finally:
        client.close()
        cluster.close()
    return figures
