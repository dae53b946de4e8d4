"""Scanning folders and files into the library, one scan at a time, in the background.

Add folder, drops, Rescan and the folder watch all come here; requests made
while a scan runs wait their turn in order. The controller only reports: the
window shows progress and results, and the analysis controller picks up the new
files.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.services import BackgroundRunner, describe_error
from moss_music.library.schema import utcnow


class ScanController(QObject):
    started = Signal(list)
    """The paths of the scan that starts now."""
    progress = Signal(int, int, str)
    """(files done, files found, current path); emitted from the pool thread, delivered queued."""
    finished = Signal(object, list, object)
    """(``ScanReport``, the scanned paths, when the scan started as the library's clock reads it)."""
    failed = Signal(str)

    def __init__(self, library, runner: BackgroundRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.runner = runner
        self._queue: list[list[str]] = []
        self.scanning = False

    def scan(self, paths: list[str]) -> None:
        """Scan ``paths`` after any scan already asked for."""
        self._queue.append([str(p) for p in paths])
        self._next()

    def _next(self) -> None:
        if self.scanning or not self._queue:
            return
        paths = self._queue.pop(0)
        self.scanning = True
        library, progress = self.library, self.progress
        started_at = utcnow()
        self.started.emit(paths)
        self.runner.submit(lambda: library.scan(paths, progress=lambda done, total, path: progress.emit(done, total, path)),
                           lambda report: self._done(report, paths, started_at), self._failed)

    def _done(self, report, paths: list[str], started_at: datetime) -> None:
        self.scanning = False
        self.finished.emit(report, paths, started_at)
        self._next()

    def _failed(self, error: BaseException) -> None:
        self.scanning = False
        self.failed.emit(f"Scan failed: {describe_error(error)}")
        self._next()


def describe_scan(report) -> str:
    """One status-bar line for a ``ScanReport``."""
    parts = [f"{report.added:,} added"]
    if report.updated:
        parts.append(f"{report.updated:,} updated")
    if report.moved:
        parts.append(f"{report.moved:,} moved")
    if report.missing:
        parts.append(f"{report.missing:,} missing")
    if report.failed:
        parts.append(f"{len(report.failed):,} unreadable")
    if report.folder_errors:
        parts.append(f"{len(report.folder_errors):,} folders could not be read")
    return "Scan finished: " + ", ".join(parts)


def scan_label(paths: list[str]) -> str:
    return ", ".join(Path(p).name or p for p in paths)
