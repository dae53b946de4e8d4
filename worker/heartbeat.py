"""The consumer's background duties: keep its leases fresh and take back jobs of consumers that died.

One thread per consumer process, so a long analysis (which holds no lock and
writes nothing until it ends) still shows the world it is alive.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from moss_music.library.schema import utcnow
from moss_music.storage import describe_storage_error
from worker import jobs, slots
from worker.backoff import STORAGE
from worker.runner import JobRunner, dispatch

log = logging.getLogger("worker.heartbeat")

SWEEP_S = 3.0
RECONCILE_S = 10.0
"""How often a consumer looks for queued jobs without a queue task (a consumer killed between taking the task
and claiming the job loses it); a second dispatch is harmless because claiming a job is a conditional update."""
LOST_AFTER = timedelta(seconds=10)
WARN_EVERY_S = 60.0


def recover_stale_jobs(runner: JobRunner, lease: timedelta = timedelta(seconds=slots.STALE_AFTER_S)) -> list[int]:
    """Requeue running jobs of this lane whose consumer is dead (or silent past the lease)."""
    alive = slots.liveness(runner.data_dir)

    def is_alive(worker_id: str) -> bool | None:
        return True if worker_id == runner.worker_id else alive(worker_id)

    requeued = []
    for job_id, worker_id in jobs.stale_jobs(runner.library, [runner.queue.lane], is_alive, lease):
        if worker_id == runner.worker_id:
            continue
        if runner.requeue(job_id, "waiting (its worker stopped unexpectedly)", crashed=True, worker_id=worker_id):
            log.warning("job %s: worker %s is gone; requeued", job_id, worker_id)
            requeued.append(job_id)
        else:
            log.warning("job %s: worker %s is gone; not requeued (cancelled, or failed after repeated crashes)",
                        job_id, worker_id)
    return requeued


def redispatch_lost_jobs(runner: JobRunner, older_than: datetime | None = None) -> list[int]:
    """Queued jobs whose Huey task never made it into the queue get a new one."""
    cutoff = older_than or utcnow() - LOST_AFTER
    lost = jobs.lost_jobs(runner.library, runner.queue.lane, runner.queue.pending_task_ids(), cutoff)
    for job in lost:
        dispatch(runner.library, runner.queue, job.id, job.priority)
        log.warning("job %s: its queue task was missing; dispatched again", job.id)
    return [job.id for job in lost]


class Heartbeat(threading.Thread):
    def __init__(self, runner: JobRunner, slot: slots.ConsumerSlot) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.runner, self.slot = runner, slot
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)

    def beat(self) -> bool:
        """Write running jobs' progress and lease; True when there was something to write."""
        active = list(self.runner.active.values())
        news = {}
        for job in active:
            news[job.job_id] = (job.fraction, job.stage) if job.unsaved else None
            job.unsaved = False
        for job_id in jobs.beat(self.runner.library, self.runner.worker_id, news):
            if job_id in self.runner.active:
                self.runner.active[job_id].cancel_requested = True
        return bool(active)

    def run(self) -> None:
        next_sweep = time.monotonic() + SWEEP_S
        next_reconcile = time.monotonic() + min(RECONCILE_S, LOST_AFTER.total_seconds() + SWEEP_S)
        last_warning = -WARN_EVERY_S
        while not self._stop_event.wait(slots.HEARTBEAT_S):
            try:
                self.slot.touch()
                if self.beat() and STORAGE.problem:
                    STORAGE.succeeded()
                now = time.monotonic()
                if now >= next_sweep:
                    next_sweep = now + SWEEP_S
                    recover_stale_jobs(self.runner)
                if now >= next_reconcile:
                    next_reconcile = now + RECONCILE_S
                    redispatch_lost_jobs(self.runner)
            except Exception as error:  # keep beating through a busy database or a Redis hiccup
                problem = describe_storage_error(error, self.runner.data_dir.root)
                if problem is not None:
                    STORAGE.failed(problem, "cannot record progress")
                elif time.monotonic() - last_warning >= WARN_EVERY_S:
                    last_warning = time.monotonic()
                    log.warning("heartbeat round failed (repeats are not logged for a minute)", exc_info=True)
