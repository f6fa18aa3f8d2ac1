"""Issue 7: a bounded load test of the service on loopback with wrk (Debian package): passes and "above".

The service runs as `overhead serve` (one uvicorn process) with the full active catalogue ingested when
../shared/data has it (else the bundled sample). wrk drives it for DURATION_S per endpoint with random places
(a Lua script); the figures are throughput and p99 latency, next to the framework's floor (GET /api/status)
measured in the same run, plus non-2xx responses, socket errors and the server's resident memory.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

import overhead
from benchmarks.common import SHARED_DATA, Figure

DURATION_S = int(os.environ.get("OVERHEAD_LOAD_SECONDS", "60"))
CONNECTIONS = 8
RANDOM_PLACES = """
math.randomseed(os.time())
request = function()
  local lat = math.random() * 140 - 70
  local lon = math.random() * 360 - 180
  return wrk.format("GET", string.format(wrk.path, lat, lon))
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_for_service(base: str, *, attempts: int = 240) -> dict:
    """The service's /api/status once it answers (it ingests its sample at start)."""
    for _ in range(attempts):
        try:
            return httpx.get(f"{base}/api/status", timeout=5).json()
        except httpx.HTTPError:
            time.sleep(0.5)
    raise RuntimeError(f"the service at {base} did not answer")


class MemoryWatch(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append(_rss_mb(self.pid))
            time.sleep(0.5)


def warm_ephemeris(base: str, when: str, *, hours: int, wait_s: float = 300.0) -> None:
    """Ask once for passes over ``hours`` (the service then samples the catalogue for that span in the
    background) and wait until it holds those hours: the figures are of the service warm, as it runs."""
    httpx.get(f"{base}/api/passes", params={"lat_deg": 0, "lon_deg": 0, "start": when, "ids": "25544"}, timeout=120)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        held = httpx.get(f"{base}/api/status", timeout=30).json().get("ephemeris", {}).get("blocks", [])
        if len(held) >= hours:
            return
        time.sleep(2)
    print(f"the service's ephemeris holds {len(held)} hours after {wait_s:g} s", file=sys.stderr)


def _wrk(url: str, script: Path | None, seconds: int) -> dict:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p99_ms": float(p99.group(1)) * unit[p99.group(2)],
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def run() -> list[Figure]:
    if not shutil.which("wrk"):
        print("wrk not installed (apt install wrk): skipping the service load test", file=sys.stderr)
        return []
    folder = Path(tempfile.mkdtemp(prefix="overhead-load-"))
    db = f"sqlite:///{folder / 'catalog.sqlite'}"
    active = SHARED_DATA / "catalog" / "celestrak_active_omm_csv_2026-07-10" / "active.csv"
    cli = [sys.executable, "-m", "overhead.cli.main"]
    serve = [*cli, "serve", "--db", db, "--scheduler", "none"]
    if active.exists():  # the full catalogue alone (the bundled sample is of another date)
        subprocess.run([*cli, "catalog", "ingest", str(active), "--db", db], check=True, capture_output=True)
        serve.append("--no-sample")
    # passes: a watch list of Earth-observation satellites (the bundled resource group), over 24 h
    watch_list = ",".join(map(str, overhead.sample_catalog(("resource",)).norad_ids[:100]))
    port = _free_port()
    server = subprocess.Popen([*serve, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        status = wait_for_service(base)
        script = folder / "places.lua"
        script.write_text(RANDOM_PLACES)
        when = status["default_time"]
        httpx.get(f"{base}/api/above", params={"lat_deg": 0, "lon_deg": 0, "time": when}, timeout=60)  # warm caches
        warm_ephemeris(base, when, hours=24)
        watch = MemoryWatch(server.pid)
        watch.start()
        floor = _wrk(f"{base}/api/status", None, min(DURATION_S, 15))
        above = _wrk(f"{base}/api/above?lat_deg=%.4f&lon_deg=%.4f&time={when}&min_elevation_deg=10", script, DURATION_S)
        known = {o["norad_id"] for o in httpx.get(f"{base}/api/objects", params={"limit": 20_000}).json()["objects"]}
        watch_list = ",".join(i for i in watch_list.split(",") if int(i) in known)
        passes = _wrk(
            f"{base}/api/passes?lat_deg=%.4f&lon_deg=%.4f&start={when}&ids={watch_list}&min_elevation_deg=10",
            script,
            DURATION_S,
        )
        watch.stop.set()
        alive = server.poll() is None and httpx.get(f"{base}/api/status", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    memory = f"server RSS {watch.samples[0]:.0f} MB → max {max(watch.samples):.0f} MB, end {watch.samples[-1]:.0f} MB"
    health = f"still up: {alive}"
    n_active = status["active"]

    def note(r: dict, what: str) -> str:
        return (
            f"{what}; {r['requests']:,} requests in {DURATION_S} s, p99 {r['p99_ms']:.0f} ms, "
            f"{r['non2xx']} non-2xx, {r['socket_errors']} socket errors; {memory}; {health}"
        )

    return [
        Figure(
            "service: GET /api/above (random places)",
            "requests/s",
            above["rps"],
            "GET /api/status (floor)",
            floor["rps"],
            note=note(above, f"{n_active:,} satellites above 10°, wrk -c{CONNECTIONS}"),
        ),
        Figure(
            "service: GET /api/passes 24 h (random places)",
            "requests/s",
            passes["rps"],
            "GET /api/status (floor)",
            floor["rps"],
            note=note(passes, f"24 h of passes above 10° of a {watch_list.count(',') + 1}-satellite watch list"),
        ),
        Figure(
            "service: p99 latency of /api/above",
            "ms",
            above["p99_ms"],
            "GET /api/status (floor)",
            floor["p99_ms"],
            higher_is_better=False,
        ),
        Figure(
            "service: p99 latency of /api/passes",
            "ms",
            passes["p99_ms"],
            "GET /api/status (floor)",
            floor["p99_ms"],
            higher_is_better=False,
        ),
    ]
