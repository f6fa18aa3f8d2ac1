"""Work is bounded before it starts and while it runs, in the API and the CLI, and no input makes a 500.

Each test reproduces a probe that failed before: a 60 MB chunked body accepted (its 422 echoing all of it back),
NaN / Infinity / lone-surrogate JSON giving 500, look angles over 7 days at 0.1 s (10 % of the work budget) taking
155 s and 367 MB of JSON, an abandoned request running on, ``time=1234567890`` read as 2013, an object listed at
2.4e17 km, ``propagate -o`` truncating the previous file in place and creating missing folders."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

import overhead
from overhead.api import ServiceSettings, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOULOUSE = {"lat_deg": 43.6047, "lon_deg": 1.4442}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("bounded") / "catalog.sqlite"
    with TestClient(create_app(ServiceSettings(db_url=f"sqlite:///{db}", token="t", scheduler="none"))) as c:
        yield c


ACCESS = {
    "targets": [{"lat_deg": 43.6, "lon_deg": 1.44}],
    "start": "2026-05-30T00:00:00Z",
    "stop": "2026-05-30T06:00:00Z",
    "group": "stations",
}


SPAN = '"start": "2026-05-30T00:00:00Z", "stop": "2026-05-30T06:00:00Z"'


@pytest.mark.parametrize(
    "body",
    [
        '{"targets": [{"lat_deg": NaN, "lon_deg": 1}], ' + SPAN + "}",
        '{"targets": [{"lat_deg": Infinity, "lon_deg": 1}], ' + SPAN + "}",
        '{"targets": [{"lat_deg": 1e999, "lon_deg": 1}], ' + SPAN + "}",
        '{"targets": [{"id": "\\ud800", "lat_deg": 1, "lon_deg": 1}], ' + SPAN + "}",
        "[" * 50_000 + "]" * 50_000,
    ],
)
def test_hostile_json_is_a_short_422_and_the_next_request_works(client, body):
    answer = client.post("/api/access", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text[:300]
    assert len(answer.content) < 2_000 and answer.json()["detail"]
    assert client.post("/api/access", json=ACCESS).status_code == 200


def test_a_422_never_echoes_a_large_input(client):
    targets = [{"lat_deg": 91.0 + k, "lon_deg": 0.0, "id": "x" * 60} for k in range(5_000)]  # every one invalid
    answer = client.post("/api/access", json={**ACCESS, "targets": targets})
    assert answer.status_code == 422 and len(answer.content) < 2_000


@pytest.mark.parametrize("time_text", ["1234567890", "2026-05-30T12:00:00+25:00", "2600-01-01T00:00:00Z"])
def test_request_times_are_iso_8601_only(client, time_text):
    answer = client.get("/api/positions", params={"time": time_text})
    detail = answer.json()["detail"]
    assert answer.status_code == 422 and ("ISO-8601" in detail or "outside" in detail)


def test_an_answer_too_large_is_refused_before_the_work(client, monkeypatch):
    """Refused up front (it was 155 s of work): neither the times nor the look angles are ever computed."""
    import overhead.analysis.passes as passes
    import overhead.api.routes_compute as routes

    work: list[str] = []

    def recorded(name, real):
        def call(*args, **kwargs):
            work.append(name)
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(passes, "look_angle_series", recorded("look_angle_series", passes.look_angle_series))
    monkeypatch.setattr(routes, "sample_times", recorded("sample_times", routes.sample_times))
    answer = client.get(
        "/api/lookangles",
        params={
            "norad_id": 25544,
            **TOULOUSE,
            "start": "2026-05-30T00:00:00Z",
            "stop": "2026-06-06T00:00:00Z",
            "step_s": 0.1,
        },
    )
    assert answer.status_code == 413 and "MiB" in answer.json()["detail"] and "step_s" in answer.json()["detail"]
    assert work == []
    small = client.get(
        "/api/lookangles",
        params={
            "norad_id": 25544,
            **TOULOUSE,
            "start": "2026-05-30T00:00:00Z",
            "stop": "2026-05-30T00:10:00Z",
            "step_s": 60,
        },
    )
    assert small.status_code == 200 and work == ["sample_times", "look_angle_series"]  # the spies do see work


def test_elements_far_from_the_time_asked_are_left_out_not_extrapolated(client):
    answer = client.get("/api/above", params={**TOULOUSE, "time": "2000-01-01T00:00:00Z"})
    assert answer.status_code == 422 and "30 days" in answer.json()["detail"]  # was a list with 2.4e17 km ranges
    ds = overhead.sample_catalog().propagate(["2000-01-01T00:00:00Z"], frame="itrf")
    radius = np.sqrt(ds.x_km.values**2 + ds.y_km.values**2 + ds.z_km.values**2)
    ok = ds.error.values == 0
    assert ok.any() and (radius[ok] < 10 * 384_400).all() and (radius[ok] > 6278).all()
    assert (ds.error.values == 7).any()  # the absurd radii are flagged, with their own code


# ------------------------------------------------------------------------------- a real server on loopback
class _Server:
    def __init__(self, settings: ServiceSettings, app=None):
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(app or create_app(settings), host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def get(self, path: str, **kw):
        import httpx

        return httpx.get(f"http://127.0.0.1:{self.port}{path}", **kw)


@pytest.fixture(scope="module")
def upload_server(tmp_path_factory):
    """The service with uploads limited to 50 MiB."""
    db = f"sqlite:///{tmp_path_factory.mktemp('server') / 'catalog.sqlite'}"
    settings = ServiceSettings(db_url=db, token="t", scheduler="none", load_sample=False, max_upload_bytes=50 * 2**20)
    with _Server(settings) as server:
        yield server


def test_a_chunked_body_over_the_limit_is_refused_without_reading_it_all(upload_server):
    sock = socket.create_connection(("127.0.0.1", upload_server.port))
    sock.sendall(
        b"POST /api/catalog/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
        b"Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk, sent = b"x" * 2**20, 0
    try:
        while sent < 60 * 2**20:
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sent += len(chunk)
            if select.select([sock], [], [], 0)[0]:
                break  # the answer came: stop sending
    except (BrokenPipeError, ConnectionResetError):
        pass
    sock.settimeout(30)
    head = sock.recv(4096)
    sock.close()
    assert head.startswith(b"HTTP/1.1 413"), head[:200]
    assert sent < 60 * 2**20 and len(head) < 4096


class _EndlessWork:
    """A route whose work never ends by itself: it checks the request's cancellation token between chunks, as the
    library's loops do, so only the service's bound (time or client) can stop it. Nothing depends on how fast the
    machine is."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.stopped_by: list[str] = []

    def __call__(self) -> dict:
        from overhead.cancel import check_cancelled
        from overhead.errors import CancelledError

        self.started.set()
        try:
            for _ in range(12_000):  # a safety stop after ~2 minutes: the test fails instead of hanging
                check_cancelled()
                time.sleep(0.01)
        except CancelledError as exc:
            self.stopped_by.append(str(exc))
            raise
        return {"finished": True}


@contextlib.contextmanager
def _endless_server(tmp_path, max_request_s: float):
    """The service (its middleware, error handlers and uvicorn) with one endless route."""
    settings = ServiceSettings(
        db_url=f"sqlite:///{tmp_path / 'catalog.sqlite'}",
        token="t",
        scheduler="none",
        load_sample=False,
        max_request_s=max_request_s,
    )
    app = create_app(settings)
    work = _EndlessWork()
    app.add_api_route("/api/endless", work, methods=["GET"])
    with _Server(settings, app) as server:
        yield server, work


def test_a_request_past_its_time_limit_is_stopped_with_a_503(tmp_path):
    with _endless_server(tmp_path, max_request_s=1.0) as (server, work):
        answer = server.get("/api/endless", timeout=60)
        assert answer.status_code == 503 and "limit of 1 s" in answer.json()["detail"]
        assert answer.headers["retry-after"] == "60"
        assert len(work.stopped_by) == 1 and "limit of 1 s" in work.stopped_by[0]  # the work saw its token
        assert server.get("/api/status", timeout=30).json()["requests_cancelled"] == 1


def test_a_client_going_away_cancels_its_request(tmp_path):
    from overhead.api.limits import CLIENT_GONE

    with _endless_server(tmp_path, max_request_s=600.0) as (server, work):
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(b"GET /api/endless HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert work.started.wait(30)  # the work is running: now the client goes away
        deadline = time.monotonic() + 60
        while not work.stopped_by and time.monotonic() < deadline:
            time.sleep(0.05)
        assert work.stopped_by == [CLIENT_GONE]  # stopped because the client left, long before its time limit
        assert server.get("/api/status", timeout=30).json()["requests_abandoned"] == 1


# ------------------------------------------------------------------------------------------ the CLI
def _overhead(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "overhead.cli.main", *args], capture_output=True, text=True, timeout=timeout
    )


def test_propagate_refuses_an_output_too_large_up_front(tmp_path):
    done = _overhead(
        "propagate",
        str(overhead.sample_path("stations")),
        "--start",
        "2026-05-30T00:00:00Z",
        "--stop",
        "2026-06-30T00:10:00Z",
        "--step",
        "0.001",
        "-o",
        str(tmp_path / "huge.csv"),
    )
    assert done.returncode == 2 and "GB" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["eclipses", "beta"])
def test_eclipses_and_beta_over_years_from_the_epochs_are_refused_up_front(command):
    """Four years beyond the bundled elements: one line before any work (it used to run on, saying the
    Earth-orientation warning once per chunk), exit 2."""
    done = _overhead(command, "--start", "2030-01-01T00:00:00Z", "--stop", "2031-01-01T00:00:00Z")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "days from their element epochs" in lines[0], lines


@pytest.mark.parametrize("budget", ["-5", "nan", "1e99", "lots"])
def test_a_careless_ephemeris_budget_is_one_line_before_the_service_starts(budget):
    done = _overhead("serve", "--ephemeris-budget-mb", budget, "--port", "1")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "--ephemeris-budget-mb" in done.stderr


def test_propagate_into_a_missing_folder_is_an_error_not_a_new_folder(tmp_path):
    done = _overhead(
        "propagate",
        str(overhead.sample_path("stations")),
        "--start",
        "2026-05-30T00:00:00Z",
        "--stop",
        "2026-05-30T00:10:00Z",
        "-o",
        str(tmp_path / "missing" / "dir" / "x.csv"),
    )
    assert done.returncode == 2 and "does not exist" in done.stderr and not (tmp_path / "missing").exists()


def test_a_kill_during_propagate_leaves_the_previous_file_intact(tmp_path):
    target = tmp_path / "big.csv"
    target.write_text("norad_id,time\nprevious,file\n")
    previous = target.read_bytes()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "overhead.cli.main",
            "propagate",
            str(overhead.sample_path("resource")),
            "--start",
            "2026-05-30T00:00:00Z",
            "--stop",
            "2026-05-31T00:00:00Z",
            "--step",
            "5",
            "-o",
            str(target),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill it while it writes: its temporary file is growing
        parts = [p for p in tmp_path.iterdir() if p.name.endswith(".part.csv")]
        if parts and parts[0].stat().st_size > 5_000_000:
            break
        time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("propagate never started writing")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert target.read_bytes() == previous
    done = _overhead(
        "propagate",
        str(overhead.sample_path("stations")),
        "--start",
        "2026-05-30T00:00:00Z",
        "--stop",
        "2026-05-30T01:00:00Z",
        "-o",
        str(target),
    )
    assert done.returncode == 0 and f"to {target}" in done.stderr
    assert target.read_text().count("\n") == 1 + 25 * 61  # the new, complete file replaced it
