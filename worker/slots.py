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
import signal
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import filelock

from moss_music.paths import DataDir
from moss_music.processes import pid_alive

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
    parent_pid: int | None = None

    @property
    def name(self) -> str:
        return f"{self.lane}-{self.slot}"


class ConsumerSlot:
    """The slot this consumer process holds while it lives."""

    def __init__(self, data_dir: DataDir, lane: str, slot: int, lock: filelock.FileLock,
                 parent_pid: int | None = None) -> None:
        self.data_dir, self.lane, self.slot, self._lock = data_dir, lane, slot, lock
        self.parent_pid = parent_pid
        self.worker_id = f"{HOST}/{lane}-{slot}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self.record_path = run_dir(data_dir) / f"{self.name}.json"
        self.started = time.time()
        self._write_record()

    @property
    def name(self) -> str:
        return f"{self.lane}-{self.slot}"

    @classmethod
    def acquire(cls, data_dir: DataDir, lane: str, max_slots: int = MAX_SLOTS,
                parent_pid: int | None = None) -> ConsumerSlot | None:
        """The first free slot of ``lane`` (None if ``max_slots`` are taken); ``parent_pid`` is the launcher's,
        recorded so a later launcher can tell a stray (its launcher gone) from a consumer someone still owns."""
        folder = run_dir(data_dir)
        for slot in range(1, max_slots + 1):
            lock = _lock(folder / f"{lane}-{slot}.lock")
            try:
                # Not instant: a liveness check elsewhere may hold a free slot's lock for a moment.
                lock.acquire(timeout=SLOT_WAIT_S)
            except filelock.Timeout:
                continue
            return cls(data_dir, lane, slot, lock, parent_pid)
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
                  "parent_pid": self.parent_pid, "started": self.started}
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


def _held_records(data_dir: DataDir) -> list[SlotRecord]:
    """Records of slots whose lock is held (their consumer lives, maybe hung)."""
    found = []
    for path in sorted(run_dir(data_dir).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            beat = path.stat().st_mtime
            record = SlotRecord(data["lane"], int(data["slot"]), data["worker_id"], int(data["pid"]),
                                float(data["started"]), beat, data.get("parent_pid"))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if _held(path.with_suffix(".lock")):
            found.append(record)
    return found


def live_consumers(data_dir: DataDir, lane: str | None = None) -> list[SlotRecord]:
    """Consumers on this host whose slot lock is held and whose heartbeat is fresh."""
    return [record for record in _held_records(data_dir)
            if (not lane or record.lane == lane) and time.time() - record.heartbeat <= STALE_AFTER_S]


def stray_consumers(data_dir: DataDir) -> list[SlotRecord]:
    """Consumers still holding a slot although the process that started them is gone.

    Linux and the consumer's own watchdog normally end them within seconds; this finds the rest
    (a consumer hung in native code, a platform without a parent-death signal). Consumers started
    by hand (no recorded parent) are never strays.
    """
    return [record for record in _held_records(data_dir)
            if record.parent_pid and pid_alive(record.pid) and not _is_child_of(record.pid, record.parent_pid)]


def _is_child_of(pid: int, parent_pid: int) -> bool:
    """Is ``parent_pid`` alive and still ``pid``'s parent? (Without /proc: is it alive at all.)"""
    if not pid_alive(parent_pid):
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    # Fields after the parenthesised command name: state, ppid, ...
    return int(stat.rpartition(")")[2].split()[1]) == parent_pid


def stop_strays(data_dir: DataDir, timeout: float = 5.0) -> list[int]:
    """Stop stray consumers (SIGTERM, then SIGKILL after ``timeout``) and wait until their slots are free;
    returns their pids.

    Their running jobs go back to the queue: by the consumer itself when it stops in time, else by the next
    consumer's sweep (the slot lock dies with the process).
    """
    strays = [record for record in stray_consumers(data_dir) if _looks_like_consumer(record.pid)]
    folder = run_dir(data_dir)

    def wait_for_slots(seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while any(_held(folder / f"{record.name}.lock") for record in strays):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    for record in strays:
        _signal(record.pid, signal.SIGTERM)
    if not wait_for_slots(timeout):
        for record in strays:
            _signal(record.pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        wait_for_slots(timeout)
    return [record.pid for record in strays]


def _looks_like_consumer(pid: int) -> bool:
    """Guard against a recycled pid: on Linux the command line must name the consumer module."""
    try:
        return b"worker.consumer" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return not Path("/proc").is_dir()


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def liveness(data_dir: DataDir) -> Callable[[str], bool | None]:
    """A snapshot test "is this worker alive?": True/False on this host, None elsewhere (its lease tells)."""
    live = {record.worker_id for record in live_consumers(data_dir)}

    def alive(worker_id: str) -> bool | None:
        return worker_id in live if worker_id.partition("/")[0] == HOST else None

    return alive
