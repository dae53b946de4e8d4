"""The left column: smart lists, library folders (with track counts) and the filter panel."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from desktop.library.filters import FilterPanel
from desktop.library.query import SMART_LISTS, TrackFilter
from desktop.theme import icon, palette_color

SCOPE_ROLE = Qt.ItemDataRole.UserRole + 1
SMART_ICONS = {"all": "library", "not_analyzed": "circle", "analyzed": "check", "failed": "warning",
               "missing": "missing"}


class Sidebar(QWidget):
    changed = Signal()
    """The scope (smart list or folder) or a filter changed."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.tree = QTreeWidget(objectName="sidebarTree")
        self.tree.setColumnCount(2)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(6)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tree.setMinimumHeight(130)  # it scrolls; the filters below must fit a 720-pixel screen

        self._library_group = self._group("LIBRARY")
        self._smart_items: dict[str, QTreeWidgetItem] = {}
        for name, label in SMART_LISTS.items():
            item = QTreeWidgetItem(self._library_group, [label, ""])
            item.setData(0, SCOPE_ROLE, ("smart", name))
            item.setIcon(0, icon(SMART_ICONS[name]))
            item.setForeground(1, palette_color("muted"))
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self._smart_items[name] = item
        self._folder_group = self._group("FOLDERS")
        self._folder_items: dict[int, QTreeWidgetItem] = {}
        self._no_folders = QTreeWidgetItem(self._folder_group, ["No folders yet", ""])
        self._no_folders.setFlags(Qt.ItemFlag.NoItemFlags)
        self._no_folders.setForeground(0, palette_color("muted"))
        self.tree.expandAll()
        self.tree.setCurrentItem(self._smart_items["all"])
        self.tree.currentItemChanged.connect(lambda *_: self.changed.emit())

        self.filters = FilterPanel(self)
        self.filters.changed.connect(self.changed)
        filters_label = QLabel("FILTERS", objectName="sectionLabel")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.setSpacing(4)
        layout.addWidget(self.tree, 2)
        layout.addWidget(filters_label)
        layout.addWidget(self.filters, 1)

    def _group(self, title: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self.tree, [title, ""])
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = item.font(0)
        font.setPointSizeF(max(7.0, font.pointSizeF() - 2))
        font.setBold(True)
        item.setFont(0, font)
        item.setForeground(0, palette_color("muted"))
        return item

    def scope(self) -> tuple[str, int | None]:
        item = self.tree.currentItem()
        data = item.data(0, SCOPE_ROLE) if item else None
        if not data:
            return "all", None
        kind, value = data
        return ("all", value) if kind == "folder" else (value, None)

    def apply_to(self, flt: TrackFilter) -> TrackFilter:
        smart, folder_id = self.scope()
        return self.filters.apply_to(flt.with_(smart_list=smart, folder_id=folder_id))

    def select_smart_list(self, name: str) -> None:
        self.tree.setCurrentItem(self._smart_items[name])

    def select_folder(self, folder_id: int) -> None:
        if folder_id in self._folder_items:
            self.tree.setCurrentItem(self._folder_items[folder_id])

    def set_counts(self, counts: dict[str, int]) -> None:
        for name, item in self._smart_items.items():
            item.setText(1, f"{counts.get(name, 0):,}")

    def set_folders(self, folders: list[tuple[int, str, int]]) -> None:
        """(id, path, track count) per folder; keeps the selection when the selected folder remains."""
        current = self.scope()
        self.tree.blockSignals(True)
        for item in self._folder_items.values():
            self._folder_group.removeChild(item)
        self._folder_items.clear()
        for folder_id, path, count in folders:
            item = QTreeWidgetItem(self._folder_group, [os.path.basename(path.rstrip(os.sep)) or path, f"{count:,}"])
            item.setData(0, SCOPE_ROLE, ("folder", folder_id))
            item.setToolTip(0, path)
            item.setIcon(0, icon("folder"))
            item.setForeground(1, palette_color("muted"))
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self._folder_items[folder_id] = item
        self._no_folders.setHidden(bool(folders))
        selected_folder = self.tree.currentItem() is None or (current[1] is not None)
        if current[1] is not None and current[1] in self._folder_items:
            self.tree.setCurrentItem(self._folder_items[current[1]])
        elif selected_folder:
            self.tree.setCurrentItem(self._smart_items["all"])
        self.tree.blockSignals(False)
        if current[1] is not None and current[1] not in self._folder_items:
            self.changed.emit()

    def folder_ids(self) -> list[int]:
        return list(self._folder_items)
