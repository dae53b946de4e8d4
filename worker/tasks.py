"""The one Huey task: "run job N". Everything else about the job lives in its DB row.

A consumer process installs its ``JobRunner`` with ``set_runner``; the task
hands it the job id and the Huey task id (the runner claims the job only if
that id is still the job's current task, so a stale duplicate never runs it).
"""

from __future__ import annotations

from typing import Protocol

from huey import Huey
from huey.api import Task, TaskWrapper

TASK_NAME = "run_job"


class Runner(Protocol):
    def run(self, job_id: int, task_id: str) -> None: ...


_runner: Runner | None = None


def set_runner(runner: Runner | None) -> None:
    global _runner
    _runner = runner


def run_job(job_id: int, task: Task | None = None) -> None:
    if _runner is None:
        raise RuntimeError("this process has no job runner: start consumers with `moss-music worker`")
    _runner.run(job_id, task.id if task is not None else "")


def register(huey: Huey) -> TaskWrapper:
    return huey.task(context=True, name=TASK_NAME)(run_job)
