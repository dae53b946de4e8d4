"""The transport bar: play/pause/stop, clock, sound state, loop, zoom, follow, view switch, edit and export.

Everything here must stay usable at 1280 px: text that can grow (the loop and
status messages) is elided to the room there is, with the full text in the
tooltip, and never laid out at zero width; the clock reserves the width of its
longest text. Choices that are rarely changed (output device, chord colors,
which lanes to show) live in menus behind one button each.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QFontMetrics, QPainter
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QSizePolicy, QToolButton, QWidget

from desktop.player import OutputDevice
from desktop.track_view.lanes import COLOUR_BY_FUNCTION, COLOUR_BY_ROOT
from desktop.track_view.timeline import format_time

VIEW_LANES, VIEW_SHEET = "lanes", "sheet"


def _button(text: str, tip: str, checkable: bool = False) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setCheckable(checkable)
    return button


class ElidedLabel(QLabel):
    """A label that shrinks to ``minimum`` pixels and elides its text, never to nothing."""

    def __init__(self, minimum: int = 80, maximum: int = 420, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._minimum = minimum
        self.setMaximumWidth(maximum)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)
        self.updateGeometry()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(self._minimum, super().sizeHint().width()) if self.text() else 0, hint.height())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        metrics = QFontMetrics(self.font())
        rect = self.contentsRect()
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         metrics.elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width()))


class TransportBar(QFrame):
    device_chosen = Signal(object)
    """An ``OutputDevice`` index, or None for the system default."""
    color_mode_changed = Signal(str)
    viewChanged = Signal(str)
    lane_toggled = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        row.setSpacing(4)
        self.play = _button("▶", "Play / pause (Space)")
        self.play.setObjectName("Play")
        self.stop = _button("■", "Stop and go back to the start (Home)")
        self.clock = QLabel("0:00.0 / 0:00")
        self.clock.setObjectName("Clock")
        self.sound = QLabel("⚠ No sound")
        self.sound.setObjectName("NoSound")
        self.sound.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.sound.hide()
        self.loop_a = _button("A", "Loop start at the playhead ([)")
        self.loop_b = _button("B", "Loop end at the playhead (])")
        self.loop_section = _button("⟳ Section", "Loop the section under the playhead (L)")
        self.loop_clear = _button("✕", "Clear the loop (Esc)")
        for button in (self.play, self.stop, self.loop_a, self.loop_b, self.loop_clear):
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.loop_text = ElidedLabel(70, 230)
        self.loop_text.setProperty("muted", True)
        self.zoom_out = _button("−", "Zoom out (-)")
        self.zoom_in = _button("+", "Zoom in (+)")
        self.zoom_fit = _button("Fit", "Show the whole song (0)")
        self.follow = _button("Follow", "Keep the playhead in view while playing (F)", checkable=True)
        self.follow.setChecked(True)
        self.show_lanes = _button("Lanes", "Waveform, beats, chords, sections and lyrics on a time line", True)
        self.show_sheet = _button("Sheet", "Chord sheet: bars with chords, section names and lyrics (S)", True)
        self.show_lanes.setChecked(True)
        self.show_lanes.clicked.connect(lambda: self.set_view(VIEW_LANES, emit=True))
        self.show_sheet.clicked.connect(lambda: self.set_view(VIEW_SHEET, emit=True))
        self.lanes_menu_button = _button("☰", "Chord colors and which lanes to show")
        self.lanes_menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.lanes_menu = QMenu(self)
        self.lanes_menu_button.setMenu(self.lanes_menu)
        self._build_lanes_menu()
        self.edit = _button("✎ Edit", "Edit mode: drag boundaries, double-click to rename (E)", checkable=True)
        self.export = _button("Export…", "Export lyrics, markers, MIDI or tags")
        self.device = _button("♪", "Audio output device")
        self.device.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.device_menu = QMenu(self)
        self.device.setMenu(self.device_menu)
        self.status = ElidedLabel(90, 380)
        self.status.setObjectName("Warning")
        for widget in (self.play, self.stop, self.clock, self.sound, self.loop_a, self.loop_b,
                       self.loop_section, self.loop_clear, self.loop_text):
            row.addWidget(widget)
        row.addStretch(1)
        for widget in (self.status, self.zoom_out, self.zoom_in, self.zoom_fit, self.follow,
                       self.show_lanes, self.show_sheet, self.lanes_menu_button, self.edit, self.export,
                       self.device):
            row.addWidget(widget)
        self._reserve_clock()
        self.set_devices([], False)

    def _reserve_clock(self, duration: float = 600.0) -> None:
        """Room for the widest time this song can show, so the clock is never cut."""
        total = format_time(duration)
        widest = re.sub(r"\d", "8", f"{total}.8 / {total}")
        self.clock.ensurePolished()
        margin = 18
        self.clock.setMinimumWidth(QFontMetrics(self.clock.font()).horizontalAdvance(widest) + margin)

    def _build_lanes_menu(self) -> None:
        colors = QActionGroup(self)
        for text, mode in (("Chords colored by root", COLOUR_BY_ROOT),
                           ("Chords colored by function", COLOUR_BY_FUNCTION)):
            action = QAction(text, self, checkable=True)
            action.setChecked(mode == COLOUR_BY_ROOT)
            action.triggered.connect(lambda _c=False, m=mode: self.color_mode_changed.emit(m))
            colors.addAction(action)
            self.lanes_menu.addAction(action)
        self.lanes_menu.addSeparator()
        self.lane_actions: dict[str, QAction] = {}

    def add_lane_toggle(self, kind: str, title: str) -> None:
        action = QAction(f"Show {title.lower()} lane", self, checkable=True)
        action.setChecked(True)
        action.toggled.connect(lambda on, k=kind: self.lane_toggled.emit(k, on))
        self.lane_actions[kind] = action
        self.lanes_menu.addAction(action)

    def set_view(self, view: str, emit: bool = False) -> None:
        self.show_lanes.setChecked(view == VIEW_LANES)
        self.show_sheet.setChecked(view == VIEW_SHEET)
        for button in (self.zoom_in, self.zoom_out, self.zoom_fit):
            button.setEnabled(view == VIEW_LANES)
        if emit:
            self.viewChanged.emit(view)

    def set_playing(self, playing: bool) -> None:
        self.play.setText("❚❚" if playing else "▶")

    def set_time(self, position: float, duration: float) -> None:
        minutes, seconds = divmod(max(position, 0.0), 60.0)
        text = f"{int(minutes)}:{seconds:04.1f} / {format_time(duration)}"
        if text != self.clock.text():
            if not self.clock.text().endswith(format_time(duration)):
                self._reserve_clock(duration)
            self.clock.setText(text)

    def set_loop(self, start: float | None, end: float | None, name: str = "") -> None:
        if start is None or end is None:
            self.loop_text.setText("")
        else:
            label = f"{name} · " if name else ""
            self.loop_text.setText(f"{label}{format_time(start, True)[:-2]}–{format_time(end, True)[:-2]}")
        self.loop_clear.setEnabled(start is not None)

    def set_devices(self, devices: list[OutputDevice], available: bool) -> None:
        self.device_menu.clear()
        if not devices:
            none = self.device_menu.addAction("No audio output found")
            none.setEnabled(False)
            return
        group = QActionGroup(self.device_menu)
        entries = [("System default output", None)] + [(str(d), d.index) for d in devices]
        for text, index in entries:
            action = QAction(text, self.device_menu, checkable=True)
            action.setChecked(index is None and available)
            action.triggered.connect(lambda _c=False, i=index: self.device_chosen.emit(i))
            group.addAction(action)
            self.device_menu.addAction(action)

    def set_sound(self, audible: bool, reason: str = "") -> None:
        """Say on the transport itself when nothing can be heard, and why."""
        self.sound.setVisible(not audible)
        self.sound.setToolTip(f"{reason}\nPlay still runs the playhead, loops, count-in and practice panel "
                              "on the clock, silently." if reason else "")
        self.device.setToolTip("Audio output device" if audible else f"Audio output device: {reason}")

    def set_status(self, text: str) -> None:
        self.status.setText(text)
