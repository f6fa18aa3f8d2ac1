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
    return {"group": "stations", "grid": {"kind": "points", "points": [{"lat_deg": 43.6, "lon_deg": 1.44}]},
            "start": T0, "stop": stop}


def test_jobs_need_a_credential(client):
    assert client.post("/api/jobs/coverage", json=_small_job()).status_code == 401
    assert client.post("/api/jobs/plan", json={"group": "resource", "requests": [
        {"id": "a", "lat_deg": 1, "lon_deg": 2}], "start": T0, "stop": "2026-05-30T02:00:00Z"}).status_code == 401
    assert client.get("/api/jobs").status_code == 401
    assert client.post("/api/jobs/coverage", json=_small_job(), headers=_auth("guess")).status_code == 401


def test_a_flood_of_jobs_is_refused_and_never_evicts_a_running_one(client):
    long_job = {**_small_job("2026-05-31T00:00:00Z"), "group": "resource",  # seconds of work: the pool stays busy
                "grid": {"kind": "global", "resolution": 2}}
    mine = client.post("/api/jobs/coverage", json=long_job, headers=_auth(TOKEN))
    assert mine.status_code == 202
    job_id = mine.json()["id"]
    answers = [client.post("/api/jobs/coverage", json=_small_job(), headers=_auth(OTHER)).status_code
               for _ in range(50)]
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
