"""Queueing analyses from the app: which backends can run, enqueueing, automatic analysis of new files,
the local consumers, and announcing finished jobs.

The window asks; this controller talks to ``worker.client`` on pool threads and
reports back through signals. A backend that cannot run (no model folder, no
server URL) is refused with the reason before anything is queued, so no job can
wait for ever on a lane that no consumer will ever serve.
"""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import QObject, Signal

from desktop.events import announce_finished
from desktop.library import query as library_query
from desktop.library.columns import BACKEND_LABELS
from desktop.queue import query as queue_query
from desktop.services import BackgroundRunner, describe_error
from desktop.settings.backends import BackendInfo, describe_backends
from desktop.settings.store import SettingsStore
from moss_music.paths import DataDir

log = logging.getLogger(__name__)

AUTO_BACKEND = "dsp"
"""New files are analysed with the backend that needs no model, GPU or network."""


class AnalysisController(QObject):
    backends_changed = Signal(dict)
    """name -> ``BackendInfo`` (with the reason a backend cannot run)."""
    enqueued = Signal(list)
    """Job ids just queued (by the user or automatically)."""
    workers_started = Signal()
    message = Signal(str)

    def __init__(self, library, data_dir: DataDir, settings: SettingsStore, runner: BackgroundRunner,
                 parent: QObject | None = None, start_workers: bool = True) -> None:
        super().__init__(parent)
        self.library = library
        self.data_dir = data_dir
        self.settings = settings
        self.runner = runner
        self.start_workers = start_workers
        """False under ``--no-workers`` (and in tests): jobs are queued for consumers started elsewhere."""
        self.backends: dict[str, BackendInfo] = {}
        self.launchers: list = []
        self._finished_mark: datetime | None = None
        self._mark_known = False
        self._polling_finished = False
        self._poll_again = False

    # -- backends ------------------------------------------------------------------------------

    def refresh_backends(self) -> None:
        settings = self.settings
        self.runner.submit(lambda: describe_backends(settings), self._backends_known)

    def _backends_known(self, backends: dict[str, BackendInfo]) -> None:
        self.backends = backends
        self.backends_changed.emit(backends)

    def unavailable(self, backend: str) -> str:
        """Why ``backend`` cannot run now ('' when it can, or while the backends are still being looked up)."""
        info = self.backends.get(backend)
        return info.unavailable if info is not None else ""

    # -- enqueueing ----------------------------------------------------------------------------

    def enqueue(self, ids: list[int], backend: str, tasks: list[str] | None = None, force: bool = False,
                quiet: bool = False) -> None:
        info = self.backends.get(backend)
        if info is not None and info.unavailable:
            self.message.emit(f"{info.label} cannot run: {info.unavailable}")
            return
        tasks = tasks if tasks is not None else self.settings.default_tasks(backend)
        library, data_dir = self.library, self.data_dir

        def work():
            from worker import client

            return client.enqueue_analysis(library, ids, backend=backend, tasks=tasks or None, force=force,
                                           data_dir=data_dir)

        def done(job_ids: list[int]) -> None:
            label = BACKEND_LABELS.get(backend, backend)
            if not quiet:
                self.message.emit(f"Queued {len(job_ids)} track(s) for {label} analysis")
            self.enqueued.emit(job_ids)
            self.ensure_workers()

        self.runner.submit(work, done,
                           lambda e: self.message.emit(f"Could not queue the analysis: {describe_error(e)}"))

    def analyze_new(self, paths: list[str], since: datetime | None = None) -> None:
        """Queue DSP analysis for the files a scan of ``paths`` added or changed (``since`` it started)."""
        if not self.settings.auto_analyze:
            return
        library = self.library

        def work():
            with library.session() as session:
                return library_query.tracks_to_analyze(session, paths, AUTO_BACKEND, since)

        def found(ids: list[int]) -> None:
            if ids:
                self.message.emit(f"Analysing {len(ids):,} new track(s) with DSP — see the queue below")
                self.enqueue(ids, AUTO_BACKEND, quiet=True)

        self.runner.submit(work, found, lambda e: self.message.emit(
            f"Could not queue the new files for analysis: {describe_error(e)}"))

    # -- workers -------------------------------------------------------------------------------

    def worker_lanes(self) -> tuple[str, ...]:
        return ("cpu", "gpu") if self.settings.model_dir else ("cpu",)

    def ensure_workers(self) -> None:
        """Start local consumers for lanes nobody serves (in the background: starting waits for them).

        Does nothing unless ``start_workers`` (the app sets it; ``--no-workers`` and tests leave it off).
        """
        if not self.start_workers:
            return
        from worker.launcher import ConsumerLauncher

        launcher = ConsumerLauncher(self.data_dir, lanes=self.worker_lanes(), cpu_workers=1)

        def done(started: bool) -> None:
            if started:
                self.launchers.append(launcher)
                self.message.emit("Started the analysis workers")
                self.workers_started.emit()

        self.runner.submit(launcher.ensure_running, done,
                           lambda e: self.message.emit(f"Could not start the analysis workers: {e}"))

    def stop_workers(self) -> None:
        """Stop only the consumers this app started (a `moss-music worker` in a terminal keeps running)."""
        for launcher in self.launchers:
            try:
                launcher.stop()
            except Exception as error:  # noqa: BLE001 - shutting down: log and go on
                log.warning("stopping workers: %s", error)
        self.launchers.clear()

    # -- finished jobs ---------------------------------------------------------------------------

    def poll_finished(self) -> None:
        """Announce jobs that finished since the last poll on the app's event hub (the first poll sets the mark)."""
        if self._polling_finished:
            self._poll_again = True
            return
        self._polling_finished = True
        library, mark, known = self.library, self._finished_mark, self._mark_known

        def work():
            with library.session() as session:
                if not known:
                    return queue_query.latest_finished_at(session), []
                jobs = queue_query.finished_jobs_since(session, mark)
                return (jobs[-1].finished_at if jobs else mark), jobs

        def done(result) -> None:
            self._polling_finished = False
            self._finished_mark, jobs = result
            self._mark_known = True
            announce_finished(jobs)
            if self._poll_again:
                self._poll_again = False
                self.poll_finished()

        def failed(_error: BaseException) -> None:
            self._polling_finished = False

        self.runner.submit(work, done, failed)
