"""Consumer slots: a lock file each live consumer holds, plus a small JSON record it keeps fresh.

The OS drops a lock when its process dies, even on ``kill -9``, so "is that
consumer alive?" has an exact answer on this host: its slot's lock is held and
the record names the same worker id. The record's mtime is the consumer's
heartbeat (a hung process still holds its lock). Workers on other hosts are
judged by their jobs' heartbeat lease instead.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import filelock

from moss_music.paths import DataDir

HEARTBEAT_S = 0.5
"""Also how often running jobs' progress is written and their cancel flag read (cancel within a second)."""
STALE_AFTER_S = 30.0
"""A consumer whose record was not touched for this long counts as hung (and its jobs' leases as expired)."""
MAX_SLOTS = 64
SLOT_WAIT_S = 0.2
HOST = socket.gethostname()


def run_dir(data_dir: DataDir) -> Path:
    folder = data_dir.root / "run"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _lock(path: Path) -> filelock.FileLock:
    return filelock.FileLock(path, thread_local=False)


@dataclass
class SlotRecord:
    lane: str
    slot: int
    worker_id: str
    pid: int
    started: float
    heartbeat: float

    @property
    def name(self) -> str:
        return f"{self.lane}-{self.slot}"


class ConsumerSlot:
    """The slot this consumer process holds while it lives."""

    def __init__(self, data_dir: DataDir, lane: str, slot: int, lock: filelock.FileLock) -> None:
        self.data_dir, self.lane, self.slot, self._lock = data_dir, lane, slot, lock
        self.worker_id = f"{HOST}/{lane}-{slot}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self.record_path = run_dir(data_dir) / f"{self.name}.json"
        self.started = time.time()
        self._write_record()

    @property
    def name(self) -> str:
        return f"{self.lane}-{self.slot}"

    @classmethod
    def acquire(cls, data_dir: DataDir, lane: str, max_slots: int = MAX_SLOTS) -> ConsumerSlot | None:
        """The first free slot of ``lane`` (None if ``max_slots`` are taken)."""
        folder = run_dir(data_dir)
        for slot in range(1, max_slots + 1):
            lock = _lock(folder / f"{lane}-{slot}.lock")
            try:
                # Not instant: a liveness check elsewhere may hold a free slot's lock for a moment.
                lock.acquire(timeout=SLOT_WAIT_S)
            except filelock.Timeout:
                continue
            return cls(data_dir, lane, slot, lock)
        return None

    def touch(self) -> None:
        try:
            os.utime(self.record_path)
        except FileNotFoundError:
            self._write_record()

    def release(self) -> None:
        self.record_path.unlink(missing_ok=True)
        self._lock.release()

    def _write_record(self) -> None:
        record = {"lane": self.lane, "slot": self.slot, "worker_id": self.worker_id, "pid": os.getpid(),
                  "started": self.started}
        tmp = self.record_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, self.record_path)


def _held(path: Path) -> bool:
    lock = _lock(path)
    try:
        lock.acquire(blocking=False)
    except filelock.Timeout:
        return True
    lock.release()
    return False


def live_consumers(data_dir: DataDir, lane: str | None = None) -> list[SlotRecord]:
    """Consumers on this host whose slot lock is held and whose heartbeat is fresh."""
    found = []
    for path in sorted(run_dir(data_dir).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            beat = path.stat().st_mtime
        except (OSError, ValueError):
            continue
        if lane and data.get("lane") != lane:
            continue
        if time.time() - beat > STALE_AFTER_S or not _held(path.with_suffix(".lock")):
            continue
        found.append(SlotRecord(data["lane"], int(data["slot"]), data["worker_id"], int(data["pid"]),
                                float(data["started"]), beat))
    return found


def liveness(data_dir: DataDir) -> Callable[[str], bool | None]:
    """A snapshot test "is this worker alive?": True/False on this host, None elsewhere (its lease tells)."""
    live = {record.worker_id for record in live_consumers(data_dir)}

    def alive(worker_id: str) -> bool | None:
        return worker_id in live if worker_id.partition("/")[0] == HOST else None

    return alive
