"""Jobs have owners and a bounded queue: no anonymous job, nobody sees or cancels another client's job, a full
queue answers 429 instead of evicting, a running job is never dropped, finished results expire by age.

Reproduces the eviction seen before: 50 anonymous tiny jobs in half a second cancelled a token holder's
running job (25 % done, then 404)."""

from __future__ import annotations

import threading
import time
import warnings

import pytest

from overhead.api import ServiceSettings, create_app
from overhead.api.jobs import JobManager, QueueFullError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN, OTHER = "owner-token", "other-client-key"
T0 = "2026-05-30T00:00:00Z"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("jobs") / "catalog.sqlite"
    app = create_app(ServiceSettings(db_url=f"sqlite:///{db}", token=TOKEN, client_keys=(OTHER,), scheduler="none"))
    with TestClient(app) as c:
        yield c


def _auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def _small_job(stop: str = "2026-05-30T01:00:00Z") -> dict:
    return {
        "group": "stations",
        "grid": {"kind": "points", "points": [{"lat_deg": 43.6, "lon_deg": 1.44}]},
        "start": T0,
        "stop": stop,
    }


def test_jobs_need_a_credential(client):
    assert client.post("/api/jobs/coverage", json=_small_job()).status_code == 401
    assert (
        client.post(
            "/api/jobs/plan",
            json={
                "group": "resource",
                "requests": [{"id": "a", "lat_deg": 1, "lon_deg": 2}],
                "start": T0,
                "stop": "2026-05-30T02:00:00Z",
            },
        ).status_code
        == 401
    )
    assert client.get("/api/jobs").status_code == 401
    assert client.post("/api/jobs/coverage", json=_small_job(), headers=_auth("guess")).status_code == 401


def test_a_flood_of_jobs_is_refused_and_never_evicts_a_running_one(client):
    long_job = {
        **_small_job("2026-05-31T00:00:00Z"),
        "group": "resource",  # seconds of work: the pool stays busy
        "grid": {"kind": "global", "resolution": 2},
    }
    mine = client.post("/api/jobs/coverage", json=long_job, headers=_auth(TOKEN))
    assert mine.status_code == 202
    job_id = mine.json()["id"]
    answers = [
        client.post("/api/jobs/coverage", json=_small_job(), headers=_auth(OTHER)).status_code for _ in range(50)
    ]
    assert answers.count(202) <= 4 and answers.count(429) >= 46 and set(answers) <= {202, 429}
    assert "Retry-After" in client.post("/api/jobs/coverage", json=_small_job(), headers=_auth(OTHER)).headers
    seen = client.get(f"/api/jobs/{job_id}", headers=_auth(TOKEN))
    assert seen.status_code == 200 and seen.json()["state"] in ("queued", "running", "done")
    # the other client can neither see, read nor cancel it
    assert client.get(f"/api/jobs/{job_id}", headers=_auth(OTHER)).status_code == 404
    assert client.get(f"/api/jobs/{job_id}/result", headers=_auth(OTHER)).status_code == 404
    assert client.delete(f"/api/jobs/{job_id}", headers=_auth(OTHER)).status_code == 404
    assert job_id not in [j["id"] for j in client.get("/api/jobs", headers=_auth(OTHER)).json()]
    assert job_id in [j["id"] for j in client.get("/api/jobs", headers=_auth(TOKEN)).json()]
    assert client.delete(f"/api/jobs/{job_id}", headers=_auth(TOKEN)).status_code == 204
    for job in client.get("/api/jobs", headers=_auth(OTHER)).json():
        client.delete(f"/api/jobs/{job['id']}", headers=_auth(OTHER))


def test_finished_results_expire_by_age_and_running_jobs_stay():
    manager = JobManager(max_running=2, max_unfinished=2, max_per_owner=2, max_kept=3, keep_s=0.3)
    release = threading.Event()
    slow = manager.submit("x", {}, lambda job: release.wait(10), owner="a")
    quick = manager.submit("x", {}, lambda job: 42, owner="a")
    deadline = time.monotonic() + 5
    while manager.get(quick.id, "a").state != "done" and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(QueueFullError):  # two unfinished at most... then three kept at most
        manager.submit("x", {}, lambda job: 1, owner="b")
        manager.submit("x", {}, lambda job: 1, owner="b")
    time.sleep(0.5)
    assert manager.get(quick.id, "a") is None  # finished longer than keep_s ago: forgotten
    assert manager.get(slow.id, "a").state == "running"  # running: never dropped, however old
    release.set()
    manager.shutdown()


def test_one_owner_never_takes_the_others_room_in_the_kept_jobs():
    """Issue #30: one client key filled the service-wide 100 kept jobs in 9 s and every other client got 429 for
    up to an hour. Now an owner at its quota forgets its own oldest finished job; the others keep their room."""
    manager = JobManager(
        max_running=2, max_unfinished=8, max_per_owner=4, max_kept=10, max_kept_per_owner=3, keep_s=3600
    )
    theirs = manager.submit("x", {}, lambda job: "mine", owner="b")
    flood = []
    for _ in range(30):
        flood.append(manager.submit("x", {}, lambda job: 1, owner="a"))
        deadline = time.monotonic() + 5
        while flood[-1].state != "done" and time.monotonic() < deadline:
            time.sleep(0.005)
    assert len(manager.list("a")) == 3  # its quota: its three newest
    assert [j.id for j in manager.list("a")] == [j.id for j in flood[-3:]]
    assert manager.get(theirs.id, "b").result == "mine"  # the other owner's result is still there
    for _ in range(manager.max_per_owner):  # and others can still submit, up to their own quota of unfinished jobs
        manager.submit("x", {}, lambda job: 2, owner="c")
    manager.shutdown()


@pytest.mark.slow
def test_deleting_a_running_plan_job_stops_it_and_frees_its_slot(client):
    """Issue #30: DELETE of a running plan answered 204 while it ran on for minutes, and another client's tiny job
    waited behind it. The CP-SAT search stops on the job's cancel event; the next job runs."""
    import numpy as np

    rng = np.random.default_rng(7)
    # 300 requests in a 10° box: ~13,000 opportunities, a search that uses its whole time limit (measured: 60 s
    # of 60 without proving optimality), so only a stopped search ends within seconds
    requests = [
        {"id": f"r{k}", "lat_deg": float(lat), "lon_deg": float(lon), "priority": float(p)}
        for k, (lat, lon, p) in enumerate(
            zip(rng.uniform(40, 50, 300), rng.uniform(0, 10, 300), rng.uniform(1, 10, 300), strict=True)
        )
    ]
    plan = {
        "group": "resource",
        "requests": requests,
        "start": T0,
        "stop": "2026-05-30T12:00:00Z",
        "solver": "cp-sat",
        "time_limit_s": 120,
    }
    started = client.post("/api/jobs/plan", json=plan, headers=_auth(TOKEN))
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until the search runs (the opportunities take seconds)
        state = client.get(f"/api/jobs/{job_id}", headers=_auth(TOKEN)).json()
        if state["state"] == "running" and state["message"].startswith("solving"):
            break
        time.sleep(0.2)
    assert state["message"].startswith("solving"), state
    time.sleep(1.0)
    import hashlib

    job = client.app.state.service.jobs.get(job_id, hashlib.sha256(TOKEN.encode()).hexdigest()[:32])
    deleted = time.monotonic()
    assert client.delete(f"/api/jobs/{job_id}", headers=_auth(TOKEN)).status_code == 204
    while job.finished_monotonic is None and time.monotonic() < deleted + 60:
        time.sleep(0.05)
    assert job.state == "cancelled" and job.finished_monotonic - deleted < 5.0  # the search stopped, not ran on
    # the pool's slot is free again: another client's small job runs and finishes
    small = client.post("/api/jobs/coverage", json=_small_job(), headers=_auth(OTHER))
    assert small.status_code == 202
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if client.get(f"/api/jobs/{small.json()['id']}", headers=_auth(OTHER)).json()["state"] == "done":
            break
        time.sleep(0.1)
    assert client.get(f"/api/jobs/{small.json()['id']}", headers=_auth(OTHER)).json()["state"] == "done"


PLAN_MEMORY_SCRIPT = r"""
import random, sys, time
import numpy as np
import overhead
from overhead.api.jobs import JobManager
from overhead.api.memory import tune_allocator
from overhead.geometry.targets import TargetSet
from overhead.planning.agile import Agility, make_plan
from overhead.planning.specs import AgilitySpec

def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 1e6

tune_allocator()  # as the service does
satellites = overhead.load_elements(overhead.sample_path("resource"))
rng = random.Random(30)
n = int(sys.argv[1])
targets = TargetSet.from_points([rng.uniform(-60, 60) for _ in range(n)], [rng.uniform(-180, 180) for _ in range(n)],
                                ids=[f"r{k}" for k in range(n)])
t0 = np.sort(satellites.epochs)[len(satellites) // 2].astype("datetime64[s]")
manager = JobManager(max_running=1)

def plan():
    def work(job):
        return make_plan(satellites, targets, np.ones(n), t0, t0 + np.timedelta64(12, "h"),
                         Agility.from_spec(AgilitySpec()), time_limit_s=5, cancel=job.cancel)
    job = manager.submit("plan", {}, work, owner="o")
    while job.state in ("queued", "running"):
        time.sleep(0.2)
    assert job.state == "done", job.message

plan()  # the first plan warms every import and cache: the plateau is measured after it
before = rss_mb()
peaks = []
for _ in range(3):
    plan()
    peaks.append(rss_mb())
print(before, max(peaks))
"""


@pytest.mark.slow
def test_plan_jobs_give_their_memory_back(tmp_path):
    """Issue 30: three 3,000-request plan jobs left the service at 4.15 GB idle (495 MB before). After each job
    its memory goes back: RSS after three large plans within 20 % of RSS before them."""
    import subprocess
    import sys

    script = tmp_path / "plans.py"
    script.write_text(PLAN_MEMORY_SCRIPT)
    out = subprocess.run([sys.executable, str(script), "2000"], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    before_mb, after_mb = map(float, out.stdout.split())
    assert after_mb <= 1.2 * before_mb, (before_mb, after_mb)
