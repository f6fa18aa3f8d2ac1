"""Live sources against a local stand-in that answers like CelesTrak (never the internet): GP queries from the
shared snapshots, SATCAT CSV, ETag/304, a 403 and 5xx on demand; the client keeps CelesTrak's rules."""

from __future__ import annotations

import hashlib
import json
import socket
import time
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from overhead.catalog.sources import CelesTrak, SourceError
from overhead.catalog.store import CatalogStore
from overhead.cli.main import main
from tests.conftest import serve_app, shared_file


class StandIn:
    """What the stand-in does next, and what it saw."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.fail_next = 0  # answer 503 this many times
        self.refuse = False  # answer 403
        self.corrupt = False  # answer random bytes with 200
        self.groups: dict[str, bytes] = {}  # bodies served instead of the snapshot files
        self.hooks: list[tuple[bytes, dict]] = []  # what the webhook receiver got
        self.hook_status = 200

    def app(self) -> Starlette:
        groups = shared_file("catalog", "celestrak_groups_2026-05-30", "stations.tle").parent
        satcat = shared_file("catalog", "celestrak_satcat_sample_2026-07", "satcat_sample.csv")

        def answer(request: Request, body: bytes, media: str) -> Response:
            self.requests.append(request)
            if self.refuse:
                return PlainTextResponse("Forbidden", status_code=403)
            if self.fail_next > 0:
                self.fail_next -= 1
                return PlainTextResponse("Service Unavailable", status_code=503)
            if self.corrupt:
                return Response(bytes(range(256)) * 40, media_type=media)
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if request.headers.get("if-none-match") == etag:
                return Response(status_code=304, headers={"ETag": etag})
            return Response(body, media_type=media, headers={"ETag": etag})

        async def gp(request: Request) -> Response:
            group = request.query_params.get("GROUP")
            if group in self.groups:
                return answer(request, self.groups[group], "text/plain")
            path = groups / f"{group}.tle"
            if group is None or not path.exists():
                return answer(request, b"No GP data found", "text/plain")  # what CelesTrak says, with 200
            return answer(request, path.read_bytes(), "text/plain")

        async def satcat_csv(request: Request) -> Response:
            return answer(request, satcat.read_bytes(), "text/csv")

        async def hook(request: Request) -> Response:
            if self.hook_status != 200:
                return PlainTextResponse("down", status_code=self.hook_status)
            self.hooks.append((await request.body(), dict(request.headers)))
            return PlainTextResponse("ok")

        return Starlette(
            routes=[
                Route("/NORAD/elements/gp.php", gp),
                Route("/pub/satcat.csv", satcat_csv),
                Route("/hook", hook, methods=["POST"]),
            ]
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def stand_in(monkeypatch, tmp_path):
    monkeypatch.setenv("OVERHEAD_DATA_DIR", str(tmp_path / "data"))
    state = StandIn()
    with serve_app(state.app()) as url:
        state.url = url
        yield state


def _client(stand_in, tmp_path, **options) -> CelesTrak:
    return CelesTrak(stand_in.url, cache_dir=tmp_path / "cache", sleep=lambda _s: None, **options)


WATCH_NAMES = {"new_object": "new-objects", "gone": "leaving", "decayed": "reentries"}


def _stations_and_science() -> tuple[list[str], list[str]]:
    folder = ("catalog", "celestrak_groups_2026-05-30")
    return (
        shared_file(*folder, "stations.tle").read_text().splitlines(),
        shared_file(*folder, "science.tle").read_text().splitlines(),
    )


def _next_stations(stations: list[str], science: list[str]) -> bytes:
    """The next stations snapshot: Dragon CRS-34 and Shenzhou-23 (a decay) no longer reported, HST arrived."""
    return ("\n".join(stations[:-6] + science[:3]) + "\n").encode()


def _watch_rules(tmp_path, stand_in, kinds=("new_object", "gone", "decayed")):
    """A rules file: the stations group every 2 h, one rule per kind, each to the stand-in's webhook."""
    alerts = "".join(
        f'  - {{name: {WATCH_NAMES[k]}, when: {k}, notify: [{{webhook: "{stand_in.url}/hook"}}]}}\n' for k in kinds
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text("sources:\n  - celestrak: {group: stations, every: 2h}\nalerts:\n" + alerts)
    return rules


def test_a_group_is_not_fetched_again_within_two_hours_and_a_forced_fetch_is_conditional(stand_in, tmp_path):
    clock = [1_000_000.0]
    with _client(stand_in, tmp_path, clock=lambda: clock[0]) as celestrak:
        first = celestrak.gp(group="stations")
        assert not first.from_cache and b"ISS (ZARYA)" in first.body
        assert celestrak.gp(group="stations").from_cache and len(stand_in.requests) == 1  # no second request
        forced = celestrak.gp(group="stations", force=True)
        assert forced.not_modified and forced.body == first.body and len(stand_in.requests) == 2
        assert stand_in.requests[-1].headers.get("if-none-match")  # the request was conditional
        assert stand_in.requests[0].query_params["FORMAT"] == "tle"
        clock[0] += 2 * 3600 + 1  # after the update interval: asked again, conditionally
        assert celestrak.gp(group="stations").not_modified and len(stand_in.requests) == 3


def test_a_server_error_is_retried_with_back_off(stand_in, tmp_path):
    waits: list[float] = []
    stand_in.fail_next = 2
    with CelesTrak(stand_in.url, cache_dir=tmp_path / "cache", sleep=waits.append) as celestrak:
        assert b"ISS" in celestrak.gp(group="stations").body
    assert waits == [1.0, 2.0] and len(stand_in.requests) == 3


def test_403_backs_off_instead_of_retrying_even_when_forced(stand_in, tmp_path):
    stand_in.refuse = True
    with _client(stand_in, tmp_path) as celestrak:
        with pytest.raises(SourceError, match="backing off"):
            celestrak.gp(group="stations")
        assert len(stand_in.requests) == 1  # not retried
        stand_in.refuse = False
        with pytest.raises(SourceError, match="not asking again"):
            celestrak.gp(group="weather", force=True)
        assert len(stand_in.requests) == 1  # nothing asked during the back-off


@pytest.mark.slow
def test_cli_fetch_ingests_and_offline_or_corrupt_answers_change_nothing(stand_in, tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    assert main(["catalog", "fetch", "celestrak:stations", "--celestrak-url", stand_in.url, "--db", db]) == 0
    store = CatalogStore(db)
    before = store.objects()
    assert len(before) == 25
    # a corrupt answer is refused by the ingest, the store unchanged
    stand_in.corrupt = True
    assert main(["catalog", "fetch", "celestrak:stations", "--force", "--celestrak-url", stand_in.url, "--db", db]) == 2
    assert "nothing changed" in capsys.readouterr().err
    assert len(store.ingests()) == 1 and len(store.objects()) == 25
    # the refused answer was not kept: the next fetch asks the source again (unconditionally) and works
    stand_in.corrupt = False
    asked = len(stand_in.requests)
    assert main(["catalog", "fetch", "celestrak:stations", "--celestrak-url", stand_in.url, "--db", db]) == 0
    assert len(stand_in.requests) == asked + 1 and not stand_in.requests[-1].headers.get("if-none-match")
    # offline: a closed port
    code = main(
        ["catalog", "fetch", "celestrak:weather", "--celestrak-url", f"http://127.0.0.1:{_free_port()}", "--db", db]
    )
    err = capsys.readouterr().err
    assert code == 2 and "offline?" in err and "Traceback" not in err
    assert len(store.objects()) == 25
    # CelesTrak's "No GP data found" for an unknown group is refused, not stored as an empty snapshot
    assert main(["catalog", "fetch", "celestrak:nosuchgroup", "--celestrak-url", stand_in.url, "--db", db]) == 2
    assert len(store.objects()) == 25


def test_satcat_is_stored_and_joined_to_the_objects(stand_in, tmp_path):
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    assert main(["catalog", "fetch", "celestrak-satcat", "--celestrak-url", stand_in.url, "--db", db]) == 0
    store = CatalogStore(db)
    satcat = store.satcat()
    assert len(satcat) == 42
    sputnik = satcat[satcat.norad_id == 2].iloc[0]
    assert sputnik.object_type == "PAY" and sputnik.launch_date == "1957-10-04" and sputnik.rcs_m2 != sputnik.rcs_m2
    bad = "NORAD_CAT_ID,OBJECT_TYPE,OBJECT_NAME\n25544,PAY,ISS (ZARYA)\nnot-a-number,PAY,X\n"
    counts = store.ingest_satcat(bad)
    assert counts == {"records": 1, "rejected": 1}
    with pytest.raises(Exception, match="not a SATCAT CSV"):
        store.ingest_satcat("a,b\n1,2\n")


def test_watch_rounds_baseline_then_alert_once_per_event_and_retry_a_receiver_that_was_down(stand_in, tmp_path):
    import hmac
    import json
    from datetime import datetime, timedelta

    from overhead.catalog.watch import alerts_table, load_rules, watch_round

    stations = shared_file("catalog", "celestrak_groups_2026-05-30", "stations.tle").read_text().splitlines()
    science = shared_file("catalog", "celestrak_groups_2026-05-30", "science.tle").read_text().splitlines()
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"""
sources:
  - celestrak: {{group: stations, every: 2h}}
alerts:
  - name: new-objects
    when: new_object
    notify: [{{webhook: "{stand_in.url}/hook", secret: "s3cret"}}]
  - name: leaving
    when: gone
    notify: [{{webhook: "{stand_in.url}/hook"}}]
  - name: reentries
    when: decayed
    notify: [{{webhook: "{stand_in.url}/hook"}}]
""")
    spec = load_rules(rules)
    store = CatalogStore(f"sqlite:///{tmp_path / 'w.sqlite'}")
    t0 = datetime(2026, 5, 31, 0, 0)
    first = watch_round(store, spec, celestrak_url=stand_in.url, now=t0)
    assert first.baselines == ["stations: 25 objects"] and first.new_alerts == 0  # no alert for every object
    # the next snapshot: Dragon CRS-34 and Shenzhou-23 (15.6 rev/day: a decay) no longer reported, HST arrived
    kept, arrived = stations[:-6], science[:3]
    stand_in.groups["stations"] = ("\n".join(kept + arrived) + "\n").encode()
    stand_in.hook_status = 500  # the receiver is down for this round
    second = watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=t0 + timedelta(hours=3))
    assert second.new_alerts == 3 and second.delivered == 0 and second.failed_deliveries == 3
    table = alerts_table(store)
    assert sorted(table.kind) == ["decayed", "gone", "new_object"]
    assert set(table.name) == {"DRAGON CRS-34", "SHENZHOU-23 (SZ-23)", "HST"}
    new = table[table.kind == "new_object"].iloc[0]
    assert json.loads(new.norad_ids) == [int(arrived[1][2:7])]
    # the receiver is back: after the back-off every alert is delivered once; re-running sends nothing twice
    stand_in.hook_status = 200
    third = watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=t0 + timedelta(hours=4))
    assert third.new_alerts == 0 and third.delivered == 3
    fourth = watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=t0 + timedelta(hours=5))
    assert fourth.new_alerts == 0 and fourth.delivered == 0
    assert len(stand_in.hooks) == 3 and len({h[1]["x-overhead-alert"] for h in stand_in.hooks}) == 3
    for body, headers in stand_in.hooks:
        payload = json.loads(body)
        assert {"rule", "kind", "name", "time", "detail"} <= set(payload) and payload["time"].endswith("Z")
        assert ("norad_id" in payload) != ("norad_ids" in payload)
        if payload["rule"] == "new-objects":  # signed: the receiver can check it came from us
            expected = "sha256=" + hmac.new(b"s3cret", body, "sha256").hexdigest()
            assert headers["x-overhead-signature"] == expected
        else:
            assert "x-overhead-signature" not in headers


def test_cli_watch_once_and_alerts(stand_in, tmp_path, capsys):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "sources:\n  - celestrak: {group: stations, every: 2h}\nalerts:\n  - {name: n, when: new_object}\n"
    )
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    assert main(["watch", str(rules), "--once", "--celestrak-url", stand_in.url, "--db", db]) == 0
    assert "baseline: stations: 25 objects" in capsys.readouterr().out
    assert main(["alerts", "--db", db]) == 0
    assert "no alerts" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: []\nalerts:\n  - {name: x, when: sometimes}\n")
    assert main(["watch", str(bad), "--once", "--db", db]) == 2


def test_api_alerts_is_read_only(stand_in, tmp_path):
    import warnings

    from overhead.api import ServiceSettings, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    app = create_app(ServiceSettings(db_url=f"sqlite:///{tmp_path / 'a.sqlite'}", token="t", scheduler="none"))
    with TestClient(app) as client:
        assert client.get("/api/alerts").status_code == 200 and client.get("/api/alerts").json() == []
        assert client.post("/api/alerts", json={}).status_code == 405


def test_as_of_gives_the_catalogue_and_feed_the_store_knew_then(tmp_path, capsys):
    """Two ingests an hour apart: as of a time between them, the first snapshot's objects and element sets."""
    from datetime import timedelta

    import pandas as pd
    from sqlalchemy import update

    from overhead.catalog.models import Ingest

    stations = shared_file("catalog", "celestrak_groups_2026-05-30", "stations.tle")
    lines = stations.read_text().splitlines()
    store = CatalogStore(f"sqlite:///{tmp_path / 't.sqlite'}")
    store.ingest_text(stations.read_bytes(), source="a", group="stations")
    first = store.ingests().started_at.iloc[0]
    with store.engine.begin() as connection:  # make the first ingest an hour older than the second
        connection.execute(update(Ingest).values(started_at=first - timedelta(hours=1)))
    store.ingest_text(("\n".join(lines[:-6]) + "\n").encode(), source="b", group="stations")
    between = pd.Timestamp(first - timedelta(minutes=30))
    assert len(store.latest_catalog()) == 23  # now: two objects no longer reported
    then = store.latest_catalog(as_of=between)
    assert len(then) == 25 and 69180 in set(then.norad_ids)
    assert len(store.changes(as_of=between)) == 25  # the first ingest's own changes (its new objects)
    assert len(store.history(25544, as_of=between)) == 1
    with pytest.raises(Exception, match="no element sets"):  # before any ingest the store knew nothing
        store.history(25544, as_of=between - timedelta(hours=2))
    db = f"sqlite:///{tmp_path / 't.sqlite'}"
    assert (
        main(
            [
                "above",
                "51.6,0",
                "--time",
                "2026-05-30T12:00:00Z",
                "--as-of",
                between.isoformat() + "Z",
                "--db",
                db,
                "--min-elevation-deg",
                "-90",
                "--limit",
                "100",
            ]
        )
        == 0
    )
    assert "25 satellites above" in capsys.readouterr().out


def test_above_selects_by_satcat_type_and_owner(tmp_path, capsys):
    stations = shared_file("catalog", "celestrak_groups_2026-05-30", "stations.tle")
    db = f"sqlite:///{tmp_path / 'k.sqlite'}"
    store = CatalogStore(db)
    store.ingest_text(stations.read_bytes(), source="a", group="stations")
    store.ingest_satcat(
        "NORAD_CAT_ID,OBJECT_TYPE,OWNER,OBJECT_NAME\n25544,PAY,ISS,ISS (ZARYA)\n"
        "48274,PAY,PRC,CSS (TIANHE)\n49044,PAY,CIS,ISS (NAUKA)\n"
    )
    assert store.select_ids(object_type="pay", owner="prc") == {48274}
    assert (
        main(
            [
                "above",
                "0,0",
                "--time",
                "2026-05-30T12:00:00Z",
                "--owner",
                "PRC",
                "--min-elevation-deg",
                "-90",
                "--db",
                db,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "1 satellites above" in out and "TIANHE" in out
    assert main(["above", "0,0", "--owner", "XX", "--db", db]) == 2


def test_alerts_atom_feed_is_well_formed_and_escapes_outside_names(tmp_path):
    import warnings
    from datetime import datetime

    import defusedxml.ElementTree as SafeET
    from sqlalchemy import insert

    from overhead.api import ServiceSettings, create_app
    from overhead.catalog.models import Alert

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    db = f"sqlite:///{tmp_path / 'f.sqlite'}"
    app = create_app(ServiceSettings(db_url=db, token="t", scheduler="none"))
    with TestClient(app) as client:
        store = app.state.service.store
        with store.engine.begin() as connection:
            when = datetime(2026, 6, 1)
            connection.execute(
                insert(Alert).values(
                    key="r|new_object|launch:2026-001",
                    rule="r",
                    kind="new_object",
                    norad_ids="[1, 2]",
                    name="<img src=x onerror=alert(1)> & co",
                    time=when,
                    detail="2 new",
                    created_at=datetime(2026, 6, 2, 8, 30),  # raised a day after the event
                )
            )
        answer = client.get("/api/alerts.atom")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/atom+xml")
        feed = SafeET.fromstring(answer.text)
        entries = feed.findall("{http://www.w3.org/2005/Atom}entry")
        assert len(entries) == 1
        title = entries[0].find("{http://www.w3.org/2005/Atom}title").text
        assert "<img src=x onerror=alert(1)> & co" in title  # the text itself, not markup
        listed = client.get("/api/alerts").json()[0]
        assert listed["norad_ids"] == [1, 2] and listed["time"] == "2026-06-01T00:00:00Z"
        assert listed["raised"] == "2026-06-02T08:30:00Z"  # when it was raised, beside the event's time
        assert feed.find("{http://www.w3.org/2005/Atom}updated").text == "2026-06-02T08:30:00Z"


def test_overflight_alerts_are_the_passes_skyfield_finds_and_come_once(stand_in, tmp_path):
    """The issue's minimal rules file, literally: after the baseline round, one alert per pass of a resource
    satellite above 30° over Toulouse in the next 12 h, each matching Skyfield's rise/set (within 1 s); a second
    round over the same hours alerts nothing again."""
    from datetime import datetime

    from skyfield.api import EarthSatellite, load, wgs84

    from overhead.catalog.watch import alerts_table, load_rules, watch_round

    rules = tmp_path / "rules.yaml"
    rules.write_text(f"""
sources:
  - celestrak: {{group: stations, every: 2h}}
  - celestrak: {{group: resource, every: 6h}}
  - satcat: {{every: 24h}}
alerts:
  - name: new-objects
    when: new_object
    notify: [{{webhook: "{stand_in.url}/hook"}}]
  - name: over-toulouse
    when: overflight
    site: "43.6047,1.4442"
    group: resource
    within_h: 12
    min_elevation_deg: 30
    notify: [{{webhook: "{stand_in.url}/hook"}}]
""")
    spec = load_rules(rules)
    store = CatalogStore(f"sqlite:///{tmp_path / 'w.sqlite'}")
    t0 = datetime(2026, 5, 31, 0, 0)
    first = watch_round(store, spec, celestrak_url=stand_in.url, now=t0)
    assert sorted(first.baselines) == ["resource: 167 objects", "stations: 25 objects"]
    table = alerts_table(store)
    assert (table.kind == "overflight").all() and first.new_alerts == len(table) > 10
    assert first.delivered == len(table) == len(stand_in.hooks)

    ts = load.timescale(builtin=True)
    toulouse = wgs84.latlon(43.6047, 1.4442)
    lines = shared_file("catalog", "celestrak_groups_2026-05-30", "resource.tle").read_text().splitlines()
    expected = []
    for k in range(0, len(lines) - 2, 3):
        satellite = EarthSatellite(lines[k + 1], lines[k + 2], lines[k].strip(), ts)
        times, events = satellite.find_events(
            toulouse, ts.utc(2026, 5, 31), ts.utc(2026, 5, 31, 12), altitude_degrees=30.0
        )
        rise = None
        for when, event in zip(times.utc_datetime(), events, strict=True):
            if event == 0:
                rise = when
            elif event == 2 and rise is not None:
                expected.append((satellite.model.satnum, rise.replace(tzinfo=None), when.replace(tzinfo=None)))
                rise = None
    assert len(table) == len(expected)
    got = sorted((json.loads(row.norad_ids)[0], row.time) for row in table.itertuples())
    for (norad, start), (want_norad, want_rise, _set) in zip(got, sorted(expected), strict=True):
        assert norad == want_norad and abs((start - want_rise).total_seconds()) < 1.0
    again = watch_round(store, spec, celestrak_url=stand_in.url, now=t0)
    assert again.new_alerts == 0 and again.delivered == 0


def test_conjunction_alerts_follow_the_stored_screening(tmp_path):
    from datetime import datetime

    import numpy as np

    from overhead.analysis.conjunctions.screening import screen
    from overhead.catalog.watch import alerts_table, load_rules, watch_round
    from overhead.orbits.catalog import load_elements

    elements = shared_file("catalog", "celestrak_active_2026-03-19", "active.tle")
    store = CatalogStore(f"sqlite:///{tmp_path / 'c.sqlite'}")
    store.ingest(elements, group="active")
    catalog = load_elements(elements)
    orbits = catalog.orbits()
    crowded = catalog.norad_ids[(orbits.perigee_km.values > 520) & (orbits.apogee_km.values < 580)][:80]
    start, stop = np.datetime64("2026-03-19T06:00:00"), np.datetime64("2026-03-19T08:00:00")
    found = screen(catalog, start, stop, threshold_km=5.0, primaries=[int(n) for n in crowded]).conjunctions
    store.save_conjunctions(found, start, stop, norad_ids=[int(n) for n in crowded])
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "sources: []\nalerts:\n  - name: close\n    when: conjunction\n    within_h: 1\n    max_range_km: 3\n"
    )
    report = watch_round(store, load_rules(rules), now=datetime(2026, 3, 19, 6, 30))
    wanted = found[
        (found.min_range_km <= 3) & (found.tca > "2026-03-19T06:30:00") & (found.tca <= "2026-03-19T07:30:00")
    ]
    assert len(wanted) > 0 and report.new_alerts == len(wanted)
    pairs = {tuple(sorted(json.loads(ids))) for ids in alerts_table(store).norad_ids}
    assert pairs == {tuple(sorted((int(a), int(b)))) for a, b in zip(wanted.norad_id_1, wanted.norad_id_2, strict=True)}
    assert watch_round(store, load_rules(rules), now=datetime(2026, 3, 19, 6, 30)).new_alerts == 0


def test_rules_with_unknown_keys_or_impossible_values_are_refused(tmp_path):
    from overhead.catalog.watch import load_rules
    from overhead.errors import OverheadError

    rules = tmp_path / "rules.yaml"
    for body, message in [
        ("  - {name: x, when: overflight, site: '95,1'}\n", "latitude 95.0 is outside"),
        ("  - {name: x, when: overflight, group: resource}\n", "needs a site"),
        ("  - {name: x, when: overflight, site: '43,1', within_hours: 3}\n", "within_hours: unknown parameter"),
        ("  - {name: x, when: conjunction, min_pc: 2}\n", "min_pc: must be less than or equal to 1"),
        ("  - {name: x, when: new_object, ownr: PRC}\n", "unknown key ownr"),
    ]:
        rules.write_text("sources: []\nalerts:\n" + body)
        with pytest.raises(OverheadError, match=message):
            load_rules(rules)


def test_alerts_stream_sends_each_new_alert_once_and_resumes_from_last_event_id(stand_in, tmp_path):
    import warnings
    from datetime import datetime, timedelta

    from overhead.api import ServiceSettings, create_app
    from overhead.catalog.watch import load_rules, watch_round

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "sources:\n  - celestrak: {group: stations, every: 2h}\nalerts:\n"
        "  - {name: leaving, when: gone}\n  - {name: reentries, when: decayed}\n"
    )
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    store = CatalogStore(db)
    t0 = datetime(2026, 5, 31)
    watch_round(store, load_rules(rules), celestrak_url=stand_in.url, now=t0)
    stations = shared_file("catalog", "celestrak_groups_2026-05-30", "stations.tle").read_text().splitlines()
    stand_in.groups["stations"] = ("\n".join(stations[:-6]) + "\n").encode()
    assert (
        watch_round(
            store, load_rules(rules), force=True, celestrak_url=stand_in.url, now=t0 + timedelta(hours=3)
        ).new_alerts
        == 2
    )

    def events(answer) -> list[tuple[int, dict]]:
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
        out = []
        for block in answer.text.split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":")
            if fields.get("event") == "alert":
                out.append((int(fields["id"]), json.loads(fields["data"])))
        return out

    app = create_app(ServiceSettings(db_url=db, token="t", scheduler="none", load_sample=False))
    with TestClient(app) as client:
        everything = events(client.get("/api/alerts/stream", params={"after_id": 0, "max_s": 0.3}))
        assert sorted(payload["kind"] for _, payload in everything) == ["decayed", "gone"]
        assert [i for i, _ in everything] == sorted(i for i, _ in everything)
        assert all(payload["time"].endswith("Z") and "norad_id" in payload for _, payload in everything)
        first_id = everything[0][0]
        resumed = events(
            client.get("/api/alerts/stream", params={"max_s": 0.3}, headers={"Last-Event-ID": str(first_id)})
        )
        assert resumed == everything[1:]
        assert events(client.get("/api/alerts/stream", params={"max_s": 0.3})) == []  # only what comes from now


def test_an_overflight_rule_leaves_out_objects_with_elements_too_old_for_its_forecast(tmp_path):
    """A watcher running long after its elements were fetched: the round goes on (no forecast from elements half a
    year old, said in the report), and objects with usable elements still get their alerts."""
    from datetime import datetime

    from overhead._resources import data_path
    from overhead.catalog.watch import load_rules, watch_round

    store = CatalogStore(f"sqlite:///{tmp_path / 'o.sqlite'}")
    store.ingest(data_path("resource.tle"), group="resource")  # epochs around 2026-05-30
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "sources: []\nalerts:\n  - {name: over-cape-town, when: overflight, site: '-33.9,18.4', "
        "group: resource, within_h: 12, min_elevation_deg: 30}\n"
    )
    late = watch_round(store, load_rules(rules), now=datetime(2026, 12, 1))
    assert late.new_alerts == 0 and not late.errors
    assert "over-cape-town: 167 objects left out" in late.text()
    timely = watch_round(store, load_rules(rules), now=datetime(2026, 5, 31))
    assert timely.new_alerts > 0 and "left out" not in timely.text()


def test_two_watchers_on_one_store_fetch_once_and_alert_once(stand_in, tmp_path):
    """Two `overhead watch --once` processes started together on one store (each with its own download cache,
    as on two machines): the due source is fetched by one of them, and each alert reaches the receiver once."""
    import os
    import subprocess
    import sys
    from datetime import datetime, timedelta

    from overhead.catalog.watch import load_rules, watch_round

    stations, science = _stations_and_science()
    rules = _watch_rules(tmp_path, stand_in)
    db = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    store = CatalogStore(db)
    baseline = watch_round(
        store, load_rules(rules), celestrak_url=stand_in.url, now=datetime.utcnow() - timedelta(hours=3)
    )  # the baseline, three hours ago
    assert baseline.baselines
    store.engine.dispose()
    stand_in.groups["stations"] = _next_stations(stations, science)
    fetches_before = sum(1 for r in stand_in.requests if r.url.path.endswith("gp.php"))
    watchers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "overhead.cli.main",
                "watch",
                str(rules),
                "--once",
                "--celestrak-url",
                stand_in.url,
                "--db",
                db,
            ],
            env={**os.environ, "OVERHEAD_DATA_DIR": str(tmp_path / f"machine-{k}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for k in range(2)
    ]
    outputs = [w.communicate(timeout=120)[0] for w in watchers]
    assert [w.returncode for w in watchers] == [0, 0], outputs
    fetches = sum(1 for r in stand_in.requests if r.url.path.endswith("gp.php")) - fetches_before
    assert fetches == 1, outputs
    keys = sorted(h[1]["x-overhead-alert"] for h in stand_in.hooks)
    assert len(keys) == 3 and len(set(keys)) == 3, keys  # gone, decayed, new: each once


def test_email_alerts_go_through_smtp_with_login_and_no_header_injection(stand_in, tmp_path, monkeypatch):
    """An e-mail receiver: the alert as text through a local SMTP server (aiosmtpd) with a login; a hostile
    object name cannot add a header; the SMTP password is in no message, error or table; a server that is down is
    a failed delivery retried later, as for webhooks."""
    pytest.importorskip("aiosmtpd")
    from datetime import datetime, timedelta
    from email import message_from_bytes

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from overhead.catalog.watch import load_rules, watch_round

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd calls it by this name)
            received.append(envelope.content)
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"smtp-pa55"
        return AuthResult(success=ok)

    port = _free_port()
    controller = Controller(
        Handler(), hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    for name, value in {
        "OVERHEAD_SMTP_HOST": "127.0.0.1",
        "OVERHEAD_SMTP_PORT": str(port),
        "OVERHEAD_SMTP_USER": "alerts",
        "OVERHEAD_SMTP_PASSWORD": "smtp-pa55",
        "OVERHEAD_SMTP_FROM": "overhead@example.org",
    }.items():
        monkeypatch.setenv(name, value)
    stations = shared_file("catalog", "celestrak_groups_2026-05-30", "stations.tle").read_text().splitlines()
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "sources:\n  - celestrak: {group: stations, every: 2h}\n"
        "alerts:\n  - {name: new-objects, when: new_object, notify: [{email: ops@example.org}]}\n"
    )
    spec = load_rules(rules)
    db = tmp_path / "mail.sqlite"
    store = CatalogStore(f"sqlite:///{db}")
    t0 = datetime(2026, 5, 31)
    watch_round(store, spec, celestrak_url=stand_in.url, now=t0)
    hostile = "EVIL SAT\r\nBcc: victim@example.org"
    line1, line2 = stations[1].replace("25544", "99123", 1), stations[2].replace("25544", "99123", 1)
    from overhead.orbits.tle import checksum

    line1, line2 = line1[:68] + str(checksum(line1[:68])), line2[:68] + str(checksum(line2[:68]))
    stand_in.groups["stations"] = ("\n".join([*stations, hostile, line1, line2]) + "\n").encode()
    down = watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=t0 + timedelta(hours=3))
    assert down.new_alerts == 1 and down.failed_deliveries == 1  # the SMTP server is not running yet
    controller.start()
    try:
        again = watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=t0 + timedelta(hours=4))
    finally:
        controller.stop()
    assert again.delivered == 1 and len(received) == 1
    mail = message_from_bytes(received[0])
    assert mail["To"] == "ops@example.org" and mail["From"] == "overhead@example.org"
    # the name line before the elements is "Bcc: victim@…": in the subject as text, never a header of its own
    assert mail["Bcc"] is None and "new-objects" in mail["Subject"] and "victim@example.org" in mail["Subject"]
    assert mail.get_all("Subject") and len(mail.get_all("Subject")) == 1
    from overhead.catalog.watch import _one_line

    assert _one_line("A\r\nBcc: x@y.z\n", 200) == "A Bcc: x@y.z "  # names from OMM JSON may hold line breaks
    assert '"norad_id": 99123' in mail.get_payload(decode=True).decode()
    store.engine.dispose()
    assert b"smtp-pa55" not in db.read_bytes() and b"smtp-pa55" not in received[0]


def test_a_watcher_killed_mid_ingest_loses_nothing_and_repeats_nothing(stand_in, tmp_path, monkeypatch):
    """SIGKILL inside the ingest's transaction, after the answer was fetched and cached: the store is as before;
    once the dead watcher's claim has lapsed the next round stores that answer (from the cache: the source is not
    asked again inside its interval), raises its alerts and delivers each once; a further round repeats nothing."""
    import os
    import signal
    import subprocess
    import sys
    from datetime import datetime, timedelta

    from overhead.catalog.watch import SOURCE_LEASE_S, alerts_table, load_rules, watch_round

    stations, science = _stations_and_science()
    rules = _watch_rules(tmp_path, stand_in, ("new_object", "gone"))
    spec = load_rules(rules)
    db = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    store = CatalogStore(db)
    monkeypatch.setenv("OVERHEAD_DATA_DIR", str(tmp_path / "three-hours-ago"))  # that round's download cache
    watch_round(store, spec, celestrak_url=stand_in.url, now=datetime.utcnow() - timedelta(hours=3))
    monkeypatch.setenv("OVERHEAD_DATA_DIR", str(tmp_path / "now"))  # this machine's, for the watcher to be killed
    before = store.ingests()
    stand_in.groups["stations"] = _next_stations(stations, science)
    asked = len(stand_in.requests)
    # the watcher pauses inside its ingest's transaction (a fault injected from tests/fault_injection.py)
    watcher = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("fault_injection.py")),
            "60",
            "-m",
            "overhead.cli.main",
            "watch",
            str(rules),
            "--once",
            "--celestrak-url",
            stand_in.url,
            "--db",
            db,
        ],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(stand_in.requests) == asked and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2.0)  # inside the ingest transaction now (it sleeps there)
    watcher.send_signal(signal.SIGKILL)
    watcher.wait(timeout=10)
    assert len(store.ingests()) == len(before) and alerts_table(store).empty  # nothing half-done
    # right away, the dead watcher's claim still holds: nobody fetches twice at once
    assert watch_round(store, spec, celestrak_url=stand_in.url).fetched == []
    later = datetime.utcnow() + timedelta(seconds=SOURCE_LEASE_S + 60)
    recovered = watch_round(store, spec, celestrak_url=stand_in.url, now=later)
    # HST new, Dragon CRS-34 gone (Shenzhou-23 decayed: no rule for it here)
    assert recovered.fetched == ["celestrak:stations"] and recovered.new_alerts == 2 and recovered.delivered == 2
    assert len(stand_in.requests) == asked + 1  # the one GP request, the killed watcher's: its answer was kept
    again = watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=later + timedelta(hours=3))
    assert again.new_alerts == 0 and again.delivered == 0 and len(stand_in.hooks) == 2


def test_tags_are_categories_for_the_cli_the_api_and_the_rules(tmp_path, capsys):
    from fastapi.testclient import TestClient

    from overhead.api import ServiceSettings, create_app
    from overhead.catalog.watch import load_rules

    stations = shared_file("catalog", "celestrak_groups_2026-05-30", "stations.tle")
    db = f"sqlite:///{tmp_path / 't.sqlite'}"
    CatalogStore(db).ingest_text(stations.read_bytes(), source="a", group="stations")
    assert main(["catalog", "tag", "watch-list", "25544", "48274", "--db", db]) == 0
    assert "2 objects newly tagged watch-list" in capsys.readouterr().out
    assert main(["catalog", "tag", "watch-list", "25544", "--db", db]) == 0  # idempotent
    assert "0 objects newly tagged" in capsys.readouterr().out
    assert main(["catalog", "tag", "watch-list", "99999", "--db", db]) == 0  # a future object: tagged, and said
    assert "not in the store yet: 99999" in capsys.readouterr().err
    assert main(["catalog", "untag", "watch-list", "99999", "--db", db]) == 0
    assert (
        main(
            [
                "above",
                "0,0",
                "--time",
                "2026-05-30T12:00:00Z",
                "--tag",
                "watch-list",
                "--min-elevation-deg",
                "-90",
                "--db",
                db,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "2 satellites above" in out and "TIANHE" in out and "ZARYA" in out
    assert main(["catalog", "tag", "bad tag!", "1", "--db", db]) == 2
    assert "use letters, digits" in capsys.readouterr().err
    assert main(["catalog", "tags", "--db", db]) == 0
    assert "watch-list: 2 objects (25544, 48274)" in capsys.readouterr().out
    # a rule may follow a tag
    rules = tmp_path / "r.yaml"
    rules.write_text("sources: []\nalerts:\n  - {name: x, when: overflight, site: '43.6,1.44', tag: watch-list}\n")
    assert load_rules(rules).rules[0].options.tag == "watch-list"
    # the API: tags read openly, changed with the token; passes and the sky select and show them
    app = create_app(ServiceSettings(db_url=db, token="tok", scheduler="none", load_sample=False))
    with TestClient(app) as client:
        assert client.get("/api/tags").json() == {"tags": {"watch-list": [25544, 48274]}}
        assert client.put("/api/tags/sar", json={"norad_ids": [25544]}).status_code == 401
        put = client.put("/api/tags/sar", json={"norad_ids": [25544]}, headers={"Authorization": "Bearer tok"})
        assert put.json() == {"tag": "sar", "added": 1}
        passes = client.get(
            "/api/passes",
            params={
                "lat_deg": 43.6,
                "lon_deg": 1.44,
                "tag": "watch-list",
                "start": "2026-05-30T00:00:00Z",
                "stop": "2026-05-31T00:00:00Z",
            },
        )
        assert passes.status_code == 200 and {p["norad_id"] for p in passes.json()} == {25544, 48274}
        sky = client.get("/api/sky").json()
        assert sky["tags"][sky["norad_id"].index(25544)] == "sar,watch-list"
        gone = client.delete("/api/tags/watch-list", params={"ids": "48274"}, headers={"Authorization": "Bearer tok"})
        assert gone.json()["removed"] == 1
        assert client.get("/api/tags").json()["tags"]["watch-list"] == [25544]


@pytest.mark.slow
def test_replay_of_three_catalogues_alerts_the_set_differences_by_launch(stand_in, tmp_path):
    """The stand-in serves the active catalogue of Oct 2025, then Mar 2026, then Jul 2026 as "now" advances;
    a round after each: the first is the baseline, then the new objects are exactly the set difference of the
    snapshots, one alert per launch, and the objects no longer reported are alerted gone or decayed, each once."""
    import json
    from datetime import datetime, timedelta

    from overhead.catalog.watch import alerts_table, load_rules, watch_round

    snapshots = [
        shared_file("catalog", "celestrak_active_2025-10-03", "active.tle"),
        shared_file("catalog", "celestrak_active_2026-03-19", "active.tle"),
        shared_file("catalog", "celestrak_active_omm_csv_2026-07-10", "active.csv"),
    ]
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"""
sources:
  - celestrak: {{group: active, every: 2h}}
alerts:
  - {{name: new, when: new_object, notify: [{{webhook: "{stand_in.url}/hook"}}]}}
  - {{name: gone, when: gone}}
  - {{name: decayed, when: decayed}}
""")
    spec = load_rules(rules)
    store = CatalogStore(f"sqlite:///{tmp_path / 'replay.sqlite'}")
    ids = [set(overhead_ids(path)) for path in snapshots]
    rows = []
    for k, path in enumerate(snapshots):
        stand_in.groups["active"] = path.read_bytes()
        report = watch_round(
            store, spec, force=True, celestrak_url=stand_in.url, now=datetime(2026, 7, 10) + timedelta(hours=3 * k)
        )
        rows.append(report)
    assert rows[0].baselines and rows[0].new_alerts == 0
    table = alerts_table(store)
    new = table[table.kind == "new_object"]
    alerted_new = {n for row in new.norad_ids for n in json.loads(row)}
    assert alerted_new == (ids[1] - ids[0]) | (ids[2] - ids[1])
    designators = {n: d for path in snapshots for n, d in overhead_designators(path).items()}
    for row in new.itertuples():  # one alert per launch: its objects share the designator's launch part
        launches = {designators[n][:8] for n in json.loads(row.norad_ids)}
        assert launches == {row.key.split(":")[1]}, row
    ended = {n for row in table[table.kind.isin(["gone", "decayed"])].norad_ids for n in json.loads(row)}
    assert ended == (ids[0] - ids[1]) | (ids[1] - ids[2])
    again = watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=datetime(2026, 7, 11))
    assert again.new_alerts == 0 and again.delivered == 0 and len(stand_in.hooks) == len(new)
    print(
        f"replay: {len(ids[0]):,} → {len(ids[1]):,} → {len(ids[2]):,} objects; alerts "
        f"{table.kind.value_counts().to_dict()}; new-object alerts {len(new):,} launches, "
        f"{len(alerted_new):,} objects"
    )


def overhead_ids(path) -> list[int]:
    return list(overhead_designators(path))


def overhead_designators(path) -> dict[int, str]:
    import warnings

    import overhead

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {r.norad_id: r.object_id for r in overhead.load_elements(path).records}


@pytest.mark.slow
def test_ten_random_kills_then_a_clean_round_equal_an_uninterrupted_run(stand_in, tmp_path):
    """Ten snapshots, each change alerting. `overhead watch --once` is killed with SIGKILL at a random point of
    its round (after its fetch: in the ingest, the alerts or the deliveries), then a clean round runs; at the end
    the store and the alerts equal those of an uninterrupted run over the same snapshots, and the receiver has
    every alert (a key twice at most where a kill fell between a POST and its record)."""
    import json
    import os
    import random
    import subprocess
    import sys

    from overhead.catalog.watch import LEASE_ENV, alerts_table

    stations, science = _stations_and_science()
    rules = _watch_rules(tmp_path, stand_in)  # rounds with --force: "now advances" faster than CelesTrak's 2 h
    first = ("\n".join(stations) + "\n").encode()
    second = _next_stations(stations, science)
    sequence = [second, first] * 5  # after the baseline: ten snapshots, each a change
    env = {**os.environ, LEASE_ENV: "1"}
    outcomes: list[int] = []  # -9: killed in its round; 0: it had finished first
    rng = random.Random(20261201)

    def watch(db: str, data: Path, kill: bool = False) -> None:
        asked = len(stand_in.requests)
        process = subprocess.Popen(
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
            env={**env, "OVERHEAD_DATA_DIR": str(data)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not kill:
            assert process.wait(timeout=120) == 0
            return
        deadline = time.monotonic() + 60
        while len(stand_in.requests) == asked and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.3))  # somewhere in the ingest, the alerts or the deliveries
        process.kill()
        outcomes.append(process.wait(timeout=20))
        time.sleep(1.1)  # the dead watcher's claims lapse (a one-second lease here)

    def state(db: str):
        store = CatalogStore(db)
        objects = store.objects()[["norad_id", "status", "last_epoch"]].sort_values("norad_id", ignore_index=True)
        alerts = sorted((row.kind, row.norad_ids) for row in alerts_table(store).itertuples())
        sets = len(store.history(25544))
        store.engine.dispose()
        return objects, alerts, sets

    reference = f"sqlite:///{tmp_path / 'reference.sqlite'}"
    for body in [first, *sequence]:
        stand_in.groups["stations"] = body
        watch(reference, tmp_path / "reference-data")
    expected = state(reference)
    assert len(expected[1]) >= 3
    hooks_before = len(stand_in.hooks)
    crashed = f"sqlite:///{tmp_path / 'crashed.sqlite'}"
    stand_in.groups["stations"] = first
    watch(crashed, tmp_path / "data")
    for body in sequence:
        stand_in.groups["stations"] = body
        watch(crashed, tmp_path / "data", kill=True)
        watch(crashed, tmp_path / "data")  # the clean round
    got = state(crashed)
    assert got[0].equals(expected[0]) and got[1] == expected[1] and got[2] == expected[2]
    store = CatalogStore(crashed)
    keys = set(alerts_table(store).key)
    store.engine.dispose()
    seen = [h[1]["x-overhead-alert"] for h in stand_in.hooks[hooks_before:]]
    assert set(seen) == keys and len(seen) - len(keys) <= outcomes.count(-9)
    assert outcomes.count(-9) >= 7, outcomes  # the kills fell inside the rounds
    print(
        f"kills: {outcomes}; {len(keys)} alerts, {len(seen)} deliveries seen; {[json.loads(a[1]) for a in got[1]][:3]}"
    )


def test_watching_the_may_week_and_a_logged_burn(stand_in, tmp_path):
    """Through the stand-in and `watch_round`: the week of May 2026 as successive stations snapshots shows
    SHENZHOU-23 (69180) arriving and HTV-X1 (66174) and SHENZHOU-22 (66645) leaving; Sentinel-3A's history around
    the burn of 2017-02-24 in its operator's record gives a manoeuvre alert within a day of it."""
    import itertools
    import json
    from datetime import datetime, timedelta

    import numpy as np

    import overhead
    from overhead.catalog.watch import alerts_table, load_rules, watch_round

    history = overhead.load_elements(
        shared_file("tle_history", "celestrak_groups_2026-05-23_to_2026-05-30", "stations_history.tle")
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "sources:\n  - celestrak: {group: stations, every: 2h}\n  - celestrak: {group: s3a, every: 2h}\n"
        "alerts:\n  - {name: new, when: new_object}\n  - {name: left, when: gone}\n"
        "  - {name: down, when: decayed}\n  - {name: burns, when: manoeuvre}\n"
        "  - {name: certain-burns, when: manoeuvre, min_confidence: 0.99999}\n"
    )
    spec = load_rules(rules)
    store = CatalogStore(f"sqlite:///{tmp_path / 'week.sqlite'}")
    s3a = overhead.load_elements(shared_file("tle_history", "manoeuvre_benchmark_shorten2023", "Sentinel-3A.tle"))
    burn = np.datetime64("2017-02-24T09:40")
    s3a_before = s3a[
        np.flatnonzero(
            (s3a.epochs > burn - np.timedelta64(90, "D")) & (s3a.epochs < burn - np.timedelta64(1, "D"))
        ).tolist()
    ]
    s3a_after = s3a[
        np.flatnonzero(
            (s3a.epochs >= burn - np.timedelta64(1, "D")) & (s3a.epochs < burn + np.timedelta64(3, "D"))
        ).tolist()
    ]
    cuts = [
        np.datetime64("2026-05-01"),
        np.datetime64("2026-05-25"),
        np.datetime64("2026-05-27"),
        np.datetime64("2026-05-29T12:00"),
        np.datetime64("2026-06-01"),
    ]
    epochs = history.epochs
    for k, (a, b) in enumerate(itertools.pairwise(cuts)):
        stand_in.groups["stations"] = history[[i for i, e in enumerate(epochs) if a <= e < b]].to_tle().encode()
        stand_in.groups["s3a"] = (s3a_before if k == 0 else s3a_after).to_tle(names=False).encode()
        watch_round(store, spec, force=True, celestrak_url=stand_in.url, now=datetime(2026, 6, 1) + timedelta(hours=k))
    table = alerts_table(store)
    ids = {
        kind: {n for row in table[table.kind == kind].norad_ids for n in json.loads(row)}
        for kind in ("new_object", "gone", "decayed", "manoeuvre")
    }
    assert 69180 in ids["new_object"]
    assert {66174, 66645} <= ids["gone"] | ids["decayed"]
    burns = table[table.kind == "manoeuvre"]
    assert 41335 in ids["manoeuvre"]
    when = burns[burns.norad_ids.str.contains("41335")].time.min()
    assert abs(np.datetime64(when) - burn) <= np.timedelta64(1, "D")
    # a rule's min_confidence is a probability the detections must reach: none is that certain
    assert set(burns.rule) == {"burns"}


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ("{name: b, when: manoeuvre, min_confidence: 1.5}", "min_confidence"),
        ("{name: b, when: manoeuvre, min_confidence: high}", "min_confidence"),
        ("{name: g, when: gone, min_confidence: 0.5}", "manoeuvre rule's option"),
    ],
)
def test_a_bad_min_confidence_in_a_rules_file_is_one_line_naming_it(tmp_path, entry, said):
    from overhead.catalog.watch import load_rules
    from overhead.errors import OverheadError

    rules = tmp_path / "rules.yaml"
    rules.write_text(f"sources: []\nalerts:\n  - {entry}\n")
    with pytest.raises(OverheadError) as error:
        load_rules(rules)
    assert said in str(error.value) and "\n" not in str(error.value)
