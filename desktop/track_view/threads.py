"""Signals emitted from worker threads that never reach a deleted view.

A loader or ask thread may still be running when its window is closed and its
Qt objects deleted; emitting on a deleted QObject crashes the process. The
emitter checks a flag and emits under one lock, and ``close_signals`` (called
from the UI thread before deletion) takes the same lock, so an emit is either
completely before the close or not at all. Cross-thread emits are queued, so
the lock is held only for a moment.
"""

from __future__ import annotations

import threading


class GuardedEmitter:
    """Mix into a QObject whose signals are emitted from worker threads."""

    def _init_guard(self) -> None:
        self._emit_lock = threading.Lock()
        self._signals_closed = False

    def close_signals(self) -> None:
        with self._emit_lock:
            self._signals_closed = True

    def emit_safely(self, signal: str, *args) -> None:
        with self._emit_lock:
            if not self._signals_closed:
                getattr(self, signal).emit(*args)
