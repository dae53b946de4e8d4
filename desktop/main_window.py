"""The main window: sidebar, library table (or the empty state), search, queue panel, status bar.

It lays the widgets out and wires them to three controllers, which do the work
on pool threads and answer with signals: ``ScanController`` (adding music),
``AnalysisController`` (backends, queueing, automatic analysis of new files,
workers, finished-job announcements on the app's event hub) and
``DemoController`` (the first-run demo song). The widgets themselves only emit
what the user asked for.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from desktop.events import app_events
from desktop.export_dialog import ExportDialog
from desktop.first_run.demo_flow import DemoController
from desktop.first_run.empty_state import EmptyState
from desktop.library import query
from desktop.library.analyze_dialog import AnalyzeDialog
from desktop.library.folder_watch import FolderWatcher
from desktop.library.model import TrackTableModel
from desktop.library.query import TrackFilter
from desktop.library.reveal import reveal_in_file_manager
from desktop.library.scanning import ScanController, describe_scan, scan_label
from desktop.library.sidebar import Sidebar
from desktop.library.toolbar import MainToolbar
from desktop.library.view import LibraryView
from desktop.queue.analysis import AnalysisController
from desktop.queue.panel import QueuePanel
from desktop.services import BackgroundRunner, describe_error
from desktop.settings.backends import BackendInfo
from desktop.settings.controller import SettingsController
from desktop.settings.store import SettingsStore
from desktop.status import StatusBar
from desktop.tag_dialog import TagDialog
from desktop.track_view import open_track_view
from desktop.watcher import ChangeWatcher
from moss_music.audio import AUDIO_EXTENSIONS
from moss_music.paths import DataDir

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 150
SIDEBAR_REFRESH_MS = 2000
"""Smart-list counts and filter choices are re-read at most this often while jobs change."""
SIDEBAR_WIDTH = 260
SIDEBAR_MIN_WIDTH = 220
QUEUE_HEIGHT_SHARE = 0.22
"""The queue panel's first height as a share of the window (about 200 px at 900, 150 at 720)."""


class MainWindow(QMainWindow):
    scan_finished = Signal(object)
    """A ``ScanReport`` (tests and the status bar listen)."""
    enqueued = Signal(list)
    """Job ids just queued."""
    track_view_opened = Signal(object)
    """A track view this window opened (the demo's, or a double-clicked track's)."""

    def __init__(self, library, data_dir: DataDir, settings: SettingsStore | None = None, parent=None,
                 start_workers: bool = False) -> None:
        """``start_workers``: start local consumers whenever work is queued (the app; not tests)."""
        super().__init__(parent)
        self.library = library
        self.data_dir = data_dir
        self.settings = settings or SettingsStore(data_dir.settings_file)
        self.runner = BackgroundRunner(self)
        self.runner.error.connect(self.show_message)
        self.library_total = 0
        self._folders: list[tuple[int, str, int]] = []
        self._sidebar_loading = False
        self._sidebar_again = False
        self._shut_down = False
        self.demo_track_id: int | None = None
        self.confirm = self._confirm_dialog
        """Asks the user yes/no; replaced in tests, where no modal dialog can be answered."""

        self.scans = ScanController(library, self.runner, self)
        self.analysis = AnalysisController(library, data_dir, self.settings, self.runner, self,
                                           start_workers=start_workers)
        self.demo = DemoController(library, data_dir, self.runner, self)
        self.settings_flow = SettingsController(self.settings, data_dir, self.runner, self)

        self.setWindowTitle("MOSS-Music Studio")
        self.setObjectName("mainWindow")
        self.resize(1440, 900)
        self.setAcceptDrops(True)

        self.model = TrackTableModel(library, self.runner, parent=self)
        self.view = LibraryView(self.model)
        self.sidebar = Sidebar()
        self.empty_state = EmptyState()
        self.empty_state.set_auto_analyze(self.settings.auto_analyze)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_state)
        self.stack.addWidget(self.view)
        # The sidebar scrolls rather than forcing a window taller than a 720-pixel laptop screen.
        self.sidebar_scroll = QScrollArea(objectName="sidebarScroll")
        self.sidebar_scroll.setWidget(self.sidebar)
        self.sidebar_scroll.setWidgetResizable(True)
        self.sidebar_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.sidebar_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.sidebar_scroll.setMinimumWidth(SIDEBAR_MIN_WIDTH)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.sidebar_scroll)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([SIDEBAR_WIDTH, 1440 - SIDEBAR_WIDTH])
        splitter.setHandleWidth(1)
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

        self.queue_panel = QueuePanel(library, data_dir, self.runner)
        self.queue_panel.auto_analyze = self.settings.auto_analyze
        self.queue_dock = QDockWidget("Analysis queue", self)
        self.queue_dock.setObjectName("queueDock")
        self.queue_dock.setWidget(self.queue_panel)
        self.queue_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                    | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                                    | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.queue_dock)
        self._docks_fitted = False

        self.status = StatusBar(data_dir, self.runner)
        self.setStatusBar(self.status)
        self.status.set_backend(self.settings.default_backend)
        self.status.expected_lanes = self.analysis.worker_lanes()

        self._build_toolbar()
        self.watcher = ChangeWatcher(library, self.runner, self)
        self.folder_watcher = FolderWatcher(self.runner, self)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        self._sidebar_timer = QTimer(self, singleShot=True, interval=SIDEBAR_REFRESH_MS)
        self._sidebar_timer.timeout.connect(self.refresh_sidebar)
        self._connect()
        if self.settings.load_error:
            QTimer.singleShot(0, lambda: self.show_message(self.settings.load_error or ""))

        self.apply_filter()
        self.refresh_sidebar()
        self.analysis.refresh_backends()
        self.analysis.poll_finished()
        self.queue_panel.refresh()
        self.watcher.start()
        self.status.start()
        self.view.setFocus()

    # -- layout ------------------------------------------------------------------------------

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._docks_fitted:
            # Sized once the window has its real size, so a laptop screen keeps room for the table.
            self._docks_fitted = True
            self.resizeDocks([self.queue_dock], [max(130, int(self.height() * QUEUE_HEIGHT_SHARE))],
                             Qt.Orientation.Vertical)

    def _build_toolbar(self) -> None:
        self.toolbar = MainToolbar(self.queue_dock.toggleViewAction(), self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.add_folder_action = self.toolbar.add_folder_action
        self.rescan_action = self.toolbar.rescan_action
        self.analyze_action = self.toolbar.analyze_action
        self.settings_action = self.toolbar.settings_action
        self.queue_action = self.queue_dock.toggleViewAction()
        self.search_box = self.toolbar.search_box
        self._update_analyze_action()
        find = QAction(self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(self.toolbar.focus_search)
        self.addAction(find)

    def _connect(self) -> None:
        self.toolbar.add_folder.connect(self.choose_folder)
        self.toolbar.rescan.connect(self.rescan_all)
        self.toolbar.analyze.connect(self.analyze_selected)
        self.toolbar.settings.connect(self.open_settings)
        self.search_box.textChanged.connect(lambda _text: self._search_timer.start())
        self.sidebar.changed.connect(self.apply_filter)
        self.model.reloaded.connect(self._model_reloaded)
        self.view.analyze_requested.connect(self.enqueue)
        self.view.analyze_dialog_requested.connect(self.choose_analysis)
        self.view.open_requested.connect(self.open_track)
        self.view.export_requested.connect(self.export_tracks)
        self.view.tags_requested.connect(self.write_tags)
        self.view.reveal_requested.connect(self.reveal_track)
        self.view.remove_requested.connect(self.remove_tracks)
        self.empty_state.add_folder_requested.connect(self.choose_folder)
        self.empty_state.demo_requested.connect(self.open_demo)
        self.empty_state.get_model_requested.connect(self.open_model_page)
        self.queue_panel.message.connect(self.show_message)
        self.watcher.jobs_changed.connect(self._jobs_changed)
        self.watcher.library_changed.connect(self._library_changed)
        self.folder_watcher.rescan_needed.connect(self.scan_paths)
        self.status.lanes_changed.connect(self.queue_panel.set_live_lanes)

        self.scans.started.connect(lambda paths: self.status.showMessage(f"Scanning {scan_label(paths)}…"))
        self.scans.progress.connect(self._show_scan_progress)
        self.scans.finished.connect(self._scan_done)
        self.scans.failed.connect(self.show_message)

        self.analysis.backends_changed.connect(self._backends_known)
        self.analysis.enqueued.connect(self._enqueued)
        self.analysis.workers_started.connect(self.status.poll)
        self.analysis.message.connect(self.show_message)

        self.settings_flow.changed.connect(self._settings_saved)
        self.settings_flow.add_folder_requested.connect(lambda path: self.scan_paths([path]))
        self.settings_flow.remove_folder_requested.connect(self.remove_folder)
        self.settings_flow.rescan_requested.connect(self.rescan_all)

        self.demo.progress.connect(self._demo_progress)
        self.demo.ready.connect(self._demo_ready)
        self.demo.failed.connect(self._demo_failed)

    # -- filtering ---------------------------------------------------------------------------

    def current_filter(self) -> TrackFilter:
        base = TrackFilter(sort_column=self.model.filter.sort_column, descending=self.model.filter.descending)
        return self.sidebar.apply_to(base).with_(search=self.search_box.text())

    def apply_filter(self) -> None:
        flt = self.current_filter()
        if flt != self.model.filter or not self.model.loaded_once:
            self.model.set_filter(flt)

    def _model_reloaded(self, count: int) -> None:
        filtered = self.model.filter.has_filters or self.model.filter.smart_list != "all" \
            or self.model.filter.folder_id is not None
        empty_library = count == 0 and not filtered and self.library_total == 0
        # While the demo is being prepared its progress is on the empty page: stay there until it opens.
        self.stack.setCurrentWidget(self.empty_state if empty_library or self.demo.running else self.view)
        if count == 0 and filtered:
            self.status.showMessage("No tracks match — clear the search or filters to see more", 5000)

    # -- sidebar data ------------------------------------------------------------------------

    def refresh_sidebar(self) -> None:
        if self._sidebar_loading:
            self._sidebar_again = True
            return
        self._sidebar_loading = True
        library = self.library

        def work():
            with library.session() as session:
                return (query.smart_list_counts(session), query.folder_counts(session),
                        query.filter_choices(session))

        self.runner.submit(work, self._sidebar_loaded, self._sidebar_failed)

    def _sidebar_failed(self, error: BaseException) -> None:
        self._sidebar_loading = False
        self.show_message(f"Could not read the library: {describe_error(error)}")

    def _sidebar_loaded(self, result) -> None:
        self._sidebar_loading = False
        counts, folders, (signatures, tags) = result
        self.library_total = counts.get("all", 0)
        self._folders = folders
        self.sidebar.set_counts(counts)
        self.sidebar.set_folders(folders)
        self.sidebar.filters.set_choices(signatures, tags)
        self.folder_watcher.set_roots([path for _, path, _ in folders], bool(self.settings.get("library.watch", True)))
        self.settings_flow.set_folders(folders)
        if self.model.loaded_once:
            self._model_reloaded(self.model.rowCount())
        if self._sidebar_again:
            self._sidebar_again = False
            self.refresh_sidebar()

    def _jobs_changed(self) -> None:
        self.queue_panel.refresh()
        self.model.refresh_rows()
        self.analysis.poll_finished()
        if not self._sidebar_timer.isActive():
            self._sidebar_timer.start()

    def _library_changed(self) -> None:
        self.model.reload()
        self.refresh_sidebar()

    def refresh_backends(self) -> None:
        self.analysis.refresh_backends()

    @property
    def backends(self) -> dict[str, BackendInfo]:
        return self.analysis.backends

    def _backends_known(self, backends: dict[str, BackendInfo]) -> None:
        self.view.backend_state = {name: info.unavailable for name, info in backends.items()}
        default = self.settings.default_backend
        info = backends.get(default)
        self.status.set_backend(default, "unavailable" if info and info.unavailable else "")
        self._update_analyze_action()

    def _update_analyze_action(self) -> None:
        """The toolbar's Analyze runs the default backend: disabled, with the reason, when it cannot run."""
        backend = self.settings.default_backend
        self.toolbar.set_default_backend(backend, self.analysis.unavailable(backend))

    # -- adding music ------------------------------------------------------------------------

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a music folder")
        if path:
            self.scan_paths([path])

    def rescan_all(self) -> None:
        paths = [path for _, path, _ in self._folders]
        if paths:
            self.scan_paths(paths)
        else:
            self.show_message("No library folders yet — add one first")

    def scan_paths(self, paths: list[str]) -> None:
        """Scan folders/files in the background; requests made meanwhile run after it, in order."""
        self.scans.scan(paths)

    def _show_scan_progress(self, done: int, total: int, path: str) -> None:
        self.status.showMessage(f"Scanning… {done:,} / {total:,}  {Path(path).name}")

    def _scan_done(self, report, paths: list[str], started_at) -> None:
        self.status.showMessage(describe_scan(report), 8000)
        self.model.reload()
        self.refresh_sidebar()
        self.analysis.analyze_new(paths, since=started_at)
        self.scan_finished.emit(report)

    def open_demo(self) -> None:
        """Make, add and analyse the demo song (progress on the empty page), then open it in the track view."""
        if not self.demo.running:
            self.empty_state.show_demo_progress(0.0, "Preparing the demo song…")
            self.demo.start()

    def _demo_progress(self, fraction: float, text: str) -> None:
        self.empty_state.show_demo_progress(fraction, text)
        self.status.showMessage(f"Demo song: {text} {fraction * 100:.0f}%")

    def _demo_ready(self, track_id: int) -> None:
        self.demo_track_id = track_id
        self.empty_state.demo_finished()
        self.status.showMessage("The demo song is analysed — press Space to play it", 8000)
        self.model.reload()
        self.refresh_sidebar()
        app_events().track_analyzed.emit(track_id, "dsp")
        self.open_track(track_id)

    def _demo_failed(self, text: str) -> None:
        self.empty_state.demo_finished(text)
        self.show_message(text)
        self.model.reload()

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        usable = [p for p in paths if os.path.isdir(p) or Path(p).suffix.lower() in AUDIO_EXTENSIONS]
        if len(usable) < len(paths):
            self.show_message(f"Skipped {len(paths) - len(usable)} item(s) that are not folders or audio files")
        if usable:
            event.acceptProposedAction()
            self.scan_paths(usable)

    # -- analysis ----------------------------------------------------------------------------

    def analyze_selected(self) -> None:
        ids = self.view.selected_track_ids()
        if not ids:
            self.show_message("Select tracks to analyze first")
            return
        self.enqueue(ids, self.settings.default_backend)

    def choose_analysis(self, ids: list[int]) -> None:
        if not self.analysis.backends:
            self.show_message("Still looking up the analysis backends — try again in a moment")
            return
        dialog = AnalyzeDialog(len(ids), self.analysis.backends, self.settings, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.enqueue(ids, dialog.backend(), dialog.tasks(), force=dialog.force())

    def enqueue(self, ids: list[int], backend: str, tasks: list[str] | None = None, force: bool = False) -> None:
        self.analysis.enqueue(ids, backend, tasks, force)

    def _enqueued(self, job_ids: list[int]) -> None:
        self.queue_panel.refresh()
        self.model.refresh_rows()
        self.enqueued.emit(job_ids)

    # -- workers -----------------------------------------------------------------------------

    def worker_lanes(self) -> tuple[str, ...]:
        return self.analysis.worker_lanes()

    def ensure_workers(self) -> None:
        """Start local consumers now, and again whenever work is queued and a lane has none."""
        self.analysis.start_workers = True
        self.analysis.ensure_workers()

    def stop_workers(self) -> None:
        """Stop only the consumers this window started (a `moss-music worker` in a terminal keeps running)."""
        self.analysis.stop_workers()

    # -- track actions -----------------------------------------------------------------------

    def open_track(self, track_id: int) -> QWidget:
        library, data_dir = self.library, self.data_dir

        def bump():
            from worker import client

            return client.bump_priority(library, track_id, data_dir=data_dir)

        self.runner.submit(bump, lambda _ids: self.queue_panel.refresh(), lambda _e: None)
        view = open_track_view(library, track_id, parent=self)  # it follows its track's results itself
        self.track_view_opened.emit(view)
        return view

    def export_tracks(self, ids: list[int]) -> None:
        dialog = ExportDialog(self.library, ids, self)
        # The export defaults chosen in Settings; without them the dialog keeps its own.
        if self.settings.get("export.formats"):
            dialog.set_formats(list(self.settings.get("export.formats")))
        if self.settings.get("export.folder"):
            dialog.folder_edit.setText(self.settings.get("export.folder"))
        dialog.exec()

    def write_tags(self, ids: list[int]) -> None:
        TagDialog(self.library, ids, self).exec()

    def reveal_track(self, track_id: int) -> None:
        row = self.model.row_of_track(track_id)
        track = self.model.row_at(row) if row is not None else None
        if track is not None:
            problem = reveal_in_file_manager(track.path)
            if problem:
                self.show_message(problem)

    def remove_tracks(self, ids: list[int]) -> None:
        text = (f"Remove {len(ids)} track(s) from the library? The audio files stay on disk; "
                "a rescan of their folder adds them back.")
        if not self.confirm("Remove from library", text):
            return
        library = self.library

        def work():
            for track_id in ids:
                library.remove_track(track_id)
            return len(ids)

        def done(count: int) -> None:
            self.status.showMessage(f"Removed {count} track(s) from the library", 5000)
            self.model.reload()
            self.refresh_sidebar()

        self.runner.submit(work, done)

    def _confirm_dialog(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    # -- settings and model ------------------------------------------------------------------

    def open_settings(self) -> None:
        self.settings_flow.open_settings(self._folders)

    def _settings_saved(self) -> None:
        self.status.set_backend(self.settings.default_backend)
        self.status.expected_lanes = self.worker_lanes()
        self.queue_panel.auto_analyze = self.settings.auto_analyze
        self.empty_state.set_auto_analyze(self.settings.auto_analyze)
        self.queue_panel.refresh()
        self.refresh_backends()
        self.refresh_sidebar()
        self.analysis.ensure_workers()

    def remove_folder(self, folder_id: int) -> None:
        library = self.library
        self.runner.submit(lambda: library.remove_folder(folder_id),
                           lambda _r: (self.refresh_sidebar(), self.model.reload()))

    def open_model_page(self) -> None:
        self.settings_flow.open_model_page()

    # -- messages and shutdown ---------------------------------------------------------------

    def show_message(self, text: str) -> None:
        log.info("%s", text)
        self.status.showMessage(text, 10_000)

    def shutdown(self) -> None:
        """Stop timers and wait for background reads, then stop the workers this window started (once)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.watcher.stop()
        self.status.timer.stop()
        self.queue_panel.tick.stop()
        self.runner.close(10_000)
        self.stop_workers()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
