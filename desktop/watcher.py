"""Notice what other processes changed in the library DB, cheaply, twice a second.

Workers write job progress and results from their own processes; the app sees
them by polling a fingerprint of indexed ``max(updated_at)``/``count`` values on a
pool thread (a few index look-ups), so a change shows within a second and an
idle library costs nothing on the UI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.library.query import job_watermark
from desktop.services import BackgroundRunner

POLL_MS = 500


class ChangeWatcher(QObject):
    jobs_changed = Signal()
    library_changed = Signal()
    """Tracks, analyses or folders changed (a scan, a finished analysis, a removal)."""

    def __init__(self, library, runner: BackgroundRunner, parent=None, interval_ms: int = POLL_MS) -> None:
        super().__init__(parent)
        self.library = library
        self.runner = runner
        self._last: tuple | None = None
        self._polling = False
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.timer.start()
        self.poll()

    def stop(self) -> None:
        self.timer.stop()

    def poll(self) -> None:
        if self._polling:
            return
        self._polling = True
        library = self.library

        def work():
            with library.session() as session:
                return job_watermark(session)

        self.runner.submit(work, self._compare, self._failed)

    def _failed(self, _error: BaseException) -> None:
        # A locked or briefly unavailable DB: try again on the next tick rather than bother the user.
        self._polling = False

    def _compare(self, mark: tuple) -> None:
        self._polling = False
        previous, self._last = self._last, mark
        if previous is None:
            return
        jobs_now, library_now = mark[:2], mark[2:]
        if previous[:2] != jobs_now:
            self.jobs_changed.emit()
        if previous[2:] != library_now:
            self.library_changed.emit()
