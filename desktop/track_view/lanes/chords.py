"""The chord lane: one labelled block per chord, coloured by root or by harmonic function.

Names come from ``DisplaySettings`` so they follow the transposition, the
capo and the sharps/flats preference; the sounding chord is outlined.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from desktop.track_view import theme
from desktop.track_view.document import DisplaySettings
from desktop.track_view.lanes.base import BlockLaneItem, PixelMap, draw_label, font
from moss_music.annotations import Chord, Key, parse_chord
from moss_music.annotations.chords import note_to_pitch_class

COLOUR_BY_ROOT = "root"
COLOUR_BY_FUNCTION = "function"


class ChordLaneItem(BlockLaneItem):
    def __init__(self, duration: float) -> None:
        super().__init__(duration)
        self.chords: list[Chord] = []
        self.settings = DisplaySettings()
        self.key: Key | None = None
        self.colour_mode = COLOUR_BY_ROOT
        self.current = -1
        self._starts: list[float] = []
        self._names: list[str] = []
        self._colours: list[QColor] = []
        self._font = font(13, QFont.Weight.DemiBold)

    def spans(self):
        return [(c.start, c.end) for c in self.chords]

    def set_chords(self, chords: list[Chord], settings: DisplaySettings, key: Key | None = None) -> None:
        self.chords = list(chords)
        self.settings = settings
        self.key = key
        self._starts = [c.start for c in self.chords]
        self.refresh_names()

    def set_colour_mode(self, mode: str) -> None:
        self.colour_mode = mode
        self.refresh_names()

    def refresh_names(self) -> None:
        """Recompute labels and colours (after a transposition, capo or spelling change)."""
        self._names = [self.settings.chord_name(c.label) for c in self.chords]
        tonic = None
        if self.key is not None:
            try:
                tonic = note_to_pitch_class(self.key.tonic)
            except ValueError:
                tonic = None
        minor = self.key is not None and self.key.mode.startswith("min")
        colours = []
        for chord in self.chords:
            try:
                root = parse_chord(chord.label).root
            except ValueError:
                root = None
            if self.colour_mode == COLOUR_BY_FUNCTION:
                colours.append(theme.function_colour(root, tonic, minor))
            else:
                shifted = None if root is None else (root + self.settings.transpose) % 12
                colours.append(theme.root_colour(shifted))
        self._colours = colours
        self.update()

    def set_current(self, index: int) -> None:
        if index != self.current:
            self.current = index
            self.update()

    def draw(self, painter: QPainter, pixels: PixelMap) -> None:
        if not self.chords:
            draw_label(painter, pixels.rect(pixels.t0, pixels.t1), "No chords yet", font(12), QColor(theme.MUTED))
            return
        for i, start, end in self.visible_blocks(pixels):
            rect = pixels.rect(start, end, pad_y=3).adjusted(1, 0, -1, 0)
            if self.chords[i].label == "N":
                painter.setPen(QPen(QColor(theme.BORDER)))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(rect, 4, 4)
                draw_label(painter, rect, "N.C.", self._font, QColor(theme.MUTED))
                continue
            colour = QColor(self._colours[i])
            if i == self.current:
                colour = colour.lighter(135)
            painter.setBrush(colour)
            if i == self.current:
                pen = QPen(QColor(theme.TEXT))
                pen.setWidthF(1.5)
                painter.setPen(pen)
            else:
                painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(rect, 4, 4)
            draw_label(painter, rect, self._names[i], self._font, QColor("#ffffff"), padding=4)
        self.draw_edit_handles(painter, pixels, QColor(theme.LOOP))
