"""The main window's toolbar: Add folder, Rescan, Analyze, the search box, Queue and Settings.

It owns the actions and the search box and only emits; the window connects them.
The Analyze action is enabled with a tooltip that says what it runs, or
disabled with the reason the default backend cannot run.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLineEdit, QSizePolicy, QToolBar, QToolButton, QWidget

from desktop.library.columns import BACKEND_LABELS
from desktop.theme import icon

SEARCH_MIN_WIDTH = 340
SEARCH_MAX_WIDTH = 560


class MainToolbar(QToolBar):
    add_folder = Signal()
    rescan = Signal()
    analyze = Signal()
    settings = Signal()

    def __init__(self, queue_action: QAction, parent=None) -> None:
        super().__init__("Main", parent)
        self.setObjectName("mainToolbar")
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.add_folder_action = QAction(icon("folder-add"), "Add folder…", self)
        self.add_folder_action.setShortcut(QKeySequence.StandardKey.Open)
        self.add_folder_action.triggered.connect(self.add_folder)
        self.rescan_action = QAction(icon("refresh"), "Rescan", self)
        self.rescan_action.setToolTip("Look for new, changed and missing files in all library folders")
        self.rescan_action.triggered.connect(self.rescan)
        self.analyze_action = QAction(icon("analyze"), "Analyze", self)
        self.analyze_action.triggered.connect(self.analyze)
        self.addAction(self.add_folder_action)
        self.addAction(self.rescan_action)
        self.addAction(self.analyze_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(spacer)
        self.search_box = QLineEdit(objectName="searchBox")
        self.search_box.setPlaceholderText("Search titles, artists, captions, lyrics, tags…  (e.g. mellow acoustic D minor)")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search_box.setMinimumWidth(SEARCH_MIN_WIDTH)
        self.search_box.setMaximumWidth(SEARCH_MAX_WIDTH)
        self.addWidget(self.search_box)
        gap = QWidget()
        gap.setFixedWidth(12)
        self.addWidget(gap)
        queue_action.setIcon(icon("queue"))
        queue_action.setText("Queue")
        self.addAction(queue_action)
        self.settings_action = QAction(icon("settings"), "Settings", self)
        self.settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.settings_action.triggered.connect(self.settings)
        self.addAction(self.settings_action)
        for action in (self.add_folder_action, self.rescan_action, self.analyze_action, self.settings_action):
            button = self.widgetForAction(action)
            if isinstance(button, QToolButton):
                button.setObjectName(f"tool_{action.text().strip('…').lower().replace(' ', '_')}")

    def set_default_backend(self, backend: str, unavailable: str) -> None:
        """Analyze runs ``backend``: enabled with what it does, or disabled with why it cannot run."""
        label = BACKEND_LABELS.get(backend, backend)
        self.analyze_action.setEnabled(not unavailable)
        self.analyze_action.setToolTip(f"{label} cannot run: {unavailable}" if unavailable else
                                       f"Analyze the selected tracks with {label} (right-click for more)")
        self.analyze_action.setStatusTip(self.analyze_action.toolTip())

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()
