"""Issue 6: ingest of the active catalog and of a week of history (SQLite), "what is overhead" for the full
catalog, and manoeuvre detection on the Shorten et al. (2023) benchmark (precision / recall, ±1 day)."""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import overhead
from benchmarks.common import SHARED_DATA, Figure
from overhead.catalog.above import above
from overhead.catalog.manoeuvres import detect_manoeuvres
from overhead.catalog.store import CatalogStore
from overhead.geometry.topocentric import GroundSite

TOLERANCE = np.timedelta64(1, "D")


def _manoeuvre_scores() -> pd.DataFrame:
    folder = SHARED_DATA / "tle_history" / "manoeuvre_benchmark_shorten2023"
    rows = []
    for path in sorted(folder.glob("*.tle")):
        elements = overhead.load_elements(path).elements
        truth_file = yaml.safe_load((folder / f"manoeuvres_{path.stem}.yaml").read_text())
        truth = pd.to_datetime([str(t) for t in truth_file["manoeuvre_timestamps"]]).to_numpy()
        # manoeuvres before the first or after the last element set cannot show in this history
        epochs = pd.to_datetime(elements.epoch).to_numpy()
        truth = truth[(truth >= epochs.min()) & (truth <= epochs.max())]
        found = detect_manoeuvres(elements).time.to_numpy()
        regime = "LEO" if elements.mean_motion_rev_per_day.median() > 5 else "GEO"
        row = {"satellite": path.stem, "regime": regime, "truth": len(truth), "found": len(found)}
        for days in (1, 3):
            tolerance = np.timedelta64(days, "D")
            row[f"true_found_{days}d"] = sum(bool(np.any(np.abs(truth - t) <= tolerance)) for t in found)
            row[f"truth_hit_{days}d"] = sum(bool(np.any(np.abs(found - t) <= tolerance)) for t in truth)
        rows.append(row)
    return pd.DataFrame(rows)


def run() -> list[Figure]:
    figures = []
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as folder:
        warnings.simplefilter("ignore")
        store = CatalogStore(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
        active = SHARED_DATA / "catalog" / "celestrak_active_2026-03-19" / "active.tle"
        started = time.perf_counter()
        report = store.ingest(active)
        ingest_s = time.perf_counter() - started
        week = SHARED_DATA / "tle_history" / "celestrak_groups_2026-05-23_to_2026-05-30"
        started = time.perf_counter()
        week_report = store.ingest(week, group="history")
        week_s = time.perf_counter() - started
        catalog = store.latest_catalog()
        above(catalog, GroundSite(43.6, 1.44, 150), "2026-03-19T12:00:00Z")  # warm-up
        started = time.perf_counter()
        overhead_now = above(catalog, GroundSite(43.6, 1.44, 150), "2026-03-19T12:00:00Z", min_elevation_deg=10)
        above_s = time.perf_counter() - started
    figures.append(Figure("ingest the active catalog (14,710 element sets) into SQLite", "element sets/s",
                          report.new_sets / ingest_s, "(none: absolute figure)", float("nan"),
                          note=f"{ingest_s:.1f} s; a week of history ({week_report.records:,} sets, "
                               f"{week_report.new_sets:,} new) in {week_s:.1f} s"))
    figures.append(Figure("what is overhead: full catalog, one place and time", "s", above_s,
                          "(goal: under 1 s)", 1.0, higher_is_better=False,
                          note=f"{len(catalog):,} objects, {len(overhead_now)} above 10°"))
    scores = _manoeuvre_scores()
    for regime in ("LEO", "GEO"):
        part = scores[scores.regime == regime]
        found = max(part.found.sum(), 1)
        precision, recall = part.true_found_1d.sum() / found, part.truth_hit_1d.sum() / part.truth.sum()
        detail = "; ".join(f"{r.satellite} P {r.true_found_1d / max(r.found, 1):.2f} R {r.truth_hit_1d / r.truth:.2f}"
                           for r in part.itertuples())
        within_3d = (f"; within ±3 days: P {part.true_found_3d.sum() / found:.2f} "
                     f"R {part.truth_hit_3d.sum() / part.truth.sum():.2f}")
        figures.append(Figure(f"manoeuvres, {regime} satellites of the Shorten 2023 benchmark (±1 day)",
                              "precision", precision, "recall", recall, note=detail + within_3d))
    return figures
