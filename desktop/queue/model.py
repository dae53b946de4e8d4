"""The queue table's model over the latest ``QueueSnapshot``, plus the progress-bar delegate."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionProgressBar

from desktop.library.columns import BACKEND_LABELS
from desktop.queue.query import JobRow, QueueSnapshot, format_eta
from desktop.theme import STATE_COLORS
from worker.states import ACTIVE_STATES, JobState

JOB_ROLE = Qt.ItemDataRole.UserRole + 1
HEADERS = ("Track", "Backend", "Progress", "Stage", "ETA")
PROGRESS_COLUMN = 2
STATE_WORDS = {JobState.QUEUED: "waiting", JobState.RUNNING: "running", JobState.DONE: "done",
               JobState.FAILED: "failed", JobState.CANCELLED: "cancelled"}


def _stage_text(job: JobRow) -> str:
    if job.state == JobState.FAILED and job.error:
        return job.error
    if job.state == JobState.DONE:
        took = format_eta(job.elapsed_s)
        return f"finished in {took}" if took else "finished"
    if job.state == JobState.CANCELLED:
        return STATE_WORDS[JobState.CANCELLED]
    return job.stage


class QueueModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.snapshot = QueueSnapshot([], {})

    @property
    def jobs(self) -> list[JobRow]:
        return self.snapshot.rows

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.snapshot.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        job = self.snapshot.rows[index.row()]
        column = index.column()
        if role == JOB_ROLE:
            return job
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return job.title
            if column == 1:
                tasks = ", ".join(job.tasks) if job.tasks else "all tasks"
                return f"{BACKEND_LABELS.get(job.backend, job.backend)} · {tasks}"
            if column == 2:
                return STATE_WORDS.get(job.state, job.state)
            if column == 3:
                return _stage_text(job)
            if column == 4:
                # Only what is still to come has an ETA; how long a finished job took is in its stage.
                return format_eta(job.eta_s) if job.state in ACTIVE_STATES else ""
        if role == Qt.ItemDataRole.ForegroundRole and column in (2, 3) and JobState(job.state).retryable:
            return STATE_COLORS[job.state]
        if role == Qt.ItemDataRole.ToolTipRole:
            if job.error:
                return job.error
            if column == 3:
                return _stage_text(job)
        return None

    def set_snapshot(self, snapshot: QueueSnapshot) -> None:
        old_ids = [job.id for job in self.snapshot.rows]
        new_ids = [job.id for job in snapshot.rows]
        if old_ids == new_ids:
            self.snapshot = snapshot
            if new_ids:
                self.dataChanged.emit(self.index(0, 0), self.index(len(new_ids) - 1, len(HEADERS) - 1))
            return
        self.beginResetModel()
        self.snapshot = snapshot
        self.endResetModel()

    def row_of_job(self, job_id: int) -> int | None:
        for row, job in enumerate(self.snapshot.rows):
            if job.id == job_id:
                return row
        return None


class ProgressDelegate(QStyledItemDelegate):
    """A progress bar for a running job; the state word for the others."""

    def paint(self, painter, option, index: QModelIndex) -> None:
        job: JobRow | None = index.data(JOB_ROLE)
        if job is None or job.state != JobState.RUNNING:
            super().paint(painter, option, index)
            return
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        bar = QStyleOptionProgressBar()
        bar.rect = QRect(option.rect.adjusted(6, 5, -6, -5))
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(round(job.progress * 1000))
        bar.text = f"{job.progress * 100:.0f}%"
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)
