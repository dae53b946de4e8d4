"""The transport bar: play/pause/stop, clock, loop, zoom, follow, edit mode, export and the output device."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from desktop.player import OutputDevice
from desktop.track_view.lanes import COLOUR_BY_FUNCTION, COLOUR_BY_ROOT
from desktop.track_view.timeline import format_time


def _button(text: str, tip: str, checkable: bool = False) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setCheckable(checkable)
    return button


class TransportBar(QFrame):
    deviceChosen = Signal(object)
    """An ``OutputDevice`` index, or None for the system default."""
    colourModeChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        row.setSpacing(6)
        self.play = _button("▶", "Play / pause (Space)")
        self.play.setObjectName("Play")
        self.stop = _button("■", "Stop and go back to the start (Home)")
        self.clock = QLabel("0:00.0 / 0:00")
        self.clock.setObjectName("Clock")
        self.loop_a = _button("A", "Loop start at the playhead ([)")
        self.loop_b = _button("B", "Loop end at the playhead (])")
        self.loop_section = _button("⟳ Section", "Loop the section under the playhead (L)")
        self.loop_clear = _button("✕ Loop", "Clear the loop (Esc)")
        self.loop_text = QLabel("")
        self.loop_text.setProperty("muted", True)
        self.loop_text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.loop_text.setMinimumWidth(0)
        self.loop_text.setMaximumWidth(240)
        self.zoom_out = _button("−", "Zoom out (-)")
        self.zoom_in = _button("+", "Zoom in (+)")
        self.zoom_fit = _button("Fit", "Show the whole song (0)")
        self.follow = _button("Follow", "Keep the playhead in view while playing (F)", checkable=True)
        self.follow.setChecked(True)
        self.colour_mode = QComboBox()
        self.colour_mode.addItem("Chords by root", COLOUR_BY_ROOT)
        self.colour_mode.addItem("Chords by function", COLOUR_BY_FUNCTION)
        self.colour_mode.currentIndexChanged.connect(
            lambda _i: self.colourModeChanged.emit(self.colour_mode.currentData()))
        self.edit = _button("✎ Edit", "Edit mode: drag boundaries, double-click to rename (E)", checkable=True)
        self.export = _button("Export…", "Export lyrics, markers, MIDI or tags")
        self.device = QComboBox()
        self.device.setMinimumWidth(140)
        self.device.setToolTip("Audio output device")
        self.device.activated.connect(lambda _i: self.deviceChosen.emit(self.device.currentData()))
        self.status = QLabel("")
        self.status.setObjectName("Warning")
        # A long message must not widen the window: it is cut to the space there is (full text in the tooltip).
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status.setMaximumWidth(380)
        for widget in (self.play, self.stop, self.clock, self._gap(), self.loop_a, self.loop_b, self.loop_section,
                       self.loop_clear, self.loop_text):
            row.addWidget(widget)
        row.addStretch(1)
        for widget in (self.status, self.zoom_out, self.zoom_in, self.zoom_fit, self.follow, self._gap(),
                       self.colour_mode, self.edit, self.export, self.device):
            row.addWidget(widget)

    @staticmethod
    def _gap() -> QLabel:
        gap = QLabel("")
        gap.setFixedWidth(10)
        return gap

    def set_playing(self, playing: bool) -> None:
        self.play.setText("❚❚" if playing else "▶")

    def set_time(self, position: float, duration: float) -> None:
        minutes, seconds = divmod(max(position, 0.0), 60.0)
        text = f"{int(minutes)}:{seconds:04.1f} / {format_time(duration)}"
        if text != self.clock.text():
            self.clock.setText(text)

    def set_loop(self, start: float | None, end: float | None, name: str = "") -> None:
        if start is None or end is None:
            self.loop_text.setText("")
        else:
            label = f"{name} · " if name else ""
            self.loop_text.setText(f"{label}{format_time(start, True)} – {format_time(end, True)}")
        self.loop_clear.setEnabled(start is not None)

    def set_devices(self, devices: list[OutputDevice], available: bool) -> None:
        self.device.clear()
        if not devices:
            self.device.addItem("No audio output", None)
            self.device.setEnabled(False)
            return
        self.device.setEnabled(True)
        self.device.addItem("System default output", None)
        for device in devices:
            self.device.addItem(str(device), device.index)

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setToolTip(text)
