"""Watch library folders while the app runs and ask for a rescan when files appear, change or vanish.

``QFileSystemWatcher`` sees changes in a directory's own entries only, so the
folder tree is listed on a pool thread and every directory (up to a cap) is
watched. Bursts of changes (a copy of an album) collapse into one rescan of the
affected library folders a few seconds after the last change; rescans are
cheap because unchanged files are only stat'ed.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from desktop.services import BackgroundRunner

MAX_WATCHED_DIRS = 4000
SETTLE_MS = 3000


def list_directories(roots: list[str], limit: int = MAX_WATCHED_DIRS) -> list[str]:
    found: list[str] = []
    for root in roots:
        for folder, dirs, _files in os.walk(root):
            found.append(folder)
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            if len(found) >= limit:
                return found
    return found


class FolderWatcher(QObject):
    rescan_needed = Signal(list)
    """Library folder paths whose contents changed."""

    def __init__(self, runner: BackgroundRunner, parent=None, settle_ms: int = SETTLE_MS) -> None:
        super().__init__(parent)
        self.runner = runner
        self.roots: list[str] = []
        self.enabled = True
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._changed)
        self._dirty: set[str] = set()
        self._settle = QTimer(self, singleShot=True, interval=settle_ms)
        self._settle.timeout.connect(self._flush)

    def set_roots(self, roots: list[str], enabled: bool = True) -> None:
        self.enabled = enabled
        roots = sorted(set(roots)) if enabled else []
        if roots == self.roots:
            return
        self.roots = roots
        self.runner.submit(lambda: list_directories(roots), self._watch)

    def _watch(self, directories: list[str]) -> None:
        current = self._watcher.directories()
        if current:
            self._watcher.removePaths(current)
        if directories and self.enabled:
            self._watcher.addPaths(directories)

    def watched(self) -> list[str]:
        return self._watcher.directories()

    def _changed(self, path: str) -> None:
        root = self._root_of(path)
        if root is not None:
            self._dirty.add(root)
            self._settle.start()

    def _root_of(self, path: str) -> str | None:
        for root in self.roots:
            if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
                return root
        return None

    def _flush(self) -> None:
        if self._dirty:
            roots, self._dirty = sorted(self._dirty), set()
            self.rescan_needed.emit(roots)
            # New subfolders need watching too.
            self.runner.submit(lambda: list_directories(self.roots), self._watch)
