"""The job lifecycle in the library DB: queued -> running -> done | failed | cancelled.

Every state change is one short conditional UPDATE, so two processes can never
both own a job: a consumer claims a job only while it is queued *and* still
carries the Huey task id the consumer got, and finishes it only while it still
owns it (a job taken back from a consumer that looked dead stays taken back).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update

from moss_music.library import Library
from moss_music.library.schema import Job, utcnow
from worker.states import ACTIVE_STATES, FINISHED_STATES, JobState

MAX_CRASHES = 3
"""A job whose worker died this many times is failed instead of requeued (it may be what kills the worker)."""


@dataclass(frozen=True)
class JobSpec:
    """What to run: the parts of a job row that say what the user asked for."""

    backend: str
    lane: str
    tasks: tuple[str, ...] = ()
    """Empty means every task the backend offers."""
    params: tuple[tuple[str, Any], ...] = ()
    options: tuple[tuple[str, Any], ...] = ()
    priority: int = 0
    force: bool = False

    def row(self, track_id: int) -> Job:
        return Job(track_id=track_id, kind="analyze", backend=self.backend, lane=self.lane,
                   tasks_json=_dump(list(self.tasks)), params_json=_dump(dict(self.params)),
                   options_json=_dump(dict(self.options)), state=JobState.QUEUED, priority=self.priority,
                   force=self.force, progress=0.0, stage=JobState.QUEUED.value)


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _set(session, job_id: int, conditions: Iterable, **values) -> bool:
    query = update(Job).where(Job.id == job_id, *conditions).values(**values)
    return session.execute(query.execution_options(synchronize_session=False)).rowcount == 1


# -- the consumer's side ---------------------------------------------------------------------------


def claim(library: Library, job_id: int, task_id: str, worker_id: str) -> bool:
    """Take a queued job for ``worker_id``; False if it was cancelled, taken, finished or re-dispatched."""
    now = utcnow()
    with library.write() as session:
        return _set(session, job_id, (Job.state == JobState.QUEUED, Job.huey_task_id == task_id,
                                      Job.cancel_requested.is_(False)),
                    state=JobState.RUNNING, worker_id=worker_id, attempts=Job.attempts + 1, started_at=now,
                    heartbeat_at=now, finished_at=None, progress=0.0, stage="starting", error=None)


def beat(library: Library, worker_id: str, progress: dict[int, tuple[float, str] | None]) -> set[int]:
    """Renew the leases of this worker's running jobs, write new progress; returns the ids asked to cancel.

    A job without new progress keeps its ``updated_at``, so a UI that polls for changes stays idle.
    """
    if not progress:
        return set()
    now = utcnow()
    with library.write() as session:
        for job_id, news in progress.items():
            values: dict[str, Any] = {"heartbeat_at": now}
            if news is None:
                values["updated_at"] = Job.updated_at
            else:
                values.update(progress=max(0.0, min(1.0, float(news[0]))), stage=news[1][:500])
            _set(session, job_id, (Job.worker_id == worker_id, Job.state == JobState.RUNNING), **values)
        return set(session.scalars(select(Job.id).where(Job.id.in_(list(progress)), Job.cancel_requested.is_(True))))


def cancel_requested(library: Library, job_id: int) -> bool:
    with library.session() as session:
        return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def finish(library: Library, job_id: int, worker_id: str, state: JobState, *, error: str | None = None,
           analysis_id: int | None = None, stage: str | None = None) -> bool:
    """End a running job this worker owns; False if it was taken back meanwhile."""
    assert state in FINISHED_STATES
    values: dict[str, Any] = {"state": state, "finished_at": utcnow(), "error": error,
                              "stage": stage if stage is not None else state}
    if state == JobState.DONE:
        values.update(progress=1.0, analysis_id=analysis_id)
    with library.write() as session:
        return _set(session, job_id, (Job.worker_id == worker_id, Job.state == JobState.RUNNING), **values)


def release(library: Library, job_id: int, worker_id: str | None, stage: str, *, crashed: bool) -> Job | None:
    """Put a running job back in the queue (its worker stopped); the caller dispatches a new Huey task.

    A job released for a crash too often is failed instead: it may be what crashes the worker.
    Returns the job row when it was requeued, None when it was failed or no longer this worker's.
    """
    with library.write() as session:
        job = session.get(Job, job_id)
        if job is None or job.state != JobState.RUNNING or (worker_id is not None and job.worker_id != worker_id):
            return None
        job.worker_id = None
        job.heartbeat_at = None
        if crashed and job.attempts >= MAX_CRASHES:
            job.state, job.finished_at = JobState.FAILED, utcnow()
            job.error = (f"the worker stopped unexpectedly {job.attempts} times while running this job; "
                         "see the worker logs in the data dir's logs folder")
            job.stage = JobState.FAILED
            return None
        if not crashed:
            job.attempts = max(0, job.attempts - 1)
        job.state, job.progress, job.stage = JobState.QUEUED, 0.0, stage
        if job.cancel_requested:
            job.state, job.finished_at, job.stage = JobState.CANCELLED, utcnow(), JobState.CANCELLED
            return None
        return job


def set_task_id(library: Library, job_id: int, task_id: str) -> bool:
    with library.write() as session:
        return _set(session, job_id, (Job.state == JobState.QUEUED,), huey_task_id=task_id)


def stale_jobs(library: Library, lanes: Iterable[str], is_alive: Callable[[str], bool | None],
               lease: timedelta) -> list[tuple[int, str]]:
    """Running jobs whose worker is known dead, or whose lease ran out: (job id, worker id)."""
    cutoff = utcnow() - lease
    with library.session() as session:
        rows = session.execute(select(Job.id, Job.worker_id, Job.heartbeat_at)
                               .where(Job.state == JobState.RUNNING, Job.lane.in_(list(lanes)))).all()
    stale = []
    for job_id, worker_id, beat in rows:
        alive = is_alive(worker_id) if worker_id else False
        if alive is False or (beat is None or beat < cutoff):
            stale.append((job_id, worker_id))
    return stale


def lost_jobs(library: Library, lane: str, pending_task_ids: set[str], older_than: datetime) -> list[Job]:
    """Queued jobs whose Huey task is gone (the enqueuing process died between the two writes)."""
    with library.session() as session:
        jobs = session.scalars(select(Job).where(Job.state == JobState.QUEUED, Job.lane == lane,
                                                 Job.updated_at < older_than)).all()
    return [job for job in jobs if job.huey_task_id not in pending_task_ids]


# -- the client's side -----------------------------------------------------------------------------


def active_jobs_like(session, spec: JobSpec, track_ids: Sequence[int]) -> dict[int, int]:
    """Track id -> id of an identical job (same question) still queued or running, so asking twice queues once."""
    found: dict[int, int] = {}
    unique = list(dict.fromkeys(track_ids))
    for start in range(0, len(unique), 500):
        rows = session.execute(select(Job.track_id, Job.id).where(
            Job.track_id.in_(unique[start:start + 500]), Job.backend == spec.backend, Job.state.in_(ACTIVE_STATES),
            Job.tasks_json == _dump(list(spec.tasks)), Job.params_json == _dump(dict(spec.params)),
            Job.options_json == _dump(dict(spec.options)), Job.force == spec.force))
        for track_id, job_id in rows:
            found.setdefault(track_id, job_id)
    return found


def display_order():
    """Running first, then queued in the order they will run, then the newest finished."""
    rank = case((Job.state == JobState.RUNNING, 0), (Job.state == JobState.QUEUED, 1), else_=2)
    queued_priority = case((Job.state == JobState.QUEUED, -Job.priority), else_=0)
    finished_recency = case((Job.state.in_(FINISHED_STATES), -Job.id), else_=Job.id)
    return rank, queued_priority, finished_recency


def to_dict(job: Job) -> dict[str, Any]:
    """A job as plain JSON (stable keys), for ``moss-music jobs --json`` and the app's queue panel."""
    def stamp(value: datetime | None) -> str | None:
        return value.isoformat(timespec="seconds") + "Z" if value else None

    return {
        "id": job.id, "track_id": job.track_id, "kind": job.kind, "backend": job.backend, "lane": job.lane,
        "tasks": json.loads(job.tasks_json or "[]"), "params": json.loads(job.params_json or "{}"),
        "state": job.state, "progress": round(job.progress or 0.0, 4), "stage": job.stage, "priority": job.priority,
        "attempts": job.attempts, "error": job.error, "force": job.force, "cancel_requested": job.cancel_requested,
        "worker_id": job.worker_id, "analysis_id": job.analysis_id, "created_at": stamp(job.created_at),
        "started_at": stamp(job.started_at), "finished_at": stamp(job.finished_at),
        "updated_at": stamp(job.updated_at),
    }
