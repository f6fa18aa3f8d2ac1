"""How many logged manoeuvres leave any trace in the element sets: the ceiling of a detector on public histories.

    PYTHONPATH=. .venv/bin/python -m benchmarks.manoeuvre_ceiling

For each shared Shorten et al. (2023) history and each pair of consecutive element sets, three channels beyond the
mean-motion semi-major axis the detector reads:

* the change of SGP4's Brouwer mean semi-major axis (``Satrec.a``, not Kozai's from the mean motion);
* the residual of the previous set propagated with SGP4 to this set's epoch, in this set's radial / along-track /
  cross-track frame (an in-plane burn shows as an along-track error growing from the burn, a plane change as a
  cross-track one);
* the same from the set before the previous one (skip one: a lone bad set spoils one of the two, a burn both).

Each channel is scored in units of its own robust spread (running median and MAD over 61 sets, no labels: heavy
tails and slow changes of the noise both allowed for). The score of a time is the largest of the channels over the
sets within ±1 day. Printed per satellite and pooled by regime, for thresholds of 4 to 15 noise units: the share
of logged manoeuvres whose score reaches the threshold (the recall no detector on these channels can exceed at
that threshold) and the precision it would have if every quiet stretch (≥ 3 days from any logged manoeuvre)
reaching the same score were one false detection (the score at 3,000 random quiet times, scaled to the
history's span in 2.5-day windows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sgp4.api import Satrec

from benchmarks.manoeuvre_scores import histories, regime
from overhead.analysis.conjunctions.cdm import rtn_to_inertial_matrix
from overhead.orbits.timescales import julian_date_split

THRESHOLDS = (4.0, 6.0, 8.0, 10.0, 15.0)
EARTH_RADIUS_WGS72_KM = 6378.135
WINDOW_SETS = 61


def _satrecs(elements: pd.DataFrame) -> list[Satrec]:
    from overhead.catalog.manoeuvres import _satrec  # one element-set row as SGP4 (TLE lines where it has them)

    return [_satrec(row) for row in elements.itertuples()]


def channels(elements: pd.DataFrame) -> pd.DataFrame:
    """Per element set (from the second): epoch, Brouwer Δa (m), along- and cross-track residuals (km) of the
    previous set and of the one before it propagated to this epoch."""
    elements = elements.sort_values("epoch").drop_duplicates("epoch").reset_index(drop=True)
    sats = _satrecs(elements)
    epochs = pd.to_datetime(elements.epoch).to_numpy()
    jd = list(zip(*julian_date_split(epochs), strict=True))
    states = [s.sgp4(*j) for s, j in zip(sats, jd, strict=True)]
    a_m = np.array([s.a for s in sats]) * EARTH_RADIUS_WGS72_KM * 1e3
    rows = []
    for k in range(2, len(sats)):
        _, r, v = states[k]
        r, v = np.array(r), np.array(v)
        residuals = []
        for back in (1, 2):
            error, r_back, _ = sats[k - back].sgp4(*jd[k])
            rtn = rtn_to_inertial_matrix(r, v).T  # rows R, T, N: the difference's components along them
            residuals.append(rtn @ (np.array(r_back) - r) if error == 0 else np.full(3, np.nan))
        rows.append(
            {
                "epoch": epochs[k],
                "delta_a_m": a_m[k] - a_m[k - 1],
                "along_km": residuals[0][1],
                "cross_km": residuals[0][2],
                "along_skip_km": residuals[1][1],
            }
        )
    return pd.DataFrame(rows)


def scores(table: pd.DataFrame) -> np.ndarray:
    """The largest channel per set in units of its running robust spread."""
    out = []
    for column in ("delta_a_m", "along_km", "cross_km", "along_skip_km"):
        x = table[column].astype(float)
        median = x.rolling(WINDOW_SETS, center=True, min_periods=10).median()
        spread = 1.4826 * (x - median).abs().rolling(WINDOW_SETS, center=True, min_periods=10).median()
        out.append(((x - median).abs() / spread).to_numpy())
    return np.nanmax(np.column_stack(out), axis=1)


def _window_max(epochs: np.ndarray, score: np.ndarray, times: np.ndarray) -> np.ndarray:
    day = np.timedelta64(1, "D")
    lo, hi = np.searchsorted(epochs, times - day), np.searchsorted(epochs, times + day, side="right")
    return np.array([np.nanmax(score[a:b]) if b > a else 0.0 for a, b in zip(lo, hi, strict=True)])


def ceiling() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for satellite, elements, truth in histories():
        table = channels(elements)
        epochs, score = table.epoch.to_numpy(), scores(table)
        logged = _window_max(epochs, score, truth)
        gaps = np.abs(epochs[:, None] - truth[None, :]).min(axis=1) if len(truth) else None
        quiet = epochs if gaps is None else epochs[gaps > np.timedelta64(3, "D")]
        sample = quiet[rng.choice(len(quiet), min(3000, len(quiet)), replace=False)]
        background = _window_max(epochs, score, sample)
        span_days = (epochs[-1] - epochs[0]) / np.timedelta64(1, "D")
        for threshold in THRESHOLDS:
            rows.append(
                {
                    "satellite": satellite,
                    "regime": regime(elements),
                    "threshold": threshold,
                    "listed": len(truth),
                    "reached": int((logged >= threshold).sum()),
                    "false": float((background >= threshold).mean() * span_days / 2.5),
                }
            )
    return pd.DataFrame(rows)


def _summary(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    out = table.groupby(by, as_index=False)[["listed", "reached", "false"]].sum()
    out["recall"] = (out.reached / out.listed).round(3)
    out["precision"] = (out.reached / (out.reached + out["false"])).round(3)
    out["false"] = out["false"].round(0)
    return out


def main() -> None:
    table = ceiling()
    print("## pooled by regime")
    print(_summary(table, ["regime", "threshold"]).to_string(index=False))
    print("\n## by satellite")
    print(_summary(table, ["satellite", "threshold"]).to_string(index=False))


if __name__ == "__main__":
    main()
