"""Asking whether another process on this host is still running (lock owners, consumers, their launchers)."""

from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    """Is a process with this pid running? True where that cannot be asked cheaply (Windows: os.kill(pid, 0)
    would send it a Ctrl-C event), so callers only ever act on a definite "gone"."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True
