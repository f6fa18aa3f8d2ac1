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

import os
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from overhead._resources import user_data_dir
from overhead.catalog.store_ingest import (
    BATCH,
    INGEST_LOCK_KEY,
    MIN_SHARE,
    MISSING_ALLOWANCE,
    MISSING_MAX_SHARE,
    IngestReport,
    StoreIngest,
    parse_satcat_csv,
)
from overhead.catalog.store_queries import TAG_PATTERN, StoreQueries
from overhead.catalog.store_revisions import StoreRevisions
from overhead.errors import OverheadError

__all__ = [
    "BATCH",
    "INGEST_LOCK_KEY",
    "MIN_SHARE",
    "MISSING_ALLOWANCE",
    "MISSING_MAX_SHARE",
    "TAG_PATTERN",
    "CatalogStore",
    "IngestReport",
    "default_url",
    "parse_satcat_csv",
]


def default_url() -> str:
    return f"sqlite:///{user_data_dir() / 'catalog.sqlite'}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=120000")  # a second ingest waits for the first
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class CatalogStore(StoreIngest, StoreRevisions, StoreQueries):
    """A persistent catalog at ``url`` (default: SQLite in the user's data directory): ingestion
    (:class:`~overhead.catalog.store_ingest.StoreIngest`), history and undo
    (:class:`~overhead.catalog.store_revisions.StoreRevisions`) and questions
    (:class:`~overhead.catalog.store_queries.StoreQueries`) over one engine."""

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
            raise OverheadError(
                f"{scheme!r} is not a database URL overhead reads: use sqlite:///PATH or "
                f"postgresql+psycopg://USER@HOST/DATABASE"
            ) from None
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
