"""The catalogue store's questions: objects and their quality, tags, groups, SATCAT, stored conjunctions, and the
catalogue as it is now or was at a time."""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine

from overhead.catalog.changes import naive_utc as _naive
from overhead.catalog.models import (
    Change,
    ConjunctionRow,
    ElementSet,
    GroupMember,
    Ingest,
    ObjectTag,
    SatcatRecord,
    SpaceObject,
)
from overhead.catalog.store_ingest import group_members_query, latest_ingests_query, utc_now
from overhead.constants import LEO_MIN_MEAN_MOTION_REV_DAY, NORAD_ID_MAX
from overhead.errors import OverheadError
from overhead.orbits.catalog import Catalog
from overhead.orbits.records import ElementRecord
from overhead.orbits.tle import parse_tle_pair
from overhead.tables import utc_times


def _catalog_of(rows, *, source: str = "catalogue store") -> Catalog:
    """A Catalog of (line1, line2, name) rows (one element set per object)."""
    seen, records = set(), []
    for line1, line2, name in rows:
        record = parse_tle_pair(line1, line2)
        if record.norad_id not in seen:  # two sets at the very same epoch: keep one
            seen.add(record.norad_id)
            records.append(ElementRecord(**{**record.__dict__, "name": name}))
    return Catalog.from_records(records, source=source, from_tle=True)


TAG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"  # a tag's spelling (the API's path checks the same)


_TAG = re.compile(TAG_PATTERN)


def _tag_name(tag: str) -> str:
    """A tag as stored: letters, digits, '.', '_', '-' (64 at most); anything else is refused."""
    if not _TAG.match(str(tag)):
        raise OverheadError(
            f"tag {str(tag)[:80]!r}: use letters, digits, '.', '_' or '-' (at most 64), e.g. optical-imaging"
        )
    return str(tag)


class StoreQueries:
    """The store as it is now, or was at a time; tags and conjunctions."""

    engine: Engine

    def objects(self) -> pd.DataFrame:
        """Every object with its status (active, gone, decayed), designator, first/last report and, where a
        SATCAT has been ingested, what it is (object_type, owner, launch_date, launch_site, decay_date, rcs_m2)."""
        satcat = SatcatRecord.__table__.c
        query = select(
            SpaceObject.__table__,
            satcat.object_type,
            satcat.owner,
            satcat.launch_date,
            satcat.launch_site,
            satcat.decay_date,
            satcat.rcs_m2,
            satcat.ops_status,
        ).outerjoin(SatcatRecord, SatcatRecord.norad_id == SpaceObject.norad_id)
        with self.engine.connect() as connection:
            return utc_times(pd.DataFrame(connection.execute(query).mappings().all()))

    def quality(self, at=None, *, accuracy_km: float = 1.0) -> pd.DataFrame:
        """Per active object: the age of its newest element set at ``at`` (default now), the position error to
        expect from it, and ``too_old`` where that exceeds ``accuracy_km``.

        Error model: 1 km at epoch growing by 2 km/day in LEO (mean motion > 11 rev/day) and 0.5 km/day
        higher up — the usual rule of thumb for SGP4 with public element sets (Vallado & Cefola 2012).
        """
        when = _naive(at if at is not None else utc_now())
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(
                    SpaceObject.norad_id, SpaceObject.name, SpaceObject.last_epoch, ElementSet.mean_motion_rev_per_day
                )
                .join(
                    ElementSet,
                    (ElementSet.norad_id == SpaceObject.norad_id) & (ElementSet.epoch == SpaceObject.last_epoch),
                )
                .where(SpaceObject.status == "active")
            ).all()
        table = utc_times(pd.DataFrame(rows, columns=["norad_id", "name", "last_epoch", "mean_motion_rev_per_day"]))
        table = table.drop_duplicates("norad_id")
        table["age_days"] = (pd.Timestamp(when) - pd.to_datetime(table.last_epoch)).dt.total_seconds() / 86_400
        growth = np.where(table.mean_motion_rev_per_day > LEO_MIN_MEAN_MOTION_REV_DAY, 2.0, 0.5)
        table["expected_error_km"] = 1.0 + growth * table.age_days.abs()
        table["too_old"] = table.expected_error_km > accuracy_km
        return table.drop(columns="mean_motion_rev_per_day").sort_values("age_days", ascending=False, ignore_index=True)

    # ------------------------------------------------------------------------------------------------ tags
    def tag(self, tag: str, norad_ids) -> int:
        """Put a tag on objects (known to the store or not yet); returns how many were newly tagged."""
        name, ids = _tag_name(tag), sorted({int(n) for n in norad_ids})
        bad = [n for n in ids if not 1 <= n <= NORAD_ID_MAX]
        if bad:
            raise OverheadError(f"NORAD id {bad[0]} is outside 1 to {NORAD_ID_MAX}: nothing tagged")
        with self.engine.begin() as connection:
            held = set(connection.execute(select(ObjectTag.norad_id).where(ObjectTag.tag == name)).scalars())
            fresh = [n for n in ids if n not in held]
            if fresh:
                now = _naive(utc_now())
                connection.execute(insert(ObjectTag), [{"tag": name, "norad_id": n, "added_at": now} for n in fresh])
        return len(fresh)

    def untag(self, tag: str, norad_ids=None) -> int:
        """Take a tag off objects (all of them when ``norad_ids`` is None); returns how many."""
        query = delete(ObjectTag).where(ObjectTag.tag == _tag_name(tag))
        if norad_ids is not None:
            query = query.where(ObjectTag.norad_id.in_(sorted({int(n) for n in norad_ids})))
        with self.engine.begin() as connection:
            return connection.execute(query).rowcount

    def tags(self) -> pd.DataFrame:
        """``tag, norad_id, added_at`` of every tag."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(ObjectTag.tag, ObjectTag.norad_id, ObjectTag.added_at).order_by(
                    ObjectTag.tag, ObjectTag.norad_id
                )
            ).all()
        return utc_times(pd.DataFrame(rows, columns=["tag", "norad_id", "added_at"]))

    def select_ids(
        self,
        *,
        object_type: str | None = None,
        owner: str | None = None,
        group: str | None = None,
        tag: str | None = None,
    ) -> set[int]:
        """NORAD ids of the objects in a category: SATCAT object type (PAY, R/B, DEB, UNK) and owner, the groups
        that report them (e.g. resource), a user's tag; criteria combine (and)."""
        query = select(SpaceObject.norad_id).outerjoin(SatcatRecord, SatcatRecord.norad_id == SpaceObject.norad_id)
        if object_type:
            query = query.where(func.upper(SatcatRecord.object_type) == object_type.upper())
        if owner:
            query = query.where(func.upper(SatcatRecord.owner) == owner.upper())
        if group:
            query = query.where(SpaceObject.norad_id.in_(group_members_query(group)))
        if tag:
            query = query.where(SpaceObject.norad_id.in_(select(ObjectTag.norad_id).where(ObjectTag.tag == tag)))
        with self.engine.connect() as connection:
            return {int(n) for (n,) in connection.execute(query).all()}

    def group_members(self) -> pd.DataFrame:
        """``group_name, norad_id``: the objects each group's latest ingest (not undone) reported; an object is in
        every group that reports it."""
        query = (
            select(Ingest.group_name, GroupMember.norad_id)
            .join(Ingest, Ingest.id == GroupMember.ingest_id)
            .where(GroupMember.ingest_id.in_(latest_ingests_query()))
            .order_by(Ingest.group_name, GroupMember.norad_id)
        )
        with self.engine.connect() as connection:
            return pd.DataFrame(connection.execute(query).all(), columns=["group_name", "norad_id"])

    def satcat(self) -> pd.DataFrame:
        """Every stored SATCAT record."""
        with self.engine.connect() as connection:
            return utc_times(
                pd.DataFrame(
                    connection.execute(select(SatcatRecord.__table__)).mappings().all(),
                    columns=[c.name for c in SatcatRecord.__table__.columns],
                )
            )

    # ------------------------------------------------------------------------------------- conjunctions
    def save_conjunctions(self, table: pd.DataFrame, start, stop, *, norad_ids=None, epochs=None) -> int:
        """Keep a screening's conjunctions: they replace the stored ones of the same span whose objects were
        screened (``norad_ids``: the primaries, or None for all-on-all). ``epochs``: NORAD id → element epoch."""
        t0, t1 = _naive(start), _naive(stop)
        now = _naive(utc_now())
        epochs = {int(k): _naive(v) for k, v in (epochs or {}).items()}
        rows = [
            {
                "norad_id_1": int(r.norad_id_1),
                "name_1": str(r.name_1),
                "norad_id_2": int(r.norad_id_2),
                "name_2": str(r.name_2),
                "tca": _naive(r.tca),
                "min_range_km": float(r.min_range_km),
                "relative_speed_km_s": float(r.relative_speed_km_s),
                "radial_km": float(r.radial_km),
                "in_track_km": float(r.in_track_km),
                "cross_track_km": float(r.cross_track_km),
                "max_pc": None if pd.isna(r.max_pc) else float(r.max_pc),
                "assumed_cov_pc": None if pd.isna(r.assumed_cov_pc) else float(r.assumed_cov_pc),
                "epoch_1": epochs.get(int(r.norad_id_1)),
                "epoch_2": epochs.get(int(r.norad_id_2)),
                "screened_at": now,
            }
            for r in table.itertuples()
        ]
        with self.engine.begin() as connection:
            old = delete(ConjunctionRow).where(ConjunctionRow.tca >= t0, ConjunctionRow.tca <= t1)
            if norad_ids is not None:
                ids = [int(n) for n in norad_ids]
                old = old.where(ConjunctionRow.norad_id_1.in_(ids) | ConjunctionRow.norad_id_2.in_(ids))
            connection.execute(old)
            if rows:
                connection.execute(insert(ConjunctionRow), rows)
        return len(rows)

    def conjunctions(
        self, *, norad_id: int | None = None, since=None, min_pc: float | None = None, limit: int = 10_000
    ) -> pd.DataFrame:
        """Stored conjunctions by TCA: of one object, with TCA after ``since``, assumed-covariance Pc ≥ min_pc."""
        columns = [c for c in ConjunctionRow.__table__.columns if c.name != "id"]
        query = select(*columns)
        if norad_id is not None:
            query = query.where(
                (ConjunctionRow.norad_id_1 == int(norad_id)) | (ConjunctionRow.norad_id_2 == int(norad_id))
            )
        if since is not None:
            query = query.where(ConjunctionRow.tca > _naive(since))
        if min_pc is not None:
            query = query.where(ConjunctionRow.assumed_cov_pc >= float(min_pc))
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(ConjunctionRow.tca).limit(int(limit))).mappings().all()
        return utc_times(pd.DataFrame(rows, columns=[c.name for c in columns]))

    def latest_catalog(self, *, status: str | None = "active", as_of=None) -> Catalog:
        """The newest element set of every object (``status`` active by default) as a Catalog.

        ``as_of`` (a time): the catalogue as the store knew it then — only what ingests made by that time brought,
        each object's newest element set among those, and the objects active then (not reported gone or decayed
        by an ingest made by then after their last element set). History is never overwritten, so any past time
        can be asked.
        """
        if as_of is not None:
            return self._catalog_as_of(_naive(as_of))
        newest = (
            select(ElementSet.norad_id, func.max(ElementSet.epoch).label("epoch"))
            .group_by(ElementSet.norad_id)
            .subquery()
        )
        query = (
            select(ElementSet.line1, ElementSet.line2, SpaceObject.name)
            .join(newest, (ElementSet.norad_id == newest.c.norad_id) & (ElementSet.epoch == newest.c.epoch))
            .join(SpaceObject, SpaceObject.norad_id == ElementSet.norad_id)
        )
        if status:
            query = query.where(SpaceObject.status == status)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(ElementSet.norad_id)).all()
        return _catalog_of(rows)

    def nearest_catalog(self, when, *, status: str | None = "active") -> Catalog:
        """Every object's element set with the epoch nearest ``when`` (before or after it): the sets SGP4 is best
        from at that time, where :meth:`latest_catalog` gives the newest (a March time on a store holding March
        and July elements uses March's)."""
        when = _naive(when)
        before = (
            select(ElementSet.norad_id, func.max(ElementSet.epoch).label("epoch"))
            .where(ElementSet.epoch <= when)
            .group_by(ElementSet.norad_id)
        )
        after = (
            select(ElementSet.norad_id, func.min(ElementSet.epoch).label("epoch"))
            .where(ElementSet.epoch >= when)
            .group_by(ElementSet.norad_id)
        )
        candidates = before.union_all(after).subquery()
        query = (
            select(ElementSet.norad_id, ElementSet.epoch, ElementSet.line1, ElementSet.line2, SpaceObject.name)
            .join(candidates, (ElementSet.norad_id == candidates.c.norad_id) & (ElementSet.epoch == candidates.c.epoch))
            .join(SpaceObject, SpaceObject.norad_id == ElementSet.norad_id)
        )
        if status:
            query = query.where(SpaceObject.status == status)
        with self.engine.connect() as connection:
            sets = pd.DataFrame(
                connection.execute(query).all(), columns=["norad_id", "epoch", "line1", "line2", "name"]
            )
        source = f"catalogue store, element sets nearest {when:%Y-%m-%dT%H:%M:%SZ}"
        if sets.empty:
            return Catalog.from_records([], source=source)
        sets["distance"] = (pd.to_datetime(sets.epoch) - pd.Timestamp(when)).abs()
        nearest = sets.sort_values(["norad_id", "distance"]).groupby("norad_id").head(1)
        return _catalog_of([(r.line1, r.line2, r.name) for r in nearest.itertuples()], source=source)

    def _catalog_as_of(self, when: datetime) -> Catalog:
        known = (
            select(ElementSet.norad_id, ElementSet.epoch, ElementSet.line1, ElementSet.line2, ElementSet.ingest_id)
            .join(Ingest, Ingest.id == ElementSet.ingest_id)
            .where(Ingest.started_at <= when, Ingest.undone_at.is_(None))
        )
        ended = (
            select(Change.norad_id, func.max(Change.ingest_id).label("ingest_id"))
            .join(Ingest, Ingest.id == Change.ingest_id)
            .where(Ingest.started_at <= when, Ingest.undone_at.is_(None), Change.change.in_(("gone", "decayed")))
            .group_by(Change.norad_id)
        )
        with self.engine.connect() as connection:
            sets = pd.DataFrame(
                connection.execute(known).all(), columns=["norad_id", "epoch", "line1", "line2", "ingest_id"]
            )
            last_end = dict(connection.execute(ended).all())
            names = dict(connection.execute(select(SpaceObject.norad_id, SpaceObject.name)).all())
        if sets.empty:
            return Catalog.from_records([], source=f"catalogue store as of {when:%Y-%m-%dT%H:%M:%SZ}")
        newest = sets.sort_values(["norad_id", "epoch", "ingest_id"]).groupby("norad_id").tail(1)
        last_reported = sets.groupby("norad_id").ingest_id.max()
        alive = [n for n in newest.norad_id if last_end.get(n, -1) < last_reported[n]]
        newest = newest[newest.norad_id.isin(alive)]
        rows = [(r.line1, r.line2, names.get(r.norad_id, "")) for r in newest.itertuples()]
        return _catalog_of(rows, source=f"catalogue store as of {when:%Y-%m-%dT%H:%M:%SZ}")
