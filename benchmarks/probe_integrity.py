"""The probes of issues 13 (ingest integrity, parsers, bounded requests) and 30 (record-boundary cuts, hostile
names, CDM times and cuts, ids, SSE ids, rules, CLI numbers, warning lines, .part files), one line each, against
whichever checkout PYTHONPATH names, so that the same script shows a before and an after:

    PYTHONPATH=OLD_CHECKOUT/src .venv/bin/python -m benchmarks.probe_integrity
    .venv/bin/python -m benchmarks.probe_integrity [13|30]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import overhead
from benchmarks.common import SHARED_DATA
from overhead.api import ServiceSettings, create_app
from overhead.catalog.store import CatalogStore
from overhead.orbits.omm import record_from_omm, record_to_omm
from overhead.orbits.tle import checksum, format_tle, parse_tle_pair

OCTOBER = SHARED_DATA / "catalog" / "celestrak_active_2025-10-03" / "active.tle"
SPAN = {"start": "2026-05-30T00:00:00Z", "stop": "2026-05-30T01:00:00Z"}


def _say(name: str, probe: Callable[[], str]) -> None:
    try:
        result = probe()
    except Exception as exc:  # a probe's failure is its answer
        result = f"{type(exc).__name__}: {str(exc)[:110]}"
    print(f"{name}: {result}", flush=True)


def _store(folder: Path) -> CatalogStore:
    store = CatalogStore(f"sqlite:///{folder / f's{time.monotonic_ns()}.sqlite'}")
    store.ingest(OCTOBER, group="active")
    return store


def _statuses(store: CatalogStore) -> str:
    return str(store.objects().status.value_counts().to_dict())


def _ingest_probe(folder: Path, data: bytes) -> Callable[[], str]:
    def probe() -> str:
        store = _store(folder)
        path = folder / "active.tle"
        path.write_bytes(data)
        try:
            report = store.ingest(path, group="active")
            found = report.changes.change.value_counts().to_dict() if len(report.changes) else {}
            return f"accepted, changes {found}; statuses {_statuses(store)}"
        except Exception as exc:
            return f"{type(exc).__name__}: {str(exc)[:90]}; statuses {_statuses(store)}"

    return probe


def _fix(line: str) -> str:
    return line[:68] + str(checksum(line))


def _tle(line1: str, line2: str) -> str:
    record = parse_tle_pair(line1, line2)
    return f"accepted: NORAD {record.norad_id}, e {record.eccentricity}, n-dot {record.mean_motion_dot}"


def _parser_probes(sample: list[str]) -> None:
    line1, line2 = sample[1], sample[2]
    _say("eccentricity ' 001729'", lambda: _tle(line1, _fix(line2[:26] + " 001729" + line2[33:])))
    _say("n-dot '1.00000155'", lambda: _tle(_fix(line1[:33] + "1" + line1[34:]), line2))
    _say("Alpha-5 I0001", lambda: _tle(_fix(line1[:2] + "I0001" + line1[7:]), _fix(line2[:2] + "I0001" + line2[7:])))

    def unicode_digit() -> str:
        text = "\n".join([sample[0], line1, line2[:60] + "¹" + line2[61:], *sample[3:6]]) + "\n"
        catalog = overhead.load_elements(text)
        return f"{len(catalog)} stored, {len(catalog.rejects)} rejected"

    _say("'¹' in a line", unicode_digit)
    base = record_to_omm(parse_tle_pair(line1, line2))
    _say("OMM EPOCH 2600", lambda: f"accepted as {record_from_omm({**base, 'EPOCH': '2600-01-01T00:00:00'}).epoch}")
    _say("OMM BSTAR 1e308", lambda: f"written: {format_tle(record_from_omm({**base, 'BSTAR': 1e308}))[0][:40]}")


def _api_probes(folder: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    app = create_app(ServiceSettings(db_url=f"sqlite:///{folder / 'api.sqlite'}", token="t", scheduler="none"))
    with TestClient(app, raise_server_exceptions=False) as client:
        nan = (
            '{"targets": [{"lat_deg": NaN, "lon_deg": 1}], ' + f'"start": "{SPAN["start"]}", "stop": "{SPAN["stop"]}"}}'
        )
        _say(
            "NaN JSON",
            lambda: str(
                client.post("/api/access", content=nan, headers={"Content-Type": "application/json"}).status_code
            ),
        )

        def bare_number() -> str:
            answer = client.get("/api/positions", params={"time": "1234567890"})
            return f"{answer.status_code} {answer.json().get('time') or answer.json()['detail'][:70]}"

        def long_ago() -> str:
            answer = client.get("/api/above", params={"lat_deg": 43.6, "lon_deg": 1.44, "time": "2000-01-01T00:00:00Z"})
            if answer.status_code != 200:
                return f"{answer.status_code} {answer.json()['detail'][:70]}"
            return f"200, {len(answer.json())} objects, ranges up to {max(x['range_km'] for x in answer.json()):.3g} km"

        def anonymous_job() -> str:
            grid = {"kind": "points", "points": [{"lat_deg": 1, "lon_deg": 2}]}
            return str(client.post("/api/jobs/coverage", json={"group": "stations", "grid": grid, **SPAN}).status_code)

        def echo() -> str:
            targets = [{"lat_deg": 95, "lon_deg": 1, "id": "x" * 60}] * 3000
            answer = client.post("/api/access", json={"targets": targets, **SPAN})
            return f"{answer.status_code}, {len(answer.content):,} bytes"

        _say("time=1234567890", bare_number)
        _say("above at 2000-01-01", long_ago)
        _say("anonymous job", anonymous_job)
        _say("422 for a 300 kB invalid body", echo)
        _say("CSP header", lambda: client.get("/").headers.get("content-security-policy", "none")[:50])


def _cli_probe(folder: Path) -> str:
    missing = folder / "missing"
    stations = str(overhead.sample_path("stations"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "overhead.cli.main",
            "propagate",
            stations,
            "--start",
            SPAN["start"],
            "--stop",
            SPAN["stop"],
            "-o",
            str(missing / "dir" / "x.csv"),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    return f"exit {done.returncode}, folder created: {missing.exists()}"


CDM = SHARED_DATA / "conjunctions" / "cara_sample_cdms" / "AlfanoTestCase01.cdm"


def _boundary_cut_probe(folder: Path, october: bytes) -> str:
    """A TLE file cut after a complete line 2 holding 60 % of the group (issue 30: 5,097 'gone')."""
    store = _store(folder)
    lines = october.decode().splitlines()
    kept = lines[: (len(lines) // 3) * 3 * 6 // 10 // 3 * 3]
    path = folder / "active.tle"
    path.write_text("\n".join(kept) + "\n")
    try:
        report = store.ingest(path, group="active")
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc)[:80]}"
    found = report.changes.change.value_counts().to_dict() if len(report.changes) else {}
    return f"accepted, changes {found}"


def _hostile_name_probe(client, sample: list[str]) -> str:
    """TLE names with a NUL, 80 characters and a CSV formula through the API: the ingest, then the CSV and XML
    exports of what was stored."""
    from xml.dom.minidom import parseString

    names = ["BAD\x00NAME", "N" * 80, '=HYPERLINK("http://x")']
    text = "".join(f"{name}\n{sample[3 * i + 1]}\n{sample[3 * i + 2]}\n" for i, name in enumerate(names))
    answer = client.post(
        "/api/catalog/ingest",
        params={"group": "names"},
        content=text.encode(),
        headers={"Authorization": "Bearer t", "Content-Type": "text/plain"},
    )
    if answer.status_code != 201:
        return f"ingest {answer.status_code}"
    csv = client.get("/api/export/elements", params={"format": "omm-csv", "group": "names"}).text
    xml = client.get("/api/export/elements", params={"format": "omm-xml", "group": "names"}).text
    try:
        parseString(xml)
        xml_ok = "well-formed"
    except Exception:
        xml_ok = "NOT well-formed"
    import csv as csv_module
    import io

    unguarded = any(cell.startswith("=") for row in csv_module.reader(io.StringIO(csv)) for cell in row)
    return (
        f"201, {len(answer.json()['rejected'])} rejected, {answer.json()['records']} stored; CSV formula "
        f"unguarded: {unguarded}; XML {xml_ok}"
    )


def _cdm_probe(client, change: Callable[[str], str]) -> str:
    answer = client.post(
        "/api/conjunctions/pc", content=change(CDM.read_text()).encode(), headers={"Content-Type": "text/plain"}
    )
    if answer.status_code != 200:
        return f"{answer.status_code} {str(answer.json().get('detail', ''))[:70]}"
    body = answer.json()
    return f"200, TCA {body.get('tca')}, Pc {body.get('pc2d')}"


def _with_tca(value: str) -> Callable[[str], str]:
    import re

    return lambda text: re.sub(r"(?m)^TCA(\s*)= .*$", rf"TCA\g<1>= {value}", text)


def _cut_inside_a_number(text: str) -> str:
    """The message cut in the middle of the last numeric value before 90 % of its length."""
    import re

    head = text[: int(len(text) * 0.9)]
    last = list(re.finditer(r"(?m)^\w+\s*=\s*(-?\d+\.\d{4,}(?:[eE][-+]?\d+)?)", head))[-1]
    value_start, value_end = last.span(1)
    return text[: value_start + (value_end - value_start) // 2]


def _issue30_api_probes(folder: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    app = create_app(ServiceSettings(db_url=f"sqlite:///{folder / 'api30.sqlite'}", token="t", scheduler="none"))
    token = {"Authorization": "Bearer t"}
    with TestClient(app, raise_server_exceptions=False) as client:
        _say(
            "TLE names NUL / 80 chars / =HYPERLINK(",
            lambda: _hostile_name_probe(client, overhead.sample_path("stations").read_text().splitlines()),
        )
        _say("CDM TCA in year 9999", lambda: _cdm_probe(client, _with_tca("9999-01-01T00:00:00.000")))
        _say("CDM TCA 23:59:60.500", lambda: _cdm_probe(client, _with_tca("2016-12-31T23:59:60.500")))
        _say("CDM cut inside a number at 90 %", lambda: _cdm_probe(client, _cut_inside_a_number))
        for norad_id in (2**63, -1, 2**31):
            _say(
                f"PUT /api/tags/x id {norad_id}",
                lambda i=norad_id: str(client.put("/api/tags/x", json={"norad_ids": [i]}, headers=token).status_code),
            )

        def huge_event_id() -> str:
            with client.stream(
                "GET", "/api/alerts/stream", params={"max_s": 1}, headers={"Last-Event-ID": "9" * 23}
            ) as answer:
                body = b"".join(answer.iter_bytes())
            return f"{answer.status_code}, stream ended cleanly ({len(body)} bytes)"

        _say("SSE Last-Event-ID 99999999999999999999999", huge_event_id)

        def warning_lines() -> str:
            """What the server's log shows for 50 positions requests at times days from the elements' epochs
            (warnings printed to stderr, and log records)."""
            import contextlib
            import io
            import logging

            records: list[logging.LogRecord] = []
            handler = logging.Handler()
            handler.emit = records.append  # type: ignore[method-assign]
            loggers = [logging.getLogger(), logging.getLogger("overhead.api")]
            for logger in loggers:
                logger.addHandler(handler)
            printed = io.StringIO()
            with contextlib.redirect_stderr(printed):
                for k in range(50):
                    client.get("/api/positions", params={"time": f"2026-06-{1 + k // 8:02d}T{k % 8 * 3:02d}:00:00Z"})
            for logger in loggers:
                logger.removeHandler(handler)
            said = {id(r) for r in records if r.levelno >= logging.WARNING}  # a record reaches both if it propagates
            shown = printed.getvalue().count("ElementAgeWarning")
            return f"{shown} warnings printed and {len(said)} log lines over 50 positions requests"

        _say("element-age warning lines", warning_lines)


def _cli_run(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "overhead.cli.main", *args], capture_output=True, text=True)
    said = (done.stderr.strip().splitlines() or [""])[-1]
    return f"exit {done.returncode}, traceback: {'Traceback' in done.stderr}, says: {said[:70]}"


def _part_file_probe(folder: Path) -> str:
    """SIGTERM a long `propagate -o` mid-run: what is left beside the output."""
    import signal

    out = folder / "killed" / "track.csv"
    out.parent.mkdir()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "overhead.cli.main",
            "propagate",
            str(OCTOBER),
            "--start",
            "2026-05-30T00:00:00Z",
            "--stop",
            "2026-05-30T01:00:00Z",
            "--step-s",
            "30",
            "-o",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(p.name != "track.csv" for p in out.parent.iterdir()):
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    process.wait()
    return f"exit {process.returncode}, left: {sorted(p.name[:30] for p in out.parent.iterdir())}"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_probes(folder: Path, october: bytes) -> None:
    """Against `overhead serve` as a user runs it: the log lines of 200 positions requests, /api/status while the
    full catalogue is ingested through the API, and 2,000 /api/sky requests on four keep-alive connections."""
    import threading

    import httpx
    import numpy as np

    port = _free_port()
    log = (folder / "serve.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "overhead.cli.main",
            "serve",
            "--port",
            str(port),
            "--db",
            f"sqlite:///{folder / 'serve.sqlite'}",
            "--scheduler",
            "none",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "OVERHEAD_API_TOKEN": "t"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/status", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=60) as client:
            for k in range(200):
                client.get("/api/positions", params={"time": f"2026-06-{1 + k // 24:02d}T{k % 24:02d}:00:00Z"})
        time.sleep(0.5)
        lines = (folder / "serve.log").read_text().count("ElementAgeWarning")
        print(f"server log lines about element age over 200 positions requests: {lines}", flush=True)

        idle_ms: list[float] = []
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(100):
                began = time.perf_counter()
                client.get("/api/status")
                idle_ms.append((time.perf_counter() - began) * 1e3)
        print(
            f"/api/status idle: p50 {np.percentile(idle_ms, 50):.0f} ms, p99 {np.percentile(idle_ms, 99):.0f} ms",
            flush=True,
        )
        waits_ms: list[float] = []
        ingest_done = threading.Event()

        def ingest() -> None:
            httpx.post(
                f"{base}/api/catalog/ingest",
                params={"group": "active"},
                content=october,
                headers={"Authorization": "Bearer t"},
                timeout=600,
            )
            ingest_done.set()

        worker = threading.Thread(target=ingest)
        worker.start()
        with httpx.Client(base_url=base, timeout=60) as client:
            while not ingest_done.is_set():
                began = time.perf_counter()
                client.get("/api/status")
                waits_ms.append((time.perf_counter() - began) * 1e3)
                time.sleep(0.02)
        worker.join()
        print(
            f"/api/status during a full-catalogue API ingest: {len(waits_ms)} requests, p50 "
            f"{np.percentile(waits_ms, 50):.0f} ms, p99 {np.percentile(waits_ms, 99):.0f} ms, max "
            f"{max(waits_ms):.0f} ms",
            flush=True,
        )

        if os.environ.get("PROBE_SKIP_SKY"):
            return
        failures: list[str] = []

        def sky_requests() -> None:
            with httpx.Client(base_url=base, timeout=60) as client:
                for _ in range(500):
                    try:
                        client.get("/api/sky").raise_for_status()
                    except httpx.HTTPError as exc:
                        failures.append(type(exc).__name__)
                    time.sleep(float(np.random.default_rng().uniform(0, 0.01)))

        began = time.perf_counter()
        workers = [threading.Thread(target=sky_requests) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        print(
            f"2,000 /api/sky requests on the full catalogue: {len(failures)} failed {sorted(set(failures))} "
            f"({time.perf_counter() - began:.0f} s)",
            flush=True,
        )
    finally:
        server.terminate()
        server.wait()
        log.close()


def _issue30_probes(folder: Path, october: bytes) -> None:
    _say("TLE cut after a line 2 at 60 % of the group", lambda: _boundary_cut_probe(folder, october))
    _issue30_api_probes(folder)
    rules = folder / "rules.yaml"
    rules.write_text(
        "sources: [{celestrak: {group: stations}}]\nalerts:\n  - {name: old, when: stale, older_than_days: abc}\n"
    )
    _say(
        "watch rules older_than_days: abc",
        lambda: _cli_run(
            "watch",
            str(rules),
            "--once",
            "--celestrak-url",
            "http://127.0.0.1:9",
            "--db",
            f"sqlite:///{folder / 'w.sqlite'}",
        ),
    )
    stations = str(overhead.sample_path("stations"))
    _say(
        "propagate --step-s nan",
        lambda: _cli_run("propagate", stations, "--start", SPAN["start"], "--stop", SPAN["stop"], "--step-s", "nan"),
    )
    _say("SIGTERM during propagate -o", lambda: _part_file_probe(folder))
    _server_probes(folder, october)


def main() -> None:
    """Both issues' probes; ``13`` or ``30`` as the argument runs one issue's."""
    issues = sys.argv[1:] or ["13", "30"]
    folder = Path(tempfile.mkdtemp(prefix="overhead-probes-"))
    october = OCTOBER.read_bytes()
    if "13" in issues:
        lines = october.decode().splitlines()
        k = next(i for i in range(0, len(lines), 3) if float(lines[i + 2][52:63]) > 15.6)  # a low object
        lines[k + 2] = lines[k + 2][:68] + str((int(lines[k + 2][68]) + 1) % 10)
        _say("random bytes as group active", _ingest_probe(folder, os.urandom(300_000)))
        _say("the first 1.2 MB of the file", _ingest_probe(folder, october[:1_200_000]))
        _say("one bad checksum", _ingest_probe(folder, ("\n".join(lines) + "\n").encode()))
        _parser_probes(overhead.sample_path("stations").read_text().splitlines())
        _api_probes(folder)
        _say("propagate -o missing/dir/x.csv", lambda: _cli_probe(folder))
    if "30" in issues:
        _issue30_probes(folder, october)


if __name__ == "__main__":
    main()
