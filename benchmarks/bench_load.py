"""Issue 13: a bounded loopback load test of the service with mixed endpoints, the largest requests the limits
admit among them: 5,000 requests, 20 at a time (httpx), against `overhead serve` on the bundled sample.

Reported: 5xx answers (goal 0), p99 latency of GET /api/status while heavy requests run (goal < 100 ms), the
latency of each kind, and the server's resident memory (RSS) over the run: after the warm-up, at the middle, at the
end and after 10 s idle — a plateau, not a climb. The anchor is the same server's /api/status p99 with nothing else
running, measured in the same run. Bounded: a fixed number of requests, each with a time-out, then it stops.

    .venv/bin/python -m benchmarks.run load        # OVERHEAD_LOAD_REQUESTS=5000 by default
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from benchmarks.bench_service import MemoryWatch, _free_port, _rss_mb, wait_for_service
from benchmarks.common import Figure

REQUESTS = int(os.environ.get("OVERHEAD_LOAD_REQUESTS", "5000"))
CONCURRENCY = 20
TIMEOUT_S = 120.0


def _mix(when: str, rng: random.Random) -> list[tuple[str, str, dict]]:
    """(kind, path, params) of every request, shuffled: half status, half computations, ~4 % at the limits."""
    t0 = np.datetime64(when.rstrip("Z"))

    def place() -> dict:
        return {"lat_deg": round(rng.uniform(-70, 70), 4), "lon_deg": round(rng.uniform(-180, 180), 4)}

    def span(hours: float) -> dict:
        return {"start": f"{t0}Z", "stop": f"{t0 + np.timedelta64(int(hours * 3600), 's')}Z"}

    kinds = {
        "status": (0.50, lambda: ("/api/status", {})),
        "objects": (0.10, lambda: ("/api/objects", {"q": rng.choice(["SENTINEL", "ISS", "LANDSAT", "NOAA"])})),
        "positions": (0.10, lambda: ("/api/positions", {"time": when})),
        "above": (0.10, lambda: ("/api/above", {**place(), "time": when})),
        "passes": (0.10, lambda: ("/api/passes", {**place(), **span(24)})),
        "lookangles_max": (
            0.02,
            lambda: ("/api/lookangles", {"norad_id": 25544, **place(), **span(96), "step_s": 1.0}),
        ),  # 345,601 samples: ~75 % of 32 MiB
        "tracks_max": (0.02, lambda: ("/api/tracks", {**span(24), "step_s": 30.0})),  # 192 × 2,881: ~75 % of 32 MiB
        "refused": (0.06, lambda: ("/api/lookangles", {"norad_id": 25544, **place(), **span(168), "step_s": 0.1})),
    }
    names = list(kinds)
    weights = [kinds[k][0] for k in names]
    out = []
    for _ in range(REQUESTS):
        kind = rng.choices(names, weights)[0]
        out.append((kind, *kinds[kind][1]()))
    return out


async def _drive(base: str, plan: list, watch: MemoryWatch, marks: dict) -> list[tuple[str, int, float]]:
    results: list[tuple[str, int, float]] = []
    queue: asyncio.Queue = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT_S, limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                kind, path, params = queue.get_nowait()
                started = time.perf_counter()
                try:
                    response = await client.get(path, params=params)
                    code = response.status_code
                except httpx.HTTPError:
                    code = -1
                results.append((kind, code, time.perf_counter() - started))
                done = len(results)
                if done in (REQUESTS // 5, REQUESTS // 2):
                    marks[done] = _rss_mb(watch.pid)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return results


def _p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1e3 if values else float("nan")


def run() -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="overhead-load13-"))
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "overhead.cli.main",
            "serve",
            "--db",
            f"sqlite:///{folder / 'catalog.sqlite'}",
            "--scheduler",
            "none",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        status = wait_for_service(base)
        when = status["default_time"]
        httpx.get(f"{base}/api/passes", params={"lat_deg": 0, "lon_deg": 0, "start": when}, timeout=120)  # compile
        quiet = []
        for _ in range(200):
            started = time.perf_counter()
            httpx.get(f"{base}/api/status", timeout=10)
            quiet.append(time.perf_counter() - started)
        watch = MemoryWatch(server.pid)
        watch.start()
        marks: dict[int, float] = {}
        started = time.perf_counter()
        results = asyncio.run(_drive(base, _mix(when, random.Random(13)), watch, marks))
        elapsed = time.perf_counter() - started
        end_rss = _rss_mb(server.pid)
        time.sleep(10)
        idle_rss = _rss_mb(server.pid)
        watch.stop.set()
    finally:
        server.terminate()
        server.wait(timeout=30)
    by_kind: dict[str, list] = {}
    for kind, code, seconds in results:
        by_kind.setdefault(kind, []).append((code, seconds))
    server_errors = sum(code >= 500 or code < 0 for _, code, _ in results)
    status_p99 = _p([s for c, s in by_kind["status"]], 99)
    lines = [f"{len(results):,} requests in {elapsed:.0f} s, {CONCURRENCY} at a time; 5xx or failed: {server_errors}"]
    for kind, rows in sorted(by_kind.items()):
        codes = {c: sum(1 for cc, _ in rows if cc == c) for c in sorted({c for c, _ in rows})}
        lines.append(
            f"  {kind:15s} n={len(rows):5d}  codes={codes}  p50={_p([s for _, s in rows], 50):8.1f} ms  "
            f"p99={_p([s for _, s in rows], 99):8.1f} ms"
        )
    rss = (
        f"RSS MB: start {watch.samples[0]:.0f}, at {REQUESTS // 5} requests {marks.get(REQUESTS // 5, 0):.0f}, "
        f"at {REQUESTS // 2} {marks.get(REQUESTS // 2, 0):.0f}, end {end_rss:.0f}, idle 10 s {idle_rss:.0f}, "
        f"max {max(watch.samples):.0f}"
    )
    print("\n".join([*lines, rss]), file=sys.stderr)
    return [
        Figure(
            "service load: 5,000 mixed requests, 20 concurrent (bundled sample)",
            "status p99 under load (ms)",
            status_p99,
            "same server idle, status p99 (ms)",
            _p(quiet, 99),
            higher_is_better=False,
            note=f"goal < 100 ms; 5xx: {server_errors}; {rss}",
        )
    ]
