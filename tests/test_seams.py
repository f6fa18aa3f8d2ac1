"""The seams: hostile strings and numbers at every door, and the files read back by the readers users feed them
to. Each test reproduces a failure of issues #29/#30 first: a TLE name of 65 characters or with a NUL failed a
whole PostgreSQL ingest (500 through the API); `=HYPERLINK(` reached CSV unguarded; one alert whose name held a
control character made the Atom feed unreadable for every subscriber; tag ids 2^63 gave a 500; a CDM TCA in
year 9999 came back as 1816; a leap second gave a 500; a CDM cut inside its last number was read as whole;
`--minutes-since-epoch 0 nan 1` and `older_than_days: abc` ended in tracebacks."""

from __future__ import annotations

import warnings
from datetime import datetime

import pytest

from overhead.catalog.store import CatalogStore
from overhead.errors import MessageError, OverheadError
from tests.conftest import shared_file
from tests.test_catalog import db_url  # noqa: F401  (the SQLite / PostgreSQL fixture)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ISS = (
    "1 25544U 98067A   26150.50000000  .00016717  00000-0  30198-3 0  9990",
    "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.50377579 45678",
)


def _tle(name: str, norad_id: int = 25544) -> str:
    from sgp4.api import Satrec

    from overhead.orbits.tle import format_tle, parse_tle_pair

    record = parse_tle_pair(*_fixed_checksums(ISS))
    import dataclasses

    record = dataclasses.replace(record, norad_id=norad_id)
    lines = format_tle(record)
    Satrec.twoline2rv(*lines)  # python-sgp4 reads what the test feeds in
    return f"{name}\n{lines[0]}\n{lines[1]}\n"


def _fixed_checksums(lines):
    def checksum(line: str) -> str:
        total = sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in line[:68])
        return line[:68] + str(total % 10)

    return tuple(checksum(line) for line in lines)


HOSTILE = {"long": "X" * 65, "nul": "ISS\x00(ZARYA)", "bell": "SAT\x07", "escape": "SAT\x1b[31mRED"}


def test_hostile_names_are_located_rejects_never_a_failed_ingest(db_url):  # noqa: F811
    """On SQLite and a real PostgreSQL: each hostile name is one reject naming its line and object; the other
    records go in; the store's exports stay well-formed and read back."""
    from overhead.orbits.elements import read_records

    good = _tle("GOOD SAT", 40001)
    bodies = good + "".join(_tle(name, 40010 + k) for k, name in enumerate(HOSTILE.values()))
    records, rejects, _ = read_records(bodies, source="hostile.tle")
    assert [r.norad_id for r in records] == [40001]
    assert sorted(r.norad_id for r in rejects) == [40010, 40011, 40012, 40013]
    assert all(r.field == "name" and r.line is not None for r in rejects)
    store = CatalogStore(db_url)
    report = store.ingest_text(bodies, group="hostile")
    assert report.new_objects == 1 and len(report.rejected) == 4
    catalog = store.latest_catalog()
    import defusedxml.ElementTree as SafeET

    SafeET.fromstring(catalog.to_omm("xml"))  # well-formed


def test_the_omm_readers_apply_the_same_name_rule():
    import json

    from overhead.orbits.elements import read_records

    base = {
        "OBJECT_NAME": "OK",
        "OBJECT_ID": "1998-067A",
        "EPOCH": "2026-05-30T12:00:00.000000",
        "MEAN_MOTION": 15.5,
        "ECCENTRICITY": 0.0006703,
        "INCLINATION": 51.64,
        "RA_OF_ASC_NODE": 247.46,
        "ARG_OF_PERICENTER": 130.5,
        "MEAN_ANOMALY": 325.0,
        "EPHEMERIS_TYPE": 0,
        "CLASSIFICATION_TYPE": "U",
        "NORAD_CAT_ID": 25544,
        "ELEMENT_SET_NO": 999,
        "REV_AT_EPOCH": 4567,
        "BSTAR": 0.0003,
        "MEAN_MOTION_DOT": 0.0001,
        "MEAN_MOTION_DDOT": 0,
    }
    for name in HOSTILE.values():
        records, rejects, _ = read_records(json.dumps([base | {"OBJECT_NAME": name}]), fmt="omm-json")
        assert not records and len(rejects) == 1 and rejects[0].field == "OBJECT_NAME"


def test_satcat_fields_with_control_characters_are_rejects():
    from overhead.catalog.store import parse_satcat_csv

    text = (
        "OBJECT_NAME,OBJECT_ID,NORAD_CAT_ID,OBJECT_TYPE,OWNER\n"
        "ISS (ZARYA),1998-067A,25544,PAY,ISS\n"
        "EVIL\x07,2000-001A,26000,PAY,US\n"
    )
    rows, rejects = parse_satcat_csv(text)
    assert [r["norad_id"] for r in rows] == [25544] and len(rejects) == 1 and "line 3" in rejects[0]


def test_csv_results_quote_formula_cells_and_leave_numbers(tmp_path):
    import csv
    import io

    import pandas as pd

    from overhead.tables import formula_safe, write_table

    table = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2+3", "ISS", "-33.9000,18.4000", "-1,SUM(A1)"],
            "lat_deg": [-33.9, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    path = write_table(table, tmp_path / "t.csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert [r["name"] for r in rows] == [
        '\'=HYPERLINK("http://x","y")',
        "'+1",
        "'@SUM(A1)",
        "'-2+3",
        "ISS",
        "-33.9000,18.4000",
        "'-1,SUM(A1)",
    ]  # a site's label calls nothing
    assert rows[0]["lat_deg"] == "-33.9"  # numbers are no text cells
    assert formula_safe(table).name.iloc[4] == "ISS" and table.name.iloc[0].startswith("=")  # input untouched


def _service(tmp_path):
    from overhead.api import ServiceSettings, create_app

    return TestClient(
        create_app(ServiceSettings(db_url=f"sqlite:///{tmp_path / 's.sqlite'}", token="t", scheduler="none"))
    )


def test_the_atom_feed_reads_in_feedparser_with_every_rfc4287_element_even_after_a_hostile_name(tmp_path):
    """An alert stored with a control character in its name (a store older than the name rule): the feed stays
    well-formed; feedparser reads it without complaint (bozo 0); the feed has an author, each entry a URN id
    (an IRI: the alert keys' '|' is not), text content and an alternate link to its object."""
    feedparser = pytest.importorskip("feedparser")
    from sqlalchemy import insert

    from overhead.catalog.models import Alert

    with _service(tmp_path) as client:
        store = client.app.state.service.store
        when = datetime(2026, 6, 1)
        with store.engine.begin() as connection:
            connection.execute(
                insert(Alert).values(
                    key="r|gone|25544:2026-06-01",
                    rule="r",
                    kind="gone",
                    norad_ids="[25544]",
                    name="ISS\x00\x07 <b>&",
                    time=when,
                    detail="no longer \x1b reported",
                    created_at=when,
                )
            )
            connection.execute(
                insert(Alert).values(
                    key="r|new_object|launch:2026-001:ab",
                    rule="r",
                    kind="new_object",
                    norad_ids="[1, 2]",
                    name="=cmd|' /C calc'!A0",
                    time=when,
                    detail="2 new",
                    created_at=when,
                )
            )
        answer = client.get("/api/alerts.atom")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.feed.author == "overhead" and feed.feed.id.startswith("urn:")
    assert len(feed.entries) == 2
    for entry in feed.entries:
        assert entry.id.startswith("urn:overhead:alert:") and "|" not in entry.id
        alternate = [link.href for link in entry.links if link.rel == "alternate"]
        assert entry.content[0].value and len(alternate) == 1 and alternate[0].startswith("http")
        assert entry.updated == "2026-06-01T00:00:00Z"
    by_kind = {e.tags[0].term: e for e in feed.entries}
    assert "<b>&" in by_kind["gone"].title and by_kind["gone"].links[0].href.endswith("/api/objects/25544")


def test_tag_ids_outside_norads_range_are_422_and_the_stream_survives_a_huge_last_event_id(tmp_path):
    auth = {"Authorization": "Bearer t"}
    with _service(tmp_path) as client:
        for ids in ([2**63], [3_000_000_000], [-1], [0]):
            answer = client.put("/api/tags/x", json={"norad_ids": ids}, headers=auth)
            assert answer.status_code == 422, (ids, answer.text)
        assert client.put("/api/tags/x", json={"norad_ids": [25544]}, headers=auth).status_code == 200
        with client.stream(
            "GET", "/api/alerts/stream", params={"max_s": 1}, headers={"Last-Event-ID": "99999999999999999999999"}
        ) as stream:
            assert stream.status_code == 200
            body = b"".join(stream.iter_bytes())
        assert body.startswith(b"retry:")
    store = CatalogStore(f"sqlite:///{tmp_path / 'tags.sqlite'}")
    with pytest.raises(OverheadError, match="outside 1 to"):
        store.tag("x", [2**31])


def _cdm_text() -> str:
    return shared_file("conjunctions", "cara_sample_cdms", "AlfanoTestCase01.cdm").read_text()


def test_cdm_times_outside_the_clock_are_refused_and_leap_seconds_are_read(tmp_path):
    import re

    from overhead.analysis.conjunctions import read_cdm_text
    from overhead.analysis.conjunctions.cdm import parse_cdm_time

    text = _cdm_text()
    tca = re.search(r"^TCA\s*=\s*(\S+)", text, re.M)
    assert tca is not None
    for year in ("9999", "1677", "2263"):
        bad = text.replace(f"TCA = {tca.group(1)}", f"TCA = {year}{tca.group(1)[4:]}").replace(
            tca.group(0), f"TCA = {year}{tca.group(1)[4:]}"
        )
        with pytest.raises(MessageError, match=f"year {year} is outside"):
            read_cdm_text(bad)
    # 2016-12-31 ended with a leap second (IERS Bulletin C 52); 2022-06-30 did not
    assert str(parse_cdm_time("2016-12-31T23:59:60.500")) == "2017-01-01T00:00:00.500000000"
    with pytest.raises(MessageError, match="leap second"):
        parse_cdm_time("2022-06-30T23:59:60.500")
    # through the API: a 422, not a 500
    with _service(tmp_path) as client:
        leap = text.replace(tca.group(0), "TCA = 2022-06-30T23:59:60.500")
        answer = client.post("/api/conjunctions/pc", content=leap, headers={"Content-Type": "text/plain"})
        assert answer.status_code == 422, answer.text


def test_a_cdm_cut_inside_its_last_number_is_refused_a_whole_one_read():
    from overhead.analysis.conjunctions import read_cdm_text

    text = _cdm_text()
    whole = read_cdm_text(text)
    assert whole.object2.covariance_rtn.shape == (6, 6)
    cut = text.rstrip("\n")
    cut = cut[:-3]  # inside the last value
    with pytest.raises(MessageError, match="cut short"):
        read_cdm_text(cut)
    for fraction in (0.5, 0.9, 0.97):  # cut anywhere: refused, never read as a shorter number
        with pytest.raises(MessageError):
            read_cdm_text(text[: int(fraction * len(text))])


def test_cli_numbers_must_be_finite_and_rule_days_numbers(tmp_path, capsys):
    from overhead.catalog.watch import load_rules
    from overhead.cli.main import main

    elements = shared_file("catalog", "celestrak_groups_2026-05-30", "stations.tle")
    for argv in (
        ["propagate", str(elements), "--minutes-since-epoch", "0", "nan", "1"],
        [
            "propagate",
            str(elements),
            "--start",
            "2026-05-30T00:00:00Z",
            "--stop",
            "2026-05-30T01:00:00Z",
            "--step-s",
            "inf",
        ],
    ):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert "not a finite number" in err and "Traceback" not in err
    rules = tmp_path / "rules.yaml"
    rules.write_text("sources: []\nalerts:\n  - {name: old, when: stale, older_than_days: abc}\n")
    with pytest.raises(OverheadError, match="older_than_days 'abc' is not a positive number of days"):
        load_rules(rules)
    assert main(["watch", str(rules), "--once", "--db", f"sqlite:///{tmp_path / 'w.sqlite'}"]) == 2


def test_serve_prints_its_ready_line_only_once_listening_and_a_taken_port_is_one_line_exit_2(tmp_path):
    """A script waiting for the URL line is never fooled: with the port taken no URL line is printed, exit 2 with
    why; when it is printed, the service answers at once; a port out of range is a usage error."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    serve = [
        sys.executable,
        "-m",
        "overhead.cli.main",
        "serve",
        "--db",
        f"sqlite:///{tmp_path / 's.sqlite'}",
        "--scheduler",
        "none",
        "--no-sample",
    ]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run([*serve, "--port", str(port)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "http://" not in done.stdout
    assert f"port {port} on 127.0.0.1 is in use" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    bad = subprocess.run([*serve, "--port", "99999"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "not a TCP port" in bad.stderr and "Traceback" not in bad.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    process = subprocess.Popen(
        [*serve, "--port", str(free)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        deadline = time.monotonic() + 120
        line = ""
        while time.monotonic() < deadline and "http://" not in line:
            line = process.stdout.readline()
            assert line or process.poll() is None
        assert f"http://127.0.0.1:{free}/" in line
        assert httpx.get(f"http://127.0.0.1:{free}/api/status", timeout=10).status_code == 200  # no wait needed
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_omm_csv_guards_a_formula_name_and_reads_it_back_as_it_was():
    """Issue #30: `=HYPERLINK(` went into the OMM CSV export unguarded (the probe's after-run still showed it).
    The cell holds the apostrophe a spreadsheet shows as text; overhead's reader takes it off again."""
    import csv
    import io

    import overhead
    from overhead.orbits.records import ElementRecord

    records = overhead.sample_catalog().records[:3]
    names = ['=HYPERLINK("http://x","y")', "@SUM(A1)", "-1+2"]
    hostile = overhead.Catalog.from_records(
        [ElementRecord(**{**r.__dict__, "name": n}) for r, n in zip(records, names, strict=True)]
    )
    text = hostile.to_omm("csv")
    cells = [row["OBJECT_NAME"] for row in csv.DictReader(io.StringIO(text))]
    assert cells == [f"'{n}" for n in names]
    assert [r.name for r in overhead.load_elements(text).records] == names
