"""Change detection at each ingest: new objects (grouped by launch), objects no longer reported, decays, and
manoeuvres in the new element sets."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from overhead.catalog.manoeuvres import detect_manoeuvres
from overhead.catalog.models import SpaceObject, element_set_rows, object_state_columns
from overhead.orbits.timescales import to_datetime64

__all__ = ["CHANGE_COLUMNS", "detect_changes", "reported_objects"]

CHANGE_COLUMNS = ("norad_id", "name", "object_id", "change", "time", "detail", "confidence")
DECAY_MEAN_MOTION_REV_DAY = 15.6  # perigee below ~300 km: days to weeks from re-entry


def naive_utc(t):
    """A naive UTC ``datetime`` (how the store keeps times: to the microsecond) of any time value; an aware one
    is converted to UTC first."""
    return pd.Timestamp(to_datetime64(t)).round("us").to_pydatetime()


def detect_changes(
    connection, *, new_ids: list[int], latest: dict, missing: list, fresh: list, returning: dict[int, str] | None = None
) -> pd.DataFrame:
    """Rows of :data:`CHANGE_COLUMNS` for one ingest (run inside its transaction; writes nothing).

    ``returning``: objects the store knew as gone or decayed that are reported again (id -> that status); they
    are "new" to the catalogue again (detail says so), as a comparison of the two snapshots finds them.

    ``missing``: the objects the previous snapshot of the group reported and this complete one does not (those
    of :func:`reported_objects` it lacks); each is "decayed" where its last mean motion shows a perigee low enough
    to re-enter within weeks, else "gone" (no longer reported: it may have left the group).
    """
    rows = _new_objects(new_ids, latest)
    for n, status in sorted((returning or {}).items()):
        record = latest[n]
        rows.append(
            {
                "norad_id": n,
                "name": record.name,
                "object_id": record.object_id,
                "change": "new",
                "time": naive_utc(record.epoch),
                "detail": f"reported again (the store had it {status})",
                "confidence": 0.9,
            }
        )
    rows += _missing_changes(connection, missing)
    rows += _manoeuvres(connection, fresh)
    return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))


def _new_objects(new_ids: list[int], latest: dict) -> list[dict]:
    launches: dict[str, list[int]] = {}
    for n in new_ids:
        launches.setdefault(latest[n].object_id[:8] or "unknown", []).append(n)
    rows = []
    for launch, ids in sorted(launches.items()):
        pieces = ", ".join(sorted(latest[n].object_id[8:] or "?" for n in ids))
        for n in sorted(ids):
            record = latest[n]
            rows.append(
                {
                    "norad_id": n,
                    "name": record.name,
                    "object_id": record.object_id,
                    "change": "new",
                    "time": naive_utc(record.epoch),
                    "detail": f"launch {launch}: {len(ids)} new object(s) ({pieces})",
                    "confidence": 1.0,
                }
            )
    return rows


def reported_objects(connection, previous_ingest_id: int, group: str) -> list:
    """The active objects of ``group`` that its previous ingest reported last (full rows): what the group holds,
    and what a new snapshot lacking some of them leaves out."""
    return connection.execute(
        select(*object_state_columns()).where(
            SpaceObject.group_name == group,
            SpaceObject.last_ingest_id == previous_ingest_id,
            SpaceObject.status == "active",
        )
    ).all()


MISSING_COLUMNS = ("norad_id", "epoch", "mean_motion_rev_per_day", "eccentricity", "inclination_deg", "line1")


def _missing_changes(connection, missing: list) -> list[dict]:
    """The objects no longer reported: each decayed (with the mean-motion evidence and the drag model's re-entry
    date, all predicted at once) or gone."""
    if not missing:
        return []
    from overhead.catalog.reentry import FIT_DAYS, predict_reentries

    rows = element_set_rows(connection, [obj.norad_id for obj in missing], MISSING_COLUMNS)
    sets = pd.DataFrame(rows, columns=list(MISSING_COLUMNS)).sort_values(["norad_id", "epoch"])
    last = sets.groupby("norad_id").tail(1).set_index("norad_id")
    low = last.index[last.mean_motion_rev_per_day >= DECAY_MEAN_MOTION_REV_DAY]
    recent = sets[sets.norad_id.isin(low) & (sets.epoch >= sets.norad_id.map(last.epoch) - pd.Timedelta(days=FIT_DAYS))]
    predicted = predict_reentries(recent, horizon_days=365.0).set_index("norad_id").reentry if len(recent) else {}
    changes = []
    for obj in missing:
        kind, detail, confidence = "gone", "no longer reported", 0.8
        if obj.norad_id in low:
            n_last = float(last.mean_motion_rev_per_day[obj.norad_id])
            kind, confidence = "decayed", min(1.0, 0.6 + (n_last - DECAY_MEAN_MOTION_REV_DAY))
            detail = f"last mean motion {n_last:.3f} rev/day (perigee below ~300 km)"
            if obj.norad_id in predicted:
                detail += f"; re-entry predicted about {pd.Timestamp(predicted[obj.norad_id]):%Y-%m-%d}"
        changes.append(
            {
                "norad_id": obj.norad_id,
                "name": obj.name,
                "object_id": obj.object_id,
                "change": kind,
                "time": obj.last_epoch,
                "detail": detail,
                "confidence": confidence,
            }
        )
    return changes


HISTORY_COLUMNS = ("norad_id", "epoch", "mean_motion_rev_per_day", "inclination_deg", "line1", "line2")


def _manoeuvres(connection, fresh: list) -> list[dict]:
    """Manoeuvres at the new element sets, judged against each object's stored history."""
    if not fresh:
        return []
    first_new: dict[int, object] = {}
    for record, _ in fresh:
        epoch = naive_utc(record.epoch)
        first_new[record.norad_id] = min(first_new.get(record.norad_id, epoch), epoch)
    # the element sets' lines too: deep-space burns are timed where the orbits before and after them meet
    history = element_set_rows(connection, list(first_new), HISTORY_COLUMNS)
    table = pd.DataFrame(history, columns=list(HISTORY_COLUMNS))
    found = detect_manoeuvres(table, min_confidence=0.0)  # every detection is kept; the feeds and rules filter
    names = (
        dict(
            connection.execute(
                select(SpaceObject.norad_id, SpaceObject.name).where(
                    SpaceObject.norad_id.in_(list(found.norad_id.unique()))
                )
            ).all()
        )
        if len(found)
        else {}
    )
    rows = []
    for m in found.itertuples():
        if pd.Timestamp(m.time) >= pd.Timestamp(first_new[m.norad_id]) - pd.Timedelta(days=3):
            rows.append(
                {
                    "norad_id": m.norad_id,
                    "name": names.get(m.norad_id, ""),
                    "object_id": "",
                    "change": "manoeuvre",
                    "time": pd.Timestamp(m.time).to_pydatetime(),
                    "detail": f"{m.kind}: Δa {m.delta_a_km * 1000:+.0f} m, Δi {m.delta_i_deg * 1000:+.1f} "
                    f"mdeg, Δv ≈ {m.delta_v_m_s:.2g} m/s, ±{m.time_uncertainty_h:.0f} h",
                    "confidence": float(m.confidence),
                }
            )
    return rows
