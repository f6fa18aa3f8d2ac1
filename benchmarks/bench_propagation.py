"""Issue 2: the active catalog × 1440 one-minute steps to geodetic, against raw SatrecArray and Skyfield."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import warnings

import numpy as np
from sgp4.api import SatrecArray

from benchmarks.common import Figure, active_catalog, peak_rss_gb, timed
from overhead.orbits.timescales import julian_date_split

N_TIMES = 1440


def _times(catalog) -> np.ndarray:
    start = np.datetime64(int(np.median(catalog.epochs.astype(np.int64))) // 60_000_000_000 * 60, "s")
    return start.astype("datetime64[ns]") + np.arange(N_TIMES) * np.timedelta64(60, "s")


def overhead_geodetic() -> tuple[float, float, int]:
    """Run in a fresh process so that its peak memory is its own: (seconds, peak GB, states)."""
    catalog, _ = active_catalog()
    times = _times(catalog)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        catalog.propagate(times[:2], frame="geodetic", workers=1)  # load IERS tables, warm caches
        seconds, _ = timed(catalog.propagate, times, frame="geodetic")
    return seconds, peak_rss_gb(), len(catalog) * N_TIMES


def run() -> list[Figure]:
    catalog, label = active_catalog()
    times = _times(catalog)
    out = subprocess.run(
        [sys.executable, "-c", "from benchmarks.bench_propagation import overhead_geodetic as f;print(*f())"],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    seconds, peak_gb, states = (float(x) for x in out.stdout.split())
    ours = states / seconds / 1e6

    # anchor 1: python-sgp4's SatrecArray, TEME only, one thread (the C++ reference), on 3,000 satellites
    subset = catalog.satrecs[:3000]
    jd, fr = julian_date_split(times)
    array = SatrecArray(subset)
    raw_s, _ = timed(array.sgp4, jd, fr)
    raw = len(subset) * N_TIMES / raw_s / 1e6

    # anchor 2: Skyfield EarthSatellite.at() + wgs84 geodetic, shared times, on 100 satellites
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    t = ts.from_datetimes([x.astype("datetime64[us]").item().replace(tzinfo=dt.UTC) for x in times])
    lines = catalog[:100].to_tle(names=False).splitlines()
    sats = [EarthSatellite(lines[2 * i], lines[2 * i + 1], ts=ts) for i in range(100)]

    def skyfield_geodetic():
        for sat in sats:
            position = wgs84.geographic_position_of(sat.at(t))
            _ = position.latitude.degrees, position.longitude.degrees, position.elevation.km

    sky_s, _ = timed(skyfield_geodetic)
    sky = 100 * N_TIMES / sky_s / 1e6
    workload = f"{label} × {N_TIMES} steps → geodetic, {os.cpu_count()} cores"
    return [
        Figure(
            workload,
            "M states/s",
            ours,
            "sgp4 SatrecArray, TEME, 1 thread",
            raw,
            note=f"{seconds:.1f} s, peak memory {peak_gb:.2f} GB",
        ),
        Figure(workload, "M states/s", ours, "Skyfield at() + wgs84 geodetic", sky),
    ]
