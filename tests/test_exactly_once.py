"""Exactly once, never stalled: the watcher under crashes at every step of a round and beside slow, dead and
hostile receivers; an ingest that holds nothing, or that leaves out most of its group, never empties a group or
reports it gone — through every door.

Each test was written against the failure first (issues #29 and #30): alerts of an ingest committed by a watcher
killed before raising them were never raised; a hanging receiver cost its timeout per delivery in series and a
trickling one stalled the round; `allow_shrink=true` with a body of no element set emptied a group; a file cut at
a record boundary holding 60 % of a group reported the rest gone."""

from __future__ import annotations

import itertools
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from overhead.catalog import watch
from overhead.catalog.models import Delivery, Ingest
from overhead.catalog.store import CatalogStore
from overhead.catalog.watch import alerts_table, idempotency_key, load_rules, watch_round
from overhead.errors import IngestRefusedError
from tests.conftest import shared_file
from tests.test_sources import _next_stations, _stations_and_science, _watch_rules, stand_in  # noqa: F401

T0 = datetime(2026, 5, 31, 0, 0)  # the stations snapshot is of 2026-05-30


class Crash(BaseException):
    """A process dying at this point: nothing of ours runs after it (no except clause catches it), and the open
    transaction is rolled back as the database does for a killed client."""


def _baseline_and_next(stand_in, tmp_path):  # noqa: F811
    """A store holding the stations baseline, the stand-in serving the next snapshot (3 alerts: HST new, Dragon
    CRS-34 gone, Shenzhou-23 decayed)."""
    stations, science = _stations_and_science()
    spec = load_rules(_watch_rules(tmp_path, stand_in))
    store = CatalogStore(f"sqlite:///{tmp_path / 'w.sqlite'}")
    assert watch_round(store, spec, celestrak_url=stand_in.url, now=T0).baselines == ["stations: 25 objects"]
    stand_in.groups["stations"] = _next_stations(stations, science)
    return store, spec


def _assert_every_alert_delivered_once(store, stand_in, expected: int, *, repeats_allowed: int = 0):  # noqa: F811
    keys = set(alerts_table(store).key)
    seen = [headers["idempotency-key"] for _, headers in stand_in.hooks]
    assert len(keys) == expected
    assert set(seen) == {idempotency_key(k) for k in keys}  # every alert reached the receiver
    assert len(seen) - len(set(seen)) <= repeats_allowed  # a repeat only of a send in flight, with its key
    with store.engine.connect() as connection:
        assert connection.execute(select(Delivery).where(Delivery.delivered_at.is_(None))).first() is None


def test_a_watcher_dying_after_its_ingest_committed_leaves_the_alerts_to_the_next_round(
    stand_in,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    store, spec = _baseline_and_next(stand_in, tmp_path)

    def die(*_args, **_kwargs):
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(watch, "_raise_alerts", die)
        with pytest.raises(Crash):
            watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=T0 + timedelta(hours=3))
    assert len(store.ingests()) == 2 and alerts_table(store).empty  # committed, not alerted
    # the re-fetch finds the stored SHA-256 (nothing new to ingest), yet the ingest's alerts are raised
    clean = watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=T0 + timedelta(hours=6))
    assert clean.new_alerts == 3 and clean.delivered == 3
    assert sorted(alerts_table(store).kind) == ["decayed", "gone", "new_object"]
    again = watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=T0 + timedelta(hours=9))
    assert again.new_alerts == 0 and again.delivered == 0
    _assert_every_alert_delivered_once(store, stand_in, 3)


def test_a_watcher_dying_between_two_alerts_raises_none_of_that_ingest_then_all_of_them(
    stand_in,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    store, spec = _baseline_and_next(stand_in, tmp_path)
    real, calls = watch._insert_alert, []

    def second_dies(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise Crash
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(watch, "_insert_alert", second_dies)
        with pytest.raises(Crash):
            watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=T0 + timedelta(hours=3))
    assert alerts_table(store).empty  # the first alert went with its transaction: the ingest is still pending
    with store.engine.connect() as connection:
        assert connection.execute(select(Ingest.alerts_raised_at).order_by(Ingest.id.desc())).scalar() is None
    clean = watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=T0 + timedelta(hours=6))
    assert clean.new_alerts == 3 and clean.delivered == 3
    _assert_every_alert_delivered_once(store, stand_in, 3)


def test_a_watcher_dying_mid_delivery_repeats_only_the_sends_in_flight_with_their_keys(
    stand_in,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    store, spec = _baseline_and_next(stand_in, tmp_path)
    monkeypatch.setenv(watch.LEASE_ENV, "1")
    real, claims = watch._claim_delivery, []

    def third_claim_dies(*args, **kwargs):
        claims.append(1)
        if len(claims) == 3:
            time.sleep(1.0)  # the two sends in flight reach the receiver; the watcher dies before recording them
            raise Crash
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(watch, "_claim_delivery", third_claim_dies)
        with pytest.raises(Crash):
            watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=T0 + timedelta(hours=3))
    assert len(stand_in.hooks) == 2 and len(alerts_table(store)) == 3
    clean = watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=T0 + timedelta(hours=6))
    assert clean.new_alerts == 0 and clean.delivered == 3  # the two claimed ones after their lease, and the third
    _assert_every_alert_delivered_once(store, stand_in, 3, repeats_allowed=2)
    first_two = [headers["idempotency-key"] for _, headers in stand_in.hooks[:2]]
    assert sorted(first_two) == sorted(
        headers["idempotency-key"] for _, headers in stand_in.hooks[2:] if headers["idempotency-key"] in first_two
    )  # the same keys again


def test_kill_9_as_the_ingest_commits_then_a_clean_round_raises_and_delivers_every_alert(stand_in, tmp_path):  # noqa: F811
    """The issue's reproduction: poll ``ingests.finished_at`` every 20 ms and SIGKILL the watcher when it grows."""
    store, spec = _baseline_and_next(stand_in, tmp_path)
    rules = tmp_path / "rules.yaml"
    db = store.url
    done_before = len(store.ingests())
    watcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "overhead.cli.main",
            "watch",
            str(rules),
            "--once",
            "--force",
            "--celestrak-url",
            stand_in.url,
            "--db",
            db,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    with store.engine.connect() as connection:
        while time.monotonic() < deadline and watcher.poll() is None:
            if (
                connection.execute(text("SELECT count(*) FROM ingests WHERE finished_at IS NOT NULL")).scalar()
                > done_before
            ):
                break
            connection.rollback()
            time.sleep(0.02)
    watcher.send_signal(signal.SIGKILL)
    watcher.wait(timeout=20)
    assert len(store.ingests()) == done_before + 1
    clean = watch_round(
        store,
        spec,
        force=True,
        celestrak_url=stand_in.url,
        now=datetime.utcnow() + timedelta(seconds=watch.DELIVERY_LEASE_S + 60),
    )
    assert clean.errors == []
    _assert_every_alert_delivered_once(store, stand_in, 3, repeats_allowed=3)


# ------------------------------------------------------------------------------------------ slow receivers
class RawReceiver:
    """A webhook receiver on a raw socket: ``healthy`` answers 200 at once, ``hang`` reads and never answers,
    ``trickle_head`` sends its status line and then one header byte a second, ``trickle_body`` answers 200 with a
    1,000-byte body sent one byte a second, ``error`` answers 500."""

    def __init__(self, mode: str):
        self.mode, self.arrivals, self.keys = mode, [], []
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/hook"
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.socket.settimeout(0.2)
        while not self.stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(30)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    data += connection.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(
                    next(
                        line.split(b":")[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    )
                )
                while len(body) < length:
                    body += connection.recv(65536)
                key = next(
                    line.split(b":", 1)[1].strip().decode()
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"idempotency-key")
                )
                self.arrivals.append(time.monotonic())
                self.keys.append(key)
                if self.mode == "healthy":
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                elif self.mode == "error":
                    connection.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                elif self.mode == "trickle_head":
                    connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    while not self.stop.wait(1.0):
                        connection.sendall(b"a")
                elif self.mode == "trickle_body":
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
                    while not self.stop.wait(1.0):
                        connection.sendall(b"a")
                else:  # hang
                    self.stop.wait(60)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.socket.close()


@pytest.mark.slow
def test_hanging_trickling_failing_and_closed_receivers_never_delay_a_healthy_one(tmp_path):
    modes = ("healthy", "hang", "trickle_head", "trickle_body", "error")
    receivers = {mode: RawReceiver(mode) for mode in modes}
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        closed_url = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"  # nothing listens once it is closed
    try:
        notify = ", ".join(f'{{webhook: "{r.url}"}}' for r in receivers.values()) + f', {{webhook: "{closed_url}"}}'
        rules = tmp_path / "rules.yaml"
        rules.write_text(
            f"sources: []\nalerts:\n  - {{name: old, when: stale, older_than_days: 1, notify: [{notify}]}}\n"
        )
        store = CatalogStore(f"sqlite:///{tmp_path / 'r.sqlite'}")
        store.ingest(shared_file("catalog", "celestrak_groups_2026-05-30", "stations.tle"), group="stations")
        now = datetime(2026, 6, 10)  # every element set over a day old: one alert per object
        started = time.monotonic()
        result: list = []
        round_ = threading.Thread(target=lambda: result.append(watch_round(store, load_rules(rules), now=now)))
        round_.start()
        round_.join(timeout=120)
        assert not round_.is_alive(), "the round stalled"
        report = result[0]
        healthy = receivers["healthy"]
        assert report.new_alerts == 25 and len(healthy.keys) == 25 and len(set(healthy.keys)) == 25
        # the healthy receiver had all 25 long before the stalled ones' deadline (10 s) came round
        assert max(healthy.arrivals) - started < watch.DELIVERY_DEADLINE_S / 2
        assert len(receivers["trickle_body"].keys) == 25  # its status line was its answer
        assert len(receivers["error"].keys) == 25  # answers at once: every delivery tried, each to retry
        for mode in ("hang", "trickle_head"):  # at most the receiver's slots, then it is left for the next round
            assert len(receivers[mode].keys) <= watch.DELIVERY_PER_RECEIVER
        with store.engine.connect() as connection:
            rows = connection.execute(
                select(
                    Delivery.receiver,
                    Delivery.attempts,
                    Delivery.next_attempt_at,
                    Delivery.delivered_at,
                    Delivery.last_error,
                )
            ).all()
        by = {}
        for row in rows:
            by.setdefault(row.receiver, []).append(row)
        assert all(r.delivered_at is not None for r in by[healthy.url] + by[receivers["trickle_body"].url])
        for url in (receivers["hang"].url, receivers["trickle_head"].url):
            tried = [r for r in by[url] if r.attempts]
            assert 1 <= len(tried) <= watch.DELIVERY_PER_RECEIVER
            for r in tried:  # back-off counted from the attempt's end (its deadline), not from the round's start
                assert "no answer within" in r.last_error
                assert r.next_attempt_at >= now + timedelta(seconds=watch.DELIVERY_DEADLINE_S + 60)
            assert all(r.delivered_at is None for r in by[url])
        assert 1 <= sum(r.attempts for r in by[closed_url]) <= watch.DELIVERY_PER_RECEIVER
        assert report.delivered == 50
    finally:
        for receiver in receivers.values():
            receiver.close()


# ------------------------------------------------------------------------------- ingests that hold nothing
def test_no_door_accepts_a_body_without_an_element_set_even_with_allow_shrink(stand_in, tmp_path, capsys):  # noqa: F811
    import warnings

    from overhead.api import ServiceSettings, create_app
    from overhead.cli.main import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    # the API: the stateful schemathesis case of issue #29
    db = f"sqlite:///{tmp_path / 'api.sqlite'}"
    auth = {"Authorization": "Bearer t", "Content-Type": "text/plain"}
    with TestClient(create_app(ServiceSettings(db_url=db, token="t", scheduler="none"))) as client:
        groups = set(client.get("/api/status").json()["groups"])
        assert "resource" in groups
        for body in ("1 2", "\n\n", "No GP data found"):
            answer = client.post(
                "/api/catalog/ingest", params={"group": "resource", "allow_shrink": "true"}, content=body, headers=auth
            )
            detail = answer.json()["detail"]
            assert answer.status_code == 422 and ("nothing changed" in detail or "empty" in detail), answer.text
        assert set(client.get("/api/status").json()["groups"]) == groups
        assert client.get("/api/export/elements", params={"group": "resource"}).status_code == 200
    # the CLI
    cli_db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    stations = shared_file("catalog", "celestrak_groups_2026-05-30", "stations.tle")
    assert main(["catalog", "ingest", str(stations), "--group", "stations", "--db", cli_db]) == 0
    junk = tmp_path / "stations.tle"
    junk.write_text("1 2\n")
    capsys.readouterr()
    assert main(["catalog", "ingest", str(junk), "--group", "stations", "--allow-shrink", "--db", cli_db]) == 2
    err = capsys.readouterr().err
    assert "nothing changed" in err and "Traceback" not in err and len(err.strip().splitlines()) <= 3
    assert len(CatalogStore(cli_db).select_ids(group="stations")) == 25
    # the watcher: CelesTrak's "No GP data found" and a body of no element set are errors, the group stays
    spec = load_rules(_watch_rules(tmp_path, stand_in))
    store = CatalogStore(f"sqlite:///{tmp_path / 'watch.sqlite'}")
    watch_round(store, spec, celestrak_url=stand_in.url, now=T0)
    for body in (b"1 2\n", b"No GP data found"):
        stand_in.groups["stations"] = body
        report = watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=T0 + timedelta(hours=3))
        assert report.errors and "nothing changed" in report.errors[0] and report.new_alerts == 0
    assert len(store.select_ids(group="stations")) == 25 and alerts_table(store).empty


@pytest.mark.slow
def test_a_file_cut_at_a_record_boundary_concludes_nothing_gone(tmp_path):
    """60 % of the active group's records, whole (the cut after a complete line 2): ingested as an incomplete
    snapshot — no object gone or decayed — where it once reported 5,097 gone and 787 decayed."""
    path = shared_file("catalog", "celestrak_active_2025-10-03", "active.tle")
    store = CatalogStore(f"sqlite:///{tmp_path / 'cut.sqlite'}")
    held = store.ingest(path, group="active").new_objects
    lines = path.read_text().splitlines()
    kept = int(0.6 * held)
    cut = tmp_path / "active.tle"
    cut.write_text("\n".join(lines[: 3 * kept]) + "\n")
    report = store.ingest(cut, group="active")
    assert not report.complete and report.changes.empty and "cut short at a record boundary" in report.note
    assert (store.objects().status == "active").all()
    # a watcher with gone/decayed rules would alert nothing from it; the whole file next time changes nothing
    whole = store.ingest(path, group="active")
    assert whole.complete and whole.changes.empty
    # a group that really shrank is said so on purpose, and then its objects are gone
    shrunk = store.ingest(cut, group="active", allow_shrink=True)
    assert shrunk.complete and shrunk.changes.change.isin(["gone", "decayed"]).sum() == held - kept


def test_any_body_either_changes_nothing_or_is_a_whole_valid_snapshot(tmp_path):
    """Property (hypothesis): bodies made of the stations group's records — a subset, lines of garbage among
    them, cut at any byte — with or without allow_shrink: the ingest is refused and the store is unchanged, or it
    is accepted and then (checked against python-sgp4's reading of the same body) every element set it stored is
    a pair of the body's lines that python-sgp4 reads, no object present in the body is reported gone, gone is
    concluded only from a snapshot that holds its group, and undo restores the store exactly."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from sgp4.api import Satrec

    stations = shared_file("catalog", "celestrak_groups_2026-05-30", "stations.tle").read_text().splitlines()
    records = [stations[k : k + 3] for k in range(0, len(stations), 3)]
    store = CatalogStore(f"sqlite:///{tmp_path / 'p.sqlite'}")
    store.ingest_text("\n".join(stations) + "\n", group="stations")
    queries = {
        "objects": "SELECT * FROM objects ORDER BY norad_id",
        "sets": "SELECT fingerprint, ingest_id FROM element_sets ORDER BY fingerprint",
        "changes": "SELECT ingest_id, norad_id, change, time FROM changes ORDER BY id",
        "members": "SELECT * FROM group_members ORDER BY ingest_id, norad_id",
    }

    def contents():
        with store.engine.connect() as connection:
            return {k: connection.execute(text(q)).all() for k, q in queries.items()}

    garbage = st.sampled_from(
        ["1 2", "", "2 25544", "ISS (ZARYA)", "1 25544U 98067A   26150.5", "\x00\xff", "0 " + "X" * 80, "{", "<omm>"]
    )

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        picked=st.lists(st.integers(0, len(records) - 1), max_size=len(records), unique=True),
        inserted=st.lists(st.tuples(st.integers(0, 200), garbage), max_size=3),
        cut=st.one_of(st.none(), st.floats(0.0, 1.0)),
        allow_shrink=st.booleans(),
    )
    def check(picked, inserted, cut, allow_shrink):
        lines = [line for k in sorted(picked) for line in records[k]]
        for position, junk in inserted:
            lines.insert(min(position, len(lines)), junk)
        body = ("\n".join(lines) + "\n").encode("utf-8", "replace")
        if cut is not None:
            body = body[: int(cut * len(body))]
        before = contents()
        try:
            report = store.ingest_text(body, group="stations", allow_shrink=allow_shrink)
        except IngestRefusedError:
            assert contents() == before
            return
        text_lines = body.decode("utf-8", "replace").splitlines()
        sgp4_ids = set()
        for a, b in itertools.pairwise(text_lines):
            if a.startswith("1 ") and b.startswith("2 ") and len(a) >= 69 and len(b) >= 69:
                sgp4_ids.add(Satrec.twoline2rv(a[:69], b[:69]).satnum)
        assert report.records >= 1
        with store.engine.connect() as connection:
            stored = connection.execute(
                text("SELECT norad_id, line1, line2 FROM element_sets WHERE ingest_id = :i"), {"i": report.ingest_id}
            ).all()
        for norad_id, line1, line2 in stored:
            assert line1 in text_lines and line2 in text_lines and norad_id in sgp4_ids
        ended = set(report.changes.norad_id[report.changes.change.isin(["gone", "decayed"])])
        mentioned = {int(line[2:7]) for line in text_lines if line[:2] in ("1 ", "2 ") and line[2:7].isdigit()}
        assert not ended & mentioned  # an object in the body, even in a rejected record, is never gone
        if ended and not allow_shrink:
            assert report.complete and len(ended) <= max(8, 0.1 * 25)
        store.undo(report.ingest_id)
        after = contents()
        assert after["objects"] == before["objects"] and after["sets"] == before["sets"]
        assert after["changes"] == before["changes"]

    check()


def test_alert_payloads_carry_the_stable_key(stand_in, tmp_path):  # noqa: F811
    store, spec = _baseline_and_next(stand_in, tmp_path)
    watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=T0 + timedelta(hours=3))
    for body, headers in stand_in.hooks:
        payload = json.loads(body)
        assert headers["idempotency-key"] == idempotency_key(payload["key"])


@pytest.mark.slow
def test_status_answers_while_the_full_catalogue_is_ingested_through_the_api(tmp_path):
    """The ingest and the catalogue's rebuild run in a worker thread: /api/status answers all along (it once took
    8 s, the ingest's whole time, blocked behind it on the event loop). p99 figures: benchmarks.probe_integrity."""
    import httpx

    from overhead.api import ServiceSettings, create_app
    from tests.conftest import serve_app

    july = shared_file("catalog", "celestrak_active_omm_csv_2026-07-10", "active.csv").read_bytes()
    app = create_app(ServiceSettings(db_url=f"sqlite:///{tmp_path / 'big.sqlite'}", token="t", scheduler="none"))
    with serve_app(app) as url:
        done: list = []

        def ingest() -> None:
            with httpx.Client(timeout=600) as client:
                done.append(
                    client.post(
                        f"{url}/api/catalog/ingest",
                        params={"group": "active"},
                        content=july,
                        headers={"Authorization": "Bearer t", "Content-Type": "text/plain"},
                    )
                )

        worker = threading.Thread(target=ingest)
        latencies: list[float] = []
        with httpx.Client(timeout=60) as client:
            assert client.get(f"{url}/api/status").status_code == 200
            worker.start()
            while worker.is_alive():
                began = time.monotonic()
                assert client.get(f"{url}/api/status").status_code == 200
                latencies.append(time.monotonic() - began)
                time.sleep(0.02)
            worker.join()
            assert done[0].status_code == 201, done[0].text
            assert client.get(f"{url}/api/status").json()["objects"] > 15_000  # the new view once it answered
    # answered throughout: many answers while the ingest ran, none held for a large part of it
    print(f"status during the ingest: {len(latencies)} answers, max {max(latencies) * 1e3:.0f} ms")
    assert len(latencies) >= 10 and max(latencies) < 0.5 * sum(latencies) + 1.0


def test_a_warning_that_holds_for_every_request_is_logged_once_then_counted(tmp_path, caplog):
    """Every positions request far from the elements' epochs wrote the same warning to the server log (4,013 lines
    in one run): now its first occurrence is logged, then every tenfold repeat as a count."""
    import logging
    import warnings as warnings_module

    from fastapi.testclient import TestClient

    from overhead.api import ServiceSettings, create_app

    app = create_app(ServiceSettings(db_url=f"sqlite:///{tmp_path / 'w.sqlite'}", scheduler="none"))
    with TestClient(app) as client, warnings_module.catch_warnings():
        warnings_module.simplefilter("default")
        epoch = client.get("/api/status").json()["median_epoch"]
        median = datetime.fromisoformat(epoch.replace("Z", "+00:00"))
        with caplog.at_level(logging.WARNING, logger="overhead.api"):
            for k in range(25):  # each time its own message ("up to 10.1 days", "10.2 days", ...)
                far = (median + timedelta(days=10, hours=3 * k)).strftime("%Y-%m-%dT%H:%M:%SZ")
                assert client.get("/api/positions", params={"time": far}).status_code == 200
    lines = [
        r.getMessage() for r in caplog.records if r.name == "overhead.api" and "ElementAgeWarning" in r.getMessage()
    ]
    assert len(lines) == 2, lines  # the first in full, then "10 times so far"
    assert "days from their epochs" in lines[0] and "10 times" in lines[1]


PART_WRITER = r"""
import os, signal, sys, time
from pathlib import Path
from overhead.cli.main import _stop_cleanly_on_sigterm
from overhead.files import atomic_path

_stop_cleanly_on_sigterm()
with atomic_path(Path(sys.argv[1])) as temporary:
    temporary.write_text("half of it")
    print("writing", flush=True)
    if sys.argv[2] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(60)
"""


@pytest.mark.parametrize("how", ["kill", "term"])
def test_a_killed_write_leaves_no_part_file_for_long(tmp_path, how):
    """Killed `-o` runs left hidden `.part` files beside their output. SIGTERM: the CLI removes its own;
    kill -9: the next write to the same file removes it. The previous file is never touched."""
    from overhead.files import write_text_atomic

    target = tmp_path / "out.csv"
    target.write_text("the previous file")
    script = tmp_path / "writer.py"
    script.write_text(PART_WRITER)
    writer = subprocess.Popen([sys.executable, str(script), str(target), how], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    if how == "term":
        writer.send_signal(signal.SIGTERM)
    writer.wait(timeout=30)
    parts = [p.name for p in tmp_path.glob(".out.csv.*")]
    assert target.read_text() == "the previous file"
    if how == "term":
        assert parts == []
        return
    assert len(parts) == 1  # kill -9 runs no code: its part is there until the next write
    import os

    running = tmp_path / f".out.csv.{os.getppid()}.x1y2.part.csv"  # a write in progress in a live process
    running.write_text("someone else's")
    write_text_atomic(target, "the next file")
    assert [p.name for p in tmp_path.glob(".out.csv.*")] == [running.name] and target.read_text() == "the next file"


def test_the_served_sockets_send_without_waiting_for_acks():
    """Issue #30 (status during an ingest, p99 over 100 ms): every keep-alive answer of `overhead serve` waited
    ~40 ms. Its listening socket was made with protocol 0, and asyncio turns Nagle's algorithm off only on
    sockets whose protocol is TCP, so an answer's second write waited for the client's delayed ACK. The
    connections the served socket accepts have TCP_NODELAY set."""
    import asyncio
    import socket

    from overhead.cli.service import _listening_socket

    listener = _listening_socket("127.0.0.1", 0)
    port = listener.getsockname()[1]
    seen: list[int] = []

    async def serve_one() -> None:
        async def accepted(reader, writer) -> None:
            seen.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=listener)
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    asyncio.run(serve_one())
    assert seen and seen[0] != 0


def test_the_service_keeps_its_startup_objects_out_of_full_collections(tmp_path):
    """Issue #30 (status during an ingest, p99 over 100 ms): the stalls left were Python's full garbage
    collections, set off by an ingest or a view rebuild, each walking the 215,000 objects of the imported modules
    with the GIL held (80-110 ms). Once the service has started, those objects are frozen: a module's namespace
    is no longer among the objects a collection walks."""
    import gc

    from fastapi.testclient import TestClient

    from overhead.api import app as app_module
    from overhead.api.app import create_app
    from overhead.api.service import ServiceSettings

    settings = ServiceSettings(db_url=f"sqlite:///{tmp_path / 'c.sqlite'}", scheduler="none", load_sample=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/status").status_code == 200
        assert gc.get_freeze_count() > 10_000
        namespace = vars(app_module)
        assert not any(o is namespace for o in gc.get_objects())
