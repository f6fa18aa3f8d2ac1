"""The catalog store: SQLite in the user's data directory by default, PostgreSQL by URL.

Ingestion is one transaction (an interrupted ingest leaves the store as it was), idempotent (an element set is
stored once, by the fingerprint of its canonical TLE lines) and serialised (SQLite's write lock taken at the
start, a PostgreSQL advisory lock): a second ingest started meanwhile waits for the first.

An ingest cannot destroy: one that reads no valid element set is refused whatever ``allow_shrink`` says (no
door empties a group); one with fewer objects than ``min_share`` (default half) of what its group holds, or cut
short, changes nothing and raises :class:`~overhead.errors.IngestRefusedError` unless ``allow_shrink``. Objects are
concluded gone or decayed only from a complete snapshot: its last record read, every rejected record attributable
to an object, and — unless ``allow_shrink`` says the group really shrank — leaving out at most a tenth of the
group (or :data:`MISSING_ALLOWANCE` objects, for small groups): a file cut at a record boundary reads as whole
records, but not as a whole group. A rejected record never makes its object gone. Each
ingest keeps the SHA-256 and size of what it read and the object rows it replaced, so :meth:`CatalogStore.undo`
restores the store and the changes feed as they were before it.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, create_engine, delete, event, func, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from overhead._resources import user_data_dir
from overhead.catalog.changes import detect_changes, reported_objects
from overhead.catalog.changes import naive_utc as _naive
from overhead.catalog.models import (
    OBJECT_STATE,
    Change,
    ConjunctionRow,
    ElementSet,
    GroupMember,
    Ingest,
    ObjectRevision,
    ObjectTag,
    SatcatRecord,
    SpaceObject,
    object_state_columns,
)
from overhead.constants import LEO_MIN_MEAN_MOTION_REV_DAY, NORAD_ID_MAX
from overhead.errors import ConflictError, ElementSetError, IngestRefusedError, NotFoundError, OverheadError
from overhead.orbits.catalog import Catalog
from overhead.orbits.elements import last_record_rejected, read_records
from overhead.orbits.records import ElementRecord
from overhead.orbits.tle import format_tle, parse_tle_pair

__all__ = ["CatalogStore", "IngestReport", "default_url"]

BATCH = 2_000
INGEST_LOCK_KEY = 4_242_001  # PostgreSQL advisory lock serialising ingests
MIN_SHARE = 0.5  # an ingest reading fewer objects than this share of its group's is refused
# gone/decayed are concluded only when a snapshot leaves out at most this share of its group's active objects (or
# MISSING_ALLOWANCE of them): CelesTrak's active group loses 2-3 % between snapshots months apart (403 of 12,801
# from October 2025 to March 2026, 320 of 14,710 to July), a file cut at a record boundary loses far more
MISSING_MAX_SHARE = 0.1
MISSING_ALLOWANCE = 8  # a small group's ordinary churn (a docked vehicle leaving the stations group)


def default_url() -> str:
    return f"sqlite:///{user_data_dir() / 'catalog.sqlite'}"


@dataclass
class IngestReport:
    """What one ingestion did."""

    ingest_id: int
    records: int
    new_sets: int
    unchanged_sets: int
    new_objects: int
    updated_objects: int
    rejected: list[ElementSetError] = field(default_factory=list)
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    sha256: str = ""
    bytes: int = 0
    complete: bool = True
    note: str = ""

    def text(self) -> str:
        counts = self.changes.change.value_counts().to_dict() if len(self.changes) else {}
        found = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "no changes"
        text_ = (f"ingest {self.ingest_id}: {self.records:,} element sets read — {self.new_sets:,} new, "
                 f"{self.unchanged_sets:,} already stored, {len(self.rejected):,} rejected; {self.new_objects:,} new "
                 f"objects, {self.updated_objects:,} updated; {found}")
        if not self.complete:
            text_ += f"\nincomplete snapshot ({self.note}): no object was concluded gone or decayed"
        return text_ + f"\n{self.bytes:,} bytes, sha256 {self.sha256[:16]}…; undo with `overhead catalog undo " \
                       f"{self.ingest_id}`"


@dataclass
class _Snapshot:
    """What the files of one ingest gave: distinct element sets by fingerprint, rejects, and whether the snapshot
    is whole enough to conclude that missing objects are gone."""

    rows: dict
    rejects: list[ElementSetError]
    records: int
    sha256: str
    bytes: int
    complete: bool
    note: str
    truncated: str = ""  # why the file looks cut short, if it does


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _fingerprint(lines: tuple[str, str]) -> str:
    return hashlib.sha1(f"{lines[0]}\n{lines[1]}".encode()).hexdigest()


class CatalogStore:
    """A persistent catalog at ``url`` (default: SQLite in the user's data directory)."""

    def __init__(self, url: str | None = None):
        self.url = url or os.environ.get("OVERHEAD_DB") or default_url()
        if self.url.startswith("postgresql://"):  # SQLAlchemy's default driver is psycopg2; overhead ships psycopg 3
            self.url = "postgresql+psycopg://" + self.url.removeprefix("postgresql://")
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(self.url, future=True)
        except (ArgumentError, NoSuchModuleError, ImportError):
            scheme = self.url.split(":", 1)[0]
            raise OverheadError(f"{scheme!r} is not a database URL overhead reads: use sqlite:///PATH or "
                                f"postgresql+psycopg://USER@HOST/DATABASE") from None
        # for messages and logs: never the password of a PostgreSQL URL (errors above reach API answers)
        self.display_url = self.engine.url.render_as_string(hide_password=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        try:
            self.migrate()
        except OperationalError as exc:  # no server, wrong password, unreadable file: the store cannot be opened
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
            raise OverheadError(f"cannot open the catalogue store {self.display_url}: {reason[:200]}") from None

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    # ------------------------------------------------------------------------------------------ ingestion
    def ingest(self, paths, *, group: str | None = None, allow_shrink: bool = False,
               min_share: float = MIN_SHARE) -> IngestReport:
        """Ingest TLE/OMM files (or folders of them) as one transaction; returns what was found.

        ``group`` names the snapshot series (default: the first file's stem, e.g. ``active``): objects reported
        by the previous ingest of the group and missing from this complete one are reported gone (or decayed).
        An ingest reading no valid element set, or fewer objects than ``min_share`` of those the group holds, is
        refused (:class:`IngestRefusedError`, nothing changed) unless ``allow_shrink``.
        """
        files = _expand(paths)
        blobs = [(path.read_bytes(), str(path)) for path in files]
        return self._ingest_blobs(blobs, group or files[0].stem, "; ".join(map(str, files)),
                                  allow_shrink=allow_shrink, min_share=min_share)

    def ingest_text(self, text_: str | bytes, *, source: str = "upload", group: str = "upload",
                    allow_shrink: bool = False, min_share: float = MIN_SHARE) -> IngestReport:
        """Ingest the TLE/OMM text of one file (an upload) as one transaction, like :meth:`ingest`."""
        data = text_.encode("utf-8", errors="replace") if isinstance(text_, str) else bytes(text_)
        return self._ingest_blobs([(data, source)], group, source, allow_shrink=allow_shrink, min_share=min_share)

    def _ingest_blobs(self, blobs: list[tuple[bytes, str]], group: str, sources: str, *, allow_shrink: bool,
                      min_share: float) -> IngestReport:
        snapshot = _read_snapshot(blobs)
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})
            _refuse_shrink(connection, snapshot, group, allow_shrink=allow_shrink, min_share=min_share)
            return self._ingest_locked(connection, snapshot, sources, group, allow_shrink=allow_shrink)

    def _ingest_locked(self, connection, snapshot: _Snapshot, source: str, group: str, *,
                       allow_shrink: bool = False) -> IngestReport:
        now = _utc_now()
        rows, rejects = snapshot.rows, snapshot.rejects
        previous_ingest = connection.execute(_latest_ingests(group)).scalar()
        latest = _latest_records(rows)
        missing: list = []
        if previous_ingest is not None and snapshot.complete:
            protected = {r.norad_id for r in rejects if r.norad_id is not None}
            held = reported_objects(connection, previous_ingest, group)
            present = set(latest) | protected
            missing = [row for row in held if row.norad_id not in present]
            if not allow_shrink and len(missing) > max(MISSING_ALLOWANCE, MISSING_MAX_SHARE * len(held)):
                snapshot.complete = False
                snapshot.note = (f"it leaves out {len(missing):,} of the group's {len(held):,} active objects (over "
                                 f"{MISSING_MAX_SHARE:.0%}): cut short at a record boundary? Nothing concluded gone "
                                 f"(ingest with --allow-shrink if the group really shrank)")
                missing = []
        ingest_id = connection.execute(insert(Ingest).values(
            source=source, group_name=group, started_at=now, records=snapshot.records, rejected=len(rejects),
            sha256=snapshot.sha256, bytes=snapshot.bytes, complete=snapshot.complete, note=snapshot.note)
            .returning(Ingest.id)).scalar_one()
        fingerprints = list(rows)
        stored = set()
        for k in range(0, len(fingerprints), BATCH):
            batch = fingerprints[k:k + BATCH]
            stored.update(connection.execute(select(ElementSet.fingerprint)
                                             .where(ElementSet.fingerprint.in_(batch))).scalars())
        fresh = [(fp, *rows[fp]) for fp in fingerprints if fp not in stored]
        ids = list(latest)
        known = _object_rows(connection, ids)
        new_ids = [n for n in ids if n not in known]
        _record_revisions(connection, ingest_id, new_ids, list(known.values()) + missing)
        if new_ids:
            connection.execute(insert(SpaceObject), [_object_row(latest[n], group, now, ingest_id) for n in new_ids])
        updates = [{"key": n, "name": latest[n].name, "object_id": latest[n].object_id,
                    "launch": latest[n].object_id[:8], "group_name": group, "status": "active", "last_seen": now,
                    "last_ingest_id": ingest_id,
                    "last_epoch": max(_naive(latest[n].epoch), known[n].last_epoch)} for n in ids if n in known]
        if updates:
            connection.execute(update(SpaceObject).where(SpaceObject.norad_id == bindparam("key"))
                               .values(name=bindparam("name"), object_id=bindparam("object_id"),
                                       launch=bindparam("launch"), group_name=bindparam("group_name"),
                                       status=bindparam("status"), last_seen=bindparam("last_seen"),
                                       last_ingest_id=bindparam("last_ingest_id"),
                                       last_epoch=bindparam("last_epoch")), updates)
        for k in range(0, len(ids), BATCH):
            connection.execute(insert(GroupMember), [{"ingest_id": ingest_id, "norad_id": n} for n in ids[k:k + BATCH]])
        for k in range(0, len(fresh), BATCH):
            connection.execute(insert(ElementSet), [_element_row(fp, record, lines, ingest_id)
                                                    for fp, record, lines in fresh[k:k + BATCH]])
        returning = {n: known[n].status for n in ids if n in known and known[n].status != "active"}
        changes = detect_changes(connection, new_ids=new_ids, latest=latest, missing=missing,
                                 fresh=[(r, fp) for fp, r, _ in fresh], returning=returning)
        for kind in ("gone", "decayed"):
            ended = changes.norad_id[changes.change == kind].tolist()
            if ended:
                connection.execute(update(SpaceObject).where(SpaceObject.norad_id.in_(ended)).values(status=kind))
        if len(changes):
            connection.execute(insert(Change), changes.assign(ingest_id=ingest_id).to_dict("records"))
        updated = len({r.norad_id for _, r, _ in fresh} - set(new_ids))
        connection.execute(update(Ingest).where(Ingest.id == ingest_id).values(
            finished_at=_utc_now(), new_sets=len(fresh), unchanged_sets=len(rows) - len(fresh),
            new_objects=len(new_ids), updated_objects=updated))
        return IngestReport(ingest_id, snapshot.records, len(fresh), len(rows) - len(fresh), len(new_ids), updated,
                            rejects, changes, snapshot.sha256, snapshot.bytes, snapshot.complete, snapshot.note)

    def undo(self, ingest_id: int) -> dict[str, int]:
        """Take back one ingest: its element sets and changes removed, the objects it added removed, the rows it
        changed restored. Refused while a later ingest (not undone) touched the same objects: undo that first."""
        ingest_id = int(ingest_id)
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})
            # an id beyond the database's integers is as absent as any other
            ingest = (connection.execute(select(Ingest).where(Ingest.id == ingest_id)).mappings().first()
                      if 1 <= ingest_id < 2**31 else None)
            if ingest is None:
                raise NotFoundError(f"no ingest {ingest_id} in the catalogue store (the list of ingests has them)")
            if ingest["undone_at"] is not None:
                raise ConflictError(f"ingest {ingest_id} was already undone at "
                                    f"{ingest['undone_at']:%Y-%m-%dT%H:%M:%SZ}")
            revisions = connection.execute(select(ObjectRevision).where(ObjectRevision.ingest_id == ingest_id)
                                           ).mappings().all()
            touched = [r["norad_id"] for r in revisions]
            later: set[int] = set()
            for k in range(0, len(touched), BATCH):
                later.update(connection.execute(
                    select(ObjectRevision.ingest_id).join(Ingest, Ingest.id == ObjectRevision.ingest_id)
                    .where(ObjectRevision.norad_id.in_(touched[k:k + BATCH]), ObjectRevision.ingest_id > ingest_id,
                           Ingest.undone_at.is_(None)).distinct()).scalars())
            if later:
                raise ConflictError(f"ingest {ingest_id} cannot be undone while later ingests changed the same "
                                    f"objects: undo {', '.join(map(str, sorted(later, reverse=True)))} first")
            connection.execute(delete(GroupMember).where(GroupMember.ingest_id == ingest_id))
            counts = {"changes": connection.execute(delete(Change).where(Change.ingest_id == ingest_id)).rowcount,
                      "element_sets": connection.execute(delete(ElementSet)
                                                         .where(ElementSet.ingest_id == ingest_id)).rowcount}
            created = [r["norad_id"] for r in revisions if r["created"]]
            for k in range(0, len(created), BATCH):
                connection.execute(delete(SpaceObject).where(SpaceObject.norad_id.in_(created[k:k + BATCH])))
            restored = [{"key": r["norad_id"], **{c: r[c] for c in OBJECT_STATE}} for r in revisions
                        if not r["created"]]
            if restored:
                connection.execute(update(SpaceObject).where(SpaceObject.norad_id == bindparam("key"))
                                   .values(**{c: bindparam(c) for c in OBJECT_STATE}), restored)
            connection.execute(update(Ingest).where(Ingest.id == ingest_id).values(undone_at=_utc_now()))
            return {**counts, "objects_removed": len(created), "objects_restored": len(restored)}

    def ingests(self) -> pd.DataFrame:
        """Every ingest: source, group, when, counts, the SHA-256 and size of what it read, completeness, undo."""
        with self.engine.connect() as connection:
            return pd.DataFrame(connection.execute(select(Ingest.__table__).order_by(Ingest.id)).mappings().all(),
                                columns=[c.name for c in Ingest.__table__.columns])

    # ------------------------------------------------------------------------------------------ queries
    def changes(self, since=None, *, ingested_since=None, as_of=None, ingest_ids=None) -> pd.DataFrame:
        """The changes feed, newest first: those that happened after ``since`` (the time of the change), or those
        found by ingests made after ``ingested_since``; with neither, those the last ingest found. ``as_of``: only
        what ingests made by that time had found (the feed as it stood then). ``ingest_ids``: only those these
        ingests found."""
        with self.engine.connect() as connection:
            query = select(Change.norad_id, Change.name, Change.object_id, Change.change, Change.time, Change.detail,
                           Change.confidence, Change.ingest_id).join(Ingest, Ingest.id == Change.ingest_id)
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
            return pd.DataFrame(rows.mappings().all(), columns=["norad_id", "name", "object_id", "change", "time",
                                                                 "detail", "confidence", "ingest_id"])

    def history(self, norad_id: int, *, as_of=None) -> pd.DataFrame:
        """Every stored element set of one object, by epoch (``as_of``: those ingested by that time)."""
        query = (select(ElementSet.epoch, ElementSet.mean_motion_rev_per_day, ElementSet.eccentricity,
                        ElementSet.inclination_deg, ElementSet.raan_deg, ElementSet.bstar, ElementSet.line1,
                        ElementSet.line2, ElementSet.ingest_id)
                 .where(ElementSet.norad_id == int(norad_id)))
        if as_of is not None:
            query = query.join(Ingest, Ingest.id == ElementSet.ingest_id).where(Ingest.started_at <= _naive(as_of))
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(ElementSet.epoch))
            table = pd.DataFrame(rows.mappings().all())
        if table.empty:
            raise OverheadError(f"no element sets of NORAD {norad_id} in the catalogue store")
        return table

    def objects(self) -> pd.DataFrame:
        """Every object with its status (active, gone, decayed), designator, first/last report and, where a
        SATCAT has been ingested, what it is (object_type, owner, launch_date, launch_site, decay_date, rcs_m2)."""
        satcat = SatcatRecord.__table__.c
        query = (select(SpaceObject.__table__, satcat.object_type, satcat.owner, satcat.launch_date,
                        satcat.launch_site, satcat.decay_date, satcat.rcs_m2, satcat.ops_status)
                 .outerjoin(SatcatRecord, SatcatRecord.norad_id == SpaceObject.norad_id))
        with self.engine.connect() as connection:
            return pd.DataFrame(connection.execute(query).mappings().all())

    def quality(self, at=None, *, accuracy_km: float = 1.0) -> pd.DataFrame:
        """Per active object: the age of its newest element set at ``at`` (default now), the position error to
        expect from it, and ``too_old`` where that exceeds ``accuracy_km``.

        Error model: 1 km at epoch growing by 2 km/day in LEO (mean motion > 11 rev/day) and 0.5 km/day
        higher up — the usual rule of thumb for SGP4 with public element sets (Vallado & Cefola 2012).
        """
        when = _naive(at if at is not None else _utc_now())
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(SpaceObject.norad_id, SpaceObject.name, SpaceObject.last_epoch,
                       ElementSet.mean_motion_rev_per_day)
                .join(ElementSet, (ElementSet.norad_id == SpaceObject.norad_id)
                      & (ElementSet.epoch == SpaceObject.last_epoch))
                .where(SpaceObject.status == "active")).all()
        table = pd.DataFrame(rows, columns=["norad_id", "name", "last_epoch", "mean_motion_rev_per_day"])
        table = table.drop_duplicates("norad_id")
        table["age_days"] = (pd.Timestamp(when) - pd.to_datetime(table.last_epoch)).dt.total_seconds() / 86_400
        growth = np.where(table.mean_motion_rev_per_day > LEO_MIN_MEAN_MOTION_REV_DAY, 2.0, 0.5)
        table["expected_error_km"] = 1.0 + growth * table.age_days.abs()
        table["too_old"] = table.expected_error_km > accuracy_km
        return table.drop(columns="mean_motion_rev_per_day").sort_values("age_days", ascending=False,
                                                                         ignore_index=True)

    # ------------------------------------------------------------------------------------------- SATCAT
    def ingest_satcat(self, text_: str | bytes, *, source: str = "satcat") -> dict[str, int]:
        """Store the records of a SATCAT CSV (CelesTrak's columns), one transaction; returns counts.

        A file without the SATCAT columns, or in which no record is readable, is refused and changes nothing;
        one bad record is one reject.
        """
        rows, rejects = parse_satcat_csv(text_, source=source)
        if not rows:
            raise IngestRefusedError(f"{source}: no readable SATCAT record ({len(rejects)} rejected); nothing changed")
        now = _naive(_utc_now())
        with self.engine.begin() as connection:
            ids = [r["norad_id"] for r in rows]
            for start in range(0, len(ids), 900):
                connection.execute(delete(SatcatRecord).where(SatcatRecord.norad_id.in_(ids[start:start + 900])))
            connection.execute(insert(SatcatRecord), [r | {"updated_at": now} for r in rows])
        return {"records": len(rows), "rejected": len(rejects)}

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
                now = _naive(_utc_now())
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
            rows = connection.execute(select(ObjectTag.tag, ObjectTag.norad_id, ObjectTag.added_at)
                                      .order_by(ObjectTag.tag, ObjectTag.norad_id)).all()
        return pd.DataFrame(rows, columns=["tag", "norad_id", "added_at"])

    def select_ids(self, *, object_type: str | None = None, owner: str | None = None,
                   group: str | None = None, tag: str | None = None) -> set[int]:
        """NORAD ids of the objects in a category: SATCAT object type (PAY, R/B, DEB, UNK) and owner, the groups
        that report them (e.g. resource), a user's tag; criteria combine (and)."""
        query = select(SpaceObject.norad_id).outerjoin(SatcatRecord, SatcatRecord.norad_id == SpaceObject.norad_id)
        if object_type:
            query = query.where(func.upper(SatcatRecord.object_type) == object_type.upper())
        if owner:
            query = query.where(func.upper(SatcatRecord.owner) == owner.upper())
        if group:
            query = query.where(SpaceObject.norad_id.in_(_members_query(group)))
        if tag:
            query = query.where(SpaceObject.norad_id.in_(select(ObjectTag.norad_id).where(ObjectTag.tag == tag)))
        with self.engine.connect() as connection:
            return {int(n) for (n,) in connection.execute(query).all()}

    def group_members(self) -> pd.DataFrame:
        """``group_name, norad_id``: the objects each group's latest ingest (not undone) reported; an object is in
        every group that reports it."""
        query = (select(Ingest.group_name, GroupMember.norad_id).join(Ingest, Ingest.id == GroupMember.ingest_id)
                 .where(GroupMember.ingest_id.in_(_latest_ingests())).order_by(Ingest.group_name, GroupMember.norad_id))
        with self.engine.connect() as connection:
            return pd.DataFrame(connection.execute(query).all(), columns=["group_name", "norad_id"])

    def satcat(self) -> pd.DataFrame:
        """Every stored SATCAT record."""
        with self.engine.connect() as connection:
            return pd.DataFrame(connection.execute(select(SatcatRecord.__table__)).mappings().all(),
                                columns=[c.name for c in SatcatRecord.__table__.columns])

    # ------------------------------------------------------------------------------------- conjunctions
    def save_conjunctions(self, table: pd.DataFrame, start, stop, *, norad_ids=None, epochs=None) -> int:
        """Keep a screening's conjunctions: they replace the stored ones of the same span whose objects were
        screened (``norad_ids``: the primaries, or None for all-on-all). ``epochs``: NORAD id → element epoch."""
        t0, t1 = _naive(start), _naive(stop)
        now = _naive(_utc_now())
        epochs = {int(k): _naive(v) for k, v in (epochs or {}).items()}
        rows = [{"norad_id_1": int(r.norad_id_1), "name_1": str(r.name_1), "norad_id_2": int(r.norad_id_2),
                 "name_2": str(r.name_2), "tca": _naive(r.tca), "min_range_km": float(r.min_range_km),
                 "relative_speed_km_s": float(r.relative_speed_km_s), "radial_km": float(r.radial_km),
                 "in_track_km": float(r.in_track_km), "cross_track_km": float(r.cross_track_km),
                 "max_pc": None if pd.isna(r.max_pc) else float(r.max_pc),
                 "assumed_cov_pc": None if pd.isna(r.assumed_cov_pc) else float(r.assumed_cov_pc),
                 "epoch_1": epochs.get(int(r.norad_id_1)), "epoch_2": epochs.get(int(r.norad_id_2)),
                 "screened_at": now} for r in table.itertuples()]
        with self.engine.begin() as connection:
            old = delete(ConjunctionRow).where(ConjunctionRow.tca >= t0, ConjunctionRow.tca <= t1)
            if norad_ids is not None:
                ids = [int(n) for n in norad_ids]
                old = old.where(ConjunctionRow.norad_id_1.in_(ids) | ConjunctionRow.norad_id_2.in_(ids))
            connection.execute(old)
            if rows:
                connection.execute(insert(ConjunctionRow), rows)
        return len(rows)

    def conjunctions(self, *, norad_id: int | None = None, since=None, min_pc: float | None = None,
                     limit: int = 10_000) -> pd.DataFrame:
        """Stored conjunctions by TCA: of one object, with TCA after ``since``, assumed-covariance Pc ≥ min_pc."""
        columns = [c for c in ConjunctionRow.__table__.columns if c.name != "id"]
        query = select(*columns)
        if norad_id is not None:
            query = query.where((ConjunctionRow.norad_id_1 == int(norad_id)) |
                                (ConjunctionRow.norad_id_2 == int(norad_id)))
        if since is not None:
            query = query.where(ConjunctionRow.tca > _naive(since))
        if min_pc is not None:
            query = query.where(ConjunctionRow.assumed_cov_pc >= float(min_pc))
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(ConjunctionRow.tca).limit(int(limit))).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in columns])

    def latest_catalog(self, *, status: str | None = "active", as_of=None) -> Catalog:
        """The newest element set of every object (``status`` active by default) as a Catalog.

        ``as_of`` (a time): the catalogue as the store knew it then — only what ingests made by that time brought,
        each object's newest element set among those, and the objects active then (not reported gone or decayed
        by an ingest made by then after their last element set). History is never overwritten, so any past time
        can be asked.
        """
        if as_of is not None:
            return self._catalog_as_of(_naive(as_of))
        newest = (select(ElementSet.norad_id, func.max(ElementSet.epoch).label("epoch"))
                  .group_by(ElementSet.norad_id).subquery())
        query = (select(ElementSet.line1, ElementSet.line2, SpaceObject.name)
                 .join(newest, (ElementSet.norad_id == newest.c.norad_id) & (ElementSet.epoch == newest.c.epoch))
                 .join(SpaceObject, SpaceObject.norad_id == ElementSet.norad_id))
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
        before = (select(ElementSet.norad_id, func.max(ElementSet.epoch).label("epoch"))
                  .where(ElementSet.epoch <= when).group_by(ElementSet.norad_id))
        after = (select(ElementSet.norad_id, func.min(ElementSet.epoch).label("epoch"))
                 .where(ElementSet.epoch >= when).group_by(ElementSet.norad_id))
        candidates = before.union_all(after).subquery()
        query = (select(ElementSet.norad_id, ElementSet.epoch, ElementSet.line1, ElementSet.line2, SpaceObject.name)
                 .join(candidates, (ElementSet.norad_id == candidates.c.norad_id)
                       & (ElementSet.epoch == candidates.c.epoch))
                 .join(SpaceObject, SpaceObject.norad_id == ElementSet.norad_id))
        if status:
            query = query.where(SpaceObject.status == status)
        with self.engine.connect() as connection:
            sets = pd.DataFrame(connection.execute(query).all(),
                                columns=["norad_id", "epoch", "line1", "line2", "name"])
        source = f"catalogue store, element sets nearest {when:%Y-%m-%dT%H:%M:%SZ}"
        if sets.empty:
            return Catalog.from_records([], source=source)
        sets["distance"] = (pd.to_datetime(sets.epoch) - pd.Timestamp(when)).abs()
        nearest = sets.sort_values(["norad_id", "distance"]).groupby("norad_id").head(1)
        return _catalog_of([(r.line1, r.line2, r.name) for r in nearest.itertuples()], source=source)

    def _catalog_as_of(self, when: datetime) -> Catalog:
        known = (select(ElementSet.norad_id, ElementSet.epoch, ElementSet.line1, ElementSet.line2,
                        ElementSet.ingest_id)
                 .join(Ingest, Ingest.id == ElementSet.ingest_id)
                 .where(Ingest.started_at <= when, Ingest.undone_at.is_(None)))
        ended = (select(Change.norad_id, func.max(Change.ingest_id).label("ingest_id"))
                 .join(Ingest, Ingest.id == Change.ingest_id)
                 .where(Ingest.started_at <= when, Ingest.undone_at.is_(None), Change.change.in_(("gone", "decayed")))
                 .group_by(Change.norad_id))
        with self.engine.connect() as connection:
            sets = pd.DataFrame(connection.execute(known).all(),
                                columns=["norad_id", "epoch", "line1", "line2", "ingest_id"])
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


def _catalog_of(rows, *, source: str = "catalogue store") -> Catalog:
    """A Catalog of (line1, line2, name) rows (one element set per object)."""
    seen, records = set(), []
    for line1, line2, name in rows:
        record = parse_tle_pair(line1, line2)
        if record.norad_id not in seen:  # two sets at the very same epoch: keep one
            seen.add(record.norad_id)
            records.append(ElementRecord(**{**record.__dict__, "name": name}))
    return Catalog.from_records(records, source=source, from_tle=True)


SATCAT_COLUMNS = {"OBJECT_NAME": "object_name", "OBJECT_ID": "object_id", "NORAD_CAT_ID": "norad_id",
                  "OBJECT_TYPE": "object_type", "OPS_STATUS_CODE": "ops_status", "OWNER": "owner",
                  "LAUNCH_DATE": "launch_date", "LAUNCH_SITE": "launch_site", "DECAY_DATE": "decay_date",
                  "RCS": "rcs_m2", "ORBIT_CENTER": "orbit_center", "ORBIT_TYPE": "orbit_type"}
SATCAT_LIMITS = {"object_name": 64, "object_id": 16, "object_type": 8, "ops_status": 4, "owner": 16,
                 "launch_date": 10, "launch_site": 16, "decay_date": 10, "orbit_center": 8, "orbit_type": 8}


def parse_satcat_csv(text_: str | bytes, *, source: str = "satcat") -> tuple[list[dict], list[str]]:
    """Records of a CelesTrak SATCAT CSV and one line per rejected record."""
    import csv
    import io

    text_ = text_.decode("utf-8", errors="replace") if isinstance(text_, bytes) else text_
    reader = csv.DictReader(io.StringIO(text_, newline=""))
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise IngestRefusedError(f"{source}: not a CSV ({exc}); nothing changed") from None
    if not fieldnames or not {"NORAD_CAT_ID", "OBJECT_TYPE"} <= set(fieldnames):
        raise IngestRefusedError(f"{source}: not a SATCAT CSV (needs NORAD_CAT_ID and OBJECT_TYPE columns); "
                                 "nothing changed")
    rows, rejects = [], []
    try:
        raws = list(reader)
    except csv.Error as exc:
        raise IngestRefusedError(f"{source}, line {reader.line_num}: not a CSV ({exc}); nothing changed") from None
    for number, raw in enumerate(raws, start=2):
        try:
            record: dict[str, object] = {}
            for column, name in SATCAT_COLUMNS.items():
                value = (raw.get(column) or "").strip()
                if name == "norad_id":
                    norad_id = int(value)
                    if not 0 < norad_id < 1_000_000_000:
                        raise ValueError(f"NORAD_CAT_ID {value!r} out of range")
                    record[name] = norad_id
                elif name == "rcs_m2":
                    rcs = float(value) if value else None
                    if rcs is not None and not 0 <= rcs < 1e6:
                        raise ValueError(f"RCS {value!r} is not a cross-section in m²")
                    record[name] = rcs
                else:
                    if len(value) > SATCAT_LIMITS[name]:
                        raise ValueError(f"{column} longer than {SATCAT_LIMITS[name]} characters")
                    if not value.isprintable():  # the element-set readers' name rule (name_problem)
                        raise ValueError(f"{column} has control characters")
                    record[name] = value
            rows.append(record)
        except (TypeError, ValueError) as exc:
            rejects.append(f"{source}, line {number}: {exc}")
    return rows, rejects


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=120000")  # a second ingest waits for the first
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _expand(paths) -> list[Path]:
    if isinstance(paths, str | Path):
        paths = [paths]
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in (".tle", ".txt", ".json", ".csv", ".xml",
                                                                               ".kvn", ".3le"))
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"no element-set file or folder at {path}")
    if not files:
        raise OverheadError("nothing to ingest: no element-set files found")
    return files


def _read_snapshot(blobs: list[tuple[bytes, str]]) -> _Snapshot:
    """Parse every file of an ingest into distinct storable element sets, with its hash and completeness."""
    records, rejects, notes, truncated = [], [], [], []
    digest, size = hashlib.sha256(), 0
    for data, source in blobs:
        digest.update(data)
        size += len(data)
        text_ = data.decode("utf-8", errors="replace")
        try:
            found, bad, fmt = read_records(text_, source=source)
        except ElementSetError as exc:
            # the whole file is unreadable (JSON or XML that does not parse): no record can be trusted
            raise IngestRefusedError(f"ingest refused, nothing changed: {exc}; is it an element-set file "
                                     f"(TLE or OMM)?") from None
        records += found
        rejects += bad
        if last_record_rejected(text_, fmt, len(found), bad):
            truncated.append(f"the last record of {source} was rejected: a truncated file?")
    unattributed = sum(r.norad_id is None for r in rejects)
    if unattributed:
        notes.append(f"{unattributed:,} rejected record(s) name no object")
    # one row per distinct element set, keyed by its canonical TLE lines
    rows: dict[str, tuple[ElementRecord, tuple[str, str]]] = {}
    for record in records:
        try:
            lines = format_tle(record)
            parse_tle_pair(*lines)
        except (ValueError, ElementSetError) as exc:
            rejects.append(ElementSetError(f"cannot be stored as a TLE: {exc}", norad_id=record.norad_id))
            continue
        rows.setdefault(_fingerprint(lines), (record, lines))
    notes = truncated + notes
    return _Snapshot(rows, rejects, len(records), digest.hexdigest(), size, not notes, "; ".join(notes),
                     "; ".join(truncated))


TAG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"  # a tag's spelling (the API's path checks the same)
_TAG = re.compile(TAG_PATTERN)


def _tag_name(tag: str) -> str:
    """A tag as stored: letters, digits, '.', '_', '-' (64 at most); anything else is refused."""
    if not _TAG.match(str(tag)):
        raise OverheadError(f"tag {str(tag)[:80]!r}: use letters, digits, '.', '_' or '-' (at most 64), e.g. "
                            f"optical-imaging")
    return str(tag)


def _latest_ingests(group: str | None = None):
    """The latest ingest (not undone) of each group, or of one."""
    latest = select(func.max(Ingest.id)).where(Ingest.undone_at.is_(None))
    return latest.where(Ingest.group_name == group) if group is not None else latest.group_by(Ingest.group_name)


def _members_query(group: str):
    """NORAD ids of a group's members: those its latest ingest reported."""
    return select(GroupMember.norad_id).where(GroupMember.ingest_id.in_(_latest_ingests(group)))


def _refuse_shrink(connection, snapshot: _Snapshot, group: str, *, allow_shrink: bool, min_share: float) -> None:
    """Raise IngestRefusedError (before anything is written) for an ingest with no valid record, a truncated file,
    or one that reports fewer objects than ``min_share`` of those its group holds."""
    objects = len({record.norad_id for record, _ in snapshot.rows.values()})
    held = connection.execute(select(func.count()).select_from(SpaceObject)
                              .where(SpaceObject.norad_id.in_(_members_query(group)),
                                     SpaceObject.status == "active")).scalar_one()
    read = (f"{snapshot.bytes:,} bytes gave {objects:,} objects with valid element sets "
            f"({len(snapshot.rejects):,} records rejected)")
    if objects == 0:  # whatever allow_shrink says: accepting nothing would empty the group
        raise IngestRefusedError(f"ingest refused, nothing changed: {read}; is it an element-set file (TLE or OMM)? "
                                 f"An ingest must hold at least one valid element set")
    if not allow_shrink and snapshot.truncated:
        raise IngestRefusedError(f"ingest refused, nothing changed: {read}; {snapshot.truncated}. Fetch the file "
                                 f"again, or ingest it with --allow-shrink (then nothing is concluded gone)")
    if not allow_shrink and objects < min_share * held:
        raise IngestRefusedError(f"ingest refused, nothing changed: {read}, but group {group!r} holds {held:,} "
                                 f"active objects (less than {min_share:.0%} of them): a partial download or the "
                                 f"wrong file? If the group really shrank, ingest again with --allow-shrink")


def _latest_records(rows: dict) -> dict[int, ElementRecord]:
    """The latest element set of each object among an ingest's rows."""
    latest: dict[int, ElementRecord] = {}
    for record, _ in rows.values():
        if record.norad_id not in latest or record.epoch > latest[record.norad_id].epoch:
            latest[record.norad_id] = record
    return latest


def _object_rows(connection, ids: list[int]) -> dict:
    known = {}
    for k in range(0, len(ids), BATCH):
        for row in connection.execute(select(*object_state_columns())
                                      .where(SpaceObject.norad_id.in_(ids[k:k + BATCH]))):
            known[row.norad_id] = row
    return known


def _record_revisions(connection, ingest_id: int, created: list[int], previous: list) -> None:
    """Keep the rows an ingest is about to change (and the ids it adds), for :meth:`CatalogStore.undo`."""
    rows = [{"ingest_id": ingest_id, "norad_id": n, "created": True, **dict.fromkeys(OBJECT_STATE)} for n in created]
    rows += [{"ingest_id": ingest_id, "norad_id": r.norad_id, "created": False,
              **{c: getattr(r, c) for c in OBJECT_STATE}} for r in previous]
    for k in range(0, len(rows), BATCH):
        connection.execute(insert(ObjectRevision), rows[k:k + BATCH])


def _object_row(record: ElementRecord, group: str, now: datetime, ingest_id: int) -> dict:
    return {"norad_id": record.norad_id, "name": record.name, "object_id": record.object_id,
            "launch": record.object_id[:8], "group_name": group, "status": "active", "first_seen": now,
            "last_seen": now, "last_ingest_id": ingest_id, "last_epoch": _naive(record.epoch)}


def _element_row(fingerprint: str, record: ElementRecord, lines: tuple[str, str], ingest_id: int) -> dict:
    return {"fingerprint": fingerprint, "norad_id": record.norad_id, "epoch": _naive(record.epoch),
            "ingest_id": ingest_id, "line1": lines[0], "line2": lines[1],
            "mean_motion_rev_per_day": record.mean_motion_rev_per_day, "eccentricity": record.eccentricity,
            "inclination_deg": record.inclination_deg, "raan_deg": record.raan_deg, "bstar": record.bstar}

