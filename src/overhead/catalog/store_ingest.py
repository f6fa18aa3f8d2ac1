"""The catalogue store's ingestion: one transaction per snapshot, refused where it would destroy (see
:mod:`overhead.catalog.store`), SATCAT records beside it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.engine import Engine

from overhead.catalog.changes import detect_changes, reported_objects
from overhead.catalog.changes import naive_utc as _naive
from overhead.catalog.models import (
    OBJECT_STATE,
    Change,
    ElementSet,
    GroupMember,
    Ingest,
    ObjectRevision,
    SatcatRecord,
    SpaceObject,
    object_state_columns,
)
from overhead.errors import ElementSetError, IngestRefusedError, OverheadError
from overhead.orbits.elements import last_record_rejected, read_records
from overhead.orbits.records import ElementRecord
from overhead.orbits.tle import format_tle, parse_tle_pair

BATCH = 2_000


INGEST_LOCK_KEY = 4_242_001  # PostgreSQL advisory lock serialising ingests


MIN_SHARE = 0.5  # an ingest reading fewer objects than this share of its group's is refused


# gone/decayed are concluded only when a snapshot leaves out at most this share of its group's active objects (or
# MISSING_ALLOWANCE of them): CelesTrak's active group loses 2-3 % between snapshots months apart (403 of 12,801
# from October 2025 to March 2026, 320 of 14,710 to July), a file cut at a record boundary loses far more
MISSING_MAX_SHARE = 0.1


MISSING_ALLOWANCE = 8  # a small group's ordinary churn (a docked vehicle leaving the stations group)


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
        text_ = (
            f"ingest {self.ingest_id}: {self.records:,} element sets read — {self.new_sets:,} new, "
            f"{self.unchanged_sets:,} already stored, {len(self.rejected):,} rejected; {self.new_objects:,} new "
            f"objects, {self.updated_objects:,} updated; {found}"
        )
        if not self.complete:
            text_ += f"\nincomplete snapshot ({self.note}): no object was concluded gone or decayed"
        return (
            text_ + f"\n{self.bytes:,} bytes, sha256 {self.sha256[:16]}…; undo with `overhead catalog undo "
            f"{self.ingest_id}`"
        )


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


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _fingerprint(lines: tuple[str, str]) -> str:
    return hashlib.sha1(f"{lines[0]}\n{lines[1]}".encode()).hexdigest()


SATCAT_COLUMNS = {
    "OBJECT_NAME": "object_name",
    "OBJECT_ID": "object_id",
    "NORAD_CAT_ID": "norad_id",
    "OBJECT_TYPE": "object_type",
    "OPS_STATUS_CODE": "ops_status",
    "OWNER": "owner",
    "LAUNCH_DATE": "launch_date",
    "LAUNCH_SITE": "launch_site",
    "DECAY_DATE": "decay_date",
    "RCS": "rcs_m2",
    "ORBIT_CENTER": "orbit_center",
    "ORBIT_TYPE": "orbit_type",
}


SATCAT_LIMITS = {
    "object_name": 64,
    "object_id": 16,
    "object_type": 8,
    "ops_status": 4,
    "owner": 16,
    "launch_date": 10,
    "launch_site": 16,
    "decay_date": 10,
    "orbit_center": 8,
    "orbit_type": 8,
}


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
        raise IngestRefusedError(
            f"{source}: not a SATCAT CSV (needs NORAD_CAT_ID and OBJECT_TYPE columns); nothing changed"
        )
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


def _expand(paths) -> list[Path]:
    if isinstance(paths, str | Path):
        paths = [paths]
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(
                p
                for p in path.iterdir()
                if p.suffix.lower() in (".tle", ".txt", ".json", ".csv", ".xml", ".kvn", ".3le")
            )
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
            raise IngestRefusedError(
                f"ingest refused, nothing changed: {exc}; is it an element-set file (TLE or OMM)?"
            ) from None
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
    return _Snapshot(
        rows, rejects, len(records), digest.hexdigest(), size, not notes, "; ".join(notes), "; ".join(truncated)
    )


def latest_ingests_query(group: str | None = None):
    """The latest ingest (not undone) of each group, or of one."""
    latest = select(func.max(Ingest.id)).where(Ingest.undone_at.is_(None))
    return latest.where(Ingest.group_name == group) if group is not None else latest.group_by(Ingest.group_name)


def _refuse_shrink(connection, snapshot: _Snapshot, group: str, *, allow_shrink: bool, min_share: float) -> None:
    """Raise IngestRefusedError (before anything is written) for an ingest with no valid record, a truncated file,
    or one that reports fewer objects than ``min_share`` of those its group holds."""
    objects = len({record.norad_id for record, _ in snapshot.rows.values()})
    held = connection.execute(
        select(func.count())
        .select_from(SpaceObject)
        .where(SpaceObject.norad_id.in_(group_members_query(group)), SpaceObject.status == "active")
    ).scalar_one()
    read = (
        f"{snapshot.bytes:,} bytes gave {objects:,} objects with valid element sets "
        f"({len(snapshot.rejects):,} records rejected)"
    )
    if objects == 0:  # whatever allow_shrink says: accepting nothing would empty the group
        raise IngestRefusedError(
            f"ingest refused, nothing changed: {read}; is it an element-set file (TLE or OMM)? "
            f"An ingest must hold at least one valid element set"
        )
    if not allow_shrink and snapshot.truncated:
        raise IngestRefusedError(
            f"ingest refused, nothing changed: {read}; {snapshot.truncated}. Fetch the file "
            f"again, or ingest it with --allow-shrink (then nothing is concluded gone)"
        )
    if not allow_shrink and objects < min_share * held:
        raise IngestRefusedError(
            f"ingest refused, nothing changed: {read}, but group {group!r} holds {held:,} "
            f"active objects (less than {min_share:.0%} of them): a partial download or the "
            f"wrong file? If the group really shrank, ingest again with --allow-shrink"
        )


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
        for row in connection.execute(
            select(*object_state_columns()).where(SpaceObject.norad_id.in_(ids[k : k + BATCH]))
        ):
            known[row.norad_id] = row
    return known


def _record_revisions(connection, ingest_id: int, created: list[int], previous: list) -> None:
    """Keep the rows an ingest is about to change (and the ids it adds), for :meth:`CatalogStore.undo`."""
    rows = [{"ingest_id": ingest_id, "norad_id": n, "created": True, **dict.fromkeys(OBJECT_STATE)} for n in created]
    rows += [
        {"ingest_id": ingest_id, "norad_id": r.norad_id, "created": False, **{c: getattr(r, c) for c in OBJECT_STATE}}
        for r in previous
    ]
    for k in range(0, len(rows), BATCH):
        connection.execute(insert(ObjectRevision), rows[k : k + BATCH])


def _object_row(record: ElementRecord, group: str, now: datetime, ingest_id: int) -> dict:
    return {
        "norad_id": record.norad_id,
        "name": record.name,
        "object_id": record.object_id,
        "launch": record.object_id[:8],
        "group_name": group,
        "status": "active",
        "first_seen": now,
        "last_seen": now,
        "last_ingest_id": ingest_id,
        "last_epoch": _naive(record.epoch),
    }


def _element_row(fingerprint: str, record: ElementRecord, lines: tuple[str, str], ingest_id: int) -> dict:
    return {
        "fingerprint": fingerprint,
        "norad_id": record.norad_id,
        "epoch": _naive(record.epoch),
        "ingest_id": ingest_id,
        "line1": lines[0],
        "line2": lines[1],
        "mean_motion_rev_per_day": record.mean_motion_rev_per_day,
        "eccentricity": record.eccentricity,
        "inclination_deg": record.inclination_deg,
        "raan_deg": record.raan_deg,
        "bstar": record.bstar,
    }


def group_members_query(group: str):
    """NORAD ids of a group's members: those its latest ingest reported."""
    return select(GroupMember.norad_id).where(GroupMember.ingest_id.in_(latest_ingests_query(group)))


class StoreIngest:
    """Ingest element-set files and SATCAT records into the store."""

    engine: Engine

    # ------------------------------------------------------------------------------------------ ingestion
    def ingest(
        self, paths, *, group: str | None = None, allow_shrink: bool = False, min_share: float = MIN_SHARE
    ) -> IngestReport:
        """Ingest TLE/OMM files (or folders of them) as one transaction; returns what was found.

        ``group`` names the snapshot series (default: the first file's stem, e.g. ``active``): objects reported
        by the previous ingest of the group and missing from this complete one are reported gone (or decayed).
        An ingest reading no valid element set, or fewer objects than ``min_share`` of those the group holds, is
        refused (:class:`IngestRefusedError`, nothing changed) unless ``allow_shrink``.
        """
        files = _expand(paths)
        blobs = [(path.read_bytes(), str(path)) for path in files]
        return self._ingest_blobs(
            blobs, group or files[0].stem, "; ".join(map(str, files)), allow_shrink=allow_shrink, min_share=min_share
        )

    def ingest_text(
        self,
        text_: str | bytes,
        *,
        source: str = "upload",
        group: str = "upload",
        allow_shrink: bool = False,
        min_share: float = MIN_SHARE,
    ) -> IngestReport:
        """Ingest the TLE/OMM text of one file (an upload) as one transaction, like :meth:`ingest`."""
        data = text_.encode("utf-8", errors="replace") if isinstance(text_, str) else bytes(text_)
        return self._ingest_blobs([(data, source)], group, source, allow_shrink=allow_shrink, min_share=min_share)

    def _ingest_blobs(
        self, blobs: list[tuple[bytes, str]], group: str, sources: str, *, allow_shrink: bool, min_share: float
    ) -> IngestReport:
        snapshot = _read_snapshot(blobs)
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})
            _refuse_shrink(connection, snapshot, group, allow_shrink=allow_shrink, min_share=min_share)
            return self._ingest_locked(connection, snapshot, sources, group, allow_shrink=allow_shrink)

    def _ingest_locked(
        self, connection, snapshot: _Snapshot, source: str, group: str, *, allow_shrink: bool = False
    ) -> IngestReport:
        now = utc_now()
        rows, rejects = snapshot.rows, snapshot.rejects
        latest = _latest_records(rows)
        missing = _missing_objects(connection, snapshot, group, latest, allow_shrink)
        ingest_id = connection.execute(
            insert(Ingest)
            .values(
                source=source,
                group_name=group,
                started_at=now,
                records=snapshot.records,
                rejected=len(rejects),
                sha256=snapshot.sha256,
                bytes=snapshot.bytes,
                complete=snapshot.complete,
                note=snapshot.note,
            )
            .returning(Ingest.id)
        ).scalar_one()
        fresh = _fresh_sets(connection, rows)
        ids = list(latest)
        known = _object_rows(connection, ids)
        new_ids = [n for n in ids if n not in known]
        _record_revisions(connection, ingest_id, new_ids, list(known.values()) + missing)
        _store_objects(connection, latest, known, new_ids, group, now, ingest_id)
        for k in range(0, len(ids), BATCH):
            connection.execute(
                insert(GroupMember), [{"ingest_id": ingest_id, "norad_id": n} for n in ids[k : k + BATCH]]
            )
        for k in range(0, len(fresh), BATCH):
            connection.execute(
                insert(ElementSet),
                [_element_row(fp, record, lines, ingest_id) for fp, record, lines in fresh[k : k + BATCH]],
            )
        returning = {n: known[n].status for n in ids if n in known and known[n].status != "active"}
        changes = detect_changes(
            connection,
            new_ids=new_ids,
            latest=latest,
            missing=missing,
            fresh=[(r, fp) for fp, r, _ in fresh],
            returning=returning,
        )
        _store_changes(connection, changes, ingest_id)
        updated = len({r.norad_id for _, r, _ in fresh} - set(new_ids))
        connection.execute(
            update(Ingest)
            .where(Ingest.id == ingest_id)
            .values(
                finished_at=utc_now(),
                new_sets=len(fresh),
                unchanged_sets=len(rows) - len(fresh),
                new_objects=len(new_ids),
                updated_objects=updated,
            )
        )
        return IngestReport(
            ingest_id,
            snapshot.records,
            len(fresh),
            len(rows) - len(fresh),
            len(new_ids),
            updated,
            rejects,
            changes,
            snapshot.sha256,
            snapshot.bytes,
            snapshot.complete,
            snapshot.note,
        )

    # ------------------------------------------------------------------------------------------- SATCAT
    def ingest_satcat(self, text_: str | bytes, *, source: str = "satcat") -> dict[str, int]:
        """Store the records of a SATCAT CSV (CelesTrak's columns), one transaction; returns counts.

        A file without the SATCAT columns, or in which no record is readable, is refused and changes nothing;
        one bad record is one reject.
        """
        rows, rejects = parse_satcat_csv(text_, source=source)
        if not rows:
            raise IngestRefusedError(f"{source}: no readable SATCAT record ({len(rejects)} rejected); nothing changed")
        now = _naive(utc_now())
        with self.engine.begin() as connection:
            ids = [r["norad_id"] for r in rows]
            for start in range(0, len(ids), 900):
                connection.execute(delete(SatcatRecord).where(SatcatRecord.norad_id.in_(ids[start : start + 900])))
            connection.execute(insert(SatcatRecord), [r | {"updated_at": now} for r in rows])
        return {"records": len(rows), "rejected": len(rejects)}


def _missing_objects(connection, snapshot: _Snapshot, group: str, latest: dict, allow_shrink: bool) -> list:
    """The objects the group's previous ingest reported that this complete snapshot leaves out (none when it is
    not complete). Too many missing marks the snapshot incomplete instead: a file cut short at a record boundary
    must not conclude a thousand objects gone."""
    previous_ingest = connection.execute(latest_ingests_query(group)).scalar()
    if previous_ingest is None or not snapshot.complete:
        return []
    protected = {r.norad_id for r in snapshot.rejects if r.norad_id is not None}
    held = reported_objects(connection, previous_ingest, group)
    present = set(latest) | protected
    missing = [row for row in held if row.norad_id not in present]
    if not allow_shrink and len(missing) > max(MISSING_ALLOWANCE, MISSING_MAX_SHARE * len(held)):
        snapshot.complete = False
        snapshot.note = (
            f"it leaves out {len(missing):,} of the group's {len(held):,} active objects (over "
            f"{MISSING_MAX_SHARE:.0%}): cut short at a record boundary? Nothing concluded gone "
            f"(ingest with --allow-shrink if the group really shrank)"
        )
        return []
    return missing


def _fresh_sets(connection, rows: dict) -> list[tuple]:
    """``(fingerprint, record, lines)`` of the element sets the store does not hold yet."""
    fingerprints = list(rows)
    stored = set()
    for k in range(0, len(fingerprints), BATCH):
        batch = fingerprints[k : k + BATCH]
        stored.update(
            connection.execute(select(ElementSet.fingerprint).where(ElementSet.fingerprint.in_(batch))).scalars()
        )
    return [(fp, *rows[fp]) for fp in fingerprints if fp not in stored]


def _store_objects(connection, latest: dict, known: dict, new_ids: list[int], group: str, now, ingest_id: int) -> None:
    """Insert the new objects and bring the known ones up to this ingest (name, designator, group, last seen)."""
    if new_ids:
        connection.execute(insert(SpaceObject), [_object_row(latest[n], group, now, ingest_id) for n in new_ids])
    updates = [
        {
            "key": n,
            "name": latest[n].name,
            "object_id": latest[n].object_id,
            "launch": latest[n].object_id[:8],
            "group_name": group,
            "status": "active",
            "last_seen": now,
            "last_ingest_id": ingest_id,
            "last_epoch": max(_naive(latest[n].epoch), known[n].last_epoch),
        }
        for n in latest
        if n in known
    ]
    if updates:
        connection.execute(
            update(SpaceObject)
            .where(SpaceObject.norad_id == bindparam("key"))
            .values(
                name=bindparam("name"),
                object_id=bindparam("object_id"),
                launch=bindparam("launch"),
                group_name=bindparam("group_name"),
                status=bindparam("status"),
                last_seen=bindparam("last_seen"),
                last_ingest_id=bindparam("last_ingest_id"),
                last_epoch=bindparam("last_epoch"),
            ),
            updates,
        )


def _store_changes(connection, changes, ingest_id: int) -> None:
    """Record the changes the ingest found, and end the objects it found gone or decayed."""
    for kind in ("gone", "decayed"):
        ended = changes.norad_id[changes.change == kind].tolist()
        if ended:
            connection.execute(update(SpaceObject).where(SpaceObject.norad_id.in_(ended)).values(status=kind))
    if len(changes):
        connection.execute(insert(Change), changes.assign(ingest_id=ingest_id).to_dict("records"))
