"""A consumer dies with the process that started it (the app or ``moss-music worker``), however that one ends.

Consumers run in their own session (a Ctrl-C meant for the terminal must not
kill a job midway), so nothing reaches them when their parent is killed with
``kill -9``, hangs up or is terminated. Two things watch instead:

- On Linux the kernel's parent-death signal (``prctl(PR_SET_PDEATHSIG)``). It
  fires when the *thread* that forked us exits, and the app starts consumers
  from a pool thread, so the handler acts only when our parent process really
  changed.
- A watchdog thread that polls the parent's pid twice a second (every POSIX
  system; the only watch outside Linux).

Either one asks the consumer to stop as on SIGTERM (running jobs go back to the
queue); if it has not exited ``HARD_EXIT_S`` later, the watchdog hands the
running jobs back itself and ends the process, so nothing outlives its parent
by more than a few seconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable

from moss_music.processes import pid_alive

log = logging.getLogger("worker.lifeline")

PARENT_DEATH_SIGNAL = signal.SIGUSR1 if hasattr(signal, "SIGUSR1") else None
"""Not SIGTERM: a pool thread of a live parent exiting sends it too, and SIGTERM would stop us at once."""
POLL_S = 0.5
HARD_EXIT_S = 3.5
"""After the parent is gone: time for the graceful stop before the process ends anyway (parent gone + poll +
this stays under 5 s)."""
PR_SET_PDEATHSIG = 1


def parent_alive(parent_pid: int) -> bool:
    """True while ``parent_pid`` is still our parent (a reparented process has a new ppid on POSIX)."""
    return os.getppid() == parent_pid and pid_alive(parent_pid)


def arm_parent_death_signal() -> bool:
    """Ask the Linux kernel to send ``PARENT_DEATH_SIGNAL`` when our parent dies; False where that is not offered."""
    if not sys.platform.startswith("linux") or PARENT_DEATH_SIGNAL is None:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(PARENT_DEATH_SIGNAL), 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
            return False
    except (OSError, AttributeError) as error:
        log.warning("no parent-death signal (%s); the watchdog alone watches the parent", error)
        return False
    return True


class Lifeline(threading.Thread):
    """Watches ``parent_pid``; when it is gone calls ``stop`` once, then ``last_words`` and exits after a grace.

    ``stop`` runs on the watchdog thread or in the signal handler and must only ask for the stop (e.g. send
    ourselves SIGTERM); ``last_words`` runs right before a hard exit (hand running jobs back).
    """

    def __init__(self, parent_pid: int, stop: Callable[[], None], last_words: Callable[[], None] | None = None,
                 *, poll_s: float = POLL_S, hard_exit_s: float = HARD_EXIT_S) -> None:
        super().__init__(name="lifeline", daemon=True)
        self.parent_pid, self._stop, self._last_words = parent_pid, stop, last_words
        self.poll_s, self.hard_exit_s = poll_s, hard_exit_s
        self.parent_gone = threading.Event()
        self._finished = threading.Event()
        self._once = threading.Lock()

    def install(self) -> None:
        """Arm the kernel signal, start the watchdog, and act at once if the parent died before we looked."""
        if PARENT_DEATH_SIGNAL is not None and threading.current_thread() is threading.main_thread():
            signal.signal(PARENT_DEATH_SIGNAL, self._on_signal)
            arm_parent_death_signal()
        self.start()
        if not parent_alive(self.parent_pid):
            self._on_parent_gone()

    def finished(self) -> None:
        """The consumer stopped on its own: no hard exit needed."""
        self._finished.set()

    def _on_signal(self, _signum, _frame) -> None:
        if not parent_alive(self.parent_pid):
            self._on_parent_gone()

    def _on_parent_gone(self) -> None:
        # Never blocking: this also runs in a signal handler, maybe while the watchdog holds the lock.
        if not self._once.acquire(blocking=False):
            return
        self.parent_gone.set()
        log.warning("the process that started this consumer (pid %s) is gone; stopping", self.parent_pid)
        try:
            self._stop()
        except Exception:  # the hard exit below still ends us
            log.exception("asking the consumer to stop failed")

    def run(self) -> None:
        while not self.parent_gone.is_set():
            if self._finished.wait(self.poll_s):
                return
            if not parent_alive(self.parent_pid):
                self._on_parent_gone()
        if self._finished.wait(self.hard_exit_s):
            return
        log.error("the consumer did not stop within %.1f s of its parent; exiting now", self.hard_exit_s)
        try:
            if self._last_words is not None:
                self._last_words()
        finally:
            logging.shutdown()
            os._exit(1)
