"""'Analyze with…': pick the backend and the tasks for the selected tracks."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QVBoxLayout,
)

from desktop.settings.backends import BackendInfo
from desktop.settings.store import SettingsStore


class AnalyzeDialog(QDialog):
    def __init__(self, track_count: int, backends: dict[str, BackendInfo], settings: SettingsStore,
                 parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Analyze")
        self.backends = backends
        self.settings = settings
        self.backend_combo = QComboBox(objectName="backendChoice")
        for info in backends.values():
            self.backend_combo.addItem(info.label if not info.unavailable else f"{info.label} (unavailable)", info.name)
        self.backend_combo.setCurrentIndex(max(0, self.backend_combo.findData(settings.default_backend)))
        self.backend_combo.currentIndexChanged.connect(self._show_tasks)
        self.reason = QLabel("", objectName="errorText")
        self.reason.setWordWrap(True)
        self.tasks_box = QGroupBox("Tasks")
        self.tasks_grid = QGridLayout(self.tasks_box)
        self.task_boxes: dict[str, QCheckBox] = {}
        self.force_box = QCheckBox("Run again even where a stored result exists")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            f"Analyze {track_count} track{'s' if track_count != 1 else ''}")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setObjectName("primary")
        for button in self.buttons.buttons():
            button.setIcon(QIcon())
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Backend", self.backend_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.reason)
        layout.addWidget(self.tasks_box)
        layout.addWidget(self.force_box)
        layout.addWidget(self.buttons)
        self._show_tasks()

    def _show_tasks(self, *_args) -> None:
        while self.tasks_grid.count():
            widget = self.tasks_grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        info = self.backends[self.backend()]
        defaults = set(self.settings.default_tasks(info.name)) or set(info.tasks)
        self.task_boxes = {}
        for i, task in enumerate(info.tasks):
            box = QCheckBox(task)
            box.setChecked(task in defaults)
            self.task_boxes[task] = box
            self.tasks_grid.addWidget(box, i // 3, i % 3)
        self.reason.setText(info.unavailable)
        self.reason.setVisible(bool(info.unavailable))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not info.unavailable)

    def backend(self) -> str:
        return self.backend_combo.currentData()

    def tasks(self) -> list[str]:
        chosen = [task for task, box in self.task_boxes.items() if box.isChecked()]
        return [] if len(chosen) == len(self.task_boxes) else chosen

    def force(self) -> bool:
        return self.force_box.isChecked()
