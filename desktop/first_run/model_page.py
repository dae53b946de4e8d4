"""'Get the MOSS-Music model': the download command, and a resumable download where the Hub is reachable.

Reachability is checked on a pool thread when the page opens; the download runs
in a child process (``desktop.first_run.hub``) so Stop really stops it, and its
progress is the size of the destination folder against the Hub's file list.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QProcess, QProcessEnvironment, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from desktop.first_run.hub import MODEL_REPO, HubCheck, check_hub, download_command, folder_bytes
from desktop.services import BackgroundRunner
from moss_music.paths import REPO_ROOT, DataDir

PROGRESS_POLL_MS = 1000


class ModelDownloadDialog(QDialog):
    model_ready = Signal(str)
    """A verified checkpoint folder (the caller stores it as the model folder)."""

    def __init__(self, data_dir: DataDir, runner: BackgroundRunner, parent=None, repo: str = MODEL_REPO) -> None:
        super().__init__(parent)
        self.setWindowTitle("Get the MOSS-Music model")
        self.setObjectName("modelDownloadDialog")
        self.resize(720, 430)
        self.runner = runner
        self.repo = repo
        self.hub: HubCheck | None = None
        self.process: QProcess | None = None
        self._poll_running = False

        intro = QLabel(
            f"<b>{repo}</b> is the model that writes captions, transcribes lyrics with timestamps and answers "
            "questions about a song. It is about 18 GB (bf16); it runs on a GPU with 24 GB of memory, or about "
            "8 GB with 4-bit quantization. Everything else in the app works without it.")
        intro.setWordWrap(True)

        self.dest_edit = QLineEdit(str(data_dir.root / "models" / repo.split("/")[-1]), objectName="modelDest")
        self.dest_edit.textChanged.connect(self._update_command)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        dest_row = QHBoxLayout()
        dest_row.addWidget(QLabel("Save to"))
        dest_row.addWidget(self.dest_edit, 1)
        dest_row.addWidget(browse)

        self.command_box = QPlainTextEdit(objectName="commandBox")
        self.command_box.setReadOnly(True)
        self.command_box.setFixedHeight(54)
        copy = QPushButton("Copy command")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.command_box.toPlainText()))
        command_hint = QLabel("Run this in a terminal (pip install huggingface_hub provides <code>hf</code>); "
                              "it resumes where it stopped.", objectName="hint")
        command_hint.setWordWrap(True)

        self.status = QLabel("Checking whether the Hugging Face Hub is reachable…", objectName="hint")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar(objectName="downloadProgress")
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.download_button = QPushButton("Download", objectName="primary")
        self.download_button.setEnabled(False)
        self.download_button.clicked.connect(self.start_download)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setVisible(False)
        self.stop_button.clicked.connect(self.stop_download)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 18, 18, 14)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addLayout(dest_row)
        layout.addWidget(self.command_box)
        copy_row = QHBoxLayout()
        copy_row.addWidget(command_hint, 1)
        copy_row.addWidget(copy)
        layout.addLayout(copy_row)
        layout.addStretch(1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self._poll = QTimer(self, interval=PROGRESS_POLL_MS)
        self._poll.timeout.connect(self._poll_progress)
        self._update_command()
        self.runner.submit(lambda: check_hub(repo), self._hub_checked)

    def _update_command(self) -> None:
        self.command_box.setPlainText(download_command(self.dest_edit.text().strip(), self.repo))

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Where to save the model", self.dest_edit.text())
        if path:
            self.dest_edit.setText(str(Path(path) / self.repo.split("/")[-1]))

    def _set_status(self, text: str, style: str = "hint") -> None:
        self.status.setText(text)
        self.status.setObjectName(style)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def _hub_checked(self, check: HubCheck) -> None:
        self.hub = check
        if check.reachable:
            self._set_status(f"The Hub is reachable: {check.message}. The download resumes if interrupted and "
                             "every file is verified at the end.", "okText")
            self.download_button.setEnabled(True)
        else:
            self._set_status(check.message, "errorText")
            self.download_button.setEnabled(False)

    # -- downloading -----------------------------------------------------------------------

    def start_download(self) -> None:
        if self.process is not None or not (self.hub and self.hub.reachable):
            return
        dest = self.dest_edit.text().strip()
        process = QProcess(self)
        environment = QProcessEnvironment.systemEnvironment()
        environment.insert("PYTHONPATH", str(REPO_ROOT))
        process.setProcessEnvironment(environment)
        process.setProgram(sys.executable)
        process.setArguments(["-m", "desktop.first_run.hub", self.repo, dest])
        process.readyReadStandardOutput.connect(self._read_events)
        process.finished.connect(self._finished)
        self.process = process
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self.download_button.setVisible(False)
        self.stop_button.setVisible(True)
        self._set_status("Downloading…")
        process.start()
        self._poll.start()

    def stop_download(self) -> None:
        if self.process is not None:
            self.process.kill()
            self._set_status("Stopped. Press Download again to resume where it stopped.")

    def _read_events(self) -> None:
        assert self.process is not None
        while self.process.canReadLine():
            line = bytes(self.process.readLine().data()).decode("utf-8", "replace").strip()
            try:
                event = json.loads(line)
            except ValueError:
                continue
            kind = event.get("event")
            if kind == "verifying":
                self._set_status("Verifying files (sizes and checksums)…")
            elif kind == "error":
                self._set_status(event.get("message", "download failed"), "errorText")
            elif kind == "done":
                self.progress.setValue(1000)
                self._set_status(f"✓ Ready: {event.get('summary', '')}. It is now the model folder.", "okText")
                self.model_ready.emit(event["folder"])

    def _poll_progress(self) -> None:
        if self._poll_running or not self.hub or not self.hub.total_bytes:
            return
        self._poll_running = True
        dest, total = Path(self.dest_edit.text().strip()), self.hub.total_bytes

        def done(size: int) -> None:
            self._poll_running = False
            self.progress.setValue(min(1000, int(size / total * 1000)))
            self.progress.setFormat(f"{size / 1e9:.1f} / {total / 1e9:.1f} GB")

        self.runner.submit(lambda: folder_bytes(dest) if dest.exists() else 0, done,
                           lambda _error: setattr(self, "_poll_running", False))

    def _finished(self, *_args) -> None:
        self._poll.stop()
        self.process = None
        self.stop_button.setVisible(False)
        self.download_button.setVisible(True)
        self.download_button.setText("Resume download")

    def closeEvent(self, event) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.waitForFinished(3000)
        self._poll.stop()
        super().closeEvent(event)
