"""Background jobs (imports, model fits, reports, forget requests): a small thread pool and their status.

A job belongs to one workspace; its status is read through that workspace's URL only, so
the same access check guards it. Progress is a fraction in [0, 1] the job reports itself.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from canyu.errors import CanyuError

__all__ = ["Job", "JobRunner"]

_log = logging.getLogger("canyu.web.jobs")


@dataclass
class Job:
    job_id: str
    workspace: str
    user: str
    kind: str
    state: str = "queued"  # queued, running, done, failed
    progress: float = 0.0
    step: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "workspace": self.workspace,
            "kind": self.kind,
            "state": self.state,
            "progress": round(self.progress, 4),
            "step": self.step,
            "result": self.result,
            "error": self.error,
        }


JobFn = Callable[[Job], dict[str, Any]]


class JobRunner:
    """Runs jobs on ``workers`` threads; keeps the last ``keep`` jobs' status."""

    def __init__(self, *, workers: int = 2, keep: int = 500) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="canyu-web-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self.keep = keep

    def submit(self, workspace: str, user: str, kind: str, fn: JobFn) -> Job:
        job = Job("job_" + secrets.token_hex(8), workspace, user, kind)
        with self._lock:
            self._jobs[job.job_id] = job
            if len(self._jobs) > self.keep:
                for old in sorted(self._jobs.values(), key=lambda j: j.created)[
                    : len(self._jobs) - self.keep
                ]:
                    if old.state in ("done", "failed"):
                        self._jobs.pop(old.job_id, None)
        self._pool.submit(self._run, job, fn)
        return job

    def _run(self, job: Job, fn: JobFn) -> None:
        job.state = "running"
        try:
            job.result = fn(job)
            job.progress = 1.0
            job.state = "done"
        except CanyuError as exc:
            job.error = exc.to_dict()["error"]
            job.state = "failed"
        except Exception:  # a job never takes the server down
            # The traceback goes to the server's log only; the person sees what failed and the job's
            # id to quote to whoever reads that log.
            _log.exception("job %s (%s, workspace %s) failed", job.job_id, job.kind, job.workspace)
            job.error = {
                "type": "internal",
                "message": f"the {job.kind} job failed on an internal error; the server log has its"
                f" details under job {job.job_id}",
                "message_zh": f"{job.kind} 任务因内部错误失败；服务器日志中任务 {job.job_id} 下有详情",
                "details": {"job_id": job.job_id},
            }
            job.state = "failed"
        finally:
            job.finished = time.time()

    def get(self, workspace: str, job_id: str) -> Job | None:
        """The job if it belongs to ``workspace`` (another workspace's job id finds nothing)."""
        job = self._jobs.get(job_id)
        return job if job is not None and job.workspace == workspace else None

    def of(self, workspace: str) -> list[Job]:
        return sorted((j for j in self._jobs.values() if j.workspace == workspace), key=lambda j: -j.created)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
