"""The catalogue store's history: the ingests, the changes feed, each object's element sets, and undo."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.engine import Engine

from overhead.catalog.changes import naive_utc as _naive
from overhead.catalog.models import OBJECT_STATE, Change, ElementSet, GroupMember, Ingest, ObjectRevision, SpaceObject
from overhead.catalog.store_ingest import BATCH, INGEST_LOCK_KEY, utc_now
from overhead.errors import ConflictError, NotFoundError, OverheadError
from overhead.tables import utc_times


class StoreRevisions:
    """What each ingest did, and taking one back."""

    engine: Engine

    def undo(self, ingest_id: int) -> dict[str, int]:
        """Take back one ingest: its element sets and changes removed, the objects it added removed, the rows it
        changed restored. Refused while a later ingest (not undone) touched the same objects: undo that first."""
        ingest_id = int(ingest_id)
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})
            # an id beyond the database's integers is as absent as any other
            ingest = (
                connection.execute(select(Ingest).where(Ingest.id == ingest_id)).mappings().first()
                if 1 <= ingest_id < 2**31
                else None
            )
            if ingest is None:
                raise NotFoundError(f"no ingest {ingest_id} in the catalogue store (the list of ingests has them)")
            if ingest["undone_at"] is not None:
                raise ConflictError(
                    f"ingest {ingest_id} was already undone at {ingest['undone_at']:%Y-%m-%dT%H:%M:%SZ}"
                )
            revisions = (
                connection.execute(select(ObjectRevision).where(ObjectRevision.ingest_id == ingest_id)).mappings().all()
            )
            touched = [r["norad_id"] for r in revisions]
            later: set[int] = set()
            for k in range(0, len(touched), BATCH):
                later.update(
                    connection.execute(
                        select(ObjectRevision.ingest_id)
                        .join(Ingest, Ingest.id == ObjectRevision.ingest_id)
                        .where(
                            ObjectRevision.norad_id.in_(touched[k : k + BATCH]),
                            ObjectRevision.ingest_id > ingest_id,
                            Ingest.undone_at.is_(None),
                        )
                        .distinct()
                    ).scalars()
                )
            if later:
                raise ConflictError(
                    f"ingest {ingest_id} cannot be undone while later ingests changed the same "
                    f"objects: undo {', '.join(map(str, sorted(later, reverse=True)))} first"
                )
            connection.execute(delete(GroupMember).where(GroupMember.ingest_id == ingest_id))
            counts = {
                "changes": connection.execute(delete(Change).where(Change.ingest_id == ingest_id)).rowcount,
                "element_sets": connection.execute(
                    delete(ElementSet).where(ElementSet.ingest_id == ingest_id)
                ).rowcount,
            }
            created = [r["norad_id"] for r in revisions if r["created"]]
            for k in range(0, len(created), BATCH):
                connection.execute(delete(SpaceObject).where(SpaceObject.norad_id.in_(created[k : k + BATCH])))
            restored = [
                {"key": r["norad_id"], **{c: r[c] for c in OBJECT_STATE}} for r in revisions if not r["created"]
            ]
            if restored:
                connection.execute(
                    update(SpaceObject)
                    .where(SpaceObject.norad_id == bindparam("key"))
                    .values(**{c: bindparam(c) for c in OBJECT_STATE}),
                    restored,
                )
            connection.execute(update(Ingest).where(Ingest.id == ingest_id).values(undone_at=utc_now()))
            return {**counts, "objects_removed": len(created), "objects_restored": len(restored)}

    def ingests(self) -> pd.DataFrame:
        """Every ingest: source, group, when, counts, the SHA-256 and size of what it read, completeness, undo."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(Ingest.__table__).order_by(Ingest.id)).mappings().all()
        return utc_times(pd.DataFrame(rows, columns=[c.name for c in Ingest.__table__.columns]))

    # ------------------------------------------------------------------------------------------ queries
    def changes(self, since=None, *, ingested_since=None, as_of=None, ingest_ids=None) -> pd.DataFrame:
        """The changes feed, newest first: those that happened after ``since`` (the time of the change), or those
        found by ingests made after ``ingested_since``; with neither, those the last ingest found. ``as_of``: only
        what ingests made by that time had found (the feed as it stood then). ``ingest_ids``: only those these
        ingests found. ``baseline`` marks the "new" objects of a group's first snapshot (every object is new
        then)."""
        with self.engine.connect() as connection:
            query = select(
                Change.norad_id,
                Change.name,
                Change.object_id,
                Change.change,
                Change.time,
                Change.detail,
                Change.confidence,
                Change.ingest_id,
            ).join(Ingest, Ingest.id == Change.ingest_id)
            if since is not None:
                query = query.where(Change.time > _naive(since))
            if ingested_since is not None:
                query = query.where(Ingest.started_at > _naive(ingested_since))
            if as_of is not None:
                query = query.where(Ingest.started_at <= _naive(as_of))
            if ingest_ids is not None:
                query = query.where(Change.ingest_id.in_([int(i) for i in ingest_ids]))
            if since is None and ingested_since is None and ingest_ids is None:
                last_query = select(func.max(Ingest.id)).where(Ingest.undone_at.is_(None))
                if as_of is not None:
                    last_query = last_query.where(Ingest.started_at <= _naive(as_of))
                last = connection.execute(last_query).scalar()
                query = query.where(Change.ingest_id == last)
            rows = connection.execute(query.order_by(Change.time.desc(), Change.change, Change.norad_id))
            table = pd.DataFrame(
                rows.mappings().all(),
                columns=["norad_id", "name", "object_id", "change", "time", "detail", "confidence", "ingest_id"],
            )
            firsts = connection.execute(
                select(func.min(Ingest.id)).where(Ingest.undone_at.is_(None)).group_by(Ingest.group_name)
            ).scalars()
            # a group's first snapshot makes every object "new": that is the baseline, not news
            table["baseline"] = (table.change == "new") & table.ingest_id.isin(list(firsts))
            return utc_times(table)

    def history(self, norad_id: int, *, as_of=None) -> pd.DataFrame:
        """Every stored element set of one object, by epoch (``as_of``: those ingested by that time)."""
        query = select(
            ElementSet.epoch,
            ElementSet.mean_motion_rev_per_day,
            ElementSet.eccentricity,
            ElementSet.inclination_deg,
            ElementSet.raan_deg,
            ElementSet.bstar,
            ElementSet.line1,
            ElementSet.line2,
            ElementSet.ingest_id,
        ).where(ElementSet.norad_id == int(norad_id))
        if as_of is not None:
            query = query.join(Ingest, Ingest.id == ElementSet.ingest_id).where(Ingest.started_at <= _naive(as_of))
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(ElementSet.epoch))
            table = pd.DataFrame(rows.mappings().all())
        if table.empty:
            raise OverheadError(f"no element sets of NORAD {norad_id} in the catalogue store")
        return utc_times(table)
