"""The Settings dialog: library folders, analysis defaults, model, export defaults, data directory.

Folder changes go through the main window (it owns scanning); everything else is
written to the ``SettingsStore`` when the user presses Save. The model folder is
validated in the background as soon as it is chosen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.library.columns import BACKEND_LABELS
from desktop.services import BackgroundRunner
from desktop.settings.backends import BackendInfo, describe_backends
from desktop.settings.checkpoint import CheckpointSummary, summarize_checkpoint
from desktop.settings.location import chosen_data_dir, remember_data_dir
from desktop.settings.store import DEVICES, QUANTIZATIONS, SettingsStore
from moss_music.export.registry import FORMATS as EXPORT_FORMATS
from moss_music.export.registry import WRITERS
from moss_music.paths import DataDir

FOLDER_ROLE = Qt.ItemDataRole.UserRole + 1


class SettingsDialog(QDialog):
    add_folder_requested = Signal(str)
    remove_folder_requested = Signal(int)
    rescan_requested = Signal()
    get_model_requested = Signal()
    saved = Signal()

    def __init__(self, settings: SettingsStore, data_dir: DataDir, runner: BackgroundRunner,
                 folders: list[tuple[int, str, int]], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self.resize(760, 560)
        self.settings = settings
        self.data_dir = data_dir
        self.runner = runner
        self._task_boxes: dict[str, dict[str, QCheckBox]] = {}
        self._validated_folder: str | None = None
        self.checkpoint: CheckpointSummary | None = None

        self.tabs = QTabWidget()
        self.tabs.addTab(self._library_tab(folders), "Library")
        self.tabs.addTab(self._analysis_tab(), "Analysis")
        self.tabs.addTab(self._model_tab(), "Model")
        self.tabs.addTab(self._export_tab(), "Export")
        self.tabs.addTab(self._data_tab(), "Data")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setObjectName("primary")
        for button in buttons.buttons():
            button.setIcon(QIcon())  # the platform's floppy/cross icons clash with the theme
        buttons.accepted.connect(self.save_and_close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)

        self.runner.submit(lambda: describe_backends(settings), self._backends_known)
        if self.model_edit.text():
            self.validate_model_folder()

    # -- tabs ------------------------------------------------------------------------------

    def _library_tab(self, folders) -> QWidget:
        page = QWidget()
        self.folder_list = QListWidget(objectName="folderList")
        self.set_folders(folders)
        add = QPushButton("Add folder…", objectName="addFolder")
        add.clicked.connect(self._pick_folder)
        self.remove_button = QPushButton("Remove", objectName="removeFolder")
        self.remove_button.clicked.connect(self._remove_folder)
        rescan = QPushButton("Rescan all", objectName="rescanFolders")
        rescan.clicked.connect(self.rescan_requested)
        self.watch_box = QCheckBox("Watch these folders and pick up new or changed files while the app runs")
        self.watch_box.setChecked(bool(self.settings.get("library.watch", True)))
        self.auto_box = QCheckBox("Analyse new files automatically (DSP on the CPU: beats, tempo, key, chords, "
                                  "sections)", objectName="autoAnalyse")
        self.auto_box.setToolTip("Files that Add folder, a rescan or the folder watch finds are queued for the "
                                 "DSP analyzer at once; the model backends are only ever run when you ask")
        self.auto_box.setChecked(self.settings.auto_analyze)
        hint = QLabel("Removing a folder keeps its tracks' analyses; files are never deleted.", objectName="hint")
        hint.setWordWrap(True)
        buttons = QVBoxLayout()
        for button in (add, self.remove_button, rescan):
            buttons.addWidget(button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.folder_list, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.watch_box)
        layout.addWidget(self.auto_box)
        layout.addWidget(hint)
        return page

    def _analysis_tab(self) -> QWidget:
        page = QWidget()
        self.backend_combo = QComboBox(objectName="defaultBackend")
        for name, label in BACKEND_LABELS.items():
            self.backend_combo.addItem(label, name)
        self.backend_combo.setCurrentIndex(max(0, self.backend_combo.findData(self.settings.default_backend)))
        self.tasks_box = QGroupBox("Tasks to run by default (none ticked = everything the backend offers)")
        self.tasks_grid = QGridLayout(self.tasks_box)
        self.tasks_grid.addWidget(QLabel("Looking up what each backend can do…", objectName="hint"), 0, 0)
        form = QFormLayout()
        form.addRow("Default backend", self.backend_combo)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addWidget(self.tasks_box)
        layout.addStretch(1)
        return page

    def _model_tab(self) -> QWidget:
        page = QWidget()
        self.model_edit = QLineEdit(self.settings.model_dir, objectName="modelFolder")
        self.model_edit.setPlaceholderText("Folder with config.json and *.safetensors")
        self.model_edit.editingFinished.connect(self.validate_model_folder)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._pick_model_folder)
        get_model = QPushButton("Get the model…", objectName="getModel")
        get_model.clicked.connect(self.get_model_requested)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.model_edit, 1)
        folder_row.addWidget(browse)
        folder_row.addWidget(get_model)
        self.model_status = QLabel("No model folder chosen: the DSP backend works without one.", objectName="hint")
        self.model_status.setWordWrap(True)
        self.model_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.device_combo = self._combo("device", DEVICES, self.settings.get("backends.moss.device", "auto"))
        self.quant_combo = self._combo("quantization", QUANTIZATIONS,
                                       self.settings.get("backends.moss.quantization", "none"))
        local = QGroupBox("MOSS-Music on this computer")
        local_form = QFormLayout(local)
        local_form.addRow("Model folder", folder_row)
        local_form.addRow("", self.model_status)
        local_form.addRow("Device", self.device_combo)
        local_form.addRow("Quantization", self.quant_combo)

        self.server_url = QLineEdit(self.settings.get("backends.server.server_url", ""), objectName="serverUrl")
        self.server_url.setPlaceholderText("http://gpu-box:8000/v1")
        self.server_key = QLineEdit(self.settings.get("backends.server.api_key", ""), objectName="serverKey")
        self.server_key.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.server_model = QLineEdit(self.settings.get("backends.server.server_model", ""), objectName="serverModel")
        self.server_model.setPlaceholderText("model name the server serves (optional)")
        remote = QGroupBox("Remote server (OpenAI-compatible vLLM / SGLang)")
        remote_form = QFormLayout(remote)
        remote_form.addRow("Server URL", self.server_url)
        remote_form.addRow("API key", self.server_key)
        remote_form.addRow("Model", self.server_model)

        layout = QVBoxLayout(page)
        layout.addWidget(local)
        layout.addWidget(remote)
        layout.addStretch(1)
        return page

    def _export_tab(self) -> QWidget:
        page = QWidget()
        self.export_folder = QLineEdit(self.settings.get("export.folder", ""), objectName="exportFolder")
        self.export_folder.setPlaceholderText("Next to each audio file")
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._pick_into(self.export_folder, "Export folder"))
        row = QHBoxLayout()
        row.addWidget(self.export_folder, 1)
        row.addWidget(browse)
        formats = QGroupBox("Formats ticked by default in Export…")
        grid = QGridLayout(formats)
        chosen = set(self.settings.get("export.formats", []) or [])
        self.format_boxes: dict[str, QCheckBox] = {}
        for i, name in enumerate(EXPORT_FORMATS):
            # The export registry's own names, so what is ticked here is what the Export dialog offers.
            box = QCheckBox(WRITERS[name].label or name)  # what the format is for, as in the Export dialog
            box.setToolTip(WRITERS[name].description)
            box.setChecked(name in chosen)
            self.format_boxes[name] = box
            grid.addWidget(box, i // 3, i % 3)
        form = QFormLayout()
        form.addRow("Export folder", row)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addWidget(formats)
        layout.addStretch(1)
        return page

    def _data_tab(self) -> QWidget:
        page = QWidget()
        current = QLabel(str(self.data_dir.root), objectName="dataDir")
        current.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        open_button = QPushButton("Open folder")
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.data_dir.root))))
        self.next_data_dir = QLineEdit(chosen_data_dir() or "", objectName="nextDataDir")
        self.next_data_dir.setPlaceholderText("default location")
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._pick_into(self.next_data_dir, "Data directory"))
        row = QHBoxLayout()
        row.addWidget(self.next_data_dir, 1)
        row.addWidget(browse)
        hint = QLabel("The library database, job queue, caches, logs and these settings live in the data directory. "
                      "A new location takes effect the next time the app starts (MOSS_MUSIC_HOME or --home "
                      "override it).", objectName="hint")
        hint.setWordWrap(True)
        current_row = QHBoxLayout()
        current_row.addWidget(current, 1)
        current_row.addWidget(open_button)
        form = QFormLayout()
        form.addRow("In use", current_row)
        form.addRow("From next launch", row)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addStretch(1)
        return page

    @staticmethod
    def _combo(name: str, values, current) -> QComboBox:
        combo = QComboBox(objectName=name)
        for value in values:
            combo.addItem(value, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        return combo

    # -- folders ---------------------------------------------------------------------------

    def set_folders(self, folders: list[tuple[int, str, int]]) -> None:
        self.folder_list.clear()
        for folder_id, path, count in folders:
            item = QListWidgetItem(f"{path}    ({count:,} tracks)")
            item.setData(FOLDER_ROLE, folder_id)
            self.folder_list.addItem(item)

    def _pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a music folder")
        if path:
            self.add_folder_requested.emit(path)

    def _remove_folder(self) -> None:
        item = self.folder_list.currentItem()
        if item is not None:
            self.remove_folder_requested.emit(int(item.data(FOLDER_ROLE)))

    def _pick_into(self, edit: QLineEdit, title: str) -> None:
        path = QFileDialog.getExistingDirectory(self, title, edit.text())
        if path:
            edit.setText(path)

    # -- analysis defaults -----------------------------------------------------------------

    def _backends_known(self, backends: dict[str, BackendInfo]) -> None:
        while self.tasks_grid.count():
            widget = self.tasks_grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        for row, info in enumerate(backends.values()):
            label = QLabel(info.label)
            label.setToolTip(info.unavailable)
            self.tasks_grid.addWidget(label, row, 0)
            chosen = set(self.settings.default_tasks(info.name))
            boxes = {}
            for column, task in enumerate(info.tasks, start=1):
                box = QCheckBox(task)
                box.setChecked(task in chosen)
                boxes[task] = box
                self.tasks_grid.addWidget(box, row, column)
            if not info.tasks:
                self.tasks_grid.addWidget(QLabel(info.unavailable, objectName="hint"), row, 1, 1, 4)
            self._task_boxes[info.name] = boxes

    # -- model -----------------------------------------------------------------------------

    def _pick_model_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a MOSS-Music checkpoint folder", self.model_edit.text())
        if path:
            self.model_edit.setText(path)
            self.validate_model_folder()

    def validate_model_folder(self) -> None:
        folder = self.model_edit.text().strip()
        if folder == self._validated_folder:
            return
        self._validated_folder = folder
        if not folder:
            self.checkpoint = None
            self._show_model_status("No model folder chosen: the DSP backend works without one.", "hint")
            return
        self._show_model_status("Checking the folder (config.json and weight headers only)…", "hint")
        self.runner.submit(lambda: summarize_checkpoint(folder), self._model_checked,
                           lambda error: self._show_model_status(f"Could not check {folder}: {error}", "errorText"))

    def _model_checked(self, summary: CheckpointSummary) -> None:
        if summary.folder != self.model_edit.text().strip():
            return  # the user picked another folder meanwhile
        self.checkpoint = summary
        if summary.ok:
            self._show_model_status(f"✓ {summary.message}", "okText")
        else:
            self._show_model_status(summary.message, "errorText")

    def _show_model_status(self, text: str, style: str) -> None:
        self.model_status.setText(text)
        self.model_status.setObjectName(style)
        self.model_status.style().unpolish(self.model_status)
        self.model_status.style().polish(self.model_status)

    # -- saving ----------------------------------------------------------------------------

    def apply(self) -> None:
        s = self.settings
        s.set("library.watch", self.watch_box.isChecked())
        s.set("analysis.auto_new", self.auto_box.isChecked())
        s.set("analysis.backend", self.backend_combo.currentData())
        for backend, boxes in self._task_boxes.items():
            s.set(f"analysis.tasks.{backend}", [task for task, box in boxes.items() if box.isChecked()])
        s.set("model_dir", self.model_edit.text().strip())
        s.set("backends.moss.device", self.device_combo.currentData())
        s.set("backends.moss.quantization", self.quant_combo.currentData())
        s.set("backends.server.server_url", self.server_url.text().strip())
        s.set("backends.server.api_key", self.server_key.text())
        s.set("backends.server.server_model", self.server_model.text().strip())
        s.set("export.folder", self.export_folder.text().strip())
        s.set("export.formats", [name for name, box in self.format_boxes.items() if box.isChecked()])
        s.save()
        next_dir = self.next_data_dir.text().strip()
        if next_dir != (chosen_data_dir() or ""):
            remember_data_dir(next_dir or None)

    def save_and_close(self) -> None:
        self.apply()
        self.saved.emit()
        self.accept()
