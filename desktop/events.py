"""App-wide events: one small hub object whose Qt signals any window may subscribe to.

Results reach the database from other processes (the queue's consumers) or from
pool threads (the demo song's analysis). The main window notices them and
announces them here once; a track view listens for its own track instead of the
main window hunting through its children for views to reload. Everything is
emitted on the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, Qt, Signal


@dataclass(frozen=True)
class FinishedJob:
    """A queue job that finished with a stored result."""

    job_id: int
    track_id: int
    backend: str
    tasks: tuple[str, ...]
    finished_at: datetime


class AppEvents(QObject):
    job_finished = Signal(object)
    """A ``FinishedJob``: a job reached state 'done' (its analysis is stored)."""
    track_analyzed = Signal(int, str)
    """(track id, backend): new analysis results for this track are in the library, from a job or in-process."""


_hub: AppEvents | None = None


def app_events() -> AppEvents:
    """The process's one hub (created on first use, on the UI thread)."""
    global _hub
    if _hub is None:
        _hub = AppEvents()
        _hub.setObjectName("appEvents")
    return _hub


def announce_finished(jobs: list[FinishedJob]) -> None:
    """Emit ``job_finished`` and ``track_analyzed`` for each job, oldest first."""
    hub = app_events()
    for job in sorted(jobs, key=lambda j: (j.finished_at, j.job_id)):
        hub.job_finished.emit(job)
        hub.track_analyzed.emit(job.track_id, job.backend)


class _TrackFollower(QObject):
    """A child of a track view that reloads it when its track gets new results; dies with the view."""

    def __init__(self, view) -> None:
        super().__init__(view)
        self.setObjectName("trackFollower")
        self._view = view
        app_events().track_analyzed.connect(self._analyzed)

    def _analyzed(self, track_id: int, _backend: str) -> None:
        if track_id == getattr(self._view, "track_id", None):
            self._view.reload()


def follow_track(view) -> QObject:
    """Subscribe a track view (anything with ``track_id`` and ``reload()``) to its track's new results.

    Idempotent: a view that subscribes itself and is also subscribed by its opener reloads once.
    """
    existing = view.findChild(_TrackFollower, "trackFollower", Qt.FindChildOption.FindDirectChildrenOnly)
    return existing if existing is not None else _TrackFollower(view)
