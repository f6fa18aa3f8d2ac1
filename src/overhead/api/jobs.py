"""Long computations (coverage, plans) as jobs: created by POST, polled by GET, results kept until deleted.

Jobs run one at a time per service worker thread (``max_running``); a coverage job sends its tasks to the
service's Dask cluster, the same kind of cluster the CLI uses.
"""

from __future__ import annotations

import threading
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from overhead.errors import OverheadError

__all__ = ["Job", "JobManager"]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Job:
    """One job: its kind, state (queued, running, done, failed, cancelled), progress 0..1 and result."""

    id: str
    kind: str
    request: dict
    state: str = "queued"
    progress: float = 0.0
    message: str = ""
    created: str = field(default_factory=_now)
    finished: str | None = None
    result: Any = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def summary(self) -> dict:
        return {"id": self.id, "kind": self.kind, "state": self.state, "progress": round(self.progress, 4),
                "message": self.message, "created": self.created, "finished": self.finished}


class JobManager:
    """Runs jobs on a small thread pool and keeps the last ``keep`` of them."""

    def __init__(self, *, max_running: int = 1, keep: int = 50):
        self._pool = ThreadPoolExecutor(max_workers=max_running, thread_name_prefix="overhead-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._keep = keep

    def submit(self, kind: str, request: dict, work: Callable[[Job], Any]) -> Job:
        job = Job(uuid.uuid4().hex[:12], kind, request)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > self._keep:
                oldest = next(iter(self._jobs))
                self._jobs.pop(oldest).cancel.set()
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        if job.cancel.is_set():
            job.state, job.finished = "cancelled", _now()
            return
        job.state = "running"
        try:
            job.result = work(job)
            job.state, job.progress = ("cancelled", job.progress) if job.cancel.is_set() else ("done", 1.0)
        except OverheadError as exc:
            job.state, job.message = ("cancelled" if job.cancel.is_set() else "failed"), str(exc)
        except Exception as exc:  # a job's failure is reported on the job, never lost in the server log
            job.state, job.message = "failed", f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        job.finished = _now()

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        return list(self._jobs.values())

    def delete(self, job_id: str) -> bool:
        with self._lock:
            job = self._jobs.pop(job_id, None)
        if job is None:
            return False
        job.cancel.set()
        return True

    def shutdown(self) -> None:
        for job in self._jobs.values():
            job.cancel.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
