"""The chord lane: one labelled block per chord, colored by root or by harmonic function.

Names come from ``DisplaySettings`` so they follow the transposition, the
capo and the sharps/flats preference; the sounding chord is outlined.
Readable at every zoom: neighbouring chords with the same name are drawn as
one block, labels that do not fit are placed by priority (the chord that
started off screen, then changes on a downbeat) and a chord whose start is
scrolled out of view keeps its name at the left edge.
"""

from __future__ import annotations

import bisect

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen

from desktop.track_view import theme
from desktop.track_view.document import DisplaySettings
from desktop.track_view.lanes.base import BlockLaneItem, PixelMap, draw_label, font
from desktop.track_view.lanes.labels import Candidate, place_labels
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
        self.color_mode = COLOUR_BY_ROOT
        self.current = -1
        self._starts: list[float] = []
        self._names: list[str] = []
        self._colors: list[QColor] = []
        self._font = font(13, QFont.Weight.DemiBold)
        self._small = font(10, QFont.Weight.DemiBold)
        self._metrics = (QFontMetrics(self._font), QFontMetrics(self._small))
        self.downbeats = np.zeros(0)
        self._groups: list[tuple[int, int]] = []
        """(first, last) chord index of each run of same-named chords: drawn as one block."""
        self._group_starts: list[float] = []

    def spans(self):
        return [(c.start, c.end) for c in self.chords]

    def set_chords(self, chords: list[Chord], settings: DisplaySettings, key: Key | None = None,
                   downbeats: np.ndarray | None = None) -> None:
        self.downbeats = np.asarray(downbeats if downbeats is not None else [], dtype=np.float64)
        self.chords = list(chords)
        self.settings = settings
        self.key = key
        self._starts = [c.start for c in self.chords]
        self.refresh_names()

    def set_color_mode(self, mode: str) -> None:
        self.color_mode = mode
        self.refresh_names()

    def refresh_names(self) -> None:
        """Recompute labels and colors (after a transposition, capo or spelling change)."""
        # A song has hundreds of chords but a dozen different labels: name and parse each label once.
        names = {label: self.settings.chord_name(label) for label in {c.label for c in self.chords}}
        self._names = [names[c.label] for c in self.chords]
        roots: dict[str, int | None] = {}
        for label in names:
            try:
                roots[label] = parse_chord(label).root
            except ValueError:
                roots[label] = None
        tonic = None
        if self.key is not None:
            try:
                tonic = note_to_pitch_class(self.key.tonic)
            except ValueError:
                tonic = None
        minor = self.key is not None and self.key.mode.startswith("min")
        colors = []
        for chord in self.chords:
            root = roots[chord.label]
            if self.color_mode == COLOUR_BY_FUNCTION:
                colors.append(theme.function_color(root, tonic, minor))
            else:
                shifted = None if root is None else (root + self.settings.transpose) % 12
                colors.append(theme.root_color(shifted))
        self._colors = colors
        self._group_runs()
        self.update()

    def _group_runs(self) -> None:
        groups: list[tuple[int, int]] = []
        for i, chord in enumerate(self.chords):
            if groups and self._names[i] == self._names[groups[-1][1]] and \
                    abs(self.chords[groups[-1][1]].end - chord.start) < 1e-3 and not self.editable:
                groups[-1] = (groups[-1][0], i)
            else:
                groups.append((i, i))
        self._groups = groups
        self._group_starts = [self.chords[a].start for a, _b in groups]

    def set_editable(self, editable: bool) -> None:
        super().set_editable(editable)
        self._group_runs()  # every chord is its own block while edges can be dragged

    def on_downbeat(self, t: float) -> bool:
        if not len(self.downbeats):
            return False
        i = int(np.searchsorted(self.downbeats, t))
        near = [self.downbeats[j] for j in (i - 1, i) if 0 <= j < len(self.downbeats)]
        return any(abs(d - t) < 0.12 for d in near)

    def set_current(self, index: int) -> None:
        if index != self.current:
            self.current = index
            self.update()

    def visible_groups(self, pixels: PixelMap) -> list[tuple[int, int, float, float]]:
        """(first, last, start, end) of the same-name runs overlapping the drawn range."""
        spans = self.effective_spans()
        first = max(bisect.bisect_right(self._group_starts, pixels.t0) - 1, 0)
        out = []
        for a, b in self._groups[first:]:
            start, end = spans[a][0], spans[b][1]
            if start > pixels.t1:
                break
            if end >= pixels.t0:
                out.append((a, b, start, end))
        return out

    def draw(self, painter: QPainter, pixels: PixelMap) -> None:
        if not self.chords:
            draw_label(painter, pixels.rect(pixels.t0, pixels.t1), "No chords yet", font(12), QColor(theme.MUTED))
            return
        groups = self.visible_groups(pixels)
        left, right = pixels.x(pixels.t0), pixels.x(pixels.t1)
        candidates: list[Candidate] = []
        rects: dict[int, QRectF] = {}
        for a, b, start, end in groups:
            rect = pixels.rect(start, end, pad_y=3).adjusted(1, 0, -1, 0)
            rects[a] = rect
            current = a <= self.current <= b
            if self.chords[a].label == "N":
                painter.setPen(QPen(QColor(theme.BORDER)))
                painter.setBrush(Qt.BrushStyle.NoBrush)
            else:
                color = QColor(self._colors[a])
                painter.setBrush(color.lighter(135) if current else color)
                if current:
                    pen = QPen(QColor(theme.TEXT))
                    pen.setWidthF(1.5)
                    painter.setPen(pen)
                else:
                    painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(rect, 4, 4)
            name = "N.C." if self.chords[a].label == "N" else self._names[a]
            x0 = max(rect.left(), left)  # a chord that began off screen keeps its name at the edge
            widths = (self._metrics[0].horizontalAdvance(name), self._metrics[1].horizontalAdvance(name))
            pinned = start < pixels.t0
            priority = -1.0 if pinned else (0.0 if self.on_downbeat(start) else 1.0) - min(end - start, 8) / 100
            candidates.append(Candidate(a, x0, min(rect.right(), right), widths, priority))
        rows = 2 if pixels.height >= 32 else 1
        for placed in place_labels(candidates, padding=3.0, right_limit=right, rows=rows,
                                   left_limit=left):
            self._draw_name(painter, placed, rects[placed.key], rows)
        self.draw_edit_handles(painter, pixels, QColor(theme.LOOP))

    def _draw_name(self, painter: QPainter, placed, rect: QRectF, rows: int = 1) -> None:
        chord = self.chords[placed.key]
        name = "N.C." if chord.label == "N" else self._names[placed.key]
        label_font = self._font if placed.form == 0 else self._small
        box = QRectF(placed.x0, rect.top(), placed.x1 - placed.x0, rect.height())
        if not placed.inside:  # runs over the next blocks: give it a backdrop of its own color
            if rows > 1:
                height = rect.height() / rows
                box = QRectF(placed.x0, rect.top() + placed.row * height, box.width(), height)
            backdrop = QColor(self._colors[placed.key]).darker(150) if chord.label != "N" else QColor(theme.LANE)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(backdrop)
            painter.drawRoundedRect(box.adjusted(0, 1 if rows > 1 else 5, 0, -1 if rows > 1 else -5), 3, 3)
        painter.setFont(label_font)
        painter.setPen(QPen(QColor(theme.MUTED if chord.label == "N" else "#ffffff")))
        painter.drawText(box.adjusted(3 if placed.form else 4, 0, 0, 0),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), name)

    def label_at(self, index: int) -> str:
        """The name shown for chord ``index`` (tooltips, tests)."""
        return "N.C." if self.chords[index].label == "N" else self._names[index]
