"""Issue 15: screening the active catalogue all-on-all for 7 days at 5 km, against what a user would write.

The anchor (measured in the same run, on one hour of the same catalogue, then scaled to 7 days): python-sgp4
``SatrecArray`` positions at a fixed 10 s step, a scipy ``cKDTree`` pair query per step with a radius no approach
can escape between steps (5 km + 16 km/s · 5 s), and Brent refinement on the range rate of each hit whose own
relative speed could bring it under 5 km. Both must find the same conjunctions on that hour.

    .venv/bin/python -m benchmarks.run conjunctions            # the full 7 days (~7 min here)
    OVERHEAD_BENCH_SCREEN_DAYS=1 .venv/bin/python -m benchmarks.run conjunctions
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.spatial import cKDTree
from sgp4.api import SatrecArray

from benchmarks.common import Figure, active_catalog, peak_rss_gb
from overhead.analysis.conjunctions.screening import screen
from overhead.orbits.timescales import julian_date_split

THRESHOLD_KM = 5.0


def _kdtree_screen(catalog, t0: np.datetime64, hours: float, step_s: float = 10.0) -> pd.DataFrame:
    satrecs = catalog.satrecs
    offsets = np.arange(0.0, hours * 3600 + step_s, step_s)
    jd, fr = julian_date_split(np.array([t0]))
    array = SatrecArray(satrecs)
    reach = THRESHOLD_KM + 16.0 * step_s / 2 + 0.1
    hits: dict[tuple[int, int], set[int]] = {}
    for start in range(0, offsets.size, 120):
        block = offsets[start : start + 120]
        err, r, v = array.sgp4(np.full(block.size, jd[0]), fr[0] + block / 86400)
        for k in range(block.size):
            ok = np.nonzero(err[:, k] == 0)[0]
            pairs = cKDTree(r[ok, k]).query_pairs(reach, output_type="ndarray")
            if not len(pairs):
                continue
            i, j = ok[pairs[:, 0]], ok[pairs[:, 1]]
            dv = np.linalg.norm(v[j, k] - v[i, k], axis=1)
            d = np.linalg.norm(r[j, k] - r[i, k], axis=1)
            for a, b in zip(
                i[d <= THRESHOLD_KM + dv * step_s / 2 + 0.1], j[d <= THRESHOLD_KM + dv * step_s / 2 + 0.1], strict=True
            ):
                hits.setdefault((min(a, b), max(a, b)), set()).add(start + k)
    rows = []

    def state(s, t):
        e, p, w = s.sgp4(jd[0], fr[0] + t / 86400)
        return (np.array(p), np.array(w)) if e == 0 else None

    for (i, j), steps in hits.items():
        for k in sorted(steps):
            lo, hi = offsets[max(k - 1, 0)], offsets[min(k + 1, offsets.size - 1)]

            def rate(t, i=i, j=j):
                a, b = state(satrecs[i], t), state(satrecs[j], t)
                return float((b[0] - a[0]) @ (b[1] - a[1])) if a is not None and b is not None else np.nan

            f_lo, f_hi = rate(lo), rate(hi)
            if not (f_lo < 0 <= f_hi):
                continue
            tca = optimize.brentq(rate, lo, hi, xtol=1e-5)
            a, b = state(satrecs[i], tca), state(satrecs[j], tca)
            d = float(np.linalg.norm(b[0] - a[0]))
            if d <= THRESHOLD_KM:
                rows.append((int(catalog.norad_ids[i]), int(catalog.norad_ids[j]), round(tca, 1), d))
    table = pd.DataFrame(rows, columns=["a", "b", "t", "range_km"]).drop_duplicates(["a", "b", "t"])
    return table


def _common(ours: pd.DataFrame, anchor: pd.DataFrame, t0: np.datetime64) -> int:
    """Conjunctions of the anchor that ours has too: the same pair with TCAs within 1 s."""
    offsets = (ours.tca - pd.Timestamp(t0)).dt.total_seconds()
    found: dict[tuple[int, int], list[float]] = {}
    for a, b, t in zip(ours.norad_id_1, ours.norad_id_2, offsets, strict=True):
        found.setdefault((min(a, b), max(a, b)), []).append(t)
    return sum(
        any(abs(t - u) < 1.0 for u in found.get((a, b), []))
        for a, b, t in zip(anchor.a, anchor.b, anchor.t, strict=True)
    )


def _same_approaches(one, other) -> int:
    """How many approaches of ``one`` ``other`` has too: the same pair, TCA within 1 s, miss within 1 m."""
    import pandas as pd

    a = one.assign(t=one.tca)
    b = other.assign(t=other.tca)
    both = a.merge(b, on=["norad_id_1", "norad_id_2"], suffixes=("_a", "_b"))
    close = ((both.t_a - both.t_b).abs() <= pd.Timedelta(seconds=1)) & (
        (both.min_range_km_a - both.min_range_km_b).abs() <= 1e-3
    )
    return int(both[close].drop_duplicates(["norad_id_1", "norad_id_2", "t_a"]).shape[0])


def run() -> list[Figure]:
    catalog, label = active_catalog()
    t0 = catalog.median_epoch()
    days = float(os.environ.get("OVERHEAD_BENCH_SCREEN_DAYS", "7"))
    screen(catalog[:50], t0, t0 + np.timedelta64(10, "m"))  # compile once (cached on disk after set-up)

    started = time.perf_counter()
    hour = screen(catalog, t0, t0 + np.timedelta64(3600, "s"), threshold_km=THRESHOLD_KM).conjunctions
    ours_hour_s = time.perf_counter() - started
    started = time.perf_counter()
    anchor = _kdtree_screen(catalog, t0, 1.0)
    anchor_hour_s = time.perf_counter() - started
    same = _common(hour, anchor, t0)

    started = time.perf_counter()
    full = screen(catalog, t0, t0 + np.timedelta64(int(days * 86400), "s"), threshold_km=THRESHOLD_KM)
    ours_full_s = time.perf_counter() - started
    full_rss_gb = peak_rss_gb()  # before the cluster's workers count as children
    scaled_anchor_s = anchor_hour_s * days * 24
    cluster = []
    if os.environ.get("OVERHEAD_BENCH_SCREEN_CLUSTER", "1") != "0":  # the same span on a 2-worker LocalCluster
        from overhead.analysis.conjunctions.screening import screen_distributed

        started = time.perf_counter()
        spread = screen_distributed(catalog, t0, t0 + np.timedelta64(int(days * 86400), "s"), threshold_km=THRESHOLD_KM)
        cluster_s = time.perf_counter() - started
        agreeing = _same_approaches(full.conjunctions, spread.conjunctions)
        cluster.append(
            Figure(
                f"screening all-on-all {days:g} d at 5 km, 2-worker LocalCluster",
                "s (lower is better)",
                cluster_s,
                "the same in one process",
                ours_full_s,
                higher_is_better=False,
                note=f"{len(spread.conjunctions):,} conjunctions, {agreeing:,} the same (pair, TCA "
                f"within 1 s, miss within 1 m) as in one process; peak RSS of the parent plus its "
                f"largest worker {peak_rss_gb():.2f} GB",
            )
        )
    note = (
        f"{label}; 1 h: {len(hour)} conjunctions ours, {len(anchor)} KD-tree, {same} of the KD-tree's "
        "found by ours; "
        f"{days:g} d: {len(full.conjunctions):,} conjunctions and "
        f"{0 if full.co_moving is None else len(full.co_moving):,} co-moving pairs set apart, peak RSS "
        f"{full_rss_gb:.2f} GB"
    )
    return [
        Figure(
            f"screening all-on-all {days:g} d at 5 km",
            "s (lower is better)",
            ours_full_s,
            "sgp4 SatrecArray + cKDTree per 10 s step (1 h measured, scaled)",
            scaled_anchor_s,
            higher_is_better=False,
            note=note,
        ),
        Figure(
            "screening all-on-all 1 h at 5 km",
            "s (lower is better)",
            ours_hour_s,
            "sgp4 SatrecArray + cKDTree per 10 s step",
            anchor_hour_s,
            higher_is_better=False,
            note=f"the KD-tree's {len(anchor)} conjunctions: {same} found by ours (of {len(hour)})",
        ),
        *cluster,
    ]
