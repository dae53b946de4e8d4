"""Opening Settings and 'Get the model' from the main window, and saving what they change.

The dialogs ask for library changes (add, remove, rescan folders) through
signals; this controller passes them on and says when the settings changed, so
the window can refresh the backends, the workers and the queue's hint.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from desktop.services import BackgroundRunner
from desktop.settings.store import SettingsStore
from moss_music.paths import DataDir


class SettingsController(QObject):
    changed = Signal()
    """The settings were saved (from the dialog, or a downloaded model became the model folder)."""
    add_folder_requested = Signal(str)
    remove_folder_requested = Signal(int)
    rescan_requested = Signal()

    def __init__(self, settings: SettingsStore, data_dir: DataDir, runner: BackgroundRunner,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.settings = settings
        self.data_dir = data_dir
        self.runner = runner
        self.window = parent
        self.dialog = None
        """The Settings dialog while it is open (the window refreshes its folder list)."""

    def open_settings(self, folders: list[tuple[int, str, int]]) -> None:
        from desktop.settings.dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.data_dir, self.runner, folders, self.window)
        dialog.add_folder_requested.connect(self.add_folder_requested)
        dialog.remove_folder_requested.connect(self.remove_folder_requested)
        dialog.rescan_requested.connect(self.rescan_requested)
        dialog.get_model_requested.connect(self.open_model_page)
        dialog.saved.connect(self.changed)
        self.dialog = dialog
        try:
            dialog.exec()
        finally:
            self.dialog = None

    def set_folders(self, folders: list[tuple[int, str, int]]) -> None:
        if self.dialog is not None:
            self.dialog.set_folders(folders)

    def open_model_page(self) -> None:
        from desktop.first_run.model_page import ModelDownloadDialog

        dialog = ModelDownloadDialog(self.data_dir, self.runner, self.window)
        dialog.model_ready.connect(self.use_model_folder)
        dialog.exec()

    def use_model_folder(self, folder: str) -> None:
        self.settings.set("model_dir", folder)
        self.settings.save()
        self.changed.emit()
