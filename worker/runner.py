"""Running one job inside a consumer: claim it, compute outside any transaction, store it all at the end.

The analysis result and nothing else is written in ``Library.save_analysis``'s
one short transaction; a job that fails or is cancelled never gets there, so it
leaves nothing behind. A stored result with the same cache key answers the job
without computing (unless the job is forced), which also makes a job that is run
again after a crash between "saved" and "done" cost nothing and duplicate nothing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any

from moss_music.analysis import AnalysisCancelled, get_analyzer_class
from moss_music.analysis.pipeline import GpuOutOfMemory, TrackNotAnalysable, TrackResult, analyze_track
from moss_music.audio import AudioError
from moss_music.library import Library, Track, TrackNotFound
from moss_music.library.schema import Job
from moss_music.paths import DataDir
from moss_music.storage import describe_storage_error
from worker import jobs
from worker.app import LaneQueue
from worker.backoff import STORAGE
from worker.jobs import JobState
from worker.settings import analyzer_options

log = logging.getLogger("worker.runner")


FINISH_PATIENCE_S = 300.0
"""How long a finished job's outcome is retried on a full disk before the consumer leaves it to a later sweep."""
FINISH_RETRY_MAX_S = 5.0


class JobFailed(Exception):
    """A job that cannot succeed, with the reason a user can act on."""


class AnalyzerCache:
    """Analyzers built once per process and kept, so the GPU lane loads its model once."""

    def __init__(self, data_dir: DataDir) -> None:
        self.data_dir = data_dir
        self._analyzers: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def get(self, backend: str, job_options: dict[str, Any]) -> Any:
        options = {**analyzer_options(self.data_dir, backend), **job_options}
        key = (backend, json.dumps(options, sort_keys=True, default=str))
        with self._lock:
            if key not in self._analyzers:
                try:
                    analyzer_class = get_analyzer_class(backend)
                    self._analyzers[key] = analyzer_class.from_options(options)
                except (ValueError, OSError, ImportError) as error:
                    raise JobFailed(f"cannot start the {backend} backend: {error}") from error
            return self._analyzers[key]


def warm_up(analyzers: AnalyzerCache, backend: str, seconds: float = 1.0) -> None:
    """Build ``backend`` and analyse a second of silence, so the first real job pays no import or set-up cost."""
    import numpy as np

    from moss_music.audio import AudioData

    started = time.perf_counter()
    try:
        analyzer = analyzers.get(backend, {})
        rate = getattr(type(analyzer), "sample_rate", None) or 22_050
        analyzer.analyze(AudioData(np.zeros(int(rate * seconds), dtype=np.float32), rate), list(type(analyzer).tasks))
    except Exception:  # only a head start; the first job reports real problems
        log.warning("warming up the %s backend failed", backend, exc_info=True)
        return
    log.info("%s backend warmed up in %.2fs", backend, time.perf_counter() - started)


class JobRunner:
    """Runs jobs for one consumer process; ``active`` is what the heartbeat keeps leased."""

    def __init__(self, library: Library, queue: LaneQueue, data_dir: DataDir, worker_id: str) -> None:
        self.library, self.queue, self.data_dir, self.worker_id = library, queue, data_dir, worker_id
        self.analyzers = AnalyzerCache(data_dir)
        self.active: dict[int, ActiveJob] = {}
        self.stopping = threading.Event()
        """Set when the consumer shuts down: running analyses stop at their next check and are requeued."""

    def run(self, job_id: int, task_id: str) -> None:
        if self.stopping.is_set():
            self._hand_back(job_id, task_id)
            return
        if not jobs.claim(self.library, job_id, task_id, self.worker_id):
            log.info("job %s: not claimed (cancelled, taken or re-dispatched); skipping task %s", job_id, task_id)
            return
        active = self.active[job_id] = ActiveJob(job_id)
        try:
            self._run_claimed(job_id, _JobWatch(self, active))
        finally:
            self.active.pop(job_id, None)

    def _hand_back(self, job_id: int, task_id: str) -> None:
        """A task taken from the queue while stopping: give its job a fresh task for the next consumer."""
        with self.library.session() as session:
            job = session.get(Job, job_id)
        if job is not None and job.state == JobState.QUEUED and job.huey_task_id == task_id:
            dispatch(self.library, self.queue, job_id, job.priority)
            log.info("job %s: handed back to the queue, worker stopping", job_id)

    def _run_claimed(self, job_id: int, watcher: _JobWatch) -> None:
        started = time.perf_counter()
        analysis_id, error = None, None
        try:
            result = self._execute(job_id, watcher)
            state, analysis_id, stage = JobState.DONE, result.analysis_id, f"done{result.note}"
            if not result.cached:
                STORAGE.succeeded()
        except AnalysisCancelled:
            if not watcher.user_cancelled(refresh=True) and self.stopping.is_set():
                self.requeue(job_id, "waiting (the worker was stopped)", crashed=False)
                log.info("job %s: requeued, worker stopping", job_id)
                return
            state, stage = JobState.CANCELLED, JobState.CANCELLED.value
        except (JobFailed, TrackNotAnalysable, GpuOutOfMemory) as failure:
            state, stage, error = JobState.FAILED, JobState.FAILED.value, str(failure)
        except Exception as failure:  # noqa: BLE001 - a job's failure must never take the consumer down
            problem = describe_storage_error(failure, self.data_dir.root)
            state, stage = JobState.FAILED, JobState.FAILED.value
            if problem is not None:  # full or read-only disk: the job fails, the consumer waits (one log line)
                error = f"the result could not be stored: {problem}"
                STORAGE.failed(problem)
            else:
                error = f"unexpected error: {type(failure).__name__}: {failure}"
                log.error("job %s failed:\n%s", job_id, "".join(traceback.format_exception(failure)))
        finished = self._finish(job_id, state, analysis_id=analysis_id, stage=stage, error=error)
        log.info("job %s: %s in %.2fs%s", job_id, state, time.perf_counter() - started,
                 "" if finished else " (taken back meanwhile: outcome dropped)")

    def _finish(self, job_id: int, state: JobState, **outcome) -> bool:
        """Record the outcome. While the disk cannot be written keep trying (paced by the backoff) rather than
        leave the job 'running'; a consumer that stops meanwhile leaves it to the next one's sweep."""
        deadline = time.monotonic() + FINISH_PATIENCE_S
        while True:
            try:
                recorded = jobs.finish(self.library, job_id, self.worker_id, state, **outcome)
            except Exception as error:
                problem = describe_storage_error(error, self.data_dir.root)
                if problem is None:
                    raise
                STORAGE.failed(problem, f"cannot record the outcome of job {job_id}")
                if time.monotonic() >= deadline or self.stopping.wait(min(FINISH_RETRY_MAX_S,
                                                                          max(0.2, STORAGE.remaining()))):
                    log.error("job %s: outcome (%s) not recorded: %s", job_id, state, problem)
                    return False
            else:
                if STORAGE.problem and state != JobState.FAILED:
                    STORAGE.succeeded()
                return recorded

    def _execute(self, job_id: int, watcher: _JobWatch) -> TrackResult:
        job, track = self._load(job_id)
        analyzer = self.analyzers.get(job.backend, json.loads(job.options_json or "{}"))
        try:
            return analyze_track(self.library, analyzer, track, json.loads(job.tasks_json or "[]"),
                                 params=json.loads(job.params_json or "{}"), force=job.force,
                                 progress=watcher.progress, should_cancel=watcher.should_cancel,
                                 cancel_before_save=lambda: watcher.user_cancelled(refresh=True))
        except AudioError as error:
            raise JobFailed(f"cannot read the audio file {track.path}: {error.reason}") from error
        except TrackNotFound as error:
            raise JobFailed(str(error)) from error

    def _load(self, job_id: int) -> tuple[Job, Track]:
        with self.library.session() as session:
            job = session.get(Job, job_id)
            track = session.get(Track, job.track_id) if job is not None and job.track_id else None
        if job is None or track is None:
            raise JobFailed("the track was removed from the library")
        return job, track

    def requeue(self, job_id: int, stage: str, *, crashed: bool, worker_id: str | None = None) -> bool:
        """Give a running job back to the queue with a fresh Huey task."""
        job = jobs.release(self.library, job_id, worker_id or self.worker_id, stage, crashed=crashed)
        if job is None:
            return False
        dispatch(self.library, self.queue, job_id, job.priority)
        return True


def dispatch(library: Library, queue: LaneQueue, job_id: int, priority: int) -> str | None:
    """Give a queued job a new Huey task: id into the row first, then enqueue (see ``jobs.claim``)."""
    task = queue.new_task(job_id, priority)
    if not jobs.set_task_id(library, job_id, task.id):
        return None
    queue.enqueue(task)
    return task.id


@dataclass
class ActiveJob:
    """What the heartbeat thread writes for a running job (progress) and reads back (the cancel flag)."""

    job_id: int
    fraction: float = 0.0
    stage: str = "starting"
    unsaved: bool = False
    cancel_requested: bool = False


class _JobWatch:
    """The progress and cancel callbacks handed to an analyzer: memory only, so they cost nothing per call.

    The heartbeat thread writes the latest progress and reads the cancel flag twice a second.
    """

    def __init__(self, runner: JobRunner, active: ActiveJob) -> None:
        self.runner, self.active = runner, active

    def progress(self, fraction: float, stage: str) -> None:
        self.active.fraction, self.active.stage, self.active.unsaved = fraction, stage, True

    def user_cancelled(self, refresh: bool = False) -> bool:
        if refresh and not self.active.cancel_requested:
            self.active.cancel_requested = jobs.cancel_requested(self.runner.library, self.active.job_id)
        return self.active.cancel_requested

    def should_cancel(self) -> bool:
        return self.runner.stopping.is_set() or self.active.cancel_requested
