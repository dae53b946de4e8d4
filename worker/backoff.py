"""Backing off while the disk under the library or the queue cannot be written (full, read-only).

Every part of a consumer writes often (the queue poll is a write, the
heartbeat writes twice a second), so a full disk used to turn into a traceback
per write. Instead each failure goes through one ``StorageBackoff``: it logs a
line when the problem starts or changes (and a reminder every few minutes),
makes the consumer take no new job for a growing pause, and logs once when
writing works again.
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("worker.backoff")

FIRST_PAUSE_S = 1.0
MAX_PAUSE_S = 15.0
"""Also the longest a consumer waits after space is back before it takes jobs again (a dequeue is a write)."""
REMIND_EVERY_S = 300.0


class StorageBackoff:
    def __init__(self, first_pause_s: float = FIRST_PAUSE_S, max_pause_s: float = MAX_PAUSE_S) -> None:
        self.first_pause_s, self.max_pause_s = first_pause_s, max_pause_s
        self._lock = threading.Lock()
        self._pause = 0.0
        self._until = 0.0
        self._problem = ""
        self._logged_at = 0.0

    @property
    def problem(self) -> str:
        """The current storage problem in one line ('' while writing works)."""
        return self._problem

    def failed(self, problem: str, doing: str = "") -> None:
        """Writing failed (``problem`` from ``moss_music.storage``) while ``doing`` something: pause longer (up to
        ``max_pause_s``); log when the problem is new (not each write that meets it)."""
        now = time.monotonic()
        with self._lock:
            self._pause = min(self.max_pause_s, self._pause * 2 if self._pause else self.first_pause_s)
            self._until = now + self._pause
            news = problem != self._problem or now - self._logged_at >= REMIND_EVERY_S
            self._problem = problem
            if news:
                self._logged_at = now
        if news:
            log.error("%s%s; taking no new jobs for now (next try in %.0f s)", f"{doing}: " if doing else "",
                      problem, self._pause)

    def succeeded(self) -> None:
        """A write went through: no more pause."""
        with self._lock:
            was = self._problem
            self._pause, self._until, self._problem = 0.0, 0.0, ""
        if was:
            log.warning("writing works again (was: %s)", was)

    def remaining(self) -> float:
        """Seconds to wait before taking the next job (0 when writing works)."""
        return max(0.0, self._until - time.monotonic())


STORAGE = StorageBackoff()
"""The consumer process's one backoff: the queue storage, the runner and the heartbeat all report to it."""
