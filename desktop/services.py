"""Background work for the UI: run a callable on a thread pool, get its answer on the UI thread.

Every database query, scan, enqueue and file check the widgets need goes
through ``BackgroundRunner.submit``: the callable runs on a pool thread and its
result (or exception) arrives through a queued signal, so a slow disk or a
locked database never freezes the window.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

DoneCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]


class _Signals(QObject):
    # Created on the UI thread, emitted from a pool thread: Qt queues the call back to the UI thread.
    done = Signal(object)
    failed = Signal(object)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._signals = signals

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as error:  # noqa: BLE001 - every failure must reach the UI, never kill the pool
            error.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self._signals.failed.emit(error)
        else:
            self._signals.done.emit(result)


class BackgroundRunner(QObject):
    """A thread pool whose results come back as plain callbacks on the UI thread."""

    error = Signal(str)
    """A task failed and its submitter gave no error callback: a one-line message for the status bar."""

    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._in_flight: set[_Signals] = set()
        self.closed = False

    def submit(self, fn: Callable[[], Any], on_done: DoneCallback | None = None,
               on_error: ErrorCallback | None = None) -> None:
        if self.closed:
            return
        signals = _Signals()
        self._in_flight.add(signals)

        def finish(result: Any) -> None:
            self._in_flight.discard(signals)
            if on_done is not None and not self.closed:
                on_done(result)

        def fail(error: BaseException) -> None:
            self._in_flight.discard(signals)
            if self.closed:
                return
            log.warning("background task failed: %s", getattr(error, "__traceback_text__", error))
            if on_error is not None:
                on_error(error)
            else:
                self.error.emit(describe_error(error))

        signals.done.connect(finish)
        signals.failed.connect(fail)
        self.pool.start(_Task(fn, signals))

    def close(self, timeout_ms: int = 10_000) -> bool:
        """Shutting down: accept no more work, drop the answers still to come, wait for running tasks.

        The widgets the callbacks would touch are about to be deleted; an answer delivered after that
        (or work it would chain) must not run.
        """
        self.closed = True
        return self.pool.waitForDone(timeout_ms)

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Block until queued tasks ran (shutdown and tests only; never from a slot)."""
        return self.pool.waitForDone(timeout_ms)


def describe_error(error: BaseException) -> str:
    """A sentence for a person: the exception's own message, with its kind when the message is empty."""
    text = str(error).strip()
    return text if text else type(error).__name__
