"""What the queue panel lists: active jobs in run order, the newest finished ones, and ETAs.

The ETA of a running job comes from its own pace (elapsed / progress); a
waiting job adds the typical duration of recent jobs on its backend to the
remaining time of everything ahead of it in its lane. Finished jobs have no
ETA (they show how long they took), and a job waiting on a lane no consumer
serves has none either: it says so instead of promising a time.

Also the read model of finished jobs the app announces (``finished_jobs_since``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.events import FinishedJob
from moss_music.analysis import backend_specs
from moss_music.library.schema import Job, Track, utcnow
from worker.jobs import display_order
from worker.states import ACTIVE_STATES, FINISHED_STATES, JobState

MAX_ACTIVE_ROWS = 500
MAX_FINISHED_ROWS = 100
LANE_WORDS = {"cpu": "CPU", "gpu": "GPU"}


def no_worker_stage(lane: str) -> str:
    """What a job waiting on a lane nobody serves says instead of an ETA."""
    if lane == "gpu":
        return "waiting: no GPU worker is running (set up the model in Settings → Model)"
    return f"waiting: no {LANE_WORDS.get(lane, lane)} worker is running"


@dataclass
class JobRow:
    id: int
    track_id: int | None
    title: str
    backend: str
    lane: str
    tasks: list[str]
    state: str
    progress: float
    stage: str
    error: str | None
    eta_s: float | None
    elapsed_s: float | None
    unserved: bool = False
    """Waiting on a lane no consumer serves: it has no ETA and will not start until one does."""


@dataclass
class QueueSnapshot:
    rows: list[JobRow]
    counts: dict[str, int]
    """Jobs per state over the whole table, not just the listed rows."""

    @property
    def unserved_lanes(self) -> list[str]:
        """Lanes that have waiting jobs and no consumer."""
        return sorted({row.lane for row in self.rows if row.unserved})

    @property
    def active(self) -> int:
        return sum(self.counts.get(state, 0) for state in ACTIVE_STATES)


def typical_durations(session: Session, samples: int = 20) -> dict[str, float]:
    """Median seconds of the last finished jobs per backend (the basis of waiting jobs' ETAs)."""
    result = {spec.name: spec.typical_job_s for spec in backend_specs()}  # before any job of a backend finished
    rows = session.execute(
        select(Job.backend, Job.started_at, Job.finished_at)
        .where(Job.state == JobState.DONE, Job.started_at.is_not(None), Job.finished_at.is_not(None))
        .order_by(Job.id.desc()).limit(samples * 4)
    ).all()
    by_backend: dict[str, list[float]] = defaultdict(list)
    for backend, started, finished in rows:
        if len(by_backend[backend]) < samples:
            by_backend[backend].append(max(0.1, (finished - started).total_seconds()))
    for backend, values in by_backend.items():
        values.sort()
        result[backend] = values[len(values) // 2]
    return result


def fetch_queue(session: Session, now: datetime | None = None,
                live_lanes: frozenset[str] | set[str] | None = None) -> QueueSnapshot:
    """``live_lanes``: the lanes a consumer serves now (None: unknown, every lane assumed served)."""
    now = now or utcnow()
    counts = dict(session.execute(select(Job.state, func.count(Job.id)).group_by(Job.state)).all())
    columns = (Job.id, Job.track_id, Job.backend, Job.lane, Job.tasks_json, Job.state, Job.progress, Job.stage,
               Job.error, Job.started_at, Job.finished_at, Track.title, Track.path)
    base = select(*columns).outerjoin(Track, Track.id == Job.track_id)
    active = session.execute(base.where(Job.state.in_(ACTIVE_STATES)).order_by(*display_order())
                             .limit(MAX_ACTIVE_ROWS)).all()
    finished = session.execute(base.where(Job.state.in_(FINISHED_STATES)).order_by(Job.id.desc())
                               .limit(MAX_FINISHED_ROWS)).all()
    typical = typical_durations(session)
    lane_backlog: dict[str, float] = defaultdict(float)
    rows: list[JobRow] = []
    for r in [*active, *finished]:
        elapsed = _elapsed(r, now)
        eta = None
        stage = r.stage or ""
        unserved = r.state == JobState.QUEUED and live_lanes is not None and r.lane not in live_lanes
        if unserved:
            stage = no_worker_stage(r.lane)
        elif r.state == JobState.RUNNING:
            expected = typical.get(r.backend, 60.0)
            if r.progress and r.progress > 0.03 and elapsed:
                eta = elapsed * (1 - r.progress) / r.progress
            else:
                eta = max(1.0, expected - (elapsed or 0.0))
            lane_backlog[r.lane] += eta
        elif r.state in ACTIVE_STATES:
            lane_backlog[r.lane] += typical.get(r.backend, 60.0)
            eta = lane_backlog[r.lane]
        title = r.title or (Path(r.path).stem if r.path else "(track removed)")
        rows.append(JobRow(id=r.id, track_id=r.track_id, title=title, backend=r.backend, lane=r.lane,
                           tasks=json.loads(r.tasks_json or "[]"), state=r.state, progress=r.progress or 0.0,
                           stage=stage, error=r.error, eta_s=eta, elapsed_s=elapsed, unserved=unserved))
    return QueueSnapshot(rows, {state: int(n) for state, n in counts.items()})


def latest_finished_at(session: Session) -> datetime | None:
    """When the newest finished job finished (the mark from which the app announces new ones)."""
    return session.scalar(select(func.max(Job.finished_at)).where(Job.state == JobState.DONE))


def finished_jobs_since(session: Session, since: datetime | None, limit: int = 1000) -> list[FinishedJob]:
    """Jobs that finished with a result after ``since`` (all of them when None), oldest first."""
    stmt = (select(Job.id, Job.track_id, Job.backend, Job.tasks_json, Job.finished_at)
            .where(Job.state == JobState.DONE, Job.finished_at.is_not(None), Job.track_id.is_not(None)))
    if since is not None:
        stmt = stmt.where(Job.finished_at > since)
    rows = session.execute(stmt.order_by(Job.finished_at, Job.id).limit(limit)).all()
    return [FinishedJob(r.id, r.track_id, r.backend, tuple(json.loads(r.tasks_json or "[]")), r.finished_at)
            for r in rows]


def _elapsed(row, now: datetime) -> float | None:
    if row.started_at is None:
        return None
    end = row.finished_at if row.state in FINISHED_STATES and row.finished_at else now
    return max(0.0, (end - row.started_at).total_seconds())


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"
