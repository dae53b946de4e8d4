"""The base of the export and tag dialogs: a run on a pool thread with progress, cancel and Esc.

Both dialogs do slow file work that the user may stop; the base owns the
``BackgroundRunner``, the queued progress signal and the close-while-running
rules so each dialog only says what to run and how to show the result.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QProgressBar,
    QWidget,
)

from desktop.services import BackgroundRunner, describe_error


class _Progress(QObject):
    """Created on the UI thread; emitting it from the pool thread queues the update back to the UI."""

    changed = Signal(int, int, str)


class RunState:
    """One background run: its cancel flag and its progress signal."""

    def __init__(self) -> None:
        self.cancel = threading.Event()
        self.progress = _Progress()

    def report(self, done: int, total: int, text: str) -> None:
        self.progress.changed.emit(done, total, text)


def track_noun(count: int) -> str:
    return "1 track" if count == 1 else f"{count} tracks"


class BatchDialog(QDialog):
    """What the export and tag dialogs share: one background run at a time, its progress bar, and cancelling
    it (button or Esc) instead of closing while a thread still works on the files."""

    FAILURE_TEXT = "Failed"
    progress: QProgressBar
    status: QLabel
    _run: RunState | None

    def __init__(self, library, track_ids: list[int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.track_ids = list(track_ids)
        self.runner = BackgroundRunner(self, max_threads=1)
        self._run = None

    def _update_buttons(self) -> None:
        raise NotImplementedError

    def _begin_run(self, text: str = "") -> RunState:
        run = RunState()
        run.progress.changed.connect(self._show_progress)
        self._run = run
        self.progress.setRange(0, 0)
        self.progress.show()
        if text:
            self.status.setText(text)
        self._update_buttons()
        return run

    def _show_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if text:
            self.status.setText(text)

    def _end_run(self) -> None:
        self._run = None
        self.progress.hide()
        self._update_buttons()

    def _failed(self, error: BaseException) -> None:
        self._end_run()
        self.status.setText(f"{self.FAILURE_TEXT}: {describe_error(error)}")

    def _close_or_cancel(self) -> None:
        if self._run is not None:
            self._run.cancel.set()
            self.status.setText("Cancelling after the current file…")
            return
        self.reject()

    def reject(self) -> None:
        if self._run is not None:
            self._run.cancel.set()
            return
        super().reject()
