"""The library table: selection, sorting and the track context menu.

The view only emits what the user asked for (analyze these ids, open that one);
the main window decides how, so the same requests can come from the toolbar.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView

from desktop.library.columns import BACKEND_LABELS, COLUMNS
from desktop.library.model import TrackTableModel

ROW_HEIGHT = 28


class LibraryView(QTableView):
    analyze_requested = Signal(list, str)
    """(track ids, backend): analyse with that backend's default tasks."""
    analyze_dialog_requested = Signal(list)
    open_requested = Signal(int)
    export_requested = Signal(list)
    tags_requested = Signal(list)
    reveal_requested = Signal(int)
    remove_requested = Signal(list)

    def __init__(self, model: TrackTableModel, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("libraryTable")
        self.setModel(model)
        model.set_visible_range(self.visible_rows)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(True)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for i, column in enumerate(COLUMNS):
            self.setColumnWidth(i, column.width)
        # No sort indicator until the user clicks a header: the default order is artist/album/track.
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._show_context_menu)
        self.doubleClicked.connect(self._double_clicked)

    @property
    def track_model(self) -> TrackTableModel:
        return self.model()  # type: ignore[return-value]

    def visible_rows(self) -> tuple[int, int]:
        first = self.rowAt(0)
        last = self.rowAt(self.viewport().height() - 1)
        count = self.track_model.rowCount()
        if first < 0:
            first = 0
        if last < 0:
            last = min(count - 1, first + self.viewport().height() // ROW_HEIGHT + 1)
        return first, last

    def selected_track_ids(self) -> list[int]:
        ids = []
        for index in self.selectionModel().selectedRows():
            track_id = self.track_model.track_id(index.row())
            if track_id is not None:
                ids.append(track_id)
        return ids

    def _double_clicked(self, index: QModelIndex) -> None:
        track_id = self.track_model.track_id(index.row())
        if track_id is not None:
            self.open_requested.emit(track_id)

    def _show_context_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        if index.isValid() and not self.selectionModel().isRowSelected(index.row(), QModelIndex()):
            self.selectRow(index.row())
        ids = self.selected_track_ids()
        if ids:
            self.build_context_menu(ids).exec(self.viewport().mapToGlobal(pos))

    def build_context_menu(self, ids: list[int], backends_available: dict[str, str] | None = None) -> QMenu:
        """The menu for ``ids``; ``backends_available`` maps backend -> reason it is unavailable ('' = usable)."""
        available = backends_available if backends_available is not None else getattr(self, "backend_state", {})
        menu = QMenu(self)
        analyze = menu.addMenu("Analyze with")
        analyze.setToolTipsVisible(True)  # a disabled backend says why on hover, too
        for backend, label in BACKEND_LABELS.items():
            action = QAction(label, analyze)
            action.setObjectName(f"analyze_{backend}")
            reason = available.get(backend, "")
            action.setEnabled(not reason)
            if reason:
                action.setToolTip(reason)
                action.setText(f"{label} — {reason}")
            action.triggered.connect(lambda _=False, b=backend: self.analyze_requested.emit(ids, b))
            analyze.addAction(action)
        analyze.addSeparator()
        choose = analyze.addAction("Choose backend and tasks…")
        choose.setObjectName("analyze_choose")
        choose.triggered.connect(lambda: self.analyze_dialog_requested.emit(ids))
        menu.addSeparator()
        open_action = menu.addAction("Open")
        open_action.setObjectName("open")
        open_action.setEnabled(len(ids) == 1)
        open_action.triggered.connect(lambda: self.open_requested.emit(ids[0]))
        menu.addAction("Export…", lambda: self.export_requested.emit(ids)).setObjectName("export")
        menu.addAction("Write tags…", lambda: self.tags_requested.emit(ids)).setObjectName("tags")
        reveal = menu.addAction("Reveal in file manager", lambda: self.reveal_requested.emit(ids[0]))
        reveal.setObjectName("reveal")
        reveal.setEnabled(len(ids) == 1)
        menu.addSeparator()
        label = "Remove from library" if len(ids) == 1 else f"Remove {len(ids)} tracks from library"
        menu.addAction(label, lambda: self.remove_requested.emit(ids)).setObjectName("remove")
        return menu
