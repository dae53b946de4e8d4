"""'Ask about this track': queue a free question to the model backend and report the answer.

The question becomes a normal analysis job (backend ``moss``, task ``ask``,
high priority) through ``worker.client``; this service then polls that job
row off the UI thread and reports progress, the answer or the failure
through signals.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.track_view.threads import GuardedEmitter
from moss_music.library import Analysis, Job, Library
from moss_music.library.store import annotations_of
from worker.states import FINISHED_STATES, JobState

ASK_PRIORITY = 10
ASK_BACKENDS = ("moss", "server")
"""Backends that answer free questions, in the order tried: a local model first, else a server."""
NO_MODEL = "Asking needs MOSS-Music: set a model folder or a model server in Settings → Model."


def ask_backend(data_dir) -> tuple[str | None, str]:
    """(backend that answers questions, '') or (None, why not): the first of ``ASK_BACKENDS`` that can run now.

    The registry's ``backend_unavailable_reason`` decides, as it does for Settings and the queue.
    """
    from moss_music.analysis import backend_unavailable_reason
    from moss_music.paths import DataDir
    from moss_music.settings import read_settings

    settings = read_settings(data_dir or DataDir.resolve())
    for name in ASK_BACKENDS:
        if not backend_unavailable_reason(name, settings):
            return name, ""
    return None, NO_MODEL


class AskService(GuardedEmitter, QObject):
    queued = Signal(int, str)
    """(job id, question)"""
    progressed = Signal(int, str)
    """(job id, state or stage text)"""
    answered = Signal(int, str, str, str)
    """(job id, question, answer, reasoning)"""
    failed = Signal(int, str, str)
    """(job id or -1, question, reason)"""

    def __init__(self, library: Library, track_id: int, data_dir=None, poll_ms: int = 1000, parent=None) -> None:
        super().__init__(parent)
        self.library = library
        self.track_id = track_id
        self.data_dir = data_dir
        self.pending: dict[int, str] = {}
        self._init_guard()
        self.backend, self.unavailable = ask_backend(data_dir)
        self._last_state: dict[int, str] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="track-view-ask")
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self.poll)

    def ask(self, question: str) -> None:
        question = " ".join(question.split())
        if not question:
            self.emit_safely("failed", -1, question, "Type a question first.")
            return
        if self.backend is None:
            self.emit_safely("failed", -1, question, self.unavailable)
            return
        self._executor.submit(self._enqueue, question)

    def _enqueue(self, question: str) -> None:
        from worker.client import enqueue_analysis

        try:
            ids = enqueue_analysis(self.library, [self.track_id], backend=self.backend, tasks=["ask"],
                                   params={"question": question}, priority=ASK_PRIORITY, data_dir=self.data_dir)
        except Exception as error:  # noqa: BLE001 - shown next to the question
            self.emit_safely("failed", -1, question, f"Could not queue the question: {error}")
            return
        for job_id in ids:
            self.pending[job_id] = question
            self.emit_safely("queued", job_id, question)
        QTimer.singleShot(0, self, self._ensure_polling)

    def _ensure_polling(self) -> None:
        if self.pending and not self._timer.isActive():
            self._timer.start()

    def poll(self) -> None:
        if not self.pending:
            self._timer.stop()
            return
        self._executor.submit(self._check, dict(self.pending))

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Let queued enqueue/poll work finish (tests)."""
        self._executor.submit(lambda: None).result(timeout)

    def _check(self, pending: dict[int, str]) -> None:
        for job_id, question in pending.items():
            with self.library.session() as session:
                job = session.get(Job, job_id)
                if job is None:
                    self.pending.pop(job_id, None)
                    self.emit_safely("failed", job_id, question, "The job was removed from the queue.")
                    continue
                state, stage, error = job.state, job.stage or "", job.error or ""
                analysis = session.get(Analysis, job.analysis_id) if job.analysis_id else None
                answers = annotations_of(analysis).answers if analysis is not None else []
            if state not in FINISHED_STATES:
                text = stage or state
                if self._last_state.get(job_id) != text:
                    self._last_state[job_id] = text
                    self.emit_safely("progressed", job_id, text)
                continue
            self.pending.pop(job_id, None)
            if state != JobState.DONE:
                self.emit_safely("failed", job_id, question, error or f"The job was {state}.")
                continue
            if not answers:
                answers = self.library.machine_annotations(self.track_id, self.backend).answers
            match = next((a for a in reversed(answers) if a.question.strip() == question), None)
            if match is None and answers:
                match = answers[-1]
            if match is None:
                self.emit_safely("failed", job_id, question, "The model finished without an answer.")
            else:
                self.emit_safely("answered", job_id, question, match.answer, match.reasoning)

    def close(self) -> None:
        self.close_signals()
        self._timer.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)
