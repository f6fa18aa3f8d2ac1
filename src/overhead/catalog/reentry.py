"""Re-entry predictions for the catalogue's low objects, from their element sets.

Each object's decay rate is read from its history (a line through its mean semi-major axis over the last
:data:`FIT_DAYS`, where at least three sets span two days or more) or, from a single element set, from its
first derivative of the mean motion (the TLE's ṅ/2, which the orbit fit estimates from the decay it saw). The
ballistic coefficient B = C_D A / m is the one that makes NRLMSIS's density give that rate at the latest set;
the orbit is then decayed with it through CelesTrak's space-weather predictions
(:func:`overhead.orbits.decay.reentry_times`) to a 120 km perigee. The window is ±20 % of the time to go.

Controlled de-orbits and manoeuvring objects follow no drag model: a raise, or a decay too slow to measure,
gives no prediction rather than a wrong one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from overhead.constants import EARTH_MU_KM3_S2
from overhead.orbits.decay import EARTH_RADIUS_KM, WINDOW_SHARE, fit_ballistic_coefficient, reentry_times

__all__ = ["REENTRY_COLUMNS", "predict_reentries", "straight_line_reentries"]

REENTRY_COLUMNS = ("norad_id", "epoch", "perigee_km", "decay_km_day", "ballistic_m2_kg", "reentry",
                   "window_start", "window_end", "rate_from")
FIT_DAYS = 30.0
MAX_PERIGEE_KM = 700.0  # above this drag takes decades; the catalogue's re-entries come from below
STRAIGHT_LINE_MEAN_MOTION_REV_DAY = 16.4  # ~150 km: where the older straight-line method ends its line


def _latest_and_rates(history: pd.DataFrame) -> pd.DataFrame:
    """One row per object: its latest set and its decay rate (km/day) with where the rate came from."""
    table = history.assign(epoch=pd.to_datetime(history.epoch).dt.tz_localize(None)).sort_values(
        ["norad_id", "epoch"])
    n_rad_s = table.mean_motion_rev_per_day.to_numpy(float) * 2 * np.pi / 86_400
    table = table.assign(a_km=np.cbrt(EARTH_MU_KM3_S2 / n_rad_s**2))
    rows = []
    for norad_id, sets in table.groupby("norad_id", sort=True):
        latest = sets.iloc[-1]
        recent = sets[sets.epoch >= latest.epoch - pd.Timedelta(days=FIT_DAYS)]
        span_days = (recent.epoch.iloc[-1] - recent.epoch.iloc[0]) / pd.Timedelta(days=1)
        if len(recent) >= 3 and span_days >= 2.0:
            days = (recent.epoch - latest.epoch) / pd.Timedelta(days=1)
            rate, source = float(np.polyfit(days.to_numpy(float), recent.a_km.to_numpy(float), 1)[0]), "history"
        else:
            n_dot = 2.0 * float(getattr(latest, "mean_motion_dot", 0.0) or 0.0)  # rev/day², the TLE holds ṅ/2
            rate, source = -2.0 / 3.0 * latest.a_km * n_dot / latest.mean_motion_rev_per_day, "element set"
        rows.append({"norad_id": int(norad_id), "epoch": latest.epoch, "a_km": latest.a_km,
                     "eccentricity": float(latest.eccentricity), "inclination_deg": float(latest.inclination_deg),
                     "mean_motion_rev_per_day": float(latest.mean_motion_rev_per_day),
                     "decay_km_day": rate, "rate_from": source})
    return pd.DataFrame(rows)


def predict_reentries(history: pd.DataFrame, *, max_perigee_km: float = MAX_PERIGEE_KM,
                      horizon_days: float = 3650.0, density=None) -> pd.DataFrame:
    """Predicted re-entries (rows of :data:`REENTRY_COLUMNS`, times naive UTC) of the objects in ``history``
    (columns norad_id, epoch, mean_motion_rev_per_day, eccentricity, inclination_deg, and mean_motion_dot for
    objects with a single set) whose perigee is below ``max_perigee_km`` and that re-enter within
    ``horizon_days`` of their latest set."""
    empty = pd.DataFrame(columns=list(REENTRY_COLUMNS))
    if history.empty:
        return empty
    objects = _latest_and_rates(history)
    objects["perigee_km"] = objects.a_km * (1.0 - objects.eccentricity) - EARTH_RADIUS_KM
    objects = objects[(objects.perigee_km < max_perigee_km) & (objects.decay_km_day < 0)].reset_index(drop=True)
    if objects.empty:
        return empty
    times = objects.epoch.to_numpy().astype("datetime64[ns]")
    ballistic = fit_ballistic_coefficient(times, objects.a_km.to_numpy(), objects.eccentricity.to_numpy(),
                                          objects.inclination_deg.to_numpy(), objects.decay_km_day.to_numpy(),
                                          density)
    landed = reentry_times(times, objects.a_km.to_numpy(), objects.eccentricity.to_numpy(),
                           objects.inclination_deg.to_numpy(), ballistic, horizon_days=horizon_days,
                           density=density)
    to_go = (landed - times).astype("timedelta64[s]")
    window = (to_go.astype(float) * WINDOW_SHARE).astype("timedelta64[s]")
    out = objects.assign(ballistic_m2_kg=ballistic, reentry=landed, window_start=landed - window,
                         window_end=landed + window)
    return out[~pd.isna(out.reentry)][list(REENTRY_COLUMNS)].reset_index(drop=True)


def straight_line_reentries(history: pd.DataFrame) -> pd.DataFrame:
    """The older method, for comparison: where a line through the mean motion (the history's last sets, or the
    element set's own ṅ) reaches ~150 km. Columns norad_id, reentry."""
    rows = []
    table = history.assign(epoch=pd.to_datetime(history.epoch).dt.tz_localize(None)).sort_values(
        ["norad_id", "epoch"])
    for norad_id, sets in table.groupby("norad_id", sort=True):
        recent = sets.tail(10)
        latest = recent.iloc[-1]
        if len(recent) >= 3:
            days = ((recent.epoch - latest.epoch) / pd.Timedelta(days=1)).to_numpy(float)
            slope, level = np.polyfit(days, recent.mean_motion_rev_per_day.to_numpy(float), 1)
        else:
            slope = 2.0 * float(getattr(latest, "mean_motion_dot", 0.0) or 0.0)
            level = float(latest.mean_motion_rev_per_day)
        if slope > 0:
            days_to_go = (STRAIGHT_LINE_MEAN_MOTION_REV_DAY - level) / slope
            rows.append({"norad_id": int(norad_id), "reentry": latest.epoch + pd.Timedelta(days=float(days_to_go))})
    return pd.DataFrame(rows, columns=["norad_id", "reentry"])
