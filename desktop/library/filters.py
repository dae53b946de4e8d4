"""Filter controls: key (standard name or Camelot), BPM range, time signature, caption tags.

Changes are debounced so dragging a spin box or ticking several tags sends one
query, not one per step.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.library.keys import all_keys, parse_key
from desktop.library.query import TrackFilter

DEBOUNCE_MS = 250
ANY = "Any"


class FilterPanel(QWidget):
    changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.changed)

        self.key_combo = QComboBox(objectName="keyFilter")
        self.key_combo.setEditable(True)
        self.key_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.key_combo.addItem(ANY, "")
        for key in all_keys():
            self.key_combo.addItem(f"{key.camelot:>3}  {key.display()}", key.display())
        self.key_combo.lineEdit().setPlaceholderText("Am, F# minor, 8A…")
        self.key_combo.setToolTip("Pick a key or type one: a name ('A minor', 'Am', 'Gb major') or a Camelot code ('8A')")
        self.key_combo.currentIndexChanged.connect(self._schedule)
        self.key_combo.lineEdit().editingFinished.connect(self._schedule)

        self.bpm_min = self._bpm_box("bpmMin", "from")
        self.bpm_max = self._bpm_box("bpmMax", "to")

        self.meter_combo = QComboBox(objectName="meterFilter")
        self.meter_combo.addItem(ANY, "")
        self.meter_combo.currentIndexChanged.connect(self._schedule)

        self.tag_list = QListWidget(objectName="tagList")
        self.tag_list.setMinimumHeight(80)
        self.tag_list.setMaximumHeight(150)
        self.tag_list.itemChanged.connect(self._schedule)
        self.tag_hint = QLabel("Tags appear once tracks have captions.", objectName="hint")
        self.tag_hint.setWordWrap(True)

        self.clear_button = QPushButton("Clear filters", objectName="clearFilters")
        self.clear_button.clicked.connect(self.clear)

        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        grid.addWidget(QLabel("Key"), 0, 0)
        grid.addWidget(self.key_combo, 0, 1)
        bpm_row = QHBoxLayout()
        bpm_row.setSpacing(4)
        bpm_row.addWidget(self.bpm_min)
        bpm_row.addWidget(QLabel("–"))
        bpm_row.addWidget(self.bpm_max)
        grid.addWidget(QLabel("BPM"), 1, 0)
        grid.addLayout(bpm_row, 1, 1)
        grid.addWidget(QLabel("Meter"), 2, 0)
        grid.addWidget(self.meter_combo, 2, 1)
        grid.setColumnStretch(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(grid)
        layout.addWidget(QLabel("Tags from captions"))
        layout.addWidget(self.tag_list, 1)
        layout.addWidget(self.tag_hint)
        layout.addWidget(self.clear_button)

    def _bpm_box(self, name: str, label: str) -> QSpinBox:
        box = QSpinBox(objectName=name)
        box.setRange(0, 300)
        box.setSpecialValueText(label)
        box.setSuffix(" bpm")
        box.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.NoButtons)
        box.valueChanged.connect(self._schedule)
        return box

    def _schedule(self, *_args) -> None:
        self._debounce.start()

    # -- state ----------------------------------------------------------------------------

    def key_text(self) -> str:
        """The chosen key as the library spells keys, whether picked from the list or typed."""
        index = self.key_combo.findText(self.key_combo.currentText())
        if index >= 0:
            return self.key_combo.itemData(index) or ""
        typed = self.key_combo.currentText().strip()
        if not typed or typed.lower() == ANY.lower():
            return ""
        key = parse_key(typed)
        return key.display() if key else typed

    def selected_tags(self) -> tuple[str, ...]:
        return tuple(self.tag_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.tag_list.count())
                     if self.tag_list.item(i).checkState() == Qt.CheckState.Checked)

    def apply_to(self, flt: TrackFilter) -> TrackFilter:
        low, high = self.bpm_min.value(), self.bpm_max.value()
        return flt.with_(key=self.key_text(), bpm_min=float(low) if low else None,
                         bpm_max=float(high) if high else None, time_signature=self.meter_combo.currentData() or "",
                         tags=self.selected_tags())

    def set_key(self, text: str) -> None:
        key = parse_key(text)
        index = self.key_combo.findData(key.display()) if key else -1
        if index >= 0:
            self.key_combo.setCurrentIndex(index)
        else:
            self.key_combo.setEditText(text)
        self._schedule()

    def set_bpm_range(self, low: int, high: int) -> None:
        self.bpm_min.setValue(low)
        self.bpm_max.setValue(high)

    def set_choices(self, signatures: list[str], tags: list[tuple[str, int]]) -> None:
        """Refill the meter and tag choices, keeping what the user had picked."""
        current_meter = self.meter_combo.currentData()
        self.meter_combo.blockSignals(True)
        self.meter_combo.clear()
        self.meter_combo.addItem(ANY, "")
        for signature in signatures:
            self.meter_combo.addItem(signature, signature)
        index = self.meter_combo.findData(current_meter)
        self.meter_combo.setCurrentIndex(max(0, index))
        self.meter_combo.blockSignals(False)

        checked = set(self.selected_tags())
        self.tag_list.blockSignals(True)
        self.tag_list.clear()
        for tag, count in tags:
            item = QListWidgetItem(f"{tag}  ({count})")
            item.setData(Qt.ItemDataRole.UserRole, tag)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if tag in checked else Qt.CheckState.Unchecked)
            self.tag_list.addItem(item)
        self.tag_list.blockSignals(False)
        self.tag_hint.setVisible(not tags)

    def clear(self) -> None:
        for widget in (self.key_combo, self.meter_combo, self.bpm_min, self.bpm_max, self.tag_list):
            widget.blockSignals(True)
        self.key_combo.setCurrentIndex(0)
        self.meter_combo.setCurrentIndex(0)
        self.bpm_min.setValue(0)
        self.bpm_max.setValue(0)
        for i in range(self.tag_list.count()):
            self.tag_list.item(i).setCheckState(Qt.CheckState.Unchecked)
        for widget in (self.key_combo, self.meter_combo, self.bpm_min, self.bpm_max, self.tag_list):
            widget.blockSignals(False)
        self.changed.emit()
