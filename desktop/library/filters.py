"""Filter controls: key (standard name or Camelot, optionally with its DJ-compatible keys), BPM range,
time signature, caption tags.

Changes are debounced so dragging a spin box or ticking several tags sends one
query, not one per step. Keys are listed and read through ``moss_music.annotations.keys``
and labelled by ``columns.key_label``, so the list says exactly what the Key column says.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.library.columns import key_label
from desktop.library.query import TrackFilter
from moss_music.annotations.keys import all_keys, parse_key

DEBOUNCE_MS = 250
ANY = "Any"
MAX_BPM = 300


class BpmBox(QLineEdit):
    """A tempo bound typed as a whole number; empty (0) means no bound.

    A line edit rather than a button-less ``QSpinBox``: under the theme's padding the spin box laid
    its inner editor out 1 px wide, so the typed tempo never showed.
    """

    valueChanged = Signal(int)

    def __init__(self, placeholder: str, parent=None, objectName: str = "") -> None:
        super().__init__(parent, objectName=objectName)
        self.setPlaceholderText(placeholder)
        self.setValidator(QIntValidator(0, MAX_BPM, self))
        self.setToolTip(f"Tempo in beats per minute ({placeholder}); leave empty for no bound")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("300 bpm") + 20)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(self.sizeHint().height())
        self.textChanged.connect(lambda _text: self.valueChanged.emit(self.value()))

    def value(self) -> int:
        text = self.text().strip()
        return int(text) if text.isdigit() else 0

    def setValue(self, value: int) -> None:  # the QSpinBox name callers know
        self.setText(str(int(value)) if value else "")


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
            self.key_combo.addItem(key_label(key), key.name())
        self.key_combo.lineEdit().setPlaceholderText("Am, F# minor, 8A…")
        self.key_combo.setToolTip("Pick a key or type one: a name ('A minor', 'Am', 'Gb major') or a Camelot code ('8A')")
        self.key_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.key_combo.setMinimumContentsLength(10)
        self.key_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.key_combo.setMinimumHeight(self.key_combo.sizeHint().height())
        self.key_combo.currentIndexChanged.connect(self._key_changed)
        self.key_combo.lineEdit().editingFinished.connect(self._key_changed)
        self.compatible_box = QCheckBox("Compatible keys", objectName="compatibleKeys")
        self.compatible_box.setToolTip("Also list tracks a DJ can mix into this key: one step either way on the "
                                       "Camelot wheel (a fifth up or down) and the relative major or minor")
        self.compatible_box.setEnabled(False)
        self.compatible_box.toggled.connect(self._schedule)

        self.bpm_min = self._bpm_box("bpmMin", "from")
        self.bpm_max = self._bpm_box("bpmMax", "to")

        self.meter_combo = QComboBox(objectName="meterFilter")
        self.meter_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.meter_combo.setMinimumContentsLength(6)
        self.meter_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.meter_combo.addItem(ANY, "")
        self.meter_combo.setMinimumHeight(self.meter_combo.sizeHint().height())
        self.meter_combo.currentIndexChanged.connect(self._schedule)

        self.tag_list = QListWidget(objectName="tagList")
        self.tag_list.setMinimumHeight(80)
        self.tag_list.setMaximumHeight(150)
        # Its own size hint asks for ten rows; ignore it so that on a short screen the smart lists keep
        # their room and the tags scroll.
        self.tag_list.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.tag_list.itemChanged.connect(self._schedule)
        # One short unwrapped line: a word-wrapped label makes the layout under-report its minimum
        # height, and a short screen then squashed the combos above instead of scrolling the sidebar.
        self.tag_hint = QLabel("No caption tags yet.", objectName="hint")
        self.tag_hint.setToolTip("Tags come from MOSS-Music captions; they appear here once tracks have some")
        self.tag_list.setVisible(False)

        self.clear_button = QPushButton("Clear filters", objectName="clearFilters")
        self.clear_button.clicked.connect(self.clear)

        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        grid.addWidget(QLabel("Key"), 0, 0)
        grid.addWidget(self.key_combo, 0, 1)
        grid.addWidget(self.compatible_box, 1, 1)
        bpm_row = QHBoxLayout()
        bpm_row.setSpacing(4)
        bpm_row.addWidget(self.bpm_min, 1)
        bpm_row.addWidget(QLabel("–"))
        bpm_row.addWidget(self.bpm_max, 1)
        grid.addWidget(QLabel("BPM"), 2, 0)
        grid.addLayout(bpm_row, 2, 1)
        grid.addWidget(QLabel("Meter"), 3, 0)
        grid.addWidget(self.meter_combo, 3, 1)
        grid.setColumnStretch(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(grid)
        layout.addWidget(QLabel("Tags from captions"))
        layout.addWidget(self.tag_list, 1)
        layout.addWidget(self.tag_hint)
        layout.addWidget(self.clear_button)

    def _bpm_box(self, name: str, label: str) -> BpmBox:
        box = BpmBox(label, objectName=name)
        box.valueChanged.connect(self._schedule)
        return box

    def _schedule(self, *_args) -> None:
        self._debounce.start()

    def _key_changed(self, *_args) -> None:
        self.compatible_box.setEnabled(bool(self.key_text()))
        self._schedule()

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
        return key.name() if key else typed

    def selected_tags(self) -> tuple[str, ...]:
        return tuple(self.tag_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.tag_list.count())
                     if self.tag_list.item(i).checkState() == Qt.CheckState.Checked)

    def apply_to(self, flt: TrackFilter) -> TrackFilter:
        low, high = self.bpm_min.value(), self.bpm_max.value()
        key = self.key_text()
        return flt.with_(key=key, compatible_keys=bool(key) and self.compatible_box.isChecked(),
                         bpm_min=float(low) if low else None, bpm_max=float(high) if high else None,
                         time_signature=self.meter_combo.currentData() or "", tags=self.selected_tags())

    def set_key(self, text: str, compatible: bool | None = None) -> None:
        key = parse_key(text)
        index = self.key_combo.findData(key.name()) if key else -1
        if index >= 0:
            self.key_combo.setCurrentIndex(index)
        else:
            self.key_combo.setEditText(text)
        if compatible is not None:
            self.compatible_box.setChecked(compatible)
        self._key_changed()

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
        self.tag_list.setVisible(bool(tags))

    def clear(self) -> None:
        widgets = (self.key_combo, self.compatible_box, self.meter_combo, self.bpm_min, self.bpm_max, self.tag_list)
        for widget in widgets:
            widget.blockSignals(True)
        self.key_combo.setCurrentIndex(0)
        self.compatible_box.setChecked(False)
        self.compatible_box.setEnabled(False)
        self.meter_combo.setCurrentIndex(0)
        self.bpm_min.setValue(0)
        self.bpm_max.setValue(0)
        for i in range(self.tag_list.count()):
            self.tag_list.item(i).setCheckState(Qt.CheckState.Unchecked)
        for widget in widgets:
            widget.blockSignals(False)
        self.changed.emit()
