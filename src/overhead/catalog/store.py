"""The catalog store: SQLite in the user's data directory by default, PostgreSQL by URL.

Ingestion is one transaction (an interrupted ingest leaves the store as it was), idempotent (an element set is
stored once, by the fingerprint of its canonical TLE lines) and serialised (SQLite's write lock taken at the
start, a PostgreSQL advisory lock): a second ingest started meanwhile waits for the first.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, create_engine, event, func, insert, select, text, update
from sqlalchemy.engine import Engine

from overhead._resources import user_data_dir
from overhead.catalog.changes import detect_changes
from overhead.catalog.changes import naive_utc as _naive
from overhead.catalog.models import Change, ElementSet, Ingest, SpaceObject
from overhead.errors import ElementSetError, OverheadError
from overhead.orbits.catalog import Catalog
from overhead.orbits.elements import read_records, read_text
from overhead.orbits.records import ElementRecord
from overhead.orbits.tle import format_tle, parse_tle_pair

__all__ = ["CatalogStore", "IngestReport", "default_url"]

BATCH = 2_000
INGEST_LOCK_KEY = 4_242_001  # PostgreSQL advisory lock serialising ingests
TEST_PAUSE_ENV = "OVERHEAD_TEST_INGEST_PAUSE_S"  # tests: sleep inside the transaction, to be killed there


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

    def text(self) -> str:
        counts = self.changes.change.value_counts().to_dict() if len(self.changes) else {}
        found = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "no changes"
        return (f"ingest {self.ingest_id}: {self.records:,} element sets read — {self.new_sets:,} new, "
                f"{self.unchanged_sets:,} already stored, {len(self.rejected):,} rejected; {self.new_objects:,} new "
                f"objects, {self.updated_objects:,} updated; {found}")


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _fingerprint(lines: tuple[str, str]) -> str:
    return hashlib.sha1(f"{lines[0]}\n{lines[1]}".encode()).hexdigest()


class CatalogStore:
    """A persistent catalog at ``url`` (default: SQLite in the user's data directory)."""

    def __init__(self, url: str | None = None):
        self.url = url or os.environ.get("OVERHEAD_DB") or default_url()
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(self.url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        self.migrate()

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
    def ingest(self, paths, *, group: str | None = None) -> IngestReport:
        """Ingest TLE/OMM files (or folders of them) as one transaction; returns what was found.

        ``group`` names the snapshot series (default: the first file's stem, e.g. ``active``): objects reported
        by the previous ingest of the group and missing from this one are reported gone (or decayed).
        """
        files = _expand(paths)
        return self._ingest_texts([read_text(path) for path in files], group or files[0].stem,
                                  "; ".join(map(str, files)))

    def ingest_text(self, text_: str, *, source: str = "upload", group: str = "upload") -> IngestReport:
        """Ingest the TLE/OMM text of one file (an upload) as one transaction, like :meth:`ingest`."""
        return self._ingest_texts([(text_, source)], group, source)

    def _ingest_texts(self, texts: list[tuple[str, str]], group: str, sources: str) -> IngestReport:
        records, rejects = [], []
        for text_, source in texts:
            found, bad, _ = read_records(text_, source=source)
            records += found
            rejects += bad
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
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})
            return self._ingest_locked(connection, rows, rejects, sources, group, len(records))

    def _ingest_locked(self, connection, rows, rejects, source: str, group: str, n_records: int) -> IngestReport:
        now = _utc_now()
        previous_ingest = connection.execute(
            select(func.max(Ingest.id)).where(Ingest.group_name == group)).scalar()
        ingest_id = connection.execute(insert(Ingest).values(source=source, group_name=group, started_at=now,
                                                             records=n_records, rejected=len(rejects))
                                       .returning(Ingest.id)).scalar_one()
        fingerprints = list(rows)
        stored = set()
        for k in range(0, len(fingerprints), BATCH):
            batch = fingerprints[k:k + BATCH]
            stored.update(connection.execute(select(ElementSet.fingerprint)
                                             .where(ElementSet.fingerprint.in_(batch))).scalars())
        fresh = [(fp, *rows[fp]) for fp in fingerprints if fp not in stored]
        # objects: the latest element set of each object in this ingest
        latest: dict[int, ElementRecord] = {}
        for record, _ in rows.values():
            if record.norad_id not in latest or record.epoch > latest[record.norad_id].epoch:
                latest[record.norad_id] = record
        known = {}
        ids = list(latest)
        for k in range(0, len(ids), BATCH):
            for row in connection.execute(select(SpaceObject.norad_id, SpaceObject.last_epoch, SpaceObject.status)
                                          .where(SpaceObject.norad_id.in_(ids[k:k + BATCH]))):
                known[row.norad_id] = row
        new_ids = [n for n in ids if n not in known]
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
        for k in range(0, len(fresh), BATCH):
            connection.execute(insert(ElementSet), [_element_row(fp, record, lines, ingest_id)
                                                    for fp, record, lines in fresh[k:k + BATCH]])
        changes = detect_changes(connection, ingest_id=ingest_id, previous_ingest_id=previous_ingest, group=group,
                                 new_ids=new_ids, latest=latest, fresh=[(r, fp) for fp, r, _ in fresh])
        if len(changes):
            connection.execute(insert(Change), changes.assign(ingest_id=ingest_id).to_dict("records"))
        pause = float(os.environ.get(TEST_PAUSE_ENV, "0") or 0)
        if pause:
            time.sleep(pause)  # tests kill the process here, inside the transaction
        updated = len({r.norad_id for _, r, _ in fresh} - set(new_ids))
        connection.execute(update(Ingest).where(Ingest.id == ingest_id).values(
            finished_at=_utc_now(), new_sets=len(fresh), unchanged_sets=len(rows) - len(fresh),
            new_objects=len(new_ids), updated_objects=updated))
        return IngestReport(ingest_id, n_records, len(fresh), len(rows) - len(fresh), len(new_ids), updated,
                            rejects, changes)

    # ------------------------------------------------------------------------------------------ queries
    def changes(self, since=None) -> pd.DataFrame:
        """Changes found by ingests made after ``since`` (default: by the last ingest)."""
        with self.engine.connect() as connection:
            query = select(Change.norad_id, Change.name, Change.object_id, Change.change, Change.time, Change.detail,
                           Change.confidence, Change.ingest_id).join(Ingest, Ingest.id == Change.ingest_id)
            if since is None:
                last = connection.execute(select(func.max(Ingest.id))).scalar()
                query = query.where(Change.ingest_id == last)
            else:
                query = query.where(Ingest.started_at > _naive(since))
            return pd.DataFrame(connection.execute(query.order_by(Change.change, Change.norad_id)).mappings().all(),
                                columns=["norad_id", "name", "object_id", "change", "time", "detail", "confidence",
                                         "ingest_id"])

    def history(self, norad_id: int) -> pd.DataFrame:
        """Every stored element set of one object, by epoch."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(ElementSet.epoch, ElementSet.mean_motion_rev_per_day,
                                             ElementSet.eccentricity, ElementSet.inclination_deg, ElementSet.raan_deg,
                                             ElementSet.bstar, ElementSet.line1, ElementSet.line2, ElementSet.ingest_id)
                                      .where(ElementSet.norad_id == int(norad_id)).order_by(ElementSet.epoch))
            table = pd.DataFrame(rows.mappings().all())
        if table.empty:
            raise OverheadError(f"no element sets of NORAD {norad_id} in the store {self.url}")
        return table

    def objects(self) -> pd.DataFrame:
        """Every object with its status (active, gone, decayed), designator and first/last report."""
        with self.engine.connect() as connection:
            return pd.DataFrame(connection.execute(select(SpaceObject.__table__)).mappings().all())

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
        growth = np.where(table.mean_motion_rev_per_day > 11.0, 2.0, 0.5)
        table["expected_error_km"] = 1.0 + growth * table.age_days.abs()
        table["too_old"] = table.expected_error_km > accuracy_km
        return table.drop(columns="mean_motion_rev_per_day").sort_values("age_days", ascending=False,
                                                                         ignore_index=True)

    def latest_catalog(self, *, status: str | None = "active") -> Catalog:
        """The newest element set of every object (``status`` active by default) as a Catalog."""
        newest = (select(ElementSet.norad_id, func.max(ElementSet.epoch).label("epoch"))
                  .group_by(ElementSet.norad_id).subquery())
        query = (select(ElementSet.line1, ElementSet.line2, SpaceObject.name)
                 .join(newest, (ElementSet.norad_id == newest.c.norad_id) & (ElementSet.epoch == newest.c.epoch))
                 .join(SpaceObject, SpaceObject.norad_id == ElementSet.norad_id))
        if status:
            query = query.where(SpaceObject.status == status)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(ElementSet.norad_id)).all()
        seen, records = set(), []
        for line1, line2, name in rows:
            record = parse_tle_pair(line1, line2)
            if record.norad_id not in seen:  # two sets at the very same epoch: keep one
                seen.add(record.norad_id)
                records.append(ElementRecord(**{**record.__dict__, "name": name}))
        return Catalog.from_records(records, source=f"store {self.url}", from_tle=True)


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


def _object_row(record: ElementRecord, group: str, now: datetime, ingest_id: int) -> dict:
    return {"norad_id": record.norad_id, "name": record.name, "object_id": record.object_id,
            "launch": record.object_id[:8], "group_name": group, "status": "active", "first_seen": now,
            "last_seen": now, "last_ingest_id": ingest_id, "last_epoch": _naive(record.epoch)}


def _element_row(fingerprint: str, record: ElementRecord, lines: tuple[str, str], ingest_id: int) -> dict:
    return {"fingerprint": fingerprint, "norad_id": record.norad_id, "epoch": _naive(record.epoch),
            "ingest_id": ingest_id, "line1": lines[0], "line2": lines[1],
            "mean_motion_rev_per_day": record.mean_motion_rev_per_day, "eccentricity": record.eccentricity,
            "inclination_deg": record.inclination_deg, "raan_deg": record.raan_deg, "bstar": record.bstar}

