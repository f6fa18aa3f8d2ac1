"""Tables of the catalog store (SQLAlchemy 2). Times are naive UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# the columns of an object's row that an ingest changes (and undo restores)
OBJECT_STATE = (
    "name",
    "object_id",
    "launch",
    "group_name",
    "status",
    "first_seen",
    "last_seen",
    "last_ingest_id",
    "last_epoch",
)


class Base(DeclarativeBase):
    pass


class SpaceObject(Base):
    """One catalogued object: its latest name and designator, when it was first and last reported."""

    __tablename__ = "objects"

    norad_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64), default="")
    object_id: Mapped[str] = mapped_column(String(16), default="", index=True)
    launch: Mapped[str] = mapped_column(String(16), default="", index=True)  # "2026-045" of "2026-045A"
    group_name: Mapped[str] = mapped_column(String(64), default="", index=True)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)  # active | gone | decayed
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    last_ingest_id: Mapped[int] = mapped_column(Integer, index=True)
    last_epoch: Mapped[datetime] = mapped_column(DateTime)


ID_CHUNK = 2000  # NORAD ids per IN (...) clause: within every database's bound on query parameters


def element_set_rows(connection, norad_ids, columns: tuple[str, ...], *, since: datetime | None = None) -> list:
    """The ``columns`` of every stored element set of ``norad_ids`` (with an epoch from ``since`` on), asked in
    chunks of :data:`ID_CHUNK` ids."""
    ids, rows = [int(n) for n in norad_ids], []
    for k in range(0, len(ids), ID_CHUNK):
        query = select(*(getattr(ElementSet, c) for c in columns)).where(ElementSet.norad_id.in_(ids[k : k + ID_CHUNK]))
        if since is not None:
            query = query.where(ElementSet.epoch >= since)
        rows += connection.execute(query).all()
    return rows


def object_state_columns() -> tuple:
    """The columns an ingest reads of the objects it may change: the id and :data:`OBJECT_STATE`."""
    return (SpaceObject.norad_id, *(getattr(SpaceObject, c) for c in OBJECT_STATE))


class ElementSet(Base):
    """One element set as ingested; ``fingerprint`` (of its canonical TLE lines) makes ingestion idempotent."""

    __tablename__ = "element_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(40), unique=True)
    norad_id: Mapped[int] = mapped_column(ForeignKey("objects.norad_id"), index=True)
    epoch: Mapped[datetime] = mapped_column(DateTime, index=True)
    ingest_id: Mapped[int] = mapped_column(ForeignKey("ingests.id"), index=True)
    line1: Mapped[str] = mapped_column(String(80))
    line2: Mapped[str] = mapped_column(String(80))
    mean_motion_rev_per_day: Mapped[float] = mapped_column(Float)
    eccentricity: Mapped[float] = mapped_column(Float)
    inclination_deg: Mapped[float] = mapped_column(Float)
    raan_deg: Mapped[float] = mapped_column(Float)
    bstar: Mapped[float] = mapped_column(Float)


class Ingest(Base):
    """One ingestion: its source, when, and what it found."""

    __tablename__ = "ingests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    group_name: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    records: Mapped[int] = mapped_column(Integer, default=0)
    new_sets: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_sets: Mapped[int] = mapped_column(Integer, default=0)
    new_objects: Mapped[int] = mapped_column(Integer, default=0)
    updated_objects: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # of the bytes ingested
    bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    complete: Mapped[bool] = mapped_column(Boolean, default=True)  # a whole snapshot: gone/decayed concluded
    note: Mapped[str] = mapped_column(Text, default="")  # why a snapshot was judged incomplete
    undone_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # when a watcher raised the alerts of this ingest's changes (None: not yet; set with the alerts, in one
    # transaction, so a watcher killed after the ingest committed leaves them to the next round)
    alerts_raised_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class GroupMember(Base):
    """An object reported by an ingest of a group: the members of a group are those of its latest ingest (not
    undone), so an object belongs to every group that reports it (ISS is in stations and in active)."""

    __tablename__ = "group_members"

    ingest_id: Mapped[int] = mapped_column(ForeignKey("ingests.id"), primary_key=True)
    norad_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, index=True)


class ObjectTag(Base):
    """A user's tag on an object: a category of their own (a watch list, "SAR"), selected like a group."""

    __tablename__ = "object_tags"

    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    norad_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, index=True)
    added_at: Mapped[datetime] = mapped_column(DateTime)


class ObjectRevision(Base):
    """An object's row as it was before an ingest changed it (``created``: the ingest added the object), so
    that the ingest can be undone."""

    __tablename__ = "object_revisions"

    ingest_id: Mapped[int] = mapped_column(ForeignKey("ingests.id"), primary_key=True)
    norad_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, index=True)
    created: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    object_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    launch: Mapped[str | None] = mapped_column(String(16), nullable=True)
    group_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    first_seen: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_seen: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_ingest_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_epoch: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Change(Base):
    """Something a change detector noticed: a new object, one no longer reported, a decay, a manoeuvre."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ingest_id: Mapped[int] = mapped_column(ForeignKey("ingests.id"), index=True)
    norad_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    object_id: Mapped[str] = mapped_column(String(16), default="")
    change: Mapped[str] = mapped_column(String(16), index=True)  # new | gone | decayed | manoeuvre
    time: Mapped[datetime] = mapped_column(DateTime)
    detail: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float] = mapped_column(Float, default=1.0)


class ConjunctionRow(Base):
    """A close approach found by screening: one row per pair and TCA, with the epochs of the element sets used.

    A later screening of the same span and objects replaces the rows it covers (new elements, new answers)."""

    __tablename__ = "conjunctions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    norad_id_1: Mapped[int] = mapped_column(Integer, index=True)
    name_1: Mapped[str] = mapped_column(String(64), default="")
    norad_id_2: Mapped[int] = mapped_column(Integer, index=True)
    name_2: Mapped[str] = mapped_column(String(64), default="")
    tca: Mapped[datetime] = mapped_column(DateTime, index=True)
    min_range_km: Mapped[float] = mapped_column(Float)
    relative_speed_km_s: Mapped[float] = mapped_column(Float)
    radial_km: Mapped[float] = mapped_column(Float)
    in_track_km: Mapped[float] = mapped_column(Float)
    cross_track_km: Mapped[float] = mapped_column(Float)
    max_pc: Mapped[float | None] = mapped_column(Float, nullable=True)
    assumed_cov_pc: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    epoch_1: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    epoch_2: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    screened_at: Mapped[datetime] = mapped_column(DateTime)


class SatcatRecord(Base):
    """What an object is, from a SATCAT (CelesTrak's or Space-Track's): type, owner, launch, decay, size."""

    __tablename__ = "satcat"

    norad_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    object_name: Mapped[str] = mapped_column(String(64), default="")
    object_id: Mapped[str] = mapped_column(String(16), default="", index=True)
    object_type: Mapped[str] = mapped_column(String(8), default="", index=True)  # PAY, R/B, DEB, UNK
    ops_status: Mapped[str] = mapped_column(String(4), default="")
    owner: Mapped[str] = mapped_column(String(16), default="", index=True)
    launch_date: Mapped[str] = mapped_column(String(10), default="")
    launch_site: Mapped[str] = mapped_column(String(16), default="", index=True)
    decay_date: Mapped[str] = mapped_column(String(10), default="")
    rcs_m2: Mapped[float | None] = mapped_column(Float, nullable=True)
    orbit_center: Mapped[str] = mapped_column(String(8), default="")
    orbit_type: Mapped[str] = mapped_column(String(8), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class WatchSource(Base):
    """A watched source's state: when it was last fetched (a restart resumes from here)."""

    __tablename__ = "watch_sources"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_fetch_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_ingest_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # a watcher is fetching it


class Alert(Base):
    """An event a rule fired on, once per ``key`` (the dedupe key), with its evidence."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    rule: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    norad_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    name: Mapped[str] = mapped_column(String(200), default="")
    time: Mapped[datetime] = mapped_column(DateTime, index=True)  # when the event happened
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class Delivery(Base):
    """One alert to one receiver: delivered once, retried with back-off while the receiver fails."""

    __tablename__ = "deliveries"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), primary_key=True)
    receiver: Mapped[str] = mapped_column(String(300), primary_key=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
