"""Starting and stopping local consumers as subprocesses, for the desktop app and ``moss-music worker``.

"Is a consumer running?" is answered by the slot locks in the data dir's ``run``
folder (see ``worker.slots``), so the app does not start a second set when the
user already runs ``moss-music worker`` in a terminal, and it stops only what it
started when it exits.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import filelock

from moss_music.paths import DataDir
from worker import slots
from worker.app import LANES, check_lane

READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
CRASH_LOOP_S = 10.0
MAX_QUICK_CRASHES = 3
WARM_UP_BACKEND = "dsp"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
"""The folder holding the ``worker`` package, put on the consumers' PYTHONPATH."""


log = logging.getLogger("worker.launcher")


class ConsumerStartError(RuntimeError):
    """A consumer exited while starting; the message holds the end of its output."""


@dataclass
class _Child:
    lane: str
    process: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    quick_crashes: int = 0


class ConsumerLauncher:
    def __init__(self, data_dir: DataDir, lanes: tuple[str, ...] | list[str] = ("cpu",), cpu_workers: int = 1, *,
                 inherit_output: bool = False, warm_up: bool = True) -> None:
        """``warm_up``: cpu consumers get the DSP backend ready at start (the first job then runs at full speed)."""
        self.data_dir = data_dir
        self.lanes = tuple(check_lane(lane) for lane in lanes)
        self.cpu_workers = max(1, int(cpu_workers))
        self.inherit_output = inherit_output
        self.warm_up = warm_up
        self.children: list[_Child] = []

    # -- status --------------------------------------------------------------------------------

    def lane_status(self) -> dict[str, bool]:
        """For each of this launcher's lanes: does any consumer (started by anyone) serve it?"""
        live = {record.lane for record in slots.live_consumers(self.data_dir)}
        return {lane: lane in live for lane in self.lanes}

    def running(self) -> bool:
        return any(self.lane_status().values())

    # -- starting --------------------------------------------------------------------------------

    def ensure_running(self) -> bool:
        """Start consumers for the lanes nobody serves; True if it started any."""
        with filelock.FileLock(slots.run_dir(self.data_dir) / "launcher.lock", timeout=READY_TIMEOUT_S * 2):
            self.stop_strays()
            missing = [lane for lane, up in self.lane_status().items() if not up]
            if not missing:
                return False
            self.start(missing)
            return True

    def start(self, lanes: list[str] | tuple[str, ...] | None = None) -> list[int]:
        """Start this launcher's consumers for ``lanes`` (default: all of its lanes); returns their pids.

        Waits until each holds its slot, so a second launcher right after sees them running.
        """
        from moss_music.library import Library

        self.stop_strays()
        Library.open(self.data_dir).close()  # migrate once here, not racing in every consumer
        started = []
        for lane in lanes or self.lanes:
            for _ in range(self.cpu_workers if lane == "cpu" else 1):
                started.append(self._spawn(lane))
        self._wait_ready(started)
        return [child.process.pid for child in started]

    def supervise(self) -> list[int]:
        """Restart consumers this launcher started that died; returns the new pids.

        Raises ConsumerStartError when one keeps dying right after starting.
        """
        restarted = []
        for index, child in enumerate(self.children):
            code = child.process.poll()
            if code is None or code == 0:
                continue
            # Only the consumer's own failures (a positive exit code) count towards a crash loop: one killed
            # from outside (kill -9, the OOM killer) is simply replaced, however soon after its start.
            quick = code > 0 and time.monotonic() - child.started < CRASH_LOOP_S
            crashes = child.quick_crashes + 1 if quick else 0
            if crashes >= MAX_QUICK_CRASHES:
                raise ConsumerStartError(f"the {child.lane} consumer keeps exiting (code {code}); "
                                         f"see {self.data_dir.logs_dir}\n{self._output_tail()}")
            replacement = self._spawn(child.lane, replace=index)
            replacement.quick_crashes = crashes
            restarted.append(replacement.process.pid)
        return restarted

    def _spawn(self, lane: str, replace: int | None = None) -> _Child:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
        command = [sys.executable, "-m", "worker.consumer", "--home", str(self.data_dir.root), "--lane", lane,
                   "--parent-pid", str(os.getpid())]
        if self.warm_up and lane == "cpu":
            command += ["--warm-up", WARM_UP_BACKEND]
        output = None if self.inherit_output else open(self._output_path(), "ab")
        try:
            process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                                       stdout=output, stderr=output, **_detached())
        finally:
            if output is not None:
                output.close()
        child = _Child(lane, process)
        if replace is None:
            self.children.append(child)
        else:
            self.children[replace] = child
        return child

    def _wait_ready(self, children: list[_Child]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        waiting = {child.process.pid: child for child in children}
        while waiting and time.monotonic() < deadline:
            for record in slots.live_consumers(self.data_dir):
                waiting.pop(record.pid, None)
            for pid, child in list(waiting.items()):
                code = child.process.poll()
                if code is not None:
                    if code == 3:  # EXIT_SLOT_TAKEN: the lane's single slot is served by someone else
                        waiting.pop(pid)
                        continue
                    raise ConsumerStartError(f"the {child.lane} consumer exited while starting (code {code})\n"
                                             f"{self._output_tail()}")
            if waiting:
                time.sleep(0.05)
        if waiting:
            raise ConsumerStartError(f"consumers {sorted(waiting)} did not start within {READY_TIMEOUT_S:.0f} s")

    # -- stopping --------------------------------------------------------------------------------

    def stop_strays(self) -> list[int]:
        """Stop consumers whose launcher died without stopping them (see ``worker.lifeline``); returns pids."""
        stopped = slots.stop_strays(self.data_dir)
        if stopped:
            log.warning("stopped %d consumer(s) left behind by a launcher that is gone: pids %s", len(stopped),
                        " ".join(map(str, stopped)))
        return stopped

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop the consumers this launcher started: running jobs go back to the queue."""
        alive = [child for child in self.children if child.process.poll() is None]
        for child in alive:
            child.process.send_signal(signal.SIGTERM) if os.name != "nt" else child.process.terminate()
        deadline = time.monotonic() + timeout
        for child in alive:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        self.children.clear()

    def pids(self) -> list[int]:
        return [child.process.pid for child in self.children if child.process.poll() is None]

    def _output_path(self) -> Path:
        return self.data_dir.logs_dir / "consumers-output.log"

    def _output_tail(self, chars: int = 2000) -> str:
        if self.inherit_output:
            return ""
        try:
            return self._output_path().read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""


def _detached() -> dict:
    """Own session/process group: a Ctrl-C meant for the app or the terminal does not kill a job midway."""
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


__all__ = ["LANES", "ConsumerLauncher", "ConsumerStartError"]
