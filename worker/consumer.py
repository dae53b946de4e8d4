"""One consumer process for one lane: ``python -m worker.consumer --lane cpu|gpu [--home DIR]``.

It holds a slot lock (liveness), takes back jobs of consumers that died, then
runs Huey's consumer with fast polling (idle pickup well under 100 ms) and
workers that stand still while the queue is paused. On SIGINT/SIGTERM running
analyses stop at their next cancel check and go back to the queue.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import signal
import sys
import threading
from collections.abc import Sequence

from huey.consumer import Consumer, Worker

from moss_music.library import Library
from moss_music.paths import DataDir
from worker import slots
from worker.app import LANES, QueueControl, lane_queue, queue_description
from worker.backoff import STORAGE
from worker.heartbeat import Heartbeat, recover_stale_jobs, redispatch_lost_jobs
from worker.lifeline import Lifeline
from worker.runner import JobRunner, warm_up
from worker.settings import register_extra_backends
from worker.tasks import set_runner

POLL_INITIAL_S = 0.02
POLL_MAX_S = 0.05
POLL_BACKOFF = 1.15
PAUSED_POLL_S = 0.1
SHUTDOWN_TIMEOUT_S = 10.0
EXIT_SLOT_TAKEN = 3
EXIT_STORE_UNREACHABLE = 4

log = logging.getLogger("worker.consumer")


class LaneWorker(Worker):
    """A Huey worker that takes no new task while the queue is paused (running ones carry on) or while its
    consumer is stopping (a job it just put back in the queue must stay there for the next consumer)."""

    control: QueueControl | None = None
    stopping: threading.Event | None = None

    def loop(self, now=None):
        if (self.stopping is not None and self.stopping.is_set()) or (self.control is not None and self._paused()):
            self.stop_flag.wait(PAUSED_POLL_S)
            return
        if STORAGE.remaining() > 0:  # the disk cannot be written: jobs would only fail
            self.stop_flag.wait(min(STORAGE.remaining(), PAUSED_POLL_S * 5))
            return
        super().loop(now)

    def _paused(self) -> bool:
        try:
            return self.control.paused()
        except Exception:  # noqa: BLE001 - an unreachable queue shows up in dequeue's own error handling
            return False


class LaneConsumer(Consumer):
    worker_class = LaneWorker

    def __init__(self, huey, runner: JobRunner, control: QueueControl, **options) -> None:
        self.runner, self.control = runner, control
        super().__init__(huey, **options)
        # Both signals stop gracefully: the runner's stop flag makes running analyses yield within a second.
        self._signal_actions[signal.SIGTERM] = (False, True)

    def _create_worker(self):
        worker = super()._create_worker()
        worker.control, worker.stopping = self.control, self.runner.stopping
        return worker

    def _handle_signal(self, signum, frame):
        self.runner.stopping.set()
        super()._handle_signal(signum, frame)


class LogFile(logging.handlers.RotatingFileHandler):
    """The consumer's log file; when it cannot be written (full disk) says so once on stderr, not per record."""

    _reported = False

    def handleError(self, record: logging.LogRecord) -> None:
        if not self._reported:
            self._reported = True
            error = sys.exc_info()[1]
            print(f"{self.baseFilename}: cannot write the log ({error}); later log lines are lost",
                  file=sys.stderr)


def setup_logging(data_dir: DataDir, name: str) -> None:
    handler = LogFile(data_dir.logs_dir / f"worker-{name}.log", maxBytes=2_000_000, backupCount=3,
                      encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter(f"%(asctime)s {name} %(levelname)s %(name)s: %(message)s"))
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter(f"{name}: %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    root.addHandler(console)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m worker.consumer", description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="data directory (default $MOSS_MUSIC_HOME or the user data dir)")
    parser.add_argument("--lane", choices=LANES, default="cpu")
    parser.add_argument("--workers", type=int, default=1, help="worker threads in this process")
    parser.add_argument("--warm-up", action="append", default=[], metavar="BACKEND",
                        help="build this backend and run it on a second of silence at start (repeatable)")
    parser.add_argument("--parent-pid", type=int, metavar="PID",
                        help="stop when this process (the launcher) is gone (see worker.lifeline)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    runner: JobRunner | None = None
    lifeline = None
    if args.parent_pid:
        lifeline = Lifeline(args.parent_pid, stop=lambda: os.kill(os.getpid(), signal.SIGTERM),
                            last_words=lambda: _hand_back_running(runner))
        lifeline.install()
    data_dir = DataDir.resolve(args.home)
    register_extra_backends()
    # One GPU consumer per data dir: two would each load the model and fight over VRAM.
    slot = slots.ConsumerSlot.acquire(data_dir, args.lane, max_slots=1 if args.lane == "gpu" else slots.MAX_SLOTS,
                                      parent_pid=args.parent_pid)
    if slot is None:
        print(f"a {args.lane} consumer already runs for {data_dir.root}", file=sys.stderr)
        return EXIT_SLOT_TAKEN
    setup_logging(data_dir, slot.name)
    try:
        library = Library.open(data_dir)
        queue = lane_queue(data_dir, args.lane)
        queue.huey.pending_count()  # reach the queue now, so a wrong URL fails here with a clear message
    except Exception as error:  # noqa: BLE001 - say which store is unreachable, not a traceback
        log.error("cannot open the library (%s) or the queue (%s): %s", data_dir.library_url.split("@")[-1],
                  queue_description(data_dir), error)
        slot.release()
        return EXIT_STORE_UNREACHABLE
    runner = JobRunner(library, queue, data_dir, slot.worker_id)
    set_runner(runner)
    heartbeat = Heartbeat(runner, slot)
    try:
        recover_stale_jobs(runner)
        redispatch_lost_jobs(runner)
        heartbeat.start()
        for backend in args.warm_up:
            threading.Thread(target=warm_up, args=(runner.analyzers, backend), name=f"warm-up-{backend}",
                             daemon=True).start()
        consumer = LaneConsumer(
            queue.huey, runner, QueueControl(data_dir), workers=max(1, args.workers), periodic=False,
            initial_delay=POLL_INITIAL_S, max_delay=POLL_MAX_S, backoff=POLL_BACKOFF, worker_type="thread",
            check_worker_health=True, health_check_interval=5, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        log.info("consumer %s ready: queue %s, library %s", slot.worker_id, queue_description(data_dir),
                 library.engine.url.render_as_string(hide_password=True))
        consumer.run()
    finally:
        runner.stopping.set()
        if heartbeat.is_alive():
            heartbeat.stop()
        _hand_back_running(runner)
        set_runner(None)
        library.close()
        slot.release()
        if lifeline is not None:
            lifeline.finished()
        log.info("consumer %s stopped", slot.worker_id)
    return 0


def _hand_back_running(runner: JobRunner | None) -> None:
    """Running jobs go back to the queue for the next consumer (not counted as a crash)."""
    if runner is None:
        return
    for job_id in list(runner.active):
        try:
            runner.requeue(job_id, "waiting (the worker was stopped)", crashed=False)
        except Exception:  # the next consumer takes it back as a crashed job
            log.warning("job %s: could not hand it back to the queue", job_id, exc_info=True)


if __name__ == "__main__":
    sys.exit(main())
