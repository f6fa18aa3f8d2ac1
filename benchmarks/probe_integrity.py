"""The probes of issue 13 (ingest integrity, parsers, bounded requests), one line each, against whichever checkout
PYTHONPATH names, so that the same script shows a before and an after:

    PYTHONPATH=OLD_CHECKOUT/src .venv/bin/python -m benchmarks.probe_integrity
    .venv/bin/python -m benchmarks.probe_integrity
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
        nan = ('{"targets": [{"lat_deg": NaN, "lon_deg": 1}], '
               + f'"start": "{SPAN["start"]}", "stop": "{SPAN["stop"]}"}}')
        _say("NaN JSON", lambda: str(client.post("/api/access", content=nan,
                                                 headers={"Content-Type": "application/json"}).status_code))

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
    done = subprocess.run([sys.executable, "-m", "overhead.cli.main", "propagate", stations, "--start", SPAN["start"],
                           "--stop", SPAN["stop"], "-o", str(missing / "dir" / "x.csv")],
                          capture_output=True, text=True, env=dict(os.environ))
    return f"exit {done.returncode}, folder created: {missing.exists()}"


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="overhead-probes-"))
    october = OCTOBER.read_bytes()
    lines = october.decode().splitlines()
    k = next(i for i in range(0, len(lines), 3) if float(lines[i + 2][52:63]) > 15.6)  # a low object
    lines[k + 2] = lines[k + 2][:68] + str((int(lines[k + 2][68]) + 1) % 10)
    _say("random bytes as group active", _ingest_probe(folder, os.urandom(300_000)))
    _say("the first 1.2 MB of the file", _ingest_probe(folder, october[:1_200_000]))
    _say("one bad checksum", _ingest_probe(folder, ("\n".join(lines) + "\n").encode()))
    _parser_probes(overhead.sample_path("stations").read_text().splitlines())
    _api_probes(folder)
    _say("propagate -o missing/dir/x.csv", lambda: _cli_probe(folder))


if __name__ == "__main__":
    main()
