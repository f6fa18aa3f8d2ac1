"""Re-entry predictions measured on the shared catalogue snapshots (no pass mark: many re-entries are controlled
de-orbits that no drag model predicts).

    PYTHONPATH=. .venv/bin/python -m benchmarks.reentry_scores

From each snapshot's element sets alone (one set per object: the decay rate is the set's own ṅ), which objects are
predicted to re-enter before the next snapshot, against those the next snapshot no longer has while their last
perigee was below 500 km (a drag-driven disappearance; objects dropped for other reasons sit higher), beside the
older straight-line method; and the SATCAT sample's decay dates against the predicted windows.
"""

from __future__ import annotations

import itertools
import time
import warnings

import numpy as np
import pandas as pd

import overhead
from benchmarks.common import SHARED_DATA
from overhead.catalog.reentry import predict_reentries, straight_line_reentries
from overhead.constants import EARTH_MU_KM3_S2
from overhead.orbits.decay import EARTH_RADIUS_KM

SNAPSHOTS = (
    ("2025-10-03", SHARED_DATA / "catalog" / "celestrak_active_2025-10-03" / "active.tle"),
    ("2026-03-19", SHARED_DATA / "catalog" / "celestrak_active_2026-03-19" / "active.tle"),
    ("2026-07-10", SHARED_DATA / "catalog" / "celestrak_active_omm_csv_2026-07-10" / "active.csv"),
)
LOW_PERIGEE_KM = 500.0


def _elements(path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return overhead.load_elements(path).elements


def _perigee_km(elements: pd.DataFrame) -> pd.Series:
    n = elements.mean_motion_rev_per_day * 2 * np.pi / 86_400
    return np.cbrt(EARTH_MU_KM3_S2 / n**2) * (1 - elements.eccentricity) - EARTH_RADIUS_KM


def _pr(predicted: set[int], truth: set[int]) -> str:
    hit = len(predicted & truth)
    return (
        f"predicted {len(predicted)}, of them gone {hit} (precision {hit / max(len(predicted), 1):.2f}); "
        f"gone {len(truth)}, predicted {hit} (recall {hit / max(len(truth), 1):.2f})"
    )


def _false_predictions(early: pd.DataFrame, start: pd.DataFrame, stop: pd.DataFrame) -> str:
    """Of the objects predicted down that the next snapshot still has, how many it shows no lower than they were
    (they manoeuvred: raised or kept station, which no drag model foresees from one element set)."""
    still = early[early.norad_id.isin(stop.norad_id)]
    before = dict(zip(start.norad_id, _perigee_km(start), strict=True))
    after = dict(zip(stop.norad_id, _perigee_km(stop), strict=True))
    not_lower = sum(after[n] >= before[n] - 1.0 for n in still.norad_id)
    return (
        f"  predicted down but still reported: {len(still)}; of them {not_lower} no lower than before "
        f"(manoeuvred), median perigee {np.median([before[n] for n in still.norad_id]):.0f} km -> "
        f"{np.median([after[n] for n in still.norad_id]):.0f} km"
    )


def _satcat_windows(predicted: pd.DataFrame, decay_dates: dict, after: pd.Timestamp) -> str:
    rows = []
    for row in predicted.itertuples():
        decayed = decay_dates.get(row.norad_id)
        if decayed is None or pd.isna(decayed) or decayed < after:
            continue
        error_days = (pd.Timestamp(row.reentry) - decayed) / pd.Timedelta(days=1)
        to_go = (pd.Timestamp(row.reentry) - pd.Timestamp(row.epoch)) / pd.Timedelta(days=1)
        inside = (
            pd.Timestamp(row.window_start) - pd.Timedelta(days=1)
            <= decayed
            <= pd.Timestamp(row.window_end) + pd.Timedelta(days=1)
        )
        rows.append((error_days, to_go, inside))
    if not rows:
        return "  no object of the SATCAT sample decayed after it with a prediction"
    values = np.array(rows, dtype=float)
    return (
        f"  SATCAT sample decays after it with a prediction: {len(rows)}; predicted minus actual median "
        f"{np.median(values[:, 0]):+.1f} d (|error| / time to go, median "
        f"{np.median(np.abs(values[:, 0]) / np.maximum(values[:, 1], 1)):.2f}); inside the ±20 % window "
        f"(±1 day): {values[:, 2].mean():.2f}"
    )


def run() -> list[str]:
    lines = []
    satcat = pd.read_csv(SHARED_DATA / "catalog" / "celestrak_satcat_sample_2026-07" / "satcat_sample.csv")
    decay_dates = dict(zip(satcat.NORAD_CAT_ID, pd.to_datetime(satcat.DECAY_DATE, errors="coerce"), strict=True))
    for (start_name, start_path), (stop_name, stop_path) in itertools.pairwise(SNAPSHOTS):
        start, stop = _elements(start_path), _elements(stop_path)
        stop_time = pd.Timestamp(stop_name) + pd.Timedelta(days=1)
        low = start[_perigee_km(start) < LOW_PERIGEE_KM]
        gone = set(low.norad_id) - set(stop.norad_id)
        started = time.perf_counter()
        predicted = predict_reentries(start)
        took = time.perf_counter() - started
        early = set(predicted.norad_id[pd.to_datetime(predicted.reentry) < stop_time])
        line = straight_line_reentries(start)
        early_line = set(line.norad_id[pd.to_datetime(line.reentry) < stop_time])
        lines.append(
            f"{start_name} -> {stop_name}: {len(start):,} objects, {len(low):,} with perigee < "
            f"{LOW_PERIGEE_KM:.0f} km; drag model ({len(predicted):,} predictions in {took:.1f} s): "
            f"{_pr(early, gone)}; straight line: {_pr(early_line, gone)}"
        )
        lines.append(_false_predictions(predicted[predicted.norad_id.isin(early)], start, stop))
        lines.append(_satcat_windows(predicted, decay_dates, pd.Timestamp(start_name)))
    return lines


def main() -> None:
    for line in run():
        print(line)


if __name__ == "__main__":
    main()
