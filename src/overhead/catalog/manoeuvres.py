"""Manoeuvre detection in element-set histories: jumps in semi-major axis or inclination beyond what the
element-set noise and drag explain.

For each object, consecutive element sets give Δa (from the mean motion) and Δi. Drag makes a drift: the
local trend of Δa/Δt (a running median over neighbouring pairs) is removed, and what remains is compared
with the local noise (a running median absolute deviation). A pair whose residual exceeds ``threshold``
noise units (and a floor in metres) is a manoeuvre between the two epochs; its confidence grows with the
excess. Pairs within ``merge_days`` are one manoeuvre (a manoeuvre often disturbs two fits).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MANOEUVRE_COLUMNS", "detect_manoeuvres", "semi_major_axis_km"]

MU_KM3_S2 = 398600.4418
MANOEUVRE_COLUMNS = ("norad_id", "time", "delta_a_km", "delta_i_deg", "confidence")


def semi_major_axis_km(mean_motion_rev_per_day) -> np.ndarray:
    n = np.asarray(mean_motion_rev_per_day, dtype=float) * 2.0 * np.pi / 86_400.0
    return np.cbrt(MU_KM3_S2 / (n * n))


def _rolling_median(values: np.ndarray, half_window: int) -> np.ndarray:
    return pd.Series(values).rolling(2 * half_window + 1, center=True, min_periods=3).median().to_numpy()


def detect_manoeuvres(history: pd.DataFrame, *, threshold: float = 5.0, floor_a_km: float = 0.002,
                      floor_i_deg: float = 0.003, half_window: int = 10, merge_days: float = 1.0) -> pd.DataFrame:
    """Manoeuvres in a table of element sets (columns norad_id, epoch, mean_motion_rev_per_day,
    inclination_deg), any number of objects: rows of :data:`MANOEUVRE_COLUMNS`."""
    rows = []
    for norad_id, sets in history.sort_values("epoch").groupby("norad_id"):
        sets = sets.drop_duplicates("epoch")
        if len(sets) < 5:
            continue
        epoch = pd.to_datetime(sets.epoch).to_numpy()
        a = semi_major_axis_km(sets.mean_motion_rev_per_day.to_numpy())
        inc = sets.inclination_deg.to_numpy(dtype=float)
        dt_days = np.diff(epoch) / np.timedelta64(1, "D")
        dt_days = np.maximum(dt_days, 1e-6)
        da, di = np.diff(a), np.diff(inc)
        rate = _rolling_median(da / dt_days, half_window)  # drag's drift, km/day
        residual_a = da - np.nan_to_num(rate) * dt_days
        noise_a = 1.4826 * _rolling_median(np.abs(residual_a - _rolling_median(residual_a, half_window)), half_window)
        residual_i = di - np.nan_to_num(_rolling_median(di / dt_days, half_window)) * dt_days
        noise_i = 1.4826 * _rolling_median(np.abs(residual_i - _rolling_median(residual_i, half_window)), half_window)
        score_a = np.abs(residual_a) / np.maximum(np.nan_to_num(noise_a, nan=floor_a_km), floor_a_km / threshold)
        score_i = np.abs(residual_i) / np.maximum(np.nan_to_num(noise_i, nan=floor_i_deg), floor_i_deg / threshold)
        score = np.maximum(score_a, score_i)
        hits = np.flatnonzero((score > threshold)
                              & ((np.abs(residual_a) > floor_a_km) | (np.abs(residual_i) > floor_i_deg)))
        last_time = None
        for k in hits:
            when = epoch[k] + (epoch[k + 1] - epoch[k]) / 2
            if last_time is not None and (when - last_time) / np.timedelta64(1, "D") < merge_days:
                if score[k] > rows[-1]["_score"]:
                    rows[-1].update(time=when, delta_a_km=float(residual_a[k]), delta_i_deg=float(residual_i[k]),
                                    _score=score[k])
                continue
            rows.append({"norad_id": int(norad_id), "time": when, "delta_a_km": float(residual_a[k]),
                         "delta_i_deg": float(residual_i[k]), "_score": score[k]})
            last_time = when
    table = pd.DataFrame(rows, columns=[*MANOEUVRE_COLUMNS[:-1], "_score"])
    table["confidence"] = 1.0 - np.exp(-(table.pop("_score").astype(float) - threshold) / threshold)
    return table[list(MANOEUVRE_COLUMNS)]
