"""Manoeuvre detection scored against the operators' ledgers of the Shorten et al. (2023) benchmark.

    PYTHONPATH=. .venv/bin/python -m benchmarks.manoeuvre_scores

Prints, per satellite and pooled by regime, precision / recall / F1 at ±12 h, ±1 day and ±3 days for the detector
timed by the mean elements alone (the detector before the orbit-crossing timing and the calibrated confidence:
same detections, all of them reported) beside today's (full elements, ``min_confidence`` 0.5); the same with every
confidence computed by a model fitted without that satellite (leave one satellite out); and the reliability table
of those held-out confidences. Listed manoeuvres are restricted to each history's span.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import yaml

import overhead
from benchmarks.common import SHARED_DATA
from overhead.catalog.manoeuvres import (
    DEEP_SPACE_PERIOD_MIN,
    detect_manoeuvres,
    fit_confidence_model,
    manoeuvre_confidence,
)
from overhead.catalog.specs import ManoeuvreQuery

FOLDER = SHARED_DATA / "tle_history" / "manoeuvre_benchmark_shorten2023"
TOLERANCES_DAYS = (0.5, 1.0, 3.0)
MEAN_ELEMENTS = ["norad_id", "epoch", "mean_motion_rev_per_day", "inclination_deg"]


@functools.cache
def histories() -> tuple[tuple[str, pd.DataFrame, np.ndarray], ...]:
    """(satellite, element table, listed manoeuvres inside the history's span) of each shared history."""
    out = []
    for path in sorted(FOLDER.glob("*.tle")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            elements = overhead.load_elements(path).elements
        listed = yaml.safe_load((FOLDER / f"manoeuvres_{path.stem}.yaml").read_text())["manoeuvre_timestamps"]
        truth = pd.to_datetime([str(t) for t in listed]).to_numpy()
        epochs = pd.to_datetime(elements.epoch).to_numpy()
        out.append((path.stem, elements, truth[(truth >= epochs.min()) & (truth <= epochs.max())]))
    return tuple(out)


def regime(elements: pd.DataFrame) -> str:
    return "GEO" if 1440.0 / elements.mean_motion_rev_per_day.median() >= DEEP_SPACE_PERIOD_MIN else "LEO"


@functools.cache
def detections() -> pd.DataFrame:
    """Every detection (min_confidence 0) of both timings, with satellite, regime and whether a listed manoeuvre
    is within each tolerance."""
    parts = []
    for satellite, elements, truth in histories():
        for timing, table in (("mean elements", elements[MEAN_ELEMENTS]), ("orbit crossing", elements)):
            found = detect_manoeuvres(table, min_confidence=0.0)
            found["satellite"], found["regime"], found["timing"] = satellite, regime(elements), timing
            found["deep_space"] = found.regime == "GEO"
            for days in TOLERANCES_DAYS:
                tolerance = np.timedelta64(round(days * 86_400), "s")
                found[f"logged_{days:g}d"] = [
                    bool(np.any(np.abs(truth - t) <= tolerance)) for t in found.time.to_numpy()
                ]
            parts.append(found)
    return pd.concat(parts, ignore_index=True)


def held_out_confidence(found: pd.DataFrame) -> np.ndarray:
    """Each detection's confidence from a model fitted on the other satellites' detections (±1 day labels)."""
    out = np.empty(len(found))
    for satellite in found.satellite.unique():
        mine = (found.satellite == satellite).to_numpy()
        model = fit_confidence_model(found[~mine], found["logged_1d"][~mine])
        out[mine] = manoeuvre_confidence(
            found.score[mine],
            found.test[mine],
            found.tests_agreeing[mine].to_numpy(),
            found.deep_space[mine].to_numpy(),
            model,
        )
    return out


def scores(found: pd.DataFrame, truth_by_satellite: dict[str, np.ndarray], group: str) -> pd.DataFrame:
    """Precision, recall and F1 per ``group`` value (satellite or regime) at each tolerance."""
    rows = []
    for key, part in found.groupby(group):
        satellites = sorted(part.satellite.unique()) if group != "satellite" else [key]
        listed = sum(len(truth_by_satellite[s]) for s in satellites)
        row: dict[str, object] = {group: key, "listed": listed, "found": len(part)}
        for days in TOLERANCES_DAYS:
            tolerance = np.timedelta64(round(days * 86_400), "s")
            hit = sum(
                int(
                    np.sum(
                        [
                            np.any(np.abs(part[part.satellite == s].time.to_numpy() - t) <= tolerance)
                            for t in truth_by_satellite[s]
                        ]
                    )
                )
                for s in satellites
            )
            precision = part[f"logged_{days:g}d"].mean() if len(part) else float("nan")
            recall = hit / listed if listed else float("nan")
            row[f"P {days:g}d"], row[f"R {days:g}d"] = precision, recall
            row[f"F1 {days:g}d"] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def with_every_satellite(found: pd.DataFrame, table: pd.DataFrame, group: str) -> pd.DataFrame:
    """``table`` with a row (zeros) for satellites that kept no detection."""
    if group != "satellite":
        return table
    missing = [s for s, _, _ in histories() if s not in set(table.satellite)]
    if not missing:
        return table
    return pd.concat([table, pd.DataFrame({"satellite": missing, "found": 0})], ignore_index=True)


def report() -> dict[str, pd.DataFrame]:
    truth = {s: t for s, _, t in histories()}
    found = detections()
    default = ManoeuvreQuery().min_confidence
    before = found[found.timing == "mean elements"]
    after = found[(found.timing == "orbit crossing") & (found.confidence >= default)]
    crossing = found[found.timing == "orbit crossing"].copy()
    crossing["held_out"] = held_out_confidence(crossing)
    held_out = crossing[crossing.held_out >= default]
    bins = np.r_[0.0:1.0:0.1, 1.0001]
    crossing["bin"] = pd.cut(crossing.held_out, bins, right=False)
    reliability = crossing.groupby("bin", observed=True).agg(
        detections=("held_out", "size"), mean_confidence=("held_out", "mean"), share_logged=("logged_1d", "mean")
    )
    out = {}
    for group in ("regime", "satellite"):
        out[f"before, by {group}"] = with_every_satellite(before, scores(before, truth, group), group)
        out[f"after, by {group}"] = with_every_satellite(after, scores(after, truth, group), group)
        out[f"after, held-out confidence, by {group}"] = scores(held_out, truth, group)
    out["reliability (held-out confidence, ±1 day)"] = reliability.reset_index()
    tiers = []
    for label, values in (("shipped model", crossing.confidence), ("held out", crossing.held_out)):
        for cut in (0.9, 0.95):
            high = values >= cut
            tiers.append(
                {
                    "confidence": label,
                    "at least": cut,
                    "detections": int(high.sum()),
                    "share logged (±1 d)": crossing.logged_1d[high].mean(),
                    "share logged (±12 h)": crossing["logged_0.5d"][high].mean(),
                }
            )
    out["high tier"] = pd.DataFrame(tiers)
    return out


def main() -> None:
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", "{:.3f}".format):
        for title, table in report().items():
            print(f"\n## {title}\n{table.to_string(index=False)}")


if __name__ == "__main__":
    main()
