"""Long computations (coverage, plans) as jobs: created by POST, polled by GET, results kept for a while.

Every job has an owner (a digest of the credential that created it): only its owner sees it, fetches its result or
cancels it. The queue is bounded: when it is full a new job is refused (:class:`QueueFullError`, a 429) rather
than anything evicted; a running job is never dropped, and finished results expire by age. Jobs run one at a time
per worker thread (``max_running``); a coverage job sends its tasks to the service's Dask cluster.
"""

from __future__ import annotations

import gc
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from overhead.api.memory import release_memory
from overhead.errors import OverheadError

__all__ = ["Job", "JobManager", "QueueFullError"]

UNFINISHED = ("queued", "running")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class QueueFullError(OverheadError):
    """No room for another job now: ``retry_after_s`` says when to try again."""

    def __init__(self, message: str, *, retry_after_s: int = 30) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)


@dataclass
class Job:
    """One job: its kind, owner, state (queued, running, done, failed, cancelled), progress 0..1 and result."""

    id: str
    kind: str
    request: dict
    owner: str = ""
    state: str = "queued"
    progress: float = 0.0
    message: str = ""
    created: str = field(default_factory=_now)
    finished: str | None = None
    finished_monotonic: float | None = None
    result: Any = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def summary(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "progress": round(self.progress, 4),
            "message": self.message,
            "created": self.created,
            "finished": self.finished,
        }


class JobManager:
    """Runs jobs on a small thread pool; at most ``max_unfinished`` queued or running (``max_per_owner`` of one
    owner), at most ``max_kept`` kept in all and ``max_kept_per_owner`` of one owner (a new job of an owner at
    that quota forgets the owner's oldest finished one: one client never takes the others' room); finished jobs
    are forgotten ``keep_s`` seconds after they end."""

    def __init__(
        self,
        *,
        max_running: int = 1,
        max_unfinished: int = 8,
        max_per_owner: int = 4,
        max_kept: int = 100,
        max_kept_per_owner: int = 20,
        keep_s: float = 3600.0,
    ):
        self._pool = ThreadPoolExecutor(max_workers=max_running, thread_name_prefix="overhead-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self.max_unfinished, self.max_per_owner = max_unfinished, max_per_owner
        self.max_kept, self.keep_s = max_kept, keep_s
        self.max_kept_per_owner = max_kept_per_owner

    def submit(self, kind: str, request: dict, work: Callable[[Job], Any], *, owner: str) -> Job:
        """Queue a job, or raise QueueFullError (nothing else changes) when there is no room for it."""
        job = Job(uuid.uuid4().hex, kind, request, owner)
        with self._lock:
            self._expire()
            unfinished = [j for j in self._jobs.values() if j.state in UNFINISHED]
            if len(unfinished) >= self.max_unfinished:
                raise QueueFullError(
                    f"the service is running or queuing {len(unfinished)} jobs, its limit: try again in a minute"
                )
            if sum(j.owner == owner for j in unfinished) >= self.max_per_owner:
                raise QueueFullError(
                    f"you have {self.max_per_owner} jobs queued or running, the limit per client: "
                    f"wait for one to finish or cancel one (DELETE /api/jobs/ID)"
                )
            mine = sorted(
                (j for j in self._jobs.values() if j.owner == owner and j.state not in UNFINISHED),
                key=lambda j: j.finished_monotonic or 0.0,
            )
            kept = sum(j.owner == owner for j in self._jobs.values())
            for old in mine[: max(0, kept - self.max_kept_per_owner + 1)]:  # the owner's oldest finished ones
                del self._jobs[old.id]
            if len(self._jobs) >= self.max_kept:
                raise QueueFullError(
                    f"the service keeps {len(self._jobs)} jobs, its limit: delete finished ones "
                    f"(DELETE /api/jobs/ID) or wait until they expire "
                    f"({self.keep_s:.0f} s after they end)",
                    retry_after_s=300,
                )
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, work)
        return job

    def _expire(self) -> None:
        """Forget finished jobs older than ``keep_s`` (under the lock)."""
        limit = time.monotonic() - self.keep_s
        for job_id in [
            k for k, j in self._jobs.items() if j.finished_monotonic is not None and j.finished_monotonic < limit
        ]:
            del self._jobs[job_id]

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        if job.cancel.is_set():
            self._finish(job, "cancelled")
            return
        job.state = "running"
        try:
            state = self._work(job, work)
        finally:
            # a plan's model and its opportunity tables are gigabytes that glibc keeps on its heaps after they
            # are freed: the cycles collected and the heaps' free tails returned before the job is seen finished,
            # the service's RSS is back on its plateau after every job (three 3,000-request plans: 3.6 GB idle
            # before, 0.45 GB after)
            gc.collect()
            release_memory()
        self._finish(job, state)

    @staticmethod
    def _work(job: Job, work: Callable[[Job], Any]) -> str:
        """Run the job's work; its final state."""
        try:
            from overhead.cancel import CancelToken, cancel_scope

            # the library's chunk checks (propagation, access, coverage) see the job's cancel event: a DELETE
            # stops any kind of job within a chunk, not only at the end
            with cancel_scope(CancelToken(job.cancel, "the job was cancelled")):
                job.result = work(job)
            if job.cancel.is_set():
                return "cancelled"
            job.progress = 1.0
            return "done"
        except OverheadError as exc:
            job.message = str(exc)
            return "cancelled" if job.cancel.is_set() else "failed"
        except Exception as exc:  # a job's failure is reported on the job, never lost in the server log
            job.message = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
            return "failed"

    @staticmethod
    def _finish(job: Job, state: str) -> None:
        job.finished, job.finished_monotonic = _now(), time.monotonic()
        job.state = state

    def get(self, job_id: str, owner: str) -> Job | None:
        """The job, if ``owner`` created it (another client's job is as good as absent)."""
        with self._lock:
            self._expire()
            job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def list(self, owner: str) -> list[Job]:
        with self._lock:
            self._expire()
            return [j for j in self._jobs.values() if j.owner == owner]

    def delete(self, job_id: str, owner: str) -> bool:
        """Cancel and forget one of ``owner``'s jobs."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.owner != owner:
                return False
            del self._jobs[job_id]
        job.cancel.set()
        return True

    def shutdown(self) -> None:
        for job in list(self._jobs.values()):
            job.cancel.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
