"""What the service holds between requests: settings, the catalogue store and its newest elements, the job
queue and the Dask cluster, and the checks every request shares (work budget, times, satellite selection)."""

from __future__ import annotations

import contextlib
import math
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fastapi import HTTPException

from overhead.api.jobs import JobManager
from overhead.api.memory import TRIM_INTERVAL_S, release_memory
from overhead.catalog.store import CatalogStore
from overhead.constants import STALE_ELEMENTS_DAYS
from overhead.errors import CancelledError, OverheadError
from overhead.orbits.catalog import Catalog
from overhead.orbits.sampled import CatalogEphemeris, SampledCatalog
from overhead.orbits.timescales import format_iso, to_datetime64

__all__ = ["ServiceSettings", "ServiceState"]


@dataclass
class ServiceSettings:
    """How the service runs. ``max_work``: the largest satellites × time samples × targets a request may ask
    for (synchronous requests), ``max_job_work`` the same for jobs. ``token``: bearer token of the write
    endpoints (None: write endpoints refuse every request). ``scheduler``: ``"local"`` (a LocalCluster
    started on the first coverage job), ``"none"`` (in the service process) or ``"tcp://..."``."""

    db_url: str | None = None
    token: str | None = None
    scheduler: str = "local"
    max_work: float = 60e6
    max_job_work: float = 5e9
    max_upload_bytes: int = 50 * 2**20
    max_request_s: float = 120.0  # a request still running after this is cancelled (503)
    max_stream_s: float = 3600.0  # an alerts stream ends after this (the client reconnects with Last-Event-ID)
    max_response_bytes: float = 32 * 2**20  # estimated before the work starts (413 over it)
    max_memory_bytes: float = 2 * 2**30  # the arrays one request may hold, estimated before it starts
    max_element_age_days: float = 30.0  # objects whose elements are further from the asked time are left out
    max_computing: int = max(1, (os.cpu_count() or 2) - 1)  # computations at once (one core kept for the rest)
    cors_origins: tuple[str, ...] = ()
    load_sample: bool = True
    web_assets: Path | None = None
    max_running_jobs: int = 1
    client_keys: tuple[str, ...] = ()  # more credentials that may run jobs, each its own owner
    job_keep_s: float = 3600.0  # finished jobs are forgotten this long after they end
    ephemeris_budget_bytes: float = 1.5e9  # the sampled catalogue ephemeris (~48 MB an hour for 16,000 objects)
    ephemeris_prepare_hours: tuple[float, float] = (1.0, 2.0)  # built in the background around the default time

    @classmethod
    def from_env(cls, **overrides) -> ServiceSettings:
        keys = tuple(k.strip() for k in os.environ.get("OVERHEAD_API_KEYS", "").split(",") if k.strip())
        env = {"token": os.environ.get("OVERHEAD_API_TOKEN") or None, "client_keys": keys}
        return cls(**{**env, **{k: v for k, v in overrides.items() if v is not None}})


class ResultCache:
    """The last few tables computed from one catalogue view, by the question that made them (least recently used
    out first; bounded by tables and rows): the pages of one answer, and the same question again, are served
    without computing it again."""

    def __init__(self, max_tables: int = 8, max_rows: int = 500_000) -> None:
        from collections import OrderedDict

        self.max_tables, self.max_rows = max_tables, max_rows
        self._tables: OrderedDict[Any, pd.DataFrame] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key, compute) -> pd.DataFrame:
        """The table of ``key``, computed by ``compute()`` when it is not held (a table over ``max_rows`` rows is
        answered but not kept)."""
        with self._lock:
            if key in self._tables:
                self._tables.move_to_end(key)
                return self._tables[key]
        table = compute()
        if len(table) > self.max_rows:
            return table
        with self._lock:
            self._tables[key] = table
            while len(self._tables) > self.max_tables or sum(map(len, self._tables.values())) > self.max_rows:
                self._tables.popitem(last=False)
        return table


@dataclass
class CatalogView:
    """The store's newest elements of every active object, with the object table the searches filter."""

    catalog: Catalog
    objects: pd.DataFrame  # one row per object in the store, with orbit columns where it has elements
    version: int
    groups: list[str] = field(default_factory=list)
    median_epoch: np.datetime64 | None = None
    members: dict[str, np.ndarray] = field(default_factory=dict)  # group -> NORAD ids its latest ingest reported
    cache: dict[str, Any] = field(default_factory=dict)  # answers derived from this view alone (the sky)
    results: ResultCache = field(default_factory=ResultCache)  # tables computed from it (pass lists)

    def in_group(self, group: str) -> np.ndarray:
        """A mask over ``objects``: the members of ``group``."""
        return self.objects.norad_id.isin(self.members.get(group, ())).to_numpy()


def text_column(table: pd.DataFrame, column: str) -> pd.Series:
    """A column as text: "" where missing, or everywhere when the table has no such column (a store without a
    SATCAT has no types or owners)."""
    if column not in table:
        return pd.Series([""] * len(table), index=table.index, dtype=object)
    return table[column].astype(object).fillna("").astype(str)  # (an all-missing column is float: no "" fill)


def _lower_priority() -> None:
    """Run the calling thread at a lower scheduling priority (Linux: threads have their own nice value)."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: the same priority as the rest
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def default_time_for(median_epoch: np.datetime64 | None) -> tuple[np.datetime64, bool]:
    """Now, or ``median_epoch`` when the elements are more than a few days from now; and whether they are."""
    now = np.datetime64("now", "s").astype("datetime64[ns]")
    if median_epoch is None:
        return now, False
    stale = abs((now - median_epoch) / np.timedelta64(1, "D")) > STALE_ELEMENTS_DAYS
    return (median_epoch if stale else now), bool(stale)


FIRST_PAGE_WAIT_S = 10.0  # the longest a starting service's ephemeris waits for the first page's catalogue body


@dataclass
class ServiceState:
    settings: ServiceSettings
    store: CatalogStore = field(init=False)
    jobs: JobManager = field(init=False)
    _view: CatalogView | None = field(default=None, init=False)
    _version: int = field(default=0, init=False)
    _building: bool = field(default=False, init=False)  # a thread is rebuilding the view
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _view_made: threading.Condition = field(init=False)  # on _lock: a view was built (or a build ended)
    _cluster_lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _cluster: Any = field(default=None, init=False)
    _last_within: tuple[Catalog, bytes, Catalog] | None = field(default=None, init=False)
    # cleared by a starting service until it has made what a first page needs (the catalogue's /api/sky body):
    # the background ephemeris waits for it (at most FIRST_PAGE_WAIT_S) rather than share the cores with it
    first_page_made: threading.Event = field(default_factory=threading.Event, init=False)

    def __post_init__(self) -> None:
        self.first_page_made.set()
        self._view_made = threading.Condition(self._lock)
        self._slots = threading.BoundedSemaphore(self.settings.max_computing)
        self.store = CatalogStore(self.settings.db_url)
        self.jobs = JobManager(max_running=self.settings.max_running_jobs, keep_s=self.settings.job_keep_s)

    def load_sample(self) -> None:
        """Ingest the bundled sample groups (idempotent: nothing changes when they are already stored)."""
        from overhead import SAMPLE_GROUPS, sample_path

        for group in SAMPLE_GROUPS:
            self.store.ingest([sample_path(group)], group=group)
        self.refresh()

    def invalidate(self) -> None:
        with self._lock:
            self._version += 1

    def refresh(self) -> CatalogView:
        """After a write (ingest, undo, tags): the view rebuilt in the calling thread — a worker, never the event
        loop — while every other request goes on with the previous one."""
        self.invalidate()
        return self.view()

    # ----------------------------------------------------------------------------------------- catalogue
    def view(self) -> CatalogView:
        """The catalogue as the store holds it. While one thread rebuilds it (seconds for the full catalogue),
        the others are given the previous view rather than waiting, so /api/status never stalls; the first view
        is built once, the threads that ask meanwhile wait for it (two builds at once took twice the time each)."""
        with self._lock:
            while self._view is None and self._building:
                self._view_made.wait()
            if self._view is not None and (self._view.version == self._version or self._building):
                return self._view
            self._building = True
            version = self._version
        try:
            return self._build_view(version)
        finally:
            with self._lock:
                self._building = False
                self._view_made.notify_all()

    def _build_view(self, version: int) -> CatalogView:
        catalog = self.store.latest_catalog()
        objects = self.store.objects()
        if objects.empty:
            objects = pd.DataFrame(
                columns=[
                    "norad_id",
                    "name",
                    "object_id",
                    "launch",
                    "group_name",
                    "status",
                    "first_seen",
                    "last_seen",
                    "last_ingest_id",
                    "last_epoch",
                ]
            )
        objects = objects.merge(catalog.orbits(), on="norad_id", how="left").sort_values("norad_id", ignore_index=True)
        objects["regime"] = objects["regime"].fillna("unknown")
        membership = self.store.group_members()
        members = {str(g): rows.norad_id.to_numpy() for g, rows in membership.groupby("group_name") if g}
        groups_of = membership.groupby("norad_id").group_name.agg(lambda g: ",".join(sorted(g)))
        objects["groups"] = objects.norad_id.map(groups_of).astype(object).fillna("")
        tags = self.store.tags()
        objects["tags"] = objects.norad_id.map(tags.groupby("norad_id").tag.agg(",".join)).astype(object).fillna("")
        median = catalog.median_epoch() if len(catalog) else None
        sampled = SampledCatalog.over(
            catalog, CatalogEphemeris(catalog, budget_bytes=int(self.settings.ephemeris_budget_bytes))
        )
        view = CatalogView(sampled, objects, version, sorted(members), median, members)
        with self._lock:
            if self._view is None or self._view.version <= version:
                self._view = view
        self._prepare_ephemeris(view)
        return view

    def _prepare_ephemeris(self, view: CatalogView) -> None:
        """Sample the catalogue around the default time in a background thread, so that the first questions
        about now (what is above, the positions) read it."""
        assert isinstance(view.catalog, SampledCatalog)
        ephemeris, (before_h, after_h) = view.catalog.ephemeris, self.settings.ephemeris_prepare_hours
        if ephemeris is None or not len(view.catalog) or before_h + after_h <= 0:
            return
        centre, _ = default_time_for(view.median_epoch)

        def prepare(start, stop) -> None:
            self.first_page_made.wait(FIRST_PAGE_WAIT_S)
            _lower_priority()  # a head start for the requests of the first seconds (and a browser on this machine)
            ephemeris.prepare(start, stop)

        threading.Thread(
            target=prepare,
            args=(
                centre - np.timedelta64(round(before_h * 3600), "s"),
                centre + np.timedelta64(round(after_h * 3600), "s"),
            ),
            name="ephemeris",
            daemon=True,
        ).start()

    def default_time(self) -> tuple[np.datetime64, bool]:
        """Now, or the median element epoch when the elements are more than a few days from now."""
        return default_time_for(self.view().median_epoch)

    def satellites(
        self,
        ids=None,
        group: str | None = None,
        design=None,
        *,
        object_type: str | None = None,
        owner: str | None = None,
        regime: str | None = None,
        tag: str | None = None,
    ):
        """The satellites a request names: a Walker design, NORAD ids, a group, or every active object; narrowed
        to a SATCAT type (PAY, R/B, DEB, UNK) and owner, an orbit regime and a user's tag, when given."""
        if design is not None:
            from overhead.orbits.constellations import walker

            if design.total % design.planes or design.phasing >= design.planes:
                raise HTTPException(422, "a Walker design needs total divisible by planes and phasing < planes")
            return walker(
                design.total,
                design.planes,
                design.phasing,
                inclination_deg=design.inclination_deg,
                altitude_km=design.altitude_km,
            )
        view = self.view()
        catalog = view.catalog
        if group:
            if group not in view.members:
                raise HTTPException(404, f"no group {group!r}; groups: {', '.join(view.groups)}")
            members = set(view.members[group].tolist()) & set(catalog.norad_ids.tolist())
            if not members:
                raise HTTPException(404, f"group {group!r} has no active object with elements")
            catalog = catalog.select(sorted(members))
        if ids:
            missing = catalog.missing_ids(ids)
            if missing:
                raise HTTPException(
                    404,
                    f"no active object with NORAD id {', '.join(map(str, missing[:10]))} "
                    f"in the catalogue{' group ' + group if group else ''}",
                )
            catalog = catalog.select(ids)
        if len(catalog) == 0:
            raise HTTPException(404, "the catalogue has no active objects: ingest element sets first")
        if object_type or owner or regime or tag:
            catalog = self._of_kind(view, catalog, object_type, owner, regime, tag)
        return catalog

    @staticmethod
    def _of_kind(view: CatalogView, catalog: Catalog, object_type, owner, regime, tag=None) -> Catalog:
        table = view.objects
        keep = np.array(table.norad_id.isin(catalog.norad_ids), dtype=bool)  # a writable copy: narrowed below
        if object_type:
            keep &= text_column(table, "object_type").str.upper().str.startswith(object_type.upper()[:3]).to_numpy()
        if owner:
            keep &= (text_column(table, "owner").str.upper() == owner.upper()).to_numpy()
        if regime:
            keep &= (table.regime == regime).to_numpy()
        if tag:
            keep &= np.array([tag in t.split(",") for t in table.tags], dtype=bool)
        wanted = table.norad_id[keep].tolist()
        if not wanted:
            what = ", ".join(
                f"{k} {v}" for k, v in (("type", object_type), ("owner", owner), ("regime", regime), ("tag", tag)) if v
            )
            raise HTTPException(
                404,
                f"no active object of {what} among the satellites asked for (types and owners "
                f"come from a SATCAT: overhead catalog satcat)",
            )
        return catalog.select(wanted)

    def usable(self, satellites, start: np.datetime64, stop: np.datetime64 | None = None, response=None):
        """The satellites whose elements are within the service's age limit of [start, stop]; the others are left
        out and counted in the ``X-Elements-Left-Out`` header of ``response``, and none left is a 422."""
        if not isinstance(satellites, Catalog) or len(satellites) == 0:
            return satellites  # a designed constellation has no element age
        limit = self.settings.max_element_age_days
        times = np.array([start, start if stop is None else stop], dtype="datetime64[ns]")
        kept = self._within_age(satellites, times, limit)
        if len(kept) == 0:
            first, last = satellites.epochs.min(), satellites.epochs.max()
            raise HTTPException(
                422,
                f"no satellite asked for has elements within {limit:g} days of {iso(start)}: "
                f"their epochs run from {iso(first)} to {iso(last)}; ask for a time nearer them "
                f"or ingest newer elements (SGP4 errors grow by kilometres per day of age)",
            )
        if response is not None and len(kept) < len(satellites):
            response.headers["X-Elements-Left-Out"] = (
                f"{len(satellites) - len(kept)} objects whose elements are more than {limit:g} days from the time asked"
            )
        return kept

    def rcs_m2(self) -> dict[int, float]:
        """NORAD id → radar cross-section (m²) of the objects the store's SATCAT sizes: the magnitude estimate of a
        visible pass where no standard magnitude is known."""
        view = self.view()
        if "rcs" not in view.cache:
            objects = view.objects
            if "rcs_m2" in objects:
                sized = objects[objects.rcs_m2.notna()]
                view.cache["rcs"] = dict(zip(sized.norad_id.astype(int), sized.rcs_m2.astype(float), strict=True))
            else:
                view.cache["rcs"] = {}
        return view.cache["rcs"]

    @staticmethod
    def sampled_at(satellites, when: np.datetime64) -> bool:
        """Whether the satellites' positions at ``when`` are read from a sampled block already held (a light
        computation) rather than computed by SGP4."""
        return (
            isinstance(satellites, SampledCatalog)
            and satellites.ephemeris is not None
            and satellites.ephemeris.held(satellites.ephemeris.block_indices(when))
        )

    def _within_age(self, satellites: Catalog, times: np.ndarray, limit: float) -> Catalog:
        """``satellites.within_age``, the last answer kept: consecutive requests about the whole catalogue at
        nearby times leave out the same objects, and the sub-catalogue costs more than the request."""
        within = satellites.age_days(times) <= limit
        if within.all():
            return satellites
        mask = np.packbits(within).tobytes()
        with self._lock:
            last = self._last_within
        if last is not None and last[0] is satellites and last[1] == mask:  # (held: its id cannot be reused)
            return last[2]
        kept = satellites[np.flatnonzero(within).tolist()]
        with self._lock:
            self._last_within = (satellites, mask, kept)
        return kept

    def check_output(self, rows: float, bytes_per_row: float, *, what: str, reduce: str) -> None:
        """Refuse (413), before any work, an answer estimated over the response-size limit."""
        size = float(rows) * bytes_per_row
        limit = self.settings.max_response_bytes
        if size > limit:
            raise HTTPException(
                413,
                f"the answer would be about {size / 2**20:,.0f} MiB ({rows:,.0f} {what}), over "
                f"the service's limit of {limit / 2**20:,.0f} MiB: reduce {reduce}",
            )

    def check_memory(self, states: float, *, reduce: str, bytes_per_state: float = 200.0) -> None:
        """Refuse (413), before any work, a request whose arrays would pass the memory limit."""
        size = float(states) * bytes_per_state
        limit = self.settings.max_memory_bytes
        if size > limit:
            raise HTTPException(
                413,
                f"this request would hold about {size / 2**30:,.1f} GiB of states "
                f"({states:,.0f}), over the service's limit of {limit / 2**30:,.1f} GiB: "
                f"reduce {reduce}",
            )

    def compute(self, function, *args, light: bool = False, **kwargs):
        """Run a library call in one of ``max_computing`` slots (requests beyond wait, cancellably: a client that
        goes away while waiting frees its place), turning its documented errors into a 422 with their message.

        The slots keep the GIL free for the cheap requests (status, searches) however many heavy ones arrive.
        A ``light`` call — about a millisecond, bounded whatever is asked (a read of the sampled ephemeris at one
        time) — is one of those cheap requests: it takes no slot and runs at once."""
        from overhead.cancel import check_cancelled

        if light:
            return self._translated(function, args, kwargs)
        while not self._slots.acquire(timeout=0.2):
            check_cancelled()
        try:
            return self._translated(function, args, kwargs)
        finally:
            self._slots.release()
            release_memory(at_most_every_s=TRIM_INTERVAL_S)

    @staticmethod
    def _translated(function, args, kwargs):
        try:
            return function(*args, **kwargs)
        except CancelledError:
            raise
        except OverheadError as exc:
            raise HTTPException(422, str(exc)) from None

    # ------------------------------------------------------------------------------------------- limits
    def check_work(
        self,
        satellites: int,
        samples: float,
        targets: int = 1,
        *,
        job: bool = False,
        reduce: str = "the time span, the satellites (ids or group) or the targets",
    ) -> None:
        """Refuse (413) a request whose satellites × time samples × targets is beyond the configured budget."""
        budget = self.settings.max_job_work if job else self.settings.max_work
        work = float(satellites) * float(samples) * float(targets)
        if work > budget:
            raise HTTPException(
                413,
                f"this request needs {satellites:,} satellites × {samples:,.0f} time samples × "
                f"{targets:,} targets = {work:,.0f} evaluations, over the service's budget of "
                f"{budget:,.0f}: reduce {reduce}",
            )

    def cluster_scheduler(self) -> str:
        """The scheduler coverage jobs use: the service's own LocalCluster, started once, or the configured one."""
        if self.settings.scheduler != "local":
            return self.settings.scheduler
        with self._cluster_lock:  # not the view's lock: starting a cluster takes seconds
            if self._cluster is None:
                from overhead.analysis.coverage import local_cluster

                self._cluster = local_cluster()
            return self._cluster.scheduler_address

    def close(self) -> None:
        self.jobs.shutdown()
        if self._cluster is not None:
            self._cluster.close()
        self.store.engine.dispose()


IDS_PATTERN = r"^ *[0-9]{1,9} *(, *[0-9]{1,9} *)*,?$"  # NORAD ids as the requests give them (OpenAPI too)


def parse_time(text: str | None, default: np.datetime64 | None = None, *, name: str = "time") -> np.datetime64:
    """An ISO-8601 UTC time from a request, or a 422 that says what is wrong with it."""
    if text is None:
        if default is None:
            raise HTTPException(422, f"give {name} as ISO-8601 UTC, e.g. 2026-05-30T12:00:00Z")
        return default
    try:
        value = to_datetime64(text)
    except (OverheadError, ValueError, TypeError, OverflowError) as exc:
        raise HTTPException(422, f"{name}: {exc}") from None
    if np.ndim(value):
        raise HTTPException(422, f"{name}: give one time")
    if not np.datetime64("1957-10-04") <= value <= np.datetime64("2100-01-01"):
        raise HTTPException(422, f"{name} {text!r} is outside 1957-10-04 .. 2100-01-01")
    return value


def optional_time(text: str | None, *, name: str) -> np.datetime64 | None:
    """A time a request may leave out (None), or :func:`parse_time`'s; an empty value is a 422, not absent."""
    return None if text is None else parse_time(text, name=name)


def parse_span(
    start: str | None,
    stop: str | None,
    default_start: np.datetime64,
    *,
    max_days: float = 31.0,
    default_hours: float = 24.0,
) -> tuple[np.datetime64, np.datetime64]:
    """A [start, stop) span from a request; stop defaults to ``default_hours`` after start."""
    t0 = parse_time(start, default_start, name="start")
    t1 = parse_time(stop, t0 + np.timedelta64(round(default_hours * 3600), "s"), name="stop")
    if t1 <= t0:
        raise HTTPException(422, "stop must be after start")
    if (t1 - t0) / np.timedelta64(1, "D") > max_days:
        raise HTTPException(413, f"the span is longer than {max_days:g} days: ask for a shorter one")
    return t0, t1


def iso(t) -> str:
    return str(format_iso(np.datetime64(t, "ns"), digits=3))


def finite(values) -> list[float | None]:
    """Floats for JSON: NaN (SGP4 failures) become null."""
    array = np.asarray(values, dtype=float)
    return [None if not math.isfinite(v) else round(v, 6) for v in array.tolist()]
