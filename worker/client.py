"""What the app and the CLI call to queue and steer analyses. Nothing here runs an analysis.

The job row is the truth; the Huey task is only a wake-up call that names a job
id. So cancelling a queued job is a state change (its task, when dequeued, finds
nothing to claim) plus a revoke to keep the queue tidy, and moving a job up the
queue is a new task with a higher priority (the old task no longer matches).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from moss_music.library import Library, TrackNotFound
from moss_music.library.schema import Job, Track, utcnow
from moss_music.paths import DataDir
from worker import jobs
from worker.app import QueueControl, lane_for_backend, lane_queue
from worker.jobs import JobState
from worker.runner import dispatch

LIBRARY_DB_NAME = DataDir(Path(".")).library_db.name


class JobNotFound(LookupError):
    """A job id that names no job."""


class JobStateError(ValueError):
    """An action that does not apply to the job's state (retrying a running job, ...)."""


def enqueue_analysis(library: Library, track_ids: Iterable[int], *, backend: str = "dsp",
                     tasks: Sequence[str] | None = None, params: dict[str, Any] | None = None, priority: int = 0,
                     force: bool = False, data_dir: DataDir | None = None, options: dict[str, Any] | None = None,
                     lane: str | None = None) -> list[int]:
    """Queue one job per track; returns the job ids in the order of ``track_ids``.

    An identical job that is still queued or running is reused instead of queued twice. ``options``
    says how to build the analyzer (model folder, device, server URL); ``lane`` overrides the lane the
    backend normally runs on.
    """
    data_dir = _data_dir(library, data_dir)
    lane = lane or lane_for_backend(backend)
    queue = lane_queue(data_dir, lane)
    spec = jobs.JobSpec(backend=backend, lane=lane, tasks=tuple(tasks or ()),
                        params=tuple(sorted((params or {}).items())), options=tuple(sorted((options or {}).items())),
                        priority=priority, force=force)
    track_ids = [int(track_id) for track_id in track_ids]
    new_tasks = []
    with library.write() as session:
        _check_tracks_exist(session, track_ids)
        job_for_track = jobs.active_jobs_like(session, spec, track_ids)
        new_rows = {track_id: spec.row(track_id) for track_id in dict.fromkeys(track_ids)
                    if track_id not in job_for_track}
        session.add_all(new_rows.values())
        session.flush()
        for track_id, job in new_rows.items():
            task = queue.new_task(job.id, priority)
            job.huey_task_id = task.id
            new_tasks.append(task)
            job_for_track[track_id] = job.id
    # Enqueued only after the rows are committed, so a consumer never sees a task for a job it cannot read.
    for task in new_tasks:
        queue.enqueue(task)
    return [job_for_track[track_id] for track_id in track_ids]


def cancel_job(library: Library, job_id: int, *, data_dir: DataDir | None = None) -> JobState:
    """Cancel a queued job at once, or ask a running one to stop (it stops at its next check).

    Returns the job's state afterwards ('cancelled', or 'running' until the worker notices).
    """
    revoke = None
    with library.write() as session:
        job = _get(session, job_id)
        if job.state == JobState.QUEUED:
            job.state, job.stage = JobState.CANCELLED, JobState.CANCELLED.value
            job.finished_at, job.cancel_requested = utcnow(), True
            revoke = (job.lane, job.huey_task_id)
        elif job.state == JobState.RUNNING:
            job.cancel_requested = True
            job.stage = "cancelling"
        state = JobState(job.state)
    if revoke and revoke[1]:
        lane_queue(_data_dir(library, data_dir), revoke[0]).revoke(revoke[1])
    return state


def retry_job(library: Library, job_id: int, *, data_dir: DataDir | None = None) -> int:
    """Queue a failed or cancelled job again (same id, fresh error and progress); returns the job id."""
    with library.write() as session:
        job = _get(session, job_id)
        if not JobState(job.state).retryable:
            raise JobStateError(f"job {job_id} is {job.state}; only failed or cancelled jobs can be retried")
        job.state, job.error, job.progress, job.stage = JobState.QUEUED, None, 0.0, JobState.QUEUED.value
        job.cancel_requested, job.finished_at, job.worker_id, job.started_at = False, None, None, None
        lane, priority = job.lane, job.priority
    dispatch(library, lane_queue(_data_dir(library, data_dir), lane), job_id, priority)
    return job_id


def clear_finished(library: Library) -> int:
    """Forget done, failed and cancelled jobs (their results stay in the library); returns how many."""
    with library.write() as session:
        return session.execute(delete(Job).where(Job.state.in_(jobs.FINISHED_STATES))
                               .execution_options(synchronize_session=False)).rowcount


def pause_queue(data_dir: DataDir | None = None) -> None:
    """Consumers finish what they run and take nothing new until ``resume_queue``."""
    QueueControl(_resolve(data_dir)).pause()


def resume_queue(data_dir: DataDir | None = None) -> None:
    QueueControl(_resolve(data_dir)).resume()


def is_paused(data_dir: DataDir | None = None) -> bool:
    return QueueControl(_resolve(data_dir)).paused()


def list_jobs(library: Library, states: Iterable[str] | None = None, limit: int | None = None) -> list[Job]:
    """Jobs as a queue panel shows them: running, then queued in run order, then the newest finished."""
    query = select(Job).order_by(*jobs.display_order())
    if states:
        query = query.where(Job.state.in_(list(states)))
    if limit:
        query = query.limit(limit)
    with library.session() as session:
        return list(session.scalars(query))


def get_job(library: Library, job_id: int) -> Job:
    with library.session() as session:
        return _get(session, job_id)


def bump_priority(library: Library, track_id: int, *, data_dir: DataDir | None = None) -> list[int]:
    """Move the queued jobs of a track the user opened to the front of their lane; returns their ids."""
    with library.write() as session:
        waiting = list(session.scalars(select(Job).where(Job.track_id == track_id, Job.state == JobState.QUEUED)))
        tops = {lane: session.scalar(select(func.max(Job.priority)).where(Job.state == JobState.QUEUED, Job.lane == lane))
                for lane in {job.lane for job in waiting}}
        bumped = []
        for job in waiting:
            job.priority = (tops[job.lane] or 0) + 1
            bumped.append((job.id, job.lane, job.priority, job.huey_task_id))
    for job_id, lane, priority, old_task_id in bumped:
        queue = lane_queue(_data_dir(library, data_dir), lane)
        if dispatch(library, queue, job_id, priority) and old_task_id:
            queue.revoke(old_task_id)
    return [job_id for job_id, *_ in bumped]


def _check_tracks_exist(session, track_ids: list[int]) -> None:
    wanted = set(track_ids)
    known: set[int] = set()
    ordered = sorted(wanted)
    for start in range(0, len(ordered), 500):
        known.update(session.scalars(select(Track.id).where(Track.id.in_(ordered[start:start + 500]))))
    if wanted - known:
        missing = ", ".join(map(str, sorted(wanted - known)[:10]))
        raise TrackNotFound(f"no track {missing} in the library (it was removed, or the id is wrong)")


def _get(session, job_id: int) -> Job:
    job = session.get(Job, int(job_id))
    if job is None:
        raise JobNotFound(f"no job {job_id}")
    return job


def _resolve(data_dir: DataDir | None) -> DataDir:
    return data_dir if data_dir is not None else DataDir.resolve()


def _data_dir(library: Library, data_dir: DataDir | None) -> DataDir:
    """The data dir whose queue goes with ``library``: given, else the folder of its SQLite file, else the default.

    So a caller holding only a library (the contract's functions) reaches the right queue.
    """
    if data_dir is not None:
        return data_dir
    url = library.engine.url
    if url.get_backend_name() == "sqlite" and url.database and Path(url.database).name == LIBRARY_DB_NAME:
        return DataDir.resolve(os.fspath(Path(url.database).parent))
    return DataDir.resolve()
