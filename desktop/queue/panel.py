"""The queue panel: running and waiting jobs with progress, stage and ETA, and the queue controls.

Every control calls ``worker.client`` on a pool thread; the panel then simply
waits for the change watcher to report the new state of the jobs table, so what
it shows is always what the DB says, whoever changed it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.queue.model import JOB_ROLE, PROGRESS_COLUMN, STATE_WORDS, ProgressDelegate, QueueModel
from desktop.queue.query import LANE_WORDS, QueueSnapshot, fetch_queue
from desktop.services import BackgroundRunner, describe_error
from moss_music.paths import DataDir
from worker.states import ACTIVE_STATES, FINISHED_STATES, JobState

TICK_MS = 1000
"""While jobs run, ETAs and elapsed times are recomputed this often even if no row changed."""
EMPTY_HINT = "The queue is empty. To analyse tracks, select them, right-click and choose Analyze with → DSP."
EMPTY_HINT_AUTO = ("The queue is empty. New files are analysed with DSP as they are added; for others, "
                   "right-click tracks and choose Analyze with.")


class QueuePanel(QWidget):
    snapshot_changed = Signal(object)
    """The newest ``QueueSnapshot`` (the status bar and tests listen)."""
    message = Signal(str)

    def __init__(self, library, data_dir: DataDir, runner: BackgroundRunner, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("queuePanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.library = library
        self.data_dir = data_dir
        self.runner = runner
        self.paused = False
        self.auto_analyze = True
        """Whether new files are analysed as they are added (only changes the empty queue's hint)."""
        self.live_lanes: frozenset[str] | None = None
        """Lanes a consumer serves now (from the status bar's poll); None until known."""
        self._loading = False
        self._again = False

        self.model = QueueModel(self)
        self.table = QTableView(objectName="queueTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        for column, width in enumerate((260, 200, 150, 300, 80)):
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setItemDelegateForColumn(PROGRESS_COLUMN, ProgressDelegate(self.table))
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        self.summary = QLabel(EMPTY_HINT_AUTO, objectName="queueSummary")
        self.summary.setWordWrap(True)
        self.summary.setMinimumWidth(200)
        self.cancel_button = QPushButton("Cancel", objectName="cancelJobs")
        self.retry_button = QPushButton("Retry", objectName="retryJobs")
        self.clear_button = QPushButton("Clear finished", objectName="clearFinished")
        self.pause_button = QPushButton("Pause queue", objectName="pauseQueue")
        self.pause_button.setCheckable(True)
        self.cancel_button.setToolTip("Stop the selected waiting or running jobs; nothing partial is kept")
        self.retry_button.setToolTip("Queue the selected failed or cancelled jobs again")
        self.clear_button.setToolTip("Remove finished, failed and cancelled jobs from the list")
        self.pause_button.setToolTip("Running jobs finish; waiting jobs stay queued until you resume")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.retry_button.clicked.connect(self.retry_selected)
        self.clear_button.clicked.connect(self.clear_finished)
        self.pause_button.clicked.connect(self._toggle_pause)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(10, 8, 10, 4)
        buttons.addWidget(self.summary, 1)
        for button in (self.cancel_button, self.retry_button, self.clear_button, self.pause_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(buttons)
        layout.addWidget(self.table)

        self.tick = QTimer(self, interval=TICK_MS)
        self.tick.timeout.connect(self.refresh)
        self._update_buttons()

    # -- reading -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the queue in the background; calls made while one read runs collapse into one more."""
        if self._loading:
            self._again = True
            return
        self._loading = True
        library, data_dir, live = self.library, self.data_dir, self.live_lanes

        def work():
            with library.session() as session:
                snapshot = fetch_queue(session, live_lanes=live)
            return snapshot, _queue_paused(data_dir)

        self.runner.submit(work, self._loaded, self._load_failed)

    def _load_failed(self, error: BaseException) -> None:
        self._loading = False
        self.message.emit(f"Could not read the queue: {describe_error(error)}")

    def _loaded(self, result: tuple[QueueSnapshot, bool | None]) -> None:
        self._loading = False
        snapshot, paused = result
        selected = set(self.selected_job_ids())
        self.model.set_snapshot(snapshot)
        self._reselect(selected)
        if paused is not None:
            self.paused = paused
        self._show_summary(snapshot)
        if any(snapshot.counts.get(state) for state in ACTIVE_STATES):
            if not self.tick.isActive():
                self.tick.start()
        else:
            self.tick.stop()
        self._update_buttons()
        self.snapshot_changed.emit(snapshot)
        if self._again:
            self._again = False
            self.refresh()

    def _show_summary(self, snapshot: QueueSnapshot) -> None:
        counts = snapshot.counts
        parts = []
        for state in (JobState.RUNNING, JobState.QUEUED, JobState.FAILED, JobState.DONE, JobState.CANCELLED):
            word = STATE_WORDS[state]
            if counts.get(state):
                parts.append(f"{counts[state]:,} {word}")
        hint = EMPTY_HINT_AUTO if self.auto_analyze else EMPTY_HINT
        text = " · ".join(parts) if parts else hint
        for lane in snapshot.unserved_lanes:
            text += f" — no {LANE_WORDS.get(lane, lane)} worker is running, so they wait"
        if self.paused:
            text = "Paused — " + text
        self.summary.setText(text)
        self.pause_button.setChecked(self.paused)
        self.pause_button.setText("Resume queue" if self.paused else "Pause queue")

    def _reselect(self, job_ids: set[int]) -> None:
        if not job_ids:
            return
        selection = self.table.selectionModel()
        for job_id in job_ids:
            row = self.model.row_of_job(job_id)
            if row is not None:
                selection.select(self.model.index(row, 0),
                                 selection.SelectionFlag.Select | selection.SelectionFlag.Rows)

    def selected_job_ids(self) -> list[int]:
        return [index.data(JOB_ROLE).id for index in self.table.selectionModel().selectedRows()]

    def _selected_jobs(self):
        return [index.data(JOB_ROLE) for index in self.table.selectionModel().selectedRows()]

    def _update_buttons(self, *_args) -> None:
        jobs = self._selected_jobs()
        self.cancel_button.setEnabled(any(job.state in ACTIVE_STATES for job in jobs))
        self.retry_button.setEnabled(any(JobState(job.state).retryable for job in jobs))
        counts = self.model.snapshot.counts
        self.clear_button.setEnabled(any(counts.get(s) for s in FINISHED_STATES))

    def set_live_lanes(self, lanes: dict[str, bool]) -> None:
        """The status bar's newest lane poll; re-read the queue when it changes what waiting jobs say."""
        live = frozenset(lane for lane, up in lanes.items() if up)
        if live != self.live_lanes:
            self.live_lanes = live
            self.refresh()

    # -- controls ------------------------------------------------------------------------

    def cancel_selected(self) -> None:
        ids = [job.id for job in self._selected_jobs() if job.state in ACTIVE_STATES]
        self.cancel_jobs(ids)

    def cancel_jobs(self, ids: list[int]) -> None:
        if not ids:
            return
        from worker import client

        library = self.library
        self._run(lambda: [client.cancel_job(library, job_id) for job_id in ids],
                  f"Cancelling {len(ids)} job(s)…")

    def retry_selected(self) -> None:
        from worker import client

        ids = [job.id for job in self._selected_jobs() if JobState(job.state).retryable]
        if ids:
            library = self.library
            self._run(lambda: [client.retry_job(library, job_id) for job_id in ids], f"Retrying {len(ids)} job(s)…")

    def clear_finished(self) -> None:
        from worker import client

        library = self.library
        self._run(lambda: client.clear_finished(library), "Cleared finished jobs")

    def _toggle_pause(self) -> None:
        from worker import client

        data_dir = self.data_dir
        if self.paused:
            self._run(lambda: client.resume_queue(data_dir), "Queue resumed")
        else:
            self._run(lambda: client.pause_queue(data_dir), "Queue paused: running jobs finish, the rest wait")

    def _run(self, fn, message: str) -> None:
        def done(_result) -> None:
            self.message.emit(message)
            self.refresh()

        def failed(error: BaseException) -> None:
            self.message.emit(f"Queue action failed: {describe_error(error)}")
            self.refresh()

        self.runner.submit(fn, done, failed)


def _queue_paused(data_dir: DataDir) -> bool | None:
    """Whether the queue is paused; None when the queue storage cannot be asked (shown as unknown)."""
    try:
        from worker import client

        return bool(client.is_paused(data_dir))
    except Exception:  # noqa: BLE001 - a missing/locked queue must not break the panel
        return None
