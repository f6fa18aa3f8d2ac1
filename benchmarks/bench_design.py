"""Issue 8: a sweep of >= 200 designs over a region at a coarse resolution; time per design, and the speed-up of
a 2-worker LocalCluster over one process."""

from __future__ import annotations

import os
import tempfile
import time
import warnings

from benchmarks.common import Figure
from overhead.analysis.coverage import local_cluster
from overhead.analysis.design import load_spec, sweep

SPEC = {
    "name": "bench-europe",
    "where": {"country": "France", "resolution": 3},
    "start": "2026-03-21T00:00:00Z",
    "days": 1,
    "sensor": {"half_angle_deg": [20, 30, 40]},
    "constraints": {"min_sun_elevation_deg": 10},
    "designs": [
        {
            "walker": {
                "total": [4, 6, 8, 12, 16, 24],
                "planes": [2, 4],
                "phasing": [1],
                "inclination_deg": [45, 53, 70],
                "altitude_km": [500, 600, 700],
            }
        },
        {
            "sso": {
                "planes": [1, 2, 3],
                "per_plane": [1, 2, 4],
                "altitude_km": [600, 786],
                "ltan_h": [10.5],
                "plane_spread_h": [1.5],
            }
        },
    ],
    "requirement": [{"metric": "max_revisit_s", "percentile_area": 95, "max": 86_400}],
    "cost": {"per_satellite": 1.0, "per_plane": 0.5},
}


def run() -> list[Figure]:
    spec = load_spec(SPEC)
    n = len(list(spec.candidates()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tempfile.TemporaryDirectory() as cache:
            started = time.perf_counter()
            sweep(spec, scheduler="none", cache_dir=cache)
            serial_s = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as cache, local_cluster() as cluster:
            started = time.perf_counter()
            sweep(spec, scheduler=cluster.scheduler_address, cache_dir=cache)
            cluster_s = time.perf_counter() - started
            started = time.perf_counter()
            sweep(spec, scheduler=cluster.scheduler_address, cache_dir=cache)  # every design cached
            cached_s = time.perf_counter() - started
    workload = f"sweep of {n} designs over France (H3 res 3), 1 day, daylight"
    return [
        Figure(
            workload,
            "s per design",
            cluster_s / n,
            "the same sweep in one process",
            serial_s / n,
            higher_is_better=False,
            note=f"{os.cpu_count()}-worker LocalCluster {cluster_s:.1f} s vs one process {serial_s:.1f} s; "
            f"re-run from the cache {cached_s:.2f} s",
        )
    ]
