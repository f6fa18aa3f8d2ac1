"""Space-Track against a local stand-in that answers like it (login cookie, basicspacedata queries, its SATCAT
columns): never the internet. The client keeps Space-Track's limits and never lets the credentials out."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import parse_qs

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from overhead.catalog.sources import SourceError
from overhead.catalog.spacetrack import Credentials, RateLimit, SpaceTrack
from overhead.catalog.store import CatalogStore
from overhead.cli.main import main
from overhead.errors import OverheadError
from tests.conftest import serve_app, shared_file

IDENTITY, PASSWORD = "analyst@example.org", "s3cret-Pa55word!"


class SpaceTrackStandIn:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self.logins = 0
        self.throttle = False  # answer queries 429 (Space-Track's "over the limit")

    def app(self) -> Starlette:
        history = shared_file("tle_history", "celestrak_groups_2026-05-23_to_2026-05-30", "stations_history.tle")
        satcat = shared_file("catalog", "celestrak_satcat_sample_2026-07", "satcat_sample.csv")
        sets: dict[int, list[tuple[str, str, str]]] = {}
        lines = history.read_text().splitlines()
        for k in range(0, len(lines) - 2, 3):
            sets.setdefault(int(lines[k + 1][2:7]), []).append((lines[k], lines[k + 1], lines[k + 2]))

        async def login(request: Request) -> Response:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            self.requests.append("login")
            if form.get("identity") != IDENTITY or form.get("password") != PASSWORD:
                return JSONResponse({"Login": "Failed"})
            self.logins += 1
            response = PlainTextResponse('""')
            response.set_cookie("chocolatechip", "session-cookie")
            return response

        async def logout(_request: Request) -> Response:
            self.requests.append("logout")
            return PlainTextResponse('"Successfully logged out"')

        async def query(request: Request) -> Response:
            path = request.url.path
            self.requests.append(path)
            if request.cookies.get("chocolatechip") != "session-cookie":
                return JSONResponse({"error": "You must be logged in"}, status_code=401)
            if self.throttle:
                return PlainTextResponse("Too Many Requests", status_code=429, headers={"Retry-After": "120"})
            parts = path.split("/")
            cls = parts[parts.index("class") + 1]
            ids = [int(n) for n in parts[parts.index("NORAD_CAT_ID") + 1].split(",")]
            if cls in ("gp", "gp_history"):
                chosen = [sets[n] if cls == "gp_history" else sets[n][-1:] for n in ids if n in sets]
                text = "".join(f"{a}\n{b}\n" for group in chosen for _, a, b in group)  # format/tle: 2 lines
                return PlainTextResponse(text)
            if cls == "satcat":  # Space-Track's own columns and type names
                rows = [r for r in csv.DictReader(io.StringIO(satcat.read_text())) if int(r["NORAD_CAT_ID"]) in ids]
                out = io.StringIO()
                writer = csv.writer(out)
                writer.writerow(
                    [
                        "INTLDES",
                        "NORAD_CAT_ID",
                        "OBJECT_TYPE",
                        "SATNAME",
                        "COUNTRY",
                        "LAUNCH",
                        "SITE",
                        "DECAY",
                        "PERIOD",
                        "INCLINATION",
                        "APOGEE",
                        "PERIGEE",
                        "RCS_SIZE",
                    ]
                )
                names = {"PAY": "PAYLOAD", "R/B": "ROCKET BODY", "DEB": "DEBRIS", "UNK": "UNKNOWN"}
                for r in rows:
                    writer.writerow(
                        [
                            r["OBJECT_ID"],
                            r["NORAD_CAT_ID"],
                            names[r["OBJECT_TYPE"]],
                            r["OBJECT_NAME"],
                            r["OWNER"],
                            r["LAUNCH_DATE"],
                            r["LAUNCH_SITE"],
                            r["DECAY_DATE"],
                            r["PERIOD"],
                            r["INCLINATION"],
                            r["APOGEE"],
                            r["PERIGEE"],
                            "LARGE",
                        ]
                    )
                return PlainTextResponse(out.getvalue(), media_type="text/csv")
            if cls == "decay":
                return JSONResponse(
                    [
                        {
                            "NORAD_CAT_ID": str(n),
                            "OBJECT_NAME": "TEST",
                            "DECAY_EPOCH": "2026-08-01",
                            "MSG_TYPE": "Prediction",
                            "MSG_EPOCH": "2026-07-20 00:00:00",
                        }
                        for n in ids
                    ]
                )
            return JSONResponse([])

        return Starlette(
            routes=[
                Route("/ajaxauth/login", login, methods=["POST"]),
                Route("/ajaxauth/logout", logout),
                Route("/basicspacedata/query/{rest:path}", query),
            ]
        )


@pytest.fixture
def space_track(monkeypatch, tmp_path):
    monkeypatch.setenv("OVERHEAD_DATA_DIR", str(tmp_path / "data"))
    state = SpaceTrackStandIn()
    with serve_app(state.app()) as url:
        state.url = url
        yield state


def test_cli_fetches_gp_and_history_and_the_credentials_go_nowhere(space_track, tmp_path, monkeypatch, capsys, caplog):
    caplog.set_level("DEBUG")  # httpx logs its requests at DEBUG: the password must not be in them either
    monkeypatch.setenv("OVERHEAD_SPACETRACK_USER", IDENTITY)
    monkeypatch.setenv("OVERHEAD_SPACETRACK_PASSWORD", PASSWORD)
    db = tmp_path / "store.sqlite"
    url = f"sqlite:///{db}"
    assert (
        main(["catalog", "fetch", "spacetrack-gp:25544,48274", "--spacetrack-url", space_track.url, "--db", url]) == 0
    )
    assert (
        main(
            [
                "catalog",
                "fetch",
                "spacetrack-history:25544:2026-05-23:2026-05-30",
                "--spacetrack-url",
                space_track.url,
                "--db",
                url,
            ]
        )
        == 0
    )
    assert main(["catalog", "fetch", "spacetrack-satcat:1,5,51", "--spacetrack-url", space_track.url, "--db", url]) == 0
    out = capsys.readouterr()
    store = CatalogStore(url)
    history = store.history(25544)
    assert len(history) >= 20  # the week's element sets of the ISS, each kept
    assert set(store.latest_catalog().norad_ids.tolist()) >= {25544, 48274}
    assert space_track.logins == 3 and space_track.requests.count("logout") == 3  # one session a command
    ingests = store.ingests()
    assert ingests.source.str.contains("basicspacedata").all()
    store.engine.dispose()
    everything = out.out + out.err + caplog.text + db.read_bytes().decode("latin-1")
    assert PASSWORD not in everything and IDENTITY not in everything
    assert "SATCAT: 3 records stored" in out.out


def test_a_refused_login_is_one_line_without_the_secret(space_track, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OVERHEAD_SPACETRACK_USER", IDENTITY)
    monkeypatch.setenv("OVERHEAD_SPACETRACK_PASSWORD", "wrong-password-123")
    code = main(
        [
            "catalog",
            "fetch",
            "spacetrack-gp:25544",
            "--spacetrack-url",
            space_track.url,
            "--db",
            f"sqlite:///{tmp_path / 's.sqlite'}",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Space-Track login failed" in err and err.count("\n") == 1
    assert "wrong-password-123" not in err and IDENTITY not in err
    assert not any(r.startswith("/basicspacedata") for r in space_track.requests)


def test_without_credentials_it_says_where_to_put_them(monkeypatch, tmp_path):
    monkeypatch.delenv("OVERHEAD_SPACETRACK_USER", raising=False)
    monkeypatch.delenv("OVERHEAD_SPACETRACK_PASSWORD", raising=False)
    monkeypatch.setenv("OVERHEAD_SPACETRACK_CONFIG", str(tmp_path / "none.ini"))
    with pytest.raises(OverheadError, match="OVERHEAD_SPACETRACK_USER"):
        Credentials.from_environment()
    config = tmp_path / "spacetrack.ini"
    config.write_text(f"[spacetrack]\nidentity = {IDENTITY}\npassword = {PASSWORD}\n")
    credentials = Credentials.from_environment(config)
    assert credentials.password == PASSWORD and PASSWORD not in repr(credentials) and IDENTITY not in repr(credentials)


def test_history_is_only_for_named_objects_and_short_spans(space_track, tmp_path):
    client = SpaceTrack(space_track.url, credentials=Credentials(IDENTITY, PASSWORD), cache_dir=tmp_path)
    with pytest.raises(OverheadError, match="at most 100"):
        client.gp_history(range(1, 200), "2026-05-01", "2026-05-02")
    with pytest.raises(OverheadError, match="at most 60 days"):
        client.gp_history([25544], "2026-01-01", "2026-05-02")
    with pytest.raises(OverheadError, match="YYYY-MM-DD"):
        client.gp_history([25544], "2026-01-01T00", "2026-01-02")
    with pytest.raises(OverheadError, match="name the objects"):
        client.gp([])
    assert space_track.requests == []  # refused before any request, the login included
    client.close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_throttle_keeps_under_30_a_minute_and_300_an_hour_across_clients(tmp_path):
    clock = FakeClock()
    path = tmp_path / "requests.json"
    limit = RateLimit(path, clock=clock, sleep=clock.sleep, max_wait_s=3600)
    made: list[float] = []
    for _ in range(30):
        limit.acquire()
        made.append(clock.now)
        clock.now += 0.5
    assert clock.slept == []
    limit.acquire()  # the 31st in the minute waits until the first is a minute old
    made.append(clock.now)
    assert clock.slept and made[-1] == pytest.approx(made[0] + 60.0)
    # another client (another process) sharing the file sees the same history
    other = RateLimit(path, clock=clock, sleep=clock.sleep, max_wait_s=3600)
    for _ in range(400):
        other.acquire()
        made.append(clock.now)
    times = sorted(made)
    for k, t in enumerate(times):  # every sliding window holds at most the limits
        assert sum(1 for u in times[k : k + 31] if u - t < 60.0) <= 30
        assert sum(1 for u in times[k : k + 301] if u - t < 3600.0) <= 300
    # a wait longer than the client accepts is refused with the time the next request may be made
    impatient = RateLimit(path, clock=clock, sleep=clock.sleep, max_wait_s=5)
    for _ in range(29):
        impatient.wait_s()
    with pytest.raises(SourceError, match="next request may be made at"):
        for _ in range(400):
            impatient.acquire()


def test_satcat_answers_are_read_in_celestraks_columns(space_track, tmp_path):
    from overhead.catalog.spacetrack import satcat_to_celestrak_csv

    with SpaceTrack(space_track.url, credentials=Credentials(IDENTITY, PASSWORD), cache_dir=tmp_path) as client:
        answer = client.satcat([1, 5, 51, 69676])
        decay = json.loads(client.decay([25544]).text)
    table = list(csv.DictReader(io.StringIO(satcat_to_celestrak_csv(answer.body))))
    assert [r["OBJECT_TYPE"] for r in table] == ["R/B", "PAY", "DEB", "UNK"]  # from ROCKET BODY, PAYLOAD, ...
    assert [r["NORAD_CAT_ID"] for r in table] == ["1", "5", "51", "69676"]
    assert decay[0]["MSG_TYPE"] == "Prediction"
    assert re.search(r"/class/satcat/NORAD_CAT_ID/1,5,51,69676/", answer.url)


def test_a_throttling_answer_is_reported_with_its_wait_and_not_retried(space_track, tmp_path):
    space_track.throttle = True
    with (
        SpaceTrack(space_track.url, credentials=Credentials(IDENTITY, PASSWORD), cache_dir=tmp_path) as client,
        pytest.raises(SourceError, match=r"answered 429 .* wait until"),
    ):
        client.gp([25544])
    queries = [r for r in space_track.requests if r.startswith("/basicspacedata")]
    assert len(queries) == 1  # asked once, not hammered
