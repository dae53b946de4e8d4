"""The section lane: colored blocks by function (verse, chorus …) with their names."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen

from desktop.track_view import theme
from desktop.track_view.lanes.base import BlockLaneItem, PixelMap, draw_label, font
from desktop.track_view.lanes.labels import Candidate, place_labels
from moss_music.annotations import Section
from moss_music.annotations.bars import section_titles


class SectionLaneItem(BlockLaneItem):
    def __init__(self, duration: float) -> None:
        super().__init__(duration)
        self.sections: list[Section] = []
        self.current = -1
        self._starts: list[float] = []
        self._font = font(12, QFont.Weight.DemiBold)
        self._metrics = QFontMetrics(self._font)

    def spans(self):
        return [(s.start, s.end) for s in self.sections]

    def set_sections(self, sections: list[Section]) -> None:
        self.sections = list(sections)
        self._starts = [s.start for s in self.sections]
        self.update()

    def set_current(self, index: int) -> None:
        if index != self.current:
            self.current = index
            self.update()

    @staticmethod
    def title(section: Section) -> str:
        """'Chorus 2' as the analyser named it; a bare letter gets its function's name: 'Verse (A)'."""
        return section_titles(section.label, section.function)[0]

    def draw(self, painter: QPainter, pixels: PixelMap) -> None:
        if not self.sections:
            draw_label(painter, pixels.rect(pixels.t0, pixels.t1), "No sections yet", font(12), QColor(theme.MUTED))
            return
        left, right = pixels.x(pixels.t0), pixels.x(pixels.t1)
        candidates, rects, forms = [], {}, {}
        for i, start, end in self.visible_blocks(pixels):
            section = self.sections[i]
            color = theme.section_color(section.function)
            fill = QColor(color)
            fill.setAlpha(235 if i == self.current else 150)
            rect = pixels.rect(start, end, pad_y=2).adjusted(1, 0, -1, 0)
            painter.setBrush(fill)
            if i == self.current:
                pen = QPen(color.lighter(150))
                pen.setWidthF(1.5)
                painter.setPen(pen)
            else:
                painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(rect, 5, 5)
            rects[i] = rect
            forms[i] = section_titles(section.label, section.function)
            # Keep the name on screen while the start of a long section is scrolled out of view.
            x0 = max(rect.left(), left)
            widths = tuple(float(self._metrics.horizontalAdvance(f)) for f in forms[i])
            candidates.append(Candidate(i, x0, min(rect.right(), right), widths, -1.0 if start < pixels.t0 else 0.0))
        for placed in place_labels(candidates, padding=12.0, right_limit=right, left_limit=left):
            rect = rects[placed.key]
            box = QRectF(placed.x0, rect.top(), placed.x1 - placed.x0, rect.height())
            if not placed.inside:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(theme.section_color(self.sections[placed.key].function).darker(160))
                painter.drawRoundedRect(box.adjusted(0, 3, 0, -3), 3, 3)
            painter.setFont(self._font)
            painter.setPen(QPen(QColor("#ffffff")))
            painter.drawText(box.adjusted(6, 0, 0, 0), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                             forms[placed.key][placed.form])
        self.draw_edit_handles(painter, pixels, QColor(theme.LOOP))
