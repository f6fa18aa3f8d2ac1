"""Tables of the catalog store (SQLAlchemy 2). Times are naive UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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
