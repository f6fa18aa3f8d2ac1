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
from overhead.analysis.coverage import coverage
from overhead.geometry.grids import AnalysisGrid
from overhead.geometry.sensors import AccessConstraints, NadirCone
from overhead.orbits.catalog import Catalog

HERE = Path(__file__).resolve().parent
START, STOP = "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"


def _tatc(out: Path) -> dict:
    python = HERE / "anchors" / "venv" / "bin" / "python"
    if not python.exists():
        subprocess.run(["bash", str(HERE / "anchors" / "setup_anchors.sh")], check=True)
    subprocess.run([str(python), str(HERE / "anchors" / "tatc_walker.py"), str(out)], check=True,
                   capture_output=True, text=True)
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
    tatc = tatc.assign(start=pd.to_datetime(tatc.start, utc=True).dt.tz_localize(None),
                       end=pd.to_datetime(tatc.end, utc=True).dt.tz_localize(None))
    ours = ours.assign(satellite=ours.norad_id.map(names), target_hash=grid.ids[ours.point.to_numpy()])
    per_point_ours = ours.groupby("target_hash").size().reindex(grid.ids, fill_value=0)
    per_point_tatc = tatc.groupby("target_hash").size().reindex(grid.ids, fill_value=0)
    same_count = float((per_point_ours.to_numpy() == per_point_tatc.to_numpy()).mean())
    inner = ours[~(ours.cut_start | ours.cut_end)].sort_values("start")
    matched = pd.merge_asof(inner, tatc.sort_values("start"), on="start", by=["target_hash", "satellite"],
                            direction="nearest", tolerance=pd.Timedelta("30s"), suffixes=("", "_tatc"))
    found = matched.dropna(subset=["end_tatc"])
    start_gap = (found.start - pd.merge_asof(inner, tatc.sort_values("start").assign(tatc_start=lambda d: d.start),
                                              on="start", by=["target_hash", "satellite"], direction="nearest",
                                              tolerance=pd.Timedelta("30s")).dropna(subset=["tatc_start"]).tatc_start
                 ).abs().dt.total_seconds()
    end_gap = (found.end - found.end_tatc).abs().dt.total_seconds()
    return {"windows_ours": len(ours), "windows_tatc": len(tatc), "points_same_count": same_count,
            "matched": len(found), "inner": len(inner),
            "median_start_gap_s": float(start_gap.median()), "p99_start_gap_s": float(start_gap.quantile(0.99)),
            "median_end_gap_s": float(end_gap.median()), "p99_end_gap_s": float(end_gap.quantile(0.99)),
            "within_1s": float(((start_gap <= 1.0).mean() + (end_gap <= 1.0).mean()) / 2)}


def run() -> list[Figure]:
    out = HERE / "out" / "tatc"
    tatc_summary = _tatc(out)
    catalog, grid = _scenario(out)
    constraints = AccessConstraints(sensor=NadirCone(30.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        coverage(catalog[:2], grid, START, "2024-01-01T01:00:00Z", constraints, scheduler="none")  # warm-up
        serial_s, result = timed(coverage, catalog, grid, START, STOP, constraints, scheduler="none")
        from distributed import Client, LocalCluster

        started = time.perf_counter()
        cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
        startup_s = time.perf_counter() - started
        coverage(catalog[:2], grid, START, "2024-01-01T01:00:00Z", constraints, scheduler=cluster.scheduler_address)
        cluster_s, _ = timed(coverage, catalog, grid, START, STOP, constraints, scheduler=cluster.scheduler_address)
        client.close()
        cluster.close()
    comparison = _compare(result.windows, pd.read_csv(out / "observations.csv"), grid,
                          {r.norad_id: r.name for r in catalog.records})
    tatc_s = tatc_summary["collect_observations_s"]
    s = result.summary
    workload = "TAT-C scenario: Walker 24/3/1, 550 km, 30° cone, 9,987 points, 1 day"
    note = (f"observed {float(s.global_percent_points_observed):.1f} % vs TAT-C "
            f"{100 * tatc_summary['fraction_points_observed']:.1f} %; mean revisit "
            f"{float(s.global_mean_revisit_s) / 3600:.3f} h vs {tatc_summary['global_mean_of_point_mean_revisit_h']:.3f} h;"
            f" windows {comparison['windows_ours']} vs {comparison['windows_tatc']}, same count at "
            f"{100 * comparison['points_same_count']:.1f} % of points; start/end gaps median "
            f"{comparison['median_start_gap_s']:.2f}/{comparison['median_end_gap_s']:.2f} s, p99 "
            f"{comparison['p99_start_gap_s']:.2f}/{comparison['p99_end_gap_s']:.2f} s")
    (out / "comparison.json").write_text(json.dumps(comparison, indent=1))
    return [
        Figure(workload, "s", serial_s, "TAT-C collect_observations", tatc_s, higher_is_better=False,
               note="overhead in one process, one core; " + note),
        Figure(workload, "s", cluster_s, "TAT-C collect_observations", tatc_s, higher_is_better=False,
               note=f"overhead on a warm {os.cpu_count()}-worker LocalCluster (starting it: {startup_s:.1f} s)"),
    ]
