"""The edit panel: undo history, beat-grid tools (shift, tempo, tap tempo, downbeat) and revert.
Lyrics are imported and timed in their own tab (``lyric_sync_panel``).

Block edits happen in the lanes themselves (drag an edge, double-click a
block in edit mode); this panel holds what has no place on the timeline.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from desktop.track_view import theme

ALL_LAYERS = "All edited layers"


class TapTempo:
    """BPM from taps: the median interval of the last taps, restarting after a pause."""

    RESET_AFTER = 2.0
    KEEP = 8

    def __init__(self, time_fn=time.monotonic) -> None:
        self.time_fn = time_fn
        self.taps: list[float] = []

    def tap(self) -> float | None:
        now = self.time_fn()
        if self.taps and now - self.taps[-1] > self.RESET_AFTER:
            self.taps = []
        self.taps = (self.taps + [now])[-self.KEEP:]
        if len(self.taps) < 3:
            return None
        return 60.0 / float(np.median(np.diff(self.taps)))


class EditPanel(QFrame):
    shift_requested = Signal(float)
    tempo_requested = Signal(float)
    downbeat_requested = Signal()
    revert_requested = Signal(object)
    """A layer name, or None for every edited layer."""

    def __init__(self, stack: QUndoStack | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Panel")
        self.tapper = TapTempo()
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 12, 16, 12)
        row.setSpacing(22)
        row.addLayout(self._build_history(), 3)
        row.addLayout(self._build_grid_tools(), 4)
        row.addLayout(self._build_revert(), 3)
        if stack is not None:
            self.set_stack(stack)

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(text.upper())
        label.setStyleSheet(f"color: {theme.MUTED}; font-size: 11px; letter-spacing: 2px;")
        return label

    def _build_history(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.addWidget(self._heading("Edit history"))
        buttons = QHBoxLayout()
        self.undo_button = QPushButton("↶ Undo")
        self.redo_button = QPushButton("↷ Redo")
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.redo_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        self.history = QUndoView()
        self.history.setEmptyLabel("Opened (machine results)")
        column.addWidget(self.history, 1)
        return column

    def _build_grid_tools(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.addWidget(self._heading("Beat grid"))
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        self.shift_ms = QSpinBox()
        self.shift_ms.setRange(-2000, 2000)
        self.shift_ms.setSingleStep(10)
        self.shift_ms.setSuffix(" ms")
        shift = QPushButton("Shift grid")
        shift.clicked.connect(lambda: self.shift_requested.emit(self.shift_ms.value() / 1000))
        self.bpm = QDoubleSpinBox()
        self.bpm.setRange(20.0, 300.0)
        self.bpm.setDecimals(2)
        self.bpm.setSuffix(" BPM")
        set_tempo = QPushButton("Set tempo")
        set_tempo.clicked.connect(lambda: self.tempo_requested.emit(self.bpm.value()))
        self.tap_button = QPushButton("Tap")
        self.tap_button.setToolTip("Tap along with the beat (T); the tempo appears after three taps")
        self.tap_button.clicked.connect(self.tap)
        self.tap_label = QLabel("")
        self.tap_label.setProperty("muted", True)
        downbeat = QPushButton("Downbeat at playhead")
        downbeat.clicked.connect(self.downbeat_requested)
        # Two rows, so the tab fits under the lanes in a 720-pixel-high window.
        grid.addWidget(self.shift_ms, 0, 0)
        grid.addWidget(shift, 0, 1)
        grid.addWidget(self.bpm, 0, 2)
        grid.addWidget(set_tempo, 0, 3)
        grid.addWidget(self.tap_button, 1, 0)
        grid.addWidget(self.tap_label, 1, 1)
        grid.addWidget(downbeat, 1, 2, 1, 2)
        column.addLayout(grid)
        hint = QLabel("In edit mode, drag the edges of chords, sections and lyric lines in the lanes; "
                      "double-click one to rename or retype it.")
        hint.setWordWrap(True)
        hint.setProperty("muted", True)
        column.addWidget(hint)
        column.addStretch(1)
        return column

    def _build_revert(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.addWidget(self._heading("Machine results"))
        self.edited = QLabel("No edits: showing the analysers' results.")
        self.edited.setWordWrap(True)
        column.addWidget(self.edited)
        self.revert_layer = QComboBox()
        column.addWidget(self.revert_layer)
        self.revert_button = QPushButton("Revert to machine result")
        self.revert_button.clicked.connect(self._revert)
        column.addWidget(self.revert_button)
        lyrics = QLabel("Lyrics are imported and timed in the Lyrics tab.")
        lyrics.setProperty("muted", True)
        lyrics.setWordWrap(True)
        column.addWidget(lyrics)
        column.addStretch(1)
        self.set_edited_layers(set())
        return column

    def set_stack(self, stack: QUndoStack) -> None:
        self.history.setStack(stack)
        self.undo_button.clicked.connect(stack.undo)
        self.redo_button.clicked.connect(stack.redo)
        stack.canUndoChanged.connect(self.undo_button.setEnabled)
        stack.canRedoChanged.connect(self.redo_button.setEnabled)
        self.undo_button.setEnabled(stack.canUndo())
        self.redo_button.setEnabled(stack.canRedo())

    def set_edited_layers(self, layers: set[str]) -> None:
        self.revert_layer.clear()
        if layers:
            self.edited.setText("Your edits are saved over: " + ", ".join(sorted(layers)) + ".")
            self.revert_layer.addItem(ALL_LAYERS, None)
            for layer in sorted(layers):
                self.revert_layer.addItem(layer, layer)
        else:
            self.edited.setText("No edits: showing the analysers' results.")
        self.revert_layer.setEnabled(bool(layers))
        self.revert_button.setEnabled(bool(layers))

    def set_tempo(self, bpm: float | None) -> None:
        if bpm:
            self.bpm.setValue(bpm)

    def tap(self) -> None:
        bpm = self.tapper.tap()
        if bpm is None:
            self.tap_label.setText(f"{len(self.tapper.taps)} tap{'s' if len(self.tapper.taps) > 1 else ''}…")
        else:
            self.tap_label.setText(f"≈ {bpm:.1f} BPM")
            self.bpm.setValue(bpm)

    def _revert(self) -> None:
        self.revert_requested.emit(self.revert_layer.currentData())
