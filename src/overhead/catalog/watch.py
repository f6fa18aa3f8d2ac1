"""Watching: fetch sources on their schedule, ingest, evaluate rules on what changed, notify — with its state in the
store, so that a restart resumes, a crash repeats nothing and two watchers on one store do not double-alert.

A rules file (YAML)::

    sources:
      - celestrak: {group: stations, every: 2h}
      - satcat: {every: 24h}
    alerts:
      - name: new-objects
        when: new_object            # new_object | gone | decayed | decay_predicted | manoeuvre | stale
        owner: PRC                  # filters on new objects (SATCAT): owner, launch_site, object_type, intdes_prefix
        notify: [{webhook: "http://127.0.0.1:9000/hook", secret: "…"}, {email: ops@example.org}]
      - name: manoeuvres
        when: manoeuvre
        min_confidence: 0.9         # a probability: alert only the high tier (default 0.5, more likely than not)
      - name: re-entries
        when: decay_predicted
        within_days: 14             # predicted by the drag model to re-enter within 14 days (default 30)
        object_type: PAY            # a category: group, object_type, owner, tag (default every object)

One round (:func:`watch_round`): every source due (or all, forced) is fetched — CelesTrak's rules kept by its
client — and ingested; the first snapshot of a group is the baseline (reported, no alert for every object). Alerts
come from the store's truth, not from the round: every committed ingest of a watched group whose alerts have not
been raised (``ingests.alerts_raised_at``) is turned into alerts by the rules, and its mark is set in the same
transaction as its alerts, so a watcher killed at any point leaves the next round to raise exactly what it had
not. Each alert is one event, deduplicated by a key that the store holds unique (a second watcher inserting the
same alert is refused by the database, not by a race). New objects of one launch are one alert (``norad_ids``).

Deliveries are recorded per receiver: a webhook gets a JSON POST (``rule, kind, norad_id | norad_ids, name, time,
detail, key``, ISO-8601 Z), signed with HMAC-SHA256 in ``X-Overhead-Signature`` when a secret is set, with an
``Idempotency-Key`` header that is the same on every attempt of that alert; an e-mail receiver gets the same as
text through the SMTP server of ``$OVERHEAD_SMTP_HOST`` (:class:`SmtpSettings`). The guarantee is at-least-once
with a stable key: a delivery is claimed in the store (committed) before it is sent and concluded after, so a crash
repeats at most the sends that were in flight, each with its key — exactly once for a receiver that drops a key it
has seen. Deliveries run in parallel, at most :data:`DELIVERY_PER_RECEIVER` at a time to one receiver, each within
a total deadline of :data:`DELIVERY_DEADLINE_S` (its answer's status line: a body is never waited for); a receiver
that times out or refuses the connection is left for the next round, so a slow or dead receiver never delays
another. A failed delivery is retried with back-off counted from its own attempt.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
from pydantic import Field
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from overhead.catalog.changes import naive_utc
from overhead.catalog.models import Alert, Delivery, Ingest, WatchSource
from overhead.catalog.sources import CelesTrak, SourceError, ingest_fetched
from overhead.catalog.specs import ManoeuvreQuery, ReentryQuery
from overhead.catalog.store import CatalogStore
from overhead.errors import OverheadError
from overhead.geometry.specs import Spec, validated
from overhead.geometry.topocentric import GroundSite
from overhead.orbits.catalog import Catalog, element_age_said
from overhead.tables import utc_times

__all__ = [
    "ALERT_KINDS",
    "RoundReport",
    "Rule",
    "WatchSpec",
    "alerts_after",
    "alerts_table",
    "load_rules",
    "watch_round",
]

ALERT_KINDS = ("new_object", "gone", "decayed", "decay_predicted", "manoeuvre", "stale", "overflight", "conjunction")
RULE_KEYS = {
    "name",
    "when",
    "notify",
    "older_than_days",
    "min_confidence",
    *("owner", "launch_site", "object_type", "intdes_prefix"),
}
FILTERS = ("owner", "launch_site", "object_type", "intdes_prefix")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
DELIVERY_BACKOFF_S = (60, 300, 1800, 3600)
DELIVERY_DEADLINE_S = 10.0  # one delivery's whole time: connect, send, the answer's status line
DELIVERY_PER_RECEIVER = 4  # deliveries in flight to one receiver at once (a stalled one still counts)
ALERT_BACKLOG_DAYS = 7.0  # an ingest older than this whose alerts were never raised is marked, not alerted
CHANGE_KINDS = {"new_object": "new", "gone": "gone", "decayed": "decayed", "manoeuvre": "manoeuvre"}
DELIVERY_LEASE_S = 300  # a claimed delivery not concluded by then (its watcher died) is due again
SOURCE_LEASE_S = 600  # likewise a claimed source: fetched again once a killed watcher's lease is over
LEASE_ENV = "OVERHEAD_WATCH_LEASE_S"  # both leases, in seconds (a watcher that must recover sooner)


def _lease_s(default: float) -> float:
    import os

    try:
        return max(1.0, float(os.environ.get(LEASE_ENV, default)))
    except ValueError:
        return default


def _seconds(text) -> float:
    match = _DURATION.match(str(text))
    if not match:
        raise OverheadError(f"duration {text!r}: use a number and a unit, e.g. 2h, 30m, 1d")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


@dataclass(frozen=True)
class Source:
    key: str  # celestrak:GROUP or satcat
    every_s: float


class Category(Spec):
    """Which objects a rule follows: a store group, a SATCAT object type and owner, a user's tag (all: every
    active object)."""

    group: str | None = Field(None, max_length=64, description="a catalogue-store group, e.g. resource")
    object_type: str | None = Field(None, max_length=8, description="SATCAT type: PAY, R/B, DEB, UNK")
    owner: str | None = Field(None, max_length=16, description="SATCAT owner, e.g. US, PRC, CIS")
    tag: str | None = Field(None, max_length=64, description="a user's tag (overhead catalog tag), e.g. watch-list")


class OverflightRule(Category):
    """``when: overflight``: an object of the category will pass over a site, or over a GeoJSON area, within the
    next ``within_h`` hours (access windows over the site, or over the area's H3 cells with an optional cone)."""

    site: str | None = Field(None, description="LAT,LON[,ALT_M], degrees and metres")
    site_name: str = Field("", max_length=64, description="the site's name in the alerts")
    area: str | None = Field(None, description="a GeoJSON polygon file")
    within_h: float = Field(12.0, gt=0.0, le=168.0, allow_inf_nan=False, description="look-ahead, hours")
    min_elevation_deg: float | None = Field(
        None,
        ge=-10.0,
        lt=90.0,
        allow_inf_nan=False,
        description=("the lowest elevation counted, degrees (default: a site's 10° mask; 0 over an area)"),
    )
    half_angle_deg: float | None = Field(
        None, gt=0.0, lt=90.0, allow_inf_nan=False, description="over an area: the sensor's nadir cone, degrees"
    )
    resolution: int = Field(4, ge=0, le=7, description="over an area: H3 resolution of its cells")


class ConjunctionRule(Category):
    """``when: conjunction``: a stored conjunction (from a screening) of an object of the category, with its TCA in
    the next ``within_h`` hours, closer than ``max_range_km`` and/or likelier than ``min_pc``."""

    within_h: float = Field(72.0, gt=0.0, le=24 * 30, allow_inf_nan=False, description="look-ahead, hours")
    max_range_km: float | None = Field(None, gt=0.0, allow_inf_nan=False, description="closer than this, km")
    min_pc: float | None = Field(
        None, ge=0.0, le=1.0, allow_inf_nan=False, description="assumed-covariance collision probability at least this"
    )


class DecayRule(Category, ReentryQuery):
    """``when: decay_predicted``: an object of the category that the drag model
    (:func:`overhead.catalog.reentry.store_reentries`) predicts to re-enter within ``within_days``; alerted once
    per object, with the predicted time and its window."""


RULE_OPTIONS: dict[str, type[Spec]] = {
    "overflight": OverflightRule,
    "conjunction": ConjunctionRule,
    "decay_predicted": DecayRule,
}


@dataclass(frozen=True)
class Rule:
    name: str
    when: str
    filters: dict[str, str] = field(default_factory=dict)
    notify: tuple[dict, ...] = ()
    stale_days: float = 3.0
    options: Spec | None = None  # the settings of an overflight, conjunction or decay_predicted rule
    min_confidence: float = ManoeuvreQuery().min_confidence  # a manoeuvre rule's: alert only those this likely


@dataclass(frozen=True)
class WatchSpec:
    sources: tuple[Source, ...]
    rules: tuple[Rule, ...]


def load_rules(path: str | Path) -> WatchSpec:
    """Read and check a rules file (every error names the entry and what to write)."""
    from overhead.readers import read_yaml_file

    data = read_yaml_file(path, "a watch rules file (YAML)")
    if not isinstance(data, dict) or "sources" not in data or "alerts" not in data:
        raise OverheadError(f"{path}: a rules file has 'sources' and 'alerts' lists")
    sources = []
    for entry in data["sources"] or []:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise OverheadError(
                f"{path}: source {entry!r}: write one of celestrak: {{group: NAME, every: 2h}} or "
                "satcat: {every: 24h}"
            )
        ((kind, options),) = entry.items()
        options = options or {}
        if kind == "celestrak" and options.get("group"):
            sources.append(Source(f"celestrak:{options['group']}", _seconds(options.get("every", "2h"))))
        elif kind == "satcat":
            sources.append(Source("satcat", _seconds(options.get("every", "24h"))))
        else:
            raise OverheadError(f"{path}: source {entry!r} is not celestrak (with a group) or satcat")
    rules = []
    for entry in data["alerts"] or []:
        if not isinstance(entry, dict) or "name" not in entry or entry.get("when") not in ALERT_KINDS:
            raise OverheadError(f"{path}: alert {entry!r} needs a name and 'when' in {', '.join(ALERT_KINDS)}")
        notify = tuple(entry.get("notify") or ())
        for receiver in notify:
            if receiver_address(receiver) is None:
                raise OverheadError(
                    f"{path}: alert {entry['name']}: notify entries are {{webhook: URL}} (with an "
                    f"optional secret) or {{email: ADDRESS}} (SMTP from $OVERHEAD_SMTP_HOST)"
                )
        options = None
        if entry["when"] in RULE_OPTIONS:
            model = RULE_OPTIONS[entry["when"]]
            settings = {k: v for k, v in entry.items() if k not in ("name", "when", "notify")}
            options = validated(model, settings, where=f"{path}: alert {entry['name']}")
            if isinstance(options, OverflightRule):
                _check_overflight(options, f"{path}: alert {entry['name']}")
            filters = {}
        else:
            unknown = sorted(set(entry) - RULE_KEYS)
            if unknown:
                raise OverheadError(f"{path}: alert {entry['name']}: unknown key {', '.join(unknown)}")
            filters = {k: str(entry[k]) for k in FILTERS if k in entry}
        where = f"{path}: alert {entry['name']}"
        if "min_confidence" in entry and entry["when"] != "manoeuvre":
            raise OverheadError(f"{where}: min_confidence is a manoeuvre rule's option")
        query = validated(ManoeuvreQuery, {k: entry[k] for k in ("min_confidence",) if k in entry}, where=where)
        rules.append(
            Rule(
                entry["name"],
                entry["when"],
                filters,
                notify,
                _days(entry.get("older_than_days", 3.0), where),
                options,
                min_confidence=query.min_confidence,
            )
        )
    return WatchSpec(tuple(sources), tuple(rules))


def _days(value, where: str) -> float:
    """A rule's ``older_than_days``: a positive finite number of days."""
    import math

    try:
        days = float(value)
    except (TypeError, ValueError):
        days = math.nan
    if not (math.isfinite(days) and days > 0):
        raise OverheadError(f"{where}: older_than_days {str(value)[:40]!r} is not a positive number of days, e.g. 3")
    return days


def _check_overflight(rule: OverflightRule, where: str) -> None:
    if (rule.site is None) == (rule.area is None):
        raise OverheadError(f"{where}: an overflight rule needs a site (LAT,LON) or an area (a GeoJSON file)")
    if rule.site is not None:
        GroundSite.from_text(rule.site)
    elif not Path(str(rule.area)).is_file():
        raise OverheadError(f"{where}: no GeoJSON file at {rule.area}")


@dataclass
class RoundReport:
    fetched: list[str] = field(default_factory=list)
    baselines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a rule could not look at, and why
    new_alerts: int = 0
    delivered: int = 0
    failed_deliveries: int = 0

    def text(self) -> str:
        parts = [f"fetched {', '.join(self.fetched) or 'nothing (no source due)'}"]
        parts += [f"baseline: {b}" for b in self.baselines]
        parts += [f"error: {e}" for e in self.errors]
        parts += [f"note: {n}" for n in self.notes]
        parts.append(
            f"{self.new_alerts} new alerts, {self.delivered} delivered, {self.failed_deliveries} deliveries to retry"
        )
        return "; ".join(parts)


def watch_round(
    store: CatalogStore,
    spec: WatchSpec,
    *,
    force: bool = False,
    celestrak_url: str | None = None,
    now: datetime | None = None,
    http: httpx.Client | None = None,
) -> RoundReport:
    """One round: fetch what is due, ingest, raise alerts, deliver (see the module docstring)."""
    report = RoundReport()
    now = naive_utc(now) if now is not None else naive_utc(pd.Timestamp.now(tz="UTC"))
    with CelesTrak(celestrak_url) as celestrak:
        for source in spec.sources:
            if not _claim_source(store, source, now, force):
                continue  # inside its interval, or another watcher on this store is fetching it
            try:
                ingest_id, baseline = _fetch_and_ingest(store, celestrak, source, force)
            except (SourceError, OverheadError) as exc:
                report.errors.append(f"{source.key}: {exc}")
                _release_source(store, source.key, str(exc))
                continue
            report.fetched.append(source.key)
            _record_source(store, source.key, now, ingest_id)
            if baseline:
                report.baselines.append(baseline)
    report.new_alerts = _raise_alerts(store, spec, now, report.notes)
    report.delivered, report.failed_deliveries = _deliver(store, spec, now, http)
    return report


def _claim_source(store: CatalogStore, source: Source, now: datetime, force: bool) -> bool:
    """Whether this watcher fetches the source this round: it is due (or forced) and not claimed by a watcher
    whose lease still runs. The claim is one conditional update in the store: of two watchers, one wins."""
    lease_end = now + timedelta(seconds=_lease_s(SOURCE_LEASE_S))
    with store.engine.connect() as connection:
        known = connection.execute(select(WatchSource.key).where(WatchSource.key == source.key)).first()
    if known is None:
        try:
            with store.engine.begin() as connection:
                connection.execute(insert(WatchSource).values(key=source.key, last_error="", claimed_until=lease_end))
            return True
        except IntegrityError:
            pass  # another watcher created it a moment ago: the update below decides
    free = WatchSource.claimed_until.is_(None) | (WatchSource.claimed_until < now)
    due = WatchSource.last_fetch_at.is_(None) | (WatchSource.last_fetch_at <= now - timedelta(seconds=source.every_s))
    with store.engine.begin() as connection:
        taken = connection.execute(
            update(WatchSource)
            .where(WatchSource.key == source.key, free, *(() if force else (due,)))
            .values(claimed_until=lease_end)
        ).rowcount
    return taken == 1


def _release_source(store: CatalogStore, key: str, error: str) -> None:
    """A fetch that failed: the claim given back (the next round tries again) and the error kept."""
    with store.engine.begin() as connection:
        connection.execute(
            update(WatchSource).where(WatchSource.key == key).values(claimed_until=None, last_error=error[:2000])
        )


def _record_source(store: CatalogStore, key: str, now: datetime, ingest_id: int | None) -> None:
    """A fetch that succeeded: its time and ingest kept, the claim ended."""
    with store.engine.begin() as connection:
        connection.execute(
            update(WatchSource)
            .where(WatchSource.key == key)
            .values(last_fetch_at=now, last_ingest_id=ingest_id, last_error="", claimed_until=None)
        )


def _fetch_and_ingest(store: CatalogStore, celestrak: CelesTrak, source: Source, force: bool) -> tuple[int | None, str]:
    """(ingest id or None when nothing new, baseline text when this is the group's first snapshot)."""
    if source.key == "satcat":
        # stored whenever due, from the cache too: an answer fetched by a watcher killed before storing it is
        # not lost (storing is idempotent: the records replace themselves)
        answer = celestrak.satcat_csv(force=force)
        store.ingest_satcat(answer.body, source=answer.url)
        return None, ""
    group = source.key.split(":", 1)[1]
    answer = celestrak.gp(group=group, force=force)
    previous = store.ingests()
    mine = previous[(previous.group_name == group) & previous.undone_at.isna()]
    if (
        (answer.from_cache or answer.not_modified)
        and len(mine)
        and mine.sha256.iloc[-1] == hashlib.sha256(answer.body).hexdigest()
    ):
        return None, ""  # the answer the store already holds (a cached body not yet stored is ingested)
    first = mine.empty
    result = ingest_fetched(store, celestrak, answer, group=group)
    if first:
        return result.ingest_id, f"{group}: {result.records:,} objects"
    return result.ingest_id, ""


def _matches(rule: Rule, satcat: dict, object_id: str) -> bool:
    for key, wanted in rule.filters.items():
        if key == "intdes_prefix":
            if not object_id.startswith(wanted):
                return False
        elif str(satcat.get(key, "")).upper() != wanted.upper():
            return False
    return True


def _watched_groups(spec: WatchSpec) -> list[str]:
    return [source.key.split(":", 1)[1] for source in spec.sources if source.key.startswith("celestrak:")]


def _pending_ingests(store: CatalogStore, groups: list[str]) -> list:
    """The committed ingests of the watched groups whose alerts have not been raised, oldest first, each with
    whether it is its group's baseline (no earlier ingest of the group stands)."""
    if not groups:
        return []
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(Ingest.id, Ingest.group_name, Ingest.started_at)
            .where(
                Ingest.alerts_raised_at.is_(None),
                Ingest.undone_at.is_(None),
                Ingest.finished_at.is_not(None),
                Ingest.group_name.in_(groups),
            )
            .order_by(Ingest.id)
        ).all()
        earlier = {
            group: connection.execute(
                select(Ingest.id)
                .where(Ingest.group_name == group, Ingest.undone_at.is_(None))
                .order_by(Ingest.id)
                .limit(1)
            ).scalar()
            for group in {row.group_name for row in rows}
        }
    return [(row, earlier[row.group_name] == row.id) for row in rows]


def _raise_alerts(store: CatalogStore, spec: WatchSpec, now: datetime, notes: list[str]) -> int:
    """Raise the alerts of every pending ingest (each with its mark, in one transaction), then those of the
    rules that look at the store as it is now (stale, overflight, conjunction). Returns how many are new."""
    new = 0
    change_rules = [rule for rule in spec.rules if rule.when in CHANGE_KINDS and rule.options is None]
    pending = _pending_ingests(store, _watched_groups(spec))
    satcat = store.satcat().set_index("norad_id").to_dict("index") if pending and change_rules else {}
    old = 0
    for ingest, baseline in pending:
        alerts: list[tuple[Rule, dict]] = []
        too_old = (now - ingest.started_at).total_seconds() > ALERT_BACKLOG_DAYS * 86_400
        old += too_old and not baseline
        if change_rules and not baseline and not too_old:
            changes = store.changes(since=pd.Timestamp("1957-01-01"), ingest_ids=[ingest.id])
            alerts = [(rule, alert) for rule in change_rules for alert in _change_alerts(rule, changes, satcat)]
        with store.engine.begin() as connection:
            marked = connection.execute(
                update(Ingest)
                .where(Ingest.id == ingest.id, Ingest.alerts_raised_at.is_(None))
                .values(alerts_raised_at=now)
            ).rowcount
            if marked != 1:
                continue  # another watcher on this store raised them a moment ago
            new += sum(_insert_alert(connection, rule, alert, now) for rule, alert in alerts)
    if old:
        notes.append(
            f"{old:,} ingest(s) older than {ALERT_BACKLOG_DAYS:g} days whose alerts were never raised: "
            f"marked, not alerted"
        )
    latest = functools.cache(store.latest_catalog)  # read once a round, by the first rule that needs it
    for rule in spec.rules:
        if rule in change_rules:
            continue
        for alert in _round_alerts(rule, store, now, latest, notes):
            with store.engine.begin() as connection:
                new += _insert_alert(connection, rule, alert, now)
    return new


def _insert_alert(connection, rule: Rule, alert: dict, now: datetime) -> bool:
    """Insert one alert and its deliveries unless its key (or a neighbouring one, ``_near``) is stored already;
    whether it was new. ON CONFLICT DO NOTHING: a concurrent watcher's copy is skipped inside the transaction."""
    near = alert.pop("_near", [])
    if near and connection.execute(select(Alert.id).where(Alert.key.in_(near))).first():
        return False  # the same pass, already alerted under its neighbouring quarter-hour
    from sqlalchemy.dialects import postgresql, sqlite

    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    inserted = connection.execute(
        dialect_insert(Alert).values(**alert).on_conflict_do_nothing(index_elements=["key"]).returning(Alert.id)
    ).first()
    if inserted is None:  # the key is unique in the store: the same event is never alerted twice, by anyone
        return False
    for receiver in rule.notify:
        connection.execute(
            insert(Delivery).values(
                alert_id=inserted[0], receiver=receiver_address(receiver), attempts=0, next_attempt_at=now
            )
        )
    return True


def _round_alerts(rule: Rule, store: CatalogStore, now: datetime, latest: Callable[[], Catalog], notes: list[str]):
    """The alerts of a rule that looks at the store as it is now: stale elements, overflights, conjunctions,
    predicted re-entries."""
    if isinstance(rule.options, OverflightRule):
        yield from _overflight_alerts(rule, rule.options, store, now, latest(), notes)
        return
    if isinstance(rule.options, ConjunctionRule):
        yield from _conjunction_alerts(rule, rule.options, store, now)
        return
    if isinstance(rule.options, DecayRule):
        yield from _decay_alerts(rule, rule.options, store, now)
        return
    if rule.when == "stale":
        quality = store.quality(now)
        for row in quality[quality.age_days > rule.stale_days].itertuples():
            day = now.strftime("%Y-%m-%d")
            yield _alert(
                rule,
                f"{row.norad_id}:{day}",
                [int(row.norad_id)],
                str(row.name),
                now,
                f"elements {row.age_days:.1f} days old (over {rule.stale_days:g})",
            )


def _change_alerts(rule: Rule, changes: pd.DataFrame, satcat: dict):
    """The alerts of a change rule (new_object, gone, decayed, manoeuvre) among the changes of one ingest."""
    if not len(changes):
        return
    picked = changes[changes.change == CHANGE_KINDS[rule.when]]
    if rule.when == "manoeuvre":
        picked = picked[picked.confidence.fillna(0.0).to_numpy(float) >= rule.min_confidence]
    if rule.when == "new_object":
        # a boolean array, not a list: an empty list would select no *columns* (a round whose changes hold no new
        # object then ended in an error)
        picked = picked[
            np.array(
                [
                    _matches(rule, satcat.get(int(n), {}), str(o))
                    for n, o in zip(picked.norad_id, picked.object_id, strict=True)
                ],
                dtype=bool,
            )
        ]
        launch = (
            picked.object_id.astype(str)
            .str.extract(r"^(\d{4}-\d{3})", expand=False)
            .fillna(picked.norad_id.astype(str))
        )
        for key, group in picked.groupby(launch):
            ids = sorted(int(n) for n in group.norad_id)
            names = ", ".join(sorted(set(group.name.astype(str))))[:190]
            # the key holds the objects too: pieces of a launch catalogued later (deployments from the ISS, all
            # of launch 1998-067) are a new alert, and the same objects never alert twice
            digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]
            yield _alert(
                rule,
                f"launch:{key}:{digest}",
                ids,
                names,
                group.time.min(),
                f"{len(ids)} new object(s) of launch {key}",
            )
        return
    for row in picked.itertuples():
        yield _alert(
            rule,
            f"{row.norad_id}:{pd.Timestamp(row.time).isoformat()}",
            [int(row.norad_id)],
            str(row.name),
            row.time,
            str(row.detail),
        )


def _category_ids(store: CatalogStore, category: Category) -> set[int] | None:
    """The NORAD ids of a rule's category, or None when it names none (every object)."""
    if not (category.group or category.object_type or category.owner or category.tag):
        return None
    return store.select_ids(
        object_type=category.object_type, owner=category.owner, group=category.group, tag=category.tag
    )


OVERFLIGHT_BUCKET_S = 900  # an overflight's key: the object and the quarter-hour of its culmination


def _overflight_alerts(
    rule: Rule, options: OverflightRule, store: CatalogStore, now: datetime, catalog: Catalog, notes: list[str]
):
    """One alert per pass of an object of the category over the site or the area in the next hours. The key is the
    object and the quarter-hour of its culmination, so newer elements moving a pass by seconds alert nothing new
    (a neighbouring quarter-hour already alerted counts as the same pass)."""
    wanted = _category_ids(store, options)
    if wanted is not None:
        catalog = catalog.select(sorted(wanted & {int(n) for n in catalog.norad_ids}))
    if len(catalog) == 0:
        return
    from overhead.analysis.access import MAX_ELEMENT_AGE_DAYS

    start = pd.Timestamp(now).to_datetime64()
    stop = start + np.timedelta64(int(options.within_h * 3600), "s")
    usable = catalog.within_age(np.array([start, stop]), MAX_ELEMENT_AGE_DAYS)
    if len(usable) < len(catalog):  # no forecast from elements SGP4 cannot carry that far (a stale rule says so)
        notes.append(
            f"{rule.name}: {len(catalog) - len(usable):,} objects left out, their elements are more than "
            f"{MAX_ELEMENT_AGE_DAYS:g} days from the next {options.within_h:g} h; fetch newer ones"
        )
    catalog = usable
    if len(catalog) == 0:
        return
    with element_age_said():  # a stale rule says it; an overflight is a forecast
        windows = _overflight_windows(catalog, options, start, stop)
    where = options.site_name or options.site or Path(str(options.area)).name
    for row in windows.itertuples():
        bucket = int(pd.Timestamp(row.culmination).timestamp() // OVERFLIGHT_BUCKET_S)
        near = [f"{rule.name}|{rule.when}|{row.norad_id}:{b}" for b in (bucket - 1, bucket + 1)]
        alert = _alert(
            rule,
            f"{row.norad_id}:{bucket}",
            [int(row.norad_id)],
            str(row.name),
            row.start,
            f"over {where}: from {_z(row.start)} to {_z(row.end)}, highest {row.max_elevation_deg:.1f}° "
            f"at {_z(row.culmination)}",
        )
        yield alert | {"_near": near}


def _overflight_windows(catalog, options: OverflightRule, start, stop) -> pd.DataFrame:
    """The passes (site) or the passes over any cell of the area, one row per object and pass: ``norad_id, name,
    start, end, culmination, max_elevation_deg``."""
    from overhead.analysis.access import access_windows
    from overhead.geometry.grids import AnalysisGrid
    from overhead.geometry.sensors import AccessConstraints
    from overhead.geometry.specs import ConstraintsSpec

    if options.site is not None:
        from overhead.analysis.passes import passes_over_site
        from overhead.requests import SiteQuery, spec_default

        mask = options.min_elevation_deg
        passes = passes_over_site(
            catalog,
            GroundSite.from_text(options.site),
            start,
            stop,
            min_elevation_deg=spec_default(SiteQuery, "min_elevation_deg") if mask is None else mask,
        )
        return passes.rename(columns={"rise": "start", "set": "end"})
    grid = AnalysisGrid.from_geojson_file(str(options.area), options.resolution)
    constraints = AccessConstraints.from_spec(
        ConstraintsSpec(min_elevation_deg=options.min_elevation_deg or 0.0, half_angle_deg=options.half_angle_deg)
    )
    windows = access_windows(catalog, grid.to_targets(), start, stop, constraints)
    if windows.empty:
        return pd.DataFrame(columns=["norad_id", "name", "start", "end", "culmination", "max_elevation_deg"])
    # the windows of one object over the area's cells that overlap are one pass over the area
    windows = windows.sort_values(["norad_id", "start"], ignore_index=True)
    new_pass = (windows.norad_id != windows.norad_id.shift()) | (
        windows.start > windows.groupby("norad_id").end.cummax().shift()
    )
    windows["pass_id"] = new_pass.cumsum()
    best = windows.loc[windows.groupby("pass_id").max_elevation_deg.idxmax()].set_index("pass_id")
    grouped = windows.groupby("pass_id")
    return pd.DataFrame(
        {
            "norad_id": grouped.norad_id.first(),
            "name": grouped.name.first(),
            "start": grouped.start.min(),
            "end": grouped.end.max(),
            "culmination": best.culmination,
            "max_elevation_deg": best.max_elevation_deg,
        }
    ).reset_index(drop=True)


def _conjunction_alerts(rule: Rule, options: ConjunctionRule, store: CatalogStore, now: datetime):
    """One alert per stored conjunction (pair and TCA to the second) of an object of the category that meets the
    thresholds, with its TCA in the look-ahead."""
    table = store.conjunctions(since=now, min_pc=options.min_pc)
    if table.empty:
        return
    table = table[pd.to_datetime(table.tca) <= pd.Timestamp(now) + pd.Timedelta(hours=options.within_h)]
    if options.max_range_km is not None:
        table = table[table.min_range_km <= options.max_range_km]
    wanted = _category_ids(store, options)
    if wanted is not None:
        table = table[table.norad_id_1.isin(wanted) | table.norad_id_2.isin(wanted)]
    for row in table.itertuples():
        tca = pd.Timestamp(row.tca)
        pair = f"{min(row.norad_id_1, row.norad_id_2)}-{max(row.norad_id_1, row.norad_id_2)}"
        pc = "" if pd.isna(row.assumed_cov_pc) else f", Pc {row.assumed_cov_pc:.2e} (assumed covariance)"
        yield _alert(
            rule,
            f"{pair}:{tca.floor('s').isoformat()}",
            [int(row.norad_id_1), int(row.norad_id_2)],
            f"{row.name_1} / {row.name_2}",
            tca,
            f"{row.min_range_km:.3f} km at {_z(tca)}, {row.relative_speed_km_s:.2f} km/s{pc}",
        )


def _decay_alerts(rule: Rule, options: DecayRule, store: CatalogStore, now: datetime):
    """One alert per object of the category predicted to re-enter within the rule's days (the key is the object:
    a prediction that moves with newer elements is not a new event; the object's detail shows the latest)."""
    from overhead.catalog.reentry import store_reentries

    wanted = _category_ids(store, options)
    if wanted is not None and not wanted:
        return
    table = store_reentries(
        store, within_days=options.within_days, at=now, norad_ids=None if wanted is None else sorted(wanted)
    )
    for row in table.itertuples():
        yield _alert(
            rule,
            str(int(row.norad_id)),
            [int(row.norad_id)],
            str(row.name),
            row.reentry,
            f"re-entry predicted {_z(row.reentry)} (window {_z(row.window_start)} to "
            f"{_z(row.window_end)}), perigee {row.perigee_km:.0f} km, decaying "
            f"{-row.decay_km_day:.2g} km/day",
        )


def _z(time) -> str:
    return pd.Timestamp(time).strftime("%Y-%m-%dT%H:%M:%SZ")


def _alert(rule: Rule, event: str, norad_ids: list[int], name: str, time, detail: str) -> dict:
    return {
        "key": f"{rule.name}|{rule.when}|{event}",
        "rule": rule.name,
        "kind": rule.when,
        "norad_ids": json.dumps(norad_ids),
        "name": name,
        "time": naive_utc(time),
        "detail": detail[:2000],
        "created_at": naive_utc(pd.Timestamp.now(tz="UTC")),
    }


def alert_payload(row) -> dict:
    """The JSON of one alert as receivers get it (times ISO-8601 Z)."""
    ids = json.loads(row.norad_ids)
    body = {
        "rule": row.rule,
        "kind": row.kind,
        "name": row.name,
        "time": row.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "detail": row.detail,
        "key": row.key,
    }
    body |= {"norad_id": ids[0]} if len(ids) == 1 else {"norad_ids": ids}
    return body


_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def receiver_address(receiver) -> str | None:
    """A notify entry as the address deliveries record: the webhook's URL or ``mailto:ADDRESS``; None if neither."""
    if not isinstance(receiver, dict):
        return None
    if "webhook" in receiver and str(receiver["webhook"]).startswith(("http://", "https://")):
        return str(receiver["webhook"])
    if "email" in receiver and _EMAIL.match(str(receiver["email"])) and len(str(receiver["email"])) <= 254:
        return f"mailto:{receiver['email']}"
    return None


@dataclass(frozen=True)
class SmtpSettings:
    """Where e-mail alerts go out: ``$OVERHEAD_SMTP_HOST`` (required for e-mail), ``_PORT`` (25; 465 is SMTPS),
    ``_STARTTLS`` (1 to upgrade), ``_USER`` and ``_PASSWORD`` (never logged or stored), ``_FROM``."""

    host: str
    port: int = 25
    starttls: bool = False
    user: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    sender: str = "overhead@localhost"

    @classmethod
    def from_environment(cls) -> SmtpSettings | None:
        import os

        host = os.environ.get("OVERHEAD_SMTP_HOST")
        if not host:
            return None
        port = os.environ.get("OVERHEAD_SMTP_PORT", "25")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise OverheadError(f"OVERHEAD_SMTP_PORT {port[:20]!r} is not a port number (25, 465 or 587)")
        return cls(
            host,
            int(port),
            os.environ.get("OVERHEAD_SMTP_STARTTLS", "") in ("1", "true", "yes"),
            os.environ.get("OVERHEAD_SMTP_USER", ""),
            os.environ.get("OVERHEAD_SMTP_PASSWORD", ""),
            os.environ.get("OVERHEAD_SMTP_FROM", "overhead@localhost"),
        )


def _one_line(text: str, limit: int) -> str:
    """Outside text fit for a mail header: no line breaks (no header injection), cut to ``limit``."""
    return re.sub(r"[\r\n\t]+", " ", str(text))[:limit]


def _send_email(smtp: SmtpSettings | None, address: str, payload: dict) -> tuple[bool, str, bool]:
    """(delivered, error, unreachable), as :func:`_post_webhook` answers."""
    import smtplib
    from email.message import EmailMessage

    if smtp is None:
        return False, "no SMTP server: set OVERHEAD_SMTP_HOST", False  # a setting, not a server down
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = address
    message["Subject"] = _one_line(f"[overhead] {payload['rule']}: {payload['kind']} — {payload['name']}", 200)
    lines = [f"{k}: {v}" for k, v in payload.items()]
    message.set_content("\n".join(lines) + "\n\n" + json.dumps(payload, indent=1) + "\n")
    try:
        connect = smtplib.SMTP_SSL if smtp.port == 465 else smtplib.SMTP
        with connect(smtp.host, smtp.port, timeout=DELIVERY_DEADLINE_S) as server:
            if smtp.starttls:
                server.starttls()
            if smtp.user:
                server.login(smtp.user, smtp.password)
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:  # the class only: never the server's words (may echo the login)
        return False, type(exc).__name__, True
    return True, "", False


_IN_FLIGHT: dict[str, int] = {}  # receiver -> sends of this process still running (an abandoned stalled one too)
_IN_FLIGHT_LOCK = threading.Lock()


def _due_deliveries(store: CatalogStore, now: datetime) -> dict[str, deque]:
    """The deliveries due now, by receiver, oldest alert first."""
    with store.engine.connect() as connection:
        due = connection.execute(
            select(
                Delivery.alert_id,
                Delivery.receiver,
                Delivery.attempts,
                Delivery.next_attempt_at,
                Alert.rule,
                Alert.kind,
                Alert.norad_ids,
                Alert.name,
                Alert.time,
                Alert.detail,
                Alert.key,
            )
            .join(Alert, Alert.id == Delivery.alert_id)
            .where(Delivery.delivered_at.is_(None), Delivery.next_attempt_at <= now)
            .order_by(Delivery.alert_id)
        ).all()
    by_receiver: dict[str, deque] = {}
    for row in due:
        by_receiver.setdefault(row.receiver, deque()).append(row)
    return by_receiver


def _deliver(store: CatalogStore, spec: WatchSpec, now: datetime, http: httpx.Client | None) -> tuple[int, int]:
    """Send the due deliveries, in parallel and each within its deadline (see the module docstring); the store is
    written by this thread only. Returns (delivered, failed)."""
    client = http or httpx.Client(timeout=DELIVERY_DEADLINE_S)
    try:
        return _DeliveryRound(store, spec, now, client).run()
    finally:
        if http is None:
            client.close()


class _DeliveryRound:
    """One round's deliveries: sends on worker threads (at most DELIVERY_PER_RECEIVER a receiver, across rounds),
    their answers concluded in the store by the round's own thread, a send past its deadline a failure."""

    def __init__(self, store: CatalogStore, spec: WatchSpec, now: datetime, client: httpx.Client):
        self.store, self.now, self.client = store, now, client
        self.secrets = {(rule.name, receiver_address(r)): r.get("secret") for rule in spec.rules for r in rule.notify}
        self.smtp = SmtpSettings.from_environment()
        self.waiting = _due_deliveries(store, now)
        self.started = time.monotonic()
        self.answers: queue.Queue = queue.Queue()
        self.running: dict[tuple[int, str], tuple[Any, float]] = {}  # (alert, receiver) -> (row, deadline)
        self.down: set[str] = set()  # receivers that timed out or refused this round: left for the next one
        self.delivered = self.failed = 0

    def clock(self) -> datetime:  # the round's time advanced by what has passed since: back-off from each attempt
        return self.now + timedelta(seconds=time.monotonic() - self.started)

    def run(self) -> tuple[int, int]:
        while True:
            for receiver, rows in self.waiting.items():
                self.start_sends(receiver, rows)
            if not self.running:
                return self.delivered, self.failed
            self.wait_for_one()

    def start_sends(self, receiver: str, rows: deque) -> None:
        """Start this receiver's next sends while it has free slots."""
        while rows and receiver not in self.down:
            mine = sum(key[1] == receiver for key in self.running)  # sent, not yet concluded
            if mine >= DELIVERY_PER_RECEIVER:
                return
            with _IN_FLIGHT_LOCK:
                if _IN_FLIGHT.get(receiver, 0) >= DELIVERY_PER_RECEIVER:
                    if not mine:
                        self.down.add(receiver)  # its slots are held by stalled sends of an earlier round
                    return
                _IN_FLIGHT[receiver] = _IN_FLIGHT.get(receiver, 0) + 1
            row = rows.popleft()
            if not _claim_delivery(self.store, row, self.now):  # another watcher on this store is delivering it
                with _IN_FLIGHT_LOCK:
                    _IN_FLIGHT[receiver] -= 1
                continue
            self.running[(row.alert_id, row.receiver)] = (row, time.monotonic() + DELIVERY_DEADLINE_S)
            threading.Thread(target=self.send, args=(row,), daemon=True, name="overhead-delivery").start()

    def wait_for_one(self) -> None:
        """Conclude the next answer, or every send past its deadline."""
        deadline = min(d for _, d in self.running.values())
        try:
            row, ok, error, unreachable = self.answers.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:  # the oldest send is past its deadline: a failure; its thread is abandoned
            for key, (row, due) in list(self.running.items()):
                if due <= time.monotonic():
                    del self.running[key]
                    self.down.add(row.receiver)
                    self.conclude(row, False, f"no answer within {DELIVERY_DEADLINE_S:g} s")
            return
        if self.running.pop((row.alert_id, row.receiver), None) is None:
            return  # an abandoned send that ended after all: concluded already as a failure
        if unreachable:
            self.down.add(row.receiver)
        self.conclude(row, ok, error)

    def send(self, row) -> None:  # on a worker thread: touches no store
        try:
            if row.receiver.startswith("mailto:"):
                ok, error, unreachable = _send_email(self.smtp, row.receiver[len("mailto:") :], alert_payload(row))
            else:
                ok, error, unreachable = _post_webhook(self.client, row, self.secrets.get((row.rule, row.receiver)))
        except Exception as exc:  # a worker never dies silently: the round records why
            ok, error, unreachable = False, type(exc).__name__, True
        finally:
            with _IN_FLIGHT_LOCK:
                _IN_FLIGHT[row.receiver] -= 1
        self.answers.put((row, ok, error, unreachable))

    def conclude(self, row, ok: bool, error: str) -> None:
        when = self.clock()
        where = (Delivery.alert_id == row.alert_id) & (Delivery.receiver == row.receiver)
        with self.store.engine.begin() as connection:
            if ok:
                connection.execute(update(Delivery).where(where).values(delivered_at=when, attempts=row.attempts + 1))
                self.delivered += 1
            else:
                wait = DELIVERY_BACKOFF_S[min(row.attempts, len(DELIVERY_BACKOFF_S) - 1)]
                connection.execute(
                    update(Delivery)
                    .where(where)
                    .values(attempts=row.attempts + 1, next_attempt_at=when + timedelta(seconds=wait), last_error=error)
                )
                self.failed += 1


def idempotency_key(alert_key: str) -> str:
    """The ``Idempotency-Key`` a receiver gets with an alert: the same on every attempt, whoever sends it."""
    return hashlib.sha256(alert_key.encode()).hexdigest()[:32]


def _post_webhook(client: httpx.Client, row, secret) -> tuple[bool, str, bool]:
    """(delivered, error, unreachable): the receiver's status line is its answer; its body is never read, so a
    receiver that trickles one never holds the delivery."""
    body = json.dumps(alert_payload(row)).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Overhead-Alert": row.key[:200],
        "Idempotency-Key": idempotency_key(row.key),
    }
    if secret:  # each rule signs with its own receiver's secret
        headers["X-Overhead-Signature"] = "sha256=" + hmac.new(str(secret).encode(), body, hashlib.sha256).hexdigest()
    try:
        with client.stream("POST", row.receiver, content=body, headers=headers, timeout=DELIVERY_DEADLINE_S) as answer:
            status = answer.status_code
    except httpx.HTTPError as exc:  # one receiver down never blocks the others
        return False, f"{type(exc).__name__}", True
    return 200 <= status < 300, f"HTTP {status}", False


def _claim_delivery(store: CatalogStore, row, now: datetime) -> bool:
    """Take one due delivery for this watcher: a compare-and-set of its next attempt time, moved a lease ahead (a
    watcher killed while sending leaves it to be retried after the lease, with the same idempotency key)."""
    where = (
        (Delivery.alert_id == row.alert_id)
        & (Delivery.receiver == row.receiver)
        & Delivery.delivered_at.is_(None)
        & (Delivery.next_attempt_at == row.next_attempt_at)
    )
    with store.engine.begin() as connection:
        return (
            connection.execute(
                update(Delivery)
                .where(where)
                .values(next_attempt_at=now + timedelta(seconds=_lease_s(DELIVERY_LEASE_S)))
            ).rowcount
            == 1
        )


def alerts_after(store: CatalogStore, after_id: int | None, limit: int = 500) -> list[tuple[int, dict]]:
    """The alerts stored after ``after_id`` (None: none yet, only the newest id is of interest), oldest first, as
    ``(id, payload)`` — for a live stream that resumes where its client left off."""
    with store.engine.connect() as connection:
        if after_id is None:
            newest = connection.execute(select(Alert.id).order_by(Alert.id.desc()).limit(1)).scalar()
            return [(int(newest or 0), {})]
        rows = connection.execute(
            select(Alert.id, Alert.rule, Alert.kind, Alert.norad_ids, Alert.name, Alert.time, Alert.detail, Alert.key)
            .where(Alert.id > int(after_id))
            .order_by(Alert.id)
            .limit(limit)
        ).all()
    return [(int(row.id), alert_payload(row)) for row in rows]


def alerts_table(store: CatalogStore, since=None) -> pd.DataFrame:
    """Stored alerts, newest first: ``time`` (of the event: a pass, a TCA, a manoeuvre), ``rule, kind, norad_ids,
    name, detail, key, id, raised_at`` (when the alert was raised); times naive UTC."""
    query = select(
        Alert.time,
        Alert.rule,
        Alert.kind,
        Alert.norad_ids,
        Alert.name,
        Alert.detail,
        Alert.key,
        Alert.id,
        Alert.created_at.label("raised_at"),
    )
    if since is not None:
        query = query.where(Alert.time > naive_utc(since))
    with store.engine.connect() as connection:
        rows = connection.execute(query.order_by(Alert.time.desc(), Alert.id.desc())).all()
    columns = ["time", "rule", "kind", "norad_ids", "name", "detail", "key", "id", "raised_at"]
    return utc_times(pd.DataFrame(rows, columns=columns))
