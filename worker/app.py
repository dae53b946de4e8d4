"""The Huey queues: one per lane, in a SQLite file by default or in Redis when configured.

Lanes keep work that needs the GPU (one worker that loads the model once and
keeps it) apart from CPU work (DSP, decoding: several workers), so a long model
job never holds up quick DSP jobs and two model copies never compete for VRAM.
Which backend runs on which lane is part of its description in
``moss_music.analysis.registry``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from huey import Huey, PriorityRedisHuey
from huey.api import Task, TaskWrapper
from huey.storage import SqliteStorage

from moss_music.analysis.registry import LANES, lane_for_backend
from moss_music.paths import DataDir
from moss_music.storage import describe_storage_error
from worker.backoff import STORAGE
from worker.settings import redis_url
from worker.tasks import register

__all__ = ["LANES", "LaneQueue", "QueueControl", "check_lane", "lane_for_backend", "lane_queue", "queue_description"]

QUEUE_PREFIX = "moss-music"
PAUSE_KEY = "moss-music:paused"


def check_lane(lane: str) -> str:
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}; choose one of {', '.join(LANES)}")
    return lane


class QueueFileStorage(SqliteStorage):
    """Huey's SQLite storage with WAL and ``synchronous=NORMAL``: a commit skips the fsync.

    A power cut can then lose the last few enqueued tasks (never corrupt the file); their job rows
    are in the library and consumers dispatch such lost jobs again. Enqueueing gets ~10x cheaper.
    """

    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("pragma synchronous=1")
        return connection

    def dequeue(self):
        """Taking a task is a write: on a full or read-only disk report it to the backoff (one log line, no new
        jobs for a while) and find nothing, instead of Huey logging a traceback at every poll."""
        try:
            return super().dequeue()
        except Exception as error:
            problem = describe_storage_error(error, self.filename)
            if problem is None:
                raise
            STORAGE.failed(problem, "the queue cannot take tasks")
            return None


@dataclass(frozen=True)
class LaneQueue:
    """One lane's Huey with the job task registered on it."""

    lane: str
    huey: Huey
    task: TaskWrapper

    def new_task(self, job_id: int, priority: int = 0) -> Task:
        """A task for ``job_id``, not yet enqueued: its id is written to the job row before it is enqueued."""
        return self.task.s(job_id, priority=priority)

    def enqueue(self, task: Task) -> None:
        self.huey.enqueue(task)

    def revoke(self, task_id: str) -> None:
        self.huey.revoke_by_id(task_id, revoke_once=True)

    def pending_task_ids(self) -> set[str]:
        return {task.id for task in self.huey.pending()}


def lane_queue(data_dir: DataDir, lane: str) -> LaneQueue:
    """The queue for ``lane``; cached so a process keeps one storage connection per lane."""
    return _lane_queue(str(data_dir.queue_db), check_lane(lane), redis_url(data_dir))


@functools.lru_cache(maxsize=32)
def _lane_queue(queue_db: str, lane: str, url: str | None) -> LaneQueue:
    name = f"{QUEUE_PREFIX}-{lane}"
    if url:
        # A sorted set, so a track the user opened can jump the queue; blocking pops pick up without polling.
        huey = PriorityRedisHuey(name, url=url, results=False, blocking=True, read_timeout=0.5)
    else:
        huey = Huey(name, storage_class=QueueFileStorage, filename=queue_db, results=False, timeout=10)
    return LaneQueue(lane, huey, register(huey))


class QueueControl:
    """The pause switch, kept in the queue's own storage so every consumer (on any host) sees it."""

    def __init__(self, data_dir: DataDir) -> None:
        self._huey = lane_queue(data_dir, "cpu").huey

    def paused(self) -> bool:
        return bool(self._huey.get(PAUSE_KEY, peek=True))

    def pause(self) -> None:
        self._huey.put(PAUSE_KEY, True)

    def resume(self) -> None:
        self._huey.delete(PAUSE_KEY)


def queue_description(data_dir: DataDir) -> str:
    """Where the queue lives, for logs and ``moss-music worker``'s banner (no password shown)."""
    url = redis_url(data_dir)
    if not url:
        return f"sqlite {data_dir.queue_db}"
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"redis {parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path or ''}"
