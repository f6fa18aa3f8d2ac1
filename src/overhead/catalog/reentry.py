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

from overhead.constants import EARTH_MU_KM3_S2, EARTH_RADIUS_KM
from overhead.orbits.decay import WINDOW_SHARE, fit_ballistic_coefficient, reentry_times
from overhead.tables import utc_times

__all__ = [
    "REENTRY_COLUMNS",
    "predict_reentries",
    "reentries_from",
    "reentries_within",
    "store_reentries",
    "straight_line_reentries",
]

REENTRY_COLUMNS = (
    "norad_id",
    "epoch",
    "perigee_km",
    "decay_km_day",
    "ballistic_m2_kg",
    "reentry",
    "window_start",
    "window_end",
    "rate_from",
)
FIT_DAYS = 30.0
MAX_HORIZON_DAYS = 3650.0  # no prediction further than ten years from the elements
MAX_PERIGEE_KM = 700.0  # above this drag takes decades; the catalogue's re-entries come from below
STRAIGHT_LINE_MEAN_MOTION_REV_DAY = 16.4  # ~150 km: where the older straight-line method ends its line


def _latest_and_rates(history: pd.DataFrame) -> pd.DataFrame:
    """One row per object: its latest set and its decay rate (km/day) with where the rate came from (a
    least-squares line through the sets of its last :data:`FIT_DAYS`, all objects at once)."""
    table = history.assign(epoch=pd.to_datetime(history.epoch).dt.tz_localize(None)).sort_values(
        ["norad_id", "epoch"], kind="stable", ignore_index=True
    )
    n_rad_s = table.mean_motion_rev_per_day.to_numpy(float) * 2 * np.pi / 86_400
    table = table.assign(a_km=np.cbrt(EARTH_MU_KM3_S2 / n_rad_s**2), half_n_dot=_half_mean_motion_dot(table))
    latest = table.groupby("norad_id", sort=True).tail(1).set_index("norad_id")
    days = (table.epoch - table.norad_id.map(latest.epoch)) / pd.Timedelta(days=1)
    recent = table.assign(x=days, y=table.a_km - table.norad_id.map(latest.a_km))[days >= -FIT_DAYS]
    recent = recent.assign(xx=recent.x**2, xy=recent.x * recent.y)
    sums = recent.groupby("norad_id", sort=True).agg(
        n=("x", "size"), first=("x", "min"), sx=("x", "sum"), sy=("y", "sum"), sxx=("xx", "sum"), sxy=("xy", "sum")
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (sums.n * sums.sxy - sums.sx * sums.sy) / (sums.n * sums.sxx - sums.sx**2)
    from_history = ((sums.n >= 3) & (-sums["first"] >= 2.0) & np.isfinite(slope)).reindex(latest.index)
    # one set: its ṅ (rev/day², the TLE holds ṅ/2) is the decay the orbit fit saw, da/dt = -2/3 a ṅ / n
    from_n_dot = -2.0 / 3.0 * latest.a_km * 2.0 * latest.half_n_dot / latest.mean_motion_rev_per_day
    # a line's slope is the rate at its centroid (mean time, mean semi-major axis), not at the latest set: the
    # drag is fitted there, else a decay that quickens over the window reads as a smaller B
    use = from_history.to_numpy(bool)
    mean_days = np.where(use, (sums.sx / sums.n).reindex(latest.index).to_numpy(float), 0.0)
    mean_a_km = latest.a_km.to_numpy() + np.where(use, (sums.sy / sums.n).reindex(latest.index).to_numpy(float), 0.0)
    return pd.DataFrame(
        {
            "norad_id": latest.index.astype(int),
            "epoch": latest.epoch.to_numpy(),
            "a_km": latest.a_km.to_numpy(),
            "eccentricity": latest.eccentricity.to_numpy(float),
            "inclination_deg": latest.inclination_deg.to_numpy(float),
            "mean_motion_rev_per_day": latest.mean_motion_rev_per_day.to_numpy(float),
            "decay_km_day": np.where(use, slope.reindex(latest.index).to_numpy(float), from_n_dot.to_numpy(float)),
            "rate_from": np.where(use, "history", "element set"),
            "fit_epoch": latest.epoch.to_numpy() + (mean_days * 86_400e9).astype("timedelta64[ns]"),
            "fit_a_km": mean_a_km,
        }
    )


def _half_mean_motion_dot(table: pd.DataFrame) -> pd.Series:
    """ṅ/2 (rev/day²) as the TLE and OMM print it: the column, or line 1's columns 34-43 (a stored set)."""
    if "mean_motion_dot" in table:
        value = pd.to_numeric(table.mean_motion_dot, errors="coerce")
    else:
        value = pd.Series(np.nan, index=table.index)
    if "line1" in table:
        value = value.fillna(pd.to_numeric(table.line1.astype(str).str[33:43], errors="coerce"))
    return value.fillna(0.0)


def predict_reentries(
    history: pd.DataFrame,
    *,
    max_perigee_km: float = MAX_PERIGEE_KM,
    horizon_days: float = MAX_HORIZON_DAYS,
    density=None,
) -> pd.DataFrame:
    """Predicted re-entries (rows of :data:`REENTRY_COLUMNS`, times naive UTC) of the objects in ``history``
    (columns norad_id, epoch, mean_motion_rev_per_day, eccentricity, inclination_deg, and mean_motion_dot for
    objects with a single set) whose perigee is below ``max_perigee_km`` and that re-enter within
    ``horizon_days`` of their latest set."""
    empty = utc_times(pd.DataFrame(columns=list(REENTRY_COLUMNS)))
    if history.empty:
        return empty
    objects = _latest_and_rates(history)
    objects["perigee_km"] = objects.a_km * (1.0 - objects.eccentricity) - EARTH_RADIUS_KM
    objects = objects[(objects.perigee_km < max_perigee_km) & (objects.decay_km_day < 0)].reset_index(drop=True)
    if objects.empty:
        return empty
    times = objects.epoch.to_numpy().astype("datetime64[ns]")
    ballistic = fit_ballistic_coefficient(
        objects.fit_epoch.to_numpy().astype("datetime64[ns]"),
        objects.fit_a_km.to_numpy(),
        objects.eccentricity.to_numpy(),
        objects.inclination_deg.to_numpy(),
        objects.decay_km_day.to_numpy(),
        density,
    )
    landed = reentry_times(
        times,
        objects.a_km.to_numpy(),
        objects.eccentricity.to_numpy(),
        objects.inclination_deg.to_numpy(),
        ballistic,
        horizon_days=horizon_days,
        density=density,
    )
    to_go = (landed - times).astype("timedelta64[s]")
    window = (to_go.astype(float) * WINDOW_SHARE).astype("timedelta64[s]")
    out = objects.assign(
        ballistic_m2_kg=ballistic, reentry=landed, window_start=landed - window, window_end=landed + window
    )
    return utc_times(out[~pd.isna(out.reentry)][list(REENTRY_COLUMNS)].reset_index(drop=True))


def straight_line_reentries(history: pd.DataFrame) -> pd.DataFrame:
    """The older method, for comparison: where a line through the mean motion (the history's last sets, or the
    element set's own ṅ) reaches ~150 km. Columns norad_id, reentry."""
    rows = []
    table = history.assign(epoch=pd.to_datetime(history.epoch).dt.tz_localize(None)).sort_values(["norad_id", "epoch"])
    for norad_id, sets in table.groupby("norad_id", sort=True):
        recent = sets.tail(10)
        latest = recent.iloc[-1]
        if len(recent) >= 3:
            days = ((recent.epoch - latest.epoch) / pd.Timedelta(days=1)).to_numpy(float)
            slope, level = np.polyfit(days, recent.mean_motion_rev_per_day.to_numpy(float), 1)
        else:
            slope = 2.0 * float(_half_mean_motion_dot(recent).iloc[-1])
            level = float(latest.mean_motion_rev_per_day)
        days_to_go = (STRAIGHT_LINE_MEAN_MOTION_REV_DAY - level) / slope if slope > 0 else np.inf
        if days_to_go < 36_500:  # a century: beyond it the line says nothing
            rows.append({"norad_id": int(norad_id), "reentry": latest.epoch + pd.Timedelta(days=float(days_to_go))})
    return pd.DataFrame(rows, columns=["norad_id", "reentry"])


STORE_COLUMNS = ("norad_id", "epoch", "mean_motion_rev_per_day", "eccentricity", "inclination_deg", "line1")


def store_reentries(store, *, within_days: float, at=None, norad_ids=None) -> pd.DataFrame:
    """Predicted re-entries (rows of :data:`REENTRY_COLUMNS` and ``name``) of the store's active objects with a
    low perigee that re-enter within ``within_days`` of ``at`` (default now), from their last :data:`FIT_DAYS`
    of element sets; ``norad_ids`` limits the objects looked at."""
    from overhead.catalog.models import element_set_rows

    at = _naive(pd.Timestamp.now("UTC") if at is None else at)
    catalog = store.latest_catalog()
    latest = catalog.elements
    keep = catalog.orbits().perigee_km.to_numpy() < MAX_PERIGEE_KM
    if norad_ids is not None:
        keep &= latest.norad_id.isin([int(n) for n in norad_ids]).to_numpy()
    low = latest[keep]
    if low.empty:
        return pd.DataFrame(columns=[*REENTRY_COLUMNS, "name"])
    since = pd.to_datetime(low.epoch).dt.tz_localize(None).min() - pd.Timedelta(days=FIT_DAYS)
    with store.engine.connect() as connection:
        rows = element_set_rows(connection, low.norad_id, STORE_COLUMNS, since=since.to_pydatetime())
    history = pd.DataFrame(rows, columns=list(STORE_COLUMNS))
    names = dict(zip(low.norad_id.astype(int), low.name.astype(str), strict=True))
    return reentries_from(history, at=at, within_days=within_days, names=names)


def reentries_from(history: pd.DataFrame, *, at, within_days: float, names: dict | None = None) -> pd.DataFrame:
    """Predicted re-entries (:data:`REENTRY_COLUMNS` and ``name``) of the objects of an element-set table or
    history within ``within_days`` of ``at`` (and within :data:`MAX_HORIZON_DAYS` of their elements), soonest
    first; ``names`` (NORAD id -> name) or the table's."""
    if history.empty:
        return pd.DataFrame(columns=[*REENTRY_COLUMNS, "name"])
    at = _naive(at)
    # integrate no further than needed, from the oldest latest set to the end of the window asked about, and
    # never beyond MAX_HORIZON_DAYS of elements (the work is bounded whatever time is asked for)
    oldest = pd.to_datetime(history.epoch).dt.tz_localize(None).min()
    horizon_days = min(within_days + max(0.0, (at - oldest) / pd.Timedelta(days=1)), MAX_HORIZON_DAYS)
    found = reentries_within(predict_reentries(history, horizon_days=horizon_days), at, within_days)
    if names is None:
        names = dict(
            zip(
                history.norad_id.astype(int),
                history.get("name", pd.Series("", index=history.index)).astype(str),
                strict=True,
            )
        )
    return found.assign(name=[names.get(int(n), "") for n in found.norad_id])


def reentries_within(predicted: pd.DataFrame, at, within_days: float) -> pd.DataFrame:
    """The predictions whose re-entry falls within ``within_days`` after ``at`` (or up to a day before it: an
    object that may be coming down now), soonest first."""
    at = _naive(at)
    when = pd.to_datetime(predicted.reentry)
    keep = (when >= at - pd.Timedelta(days=1)) & (when <= at + pd.Timedelta(days=within_days))
    return predicted[keep.to_numpy(bool)].sort_values("reentry", ignore_index=True)


def _naive(at) -> pd.Timestamp:
    """A time as a naive UTC timestamp (how element-set epochs are kept)."""
    at = pd.Timestamp(at)
    return at.tz_convert(None) if at.tzinfo else at
