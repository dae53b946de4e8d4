"""What the queue panel lists: active jobs in run order, the newest finished ones, and ETAs.

The ETA of a running job comes from its own pace (elapsed / progress); a
waiting job adds the typical duration of recent jobs on its backend to the
remaining time of everything ahead of it in its lane.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moss_music.library.schema import Job, Track, utcnow
from worker.jobs import ACTIVE_STATES, DONE, FINISHED_STATES, RUNNING, display_order

MAX_ACTIVE_ROWS = 500
MAX_FINISHED_ROWS = 100
DEFAULT_JOB_SECONDS = {"dsp": 20.0, "moss": 120.0, "server": 60.0}


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


@dataclass
class QueueSnapshot:
    rows: list[JobRow]
    counts: dict[str, int]
    """Jobs per state over the whole table, not just the listed rows."""

    @property
    def active(self) -> int:
        return sum(self.counts.get(state, 0) for state in ACTIVE_STATES)


def typical_durations(session: Session, samples: int = 20) -> dict[str, float]:
    """Median seconds of the last finished jobs per backend (the basis of waiting jobs' ETAs)."""
    result = dict(DEFAULT_JOB_SECONDS)
    rows = session.execute(
        select(Job.backend, Job.started_at, Job.finished_at)
        .where(Job.state == DONE, Job.started_at.is_not(None), Job.finished_at.is_not(None))
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


def fetch_queue(session: Session, now: datetime | None = None) -> QueueSnapshot:
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
        if r.state == RUNNING:
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
                           stage=r.stage or "", error=r.error, eta_s=eta, elapsed_s=elapsed))
    return QueueSnapshot(rows, {state: int(n) for state, n in counts.items()})


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
