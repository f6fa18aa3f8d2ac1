"""Watching: fetch sources on their schedule, ingest, evaluate rules on what changed, notify — with its state in the
store, so that a restart resumes, a crash repeats nothing and two watchers on one store do not double-alert.

A rules file (YAML)::

    sources:
      - celestrak: {group: stations, every: 2h}
      - satcat: {every: 24h}
    alerts:
      - name: new-objects
        when: new_object            # new_object | gone | decayed | manoeuvre | stale
        owner: PRC                  # filters on new objects (SATCAT): owner, launch_site, object_type, intdes_prefix
        notify: [{webhook: "http://127.0.0.1:9000/hook", secret: "…"}]

One round (:func:`watch_round`): every source due (or all, forced) is fetched — CelesTrak's rules kept by its
client — and ingested; the first snapshot of a group is the baseline (reported, no alert for every object). Each
rule then turns the changes those ingests found into alerts, one per event, deduplicated by a key that the store
holds unique (a second watcher inserting the same alert is refused by the database, not by a race). New objects
of one launch are one alert (``norad_ids``). Deliveries are recorded per receiver: a webhook gets a JSON POST
(``rule, kind, norad_id | norad_ids, name, time, detail``, ISO-8601 Z), signed with HMAC-SHA256 in
``X-Overhead-Signature`` when a secret is set; a failing receiver is retried with back-off in later rounds and
never blocks the others.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pandas as pd
import yaml
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from overhead.catalog.changes import naive_utc
from overhead.catalog.models import Alert, Delivery, WatchSource
from overhead.catalog.sources import CelesTrak, SourceError
from overhead.catalog.store import CatalogStore
from overhead.errors import OverheadError

__all__ = ["ALERT_KINDS", "RoundReport", "Rule", "WatchSpec", "alerts_table", "load_rules", "watch_round"]

ALERT_KINDS = ("new_object", "gone", "decayed", "manoeuvre", "stale")
FILTERS = ("owner", "launch_site", "object_type", "intdes_prefix")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
DELIVERY_BACKOFF_S = (60, 300, 1800, 3600)


def _seconds(text) -> float:
    match = _DURATION.match(str(text))
    if not match:
        raise OverheadError(f"duration {text!r}: use a number and a unit, e.g. 2h, 30m, 1d")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


@dataclass(frozen=True)
class Source:
    key: str  # celestrak:GROUP or satcat
    every_s: float


@dataclass(frozen=True)
class Rule:
    name: str
    when: str
    filters: dict[str, str] = field(default_factory=dict)
    notify: tuple[dict, ...] = ()
    stale_days: float = 3.0


@dataclass(frozen=True)
class WatchSpec:
    sources: tuple[Source, ...]
    rules: tuple[Rule, ...]


def load_rules(path: str | Path) -> WatchSpec:
    """Read and check a rules file (every error names the entry and what to write)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise OverheadError(f"{path}: cannot read the rules ({exc})") from exc
    if not isinstance(data, dict) or "sources" not in data or "alerts" not in data:
        raise OverheadError(f"{path}: a rules file has 'sources' and 'alerts' lists")
    sources = []
    for entry in data["sources"] or []:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise OverheadError(f"{path}: source {entry!r}: write one of celestrak: {{group: NAME, every: 2h}} or "
                                "satcat: {every: 24h}")
        (kind, options), = entry.items()
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
            if not isinstance(receiver, dict) or not str(receiver.get("webhook", "")).startswith(("http://",
                                                                                                    "https://")):
                raise OverheadError(f"{path}: alert {entry['name']}: notify entries are {{webhook: URL}} "
                                    "(with an optional secret)")
        filters = {k: str(entry[k]) for k in FILTERS if k in entry}
        rules.append(Rule(entry["name"], entry["when"], filters, notify, float(entry.get("older_than_days", 3.0))))
    return WatchSpec(tuple(sources), tuple(rules))


@dataclass
class RoundReport:
    fetched: list[str] = field(default_factory=list)
    baselines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    new_alerts: int = 0
    delivered: int = 0
    failed_deliveries: int = 0

    def text(self) -> str:
        parts = [f"fetched {', '.join(self.fetched) or 'nothing (no source due)'}"]
        parts += [f"baseline: {b}" for b in self.baselines]
        parts += [f"error: {e}" for e in self.errors]
        parts.append(f"{self.new_alerts} new alerts, {self.delivered} delivered, {self.failed_deliveries} "
                     "deliveries to retry")
        return "; ".join(parts)


def watch_round(store: CatalogStore, spec: WatchSpec, *, force: bool = False, celestrak_url: str | None = None,
                now: datetime | None = None, http: httpx.Client | None = None) -> RoundReport:
    """One round: fetch what is due, ingest, raise alerts, deliver (see the module docstring)."""
    report = RoundReport()
    now = naive_utc(now) if now is not None else naive_utc(pd.Timestamp.now(tz="UTC"))
    ingests: list[int] = []
    with CelesTrak(celestrak_url) as celestrak:
        for source in spec.sources:
            state = _source_state(store, source.key)
            if not force and state is not None and state.last_fetch_at is not None and \
                    (now - state.last_fetch_at).total_seconds() < source.every_s:
                continue
            try:
                ingest_id, baseline = _fetch_and_ingest(store, celestrak, source, force)
            except (SourceError, OverheadError) as exc:
                report.errors.append(f"{source.key}: {exc}")
                _record_source(store, source.key, now, None, str(exc))
                continue
            report.fetched.append(source.key)
            _record_source(store, source.key, now, ingest_id, "")
            if ingest_id is not None:
                if baseline:
                    report.baselines.append(baseline)
                else:
                    ingests.append(ingest_id)
    report.new_alerts = _raise_alerts(store, spec, ingests, now)
    report.delivered, report.failed_deliveries = _deliver(store, spec, now, http)
    return report


def _source_state(store: CatalogStore, key: str):
    with store.engine.connect() as connection:
        return connection.execute(select(WatchSource).where(WatchSource.key == key)).first()


def _record_source(store: CatalogStore, key: str, now: datetime, ingest_id: int | None, error: str) -> None:
    with store.engine.begin() as connection:
        exists = connection.execute(select(WatchSource.key).where(WatchSource.key == key)).first()
        values: dict[str, object] = {"last_error": error[:2000]}
        if not error:
            values |= {"last_fetch_at": now, "last_ingest_id": ingest_id}
        if exists:
            connection.execute(update(WatchSource).where(WatchSource.key == key).values(**values))
        else:
            connection.execute(insert(WatchSource).values(key=key, **values))


def _fetch_and_ingest(store: CatalogStore, celestrak: CelesTrak, source: Source,
                      force: bool) -> tuple[int | None, str]:
    """(ingest id or None when nothing new, baseline text when this is the group's first snapshot)."""
    if source.key == "satcat":
        answer = celestrak.satcat_csv(force=force)
        if not answer.from_cache and not answer.not_modified:
            store.ingest_satcat(answer.body, source=answer.url)
        return None, ""
    group = source.key.split(":", 1)[1]
    answer = celestrak.gp(group=group, force=force)
    if answer.from_cache or answer.not_modified:
        return None, ""
    previous = store.ingests()
    first = previous.empty or not ((previous.group_name == group) & previous.undone_at.isna()).any()
    try:
        result = store.ingest_text(answer.body, source=answer.url, group=group)
    except OverheadError:
        celestrak.forget(answer.url)
        raise
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


def _raise_alerts(store: CatalogStore, spec: WatchSpec, ingests: list[int], now: datetime) -> int:
    if not spec.rules:
        return 0
    changes = store.changes(since=pd.Timestamp("1957-01-01")) if ingests else pd.DataFrame()
    if len(changes):
        changes = changes[changes.ingest_id.isin(ingests)]
    satcat = store.satcat().set_index("norad_id").to_dict("index") if ingests else {}
    new = 0
    for rule in spec.rules:
        for alert in _alerts_of(rule, changes, satcat, store, now):
            with store.engine.begin() as connection:
                try:  # the key is unique in the store: the same event is never alerted twice, by anyone
                    inserted = connection.execute(insert(Alert).values(**alert)).inserted_primary_key
                    assert inserted is not None
                    alert_id = inserted[0]
                except IntegrityError:
                    continue
                for receiver in rule.notify:
                    connection.execute(insert(Delivery).values(alert_id=alert_id, receiver=receiver["webhook"],
                                                               attempts=0, next_attempt_at=now))
            new += 1
    return new


def _alerts_of(rule: Rule, changes: pd.DataFrame, satcat: dict, store: CatalogStore, now: datetime):
    if rule.when == "stale":
        quality = store.quality(now)
        for row in quality[quality.age_days > rule.stale_days].itertuples():
            day = now.strftime("%Y-%m-%d")
            yield _alert(rule, f"{row.norad_id}:{day}", [int(row.norad_id)], str(row.name), now,
                         f"elements {row.age_days:.1f} days old (over {rule.stale_days:g})")
        return
    if not len(changes):
        return
    kind = {"new_object": "new", "gone": "gone", "decayed": "decayed", "manoeuvre": "manoeuvre"}[rule.when]
    picked = changes[changes.change == kind]
    if rule.when == "new_object":
        picked = picked[[_matches(rule, satcat.get(int(n), {}), str(o)) for n, o in
                         zip(picked.norad_id, picked.object_id, strict=True)]]
        launch = picked.object_id.astype(str).str.extract(r"^(\d{4}-\d{3})", expand=False).fillna(
            picked.norad_id.astype(str))
        for key, group in picked.groupby(launch):
            ids = sorted(int(n) for n in group.norad_id)
            names = ", ".join(sorted(set(group.name.astype(str))))[:190]
            yield _alert(rule, f"launch:{key}", ids, names, group.time.min(),
                         f"{len(ids)} new object(s) of launch {key}")
        return
    for row in picked.itertuples():
        yield _alert(rule, f"{row.norad_id}:{pd.Timestamp(row.time).isoformat()}", [int(row.norad_id)],
                     str(row.name), row.time, str(row.detail))


def _alert(rule: Rule, event: str, norad_ids: list[int], name: str, time, detail: str) -> dict:
    return {"key": f"{rule.name}|{rule.when}|{event}", "rule": rule.name, "kind": rule.when,
            "norad_ids": json.dumps(norad_ids), "name": name, "time": naive_utc(time), "detail": detail[:2000],
            "created_at": naive_utc(pd.Timestamp.now(tz="UTC"))}


def alert_payload(row) -> dict:
    """The JSON of one alert as receivers get it (times ISO-8601 Z)."""
    ids = json.loads(row.norad_ids)
    body = {"rule": row.rule, "kind": row.kind, "name": row.name, "time": row.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "detail": row.detail, "key": row.key}
    body |= {"norad_id": ids[0]} if len(ids) == 1 else {"norad_ids": ids}
    return body


def _deliver(store: CatalogStore, spec: WatchSpec, now: datetime, http: httpx.Client | None) -> tuple[int, int]:
    secrets = {(rule.name, r["webhook"]): r.get("secret") for rule in spec.rules for r in rule.notify}
    with store.engine.connect() as connection:
        due = connection.execute(
            select(Delivery.alert_id, Delivery.receiver, Delivery.attempts, Alert.rule, Alert.kind, Alert.norad_ids,
                   Alert.name, Alert.time, Alert.detail, Alert.key)
            .join(Alert, Alert.id == Delivery.alert_id)
            .where(Delivery.delivered_at.is_(None), Delivery.next_attempt_at <= now)
            .order_by(Delivery.alert_id)).all()
    client = http or httpx.Client(timeout=10.0)
    delivered = failed = 0
    try:
        for row in due:
            body = json.dumps(alert_payload(row)).encode()
            headers = {"Content-Type": "application/json", "X-Overhead-Alert": row.key[:200]}
            secret = secrets.get((row.rule, row.receiver))  # each rule signs with its own receiver's secret
            if secret:
                headers["X-Overhead-Signature"] = "sha256=" + hmac.new(str(secret).encode(), body,
                                                                        hashlib.sha256).hexdigest()
            try:
                answer = client.post(row.receiver, content=body, headers=headers)
                ok, error = 200 <= answer.status_code < 300, f"HTTP {answer.status_code}"
            except httpx.HTTPError as exc:  # one receiver down never blocks the others
                ok, error = False, f"{type(exc).__name__}"
            with store.engine.begin() as connection:
                where = (Delivery.alert_id == row.alert_id) & (Delivery.receiver == row.receiver)
                if ok:
                    connection.execute(update(Delivery).where(where).values(delivered_at=now,
                                                                            attempts=row.attempts + 1))
                    delivered += 1
                else:
                    wait = DELIVERY_BACKOFF_S[min(row.attempts, len(DELIVERY_BACKOFF_S) - 1)]
                    connection.execute(update(Delivery).where(where).values(
                        attempts=row.attempts + 1, next_attempt_at=now + timedelta(seconds=wait), last_error=error))
                    failed += 1
    finally:
        if http is None:
            client.close()
    return delivered, failed


def alerts_table(store: CatalogStore, since=None) -> pd.DataFrame:
    """Stored alerts, newest first: ``time, rule, kind, norad_ids, name, detail, key`` (times naive UTC)."""
    query = select(Alert.time, Alert.rule, Alert.kind, Alert.norad_ids, Alert.name, Alert.detail, Alert.key)
    if since is not None:
        query = query.where(Alert.time > naive_utc(since))
    with store.engine.connect() as connection:
        rows = connection.execute(query.order_by(Alert.time.desc(), Alert.id.desc())).all()
    return pd.DataFrame(rows, columns=["time", "rule", "kind", "norad_ids", "name", "detail", "key"])
