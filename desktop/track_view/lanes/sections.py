"""The section lane: coloured blocks by function (verse, chorus …) with their names."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from desktop.track_view import theme
from desktop.track_view.lanes.base import BlockLaneItem, PixelMap, draw_label, font
from moss_music.annotations import Section


class SectionLaneItem(BlockLaneItem):
    def __init__(self, duration: float) -> None:
        super().__init__(duration)
        self.sections: list[Section] = []
        self.current = -1
        self._starts: list[float] = []
        self._font = font(12, QFont.Weight.DemiBold)

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
        """'Chorus 2' as the analyser named it; a bare letter gets its function: 'A · verse'."""
        if len(section.label) <= 2 and section.function not in ("", "other"):
            return f"{section.label} · {section.function}"
        return section.label

    def draw(self, painter: QPainter, pixels: PixelMap) -> None:
        if not self.sections:
            draw_label(painter, pixels.rect(pixels.t0, pixels.t1), "No sections yet", font(12), QColor(theme.MUTED))
            return
        for i, start, end in self.visible_blocks(pixels):
            section = self.sections[i]
            colour = theme.section_colour(section.function)
            fill = QColor(colour)
            fill.setAlpha(235 if i == self.current else 150)
            rect = pixels.rect(start, end, pad_y=2).adjusted(1, 0, -1, 0)
            painter.setBrush(fill)
            if i == self.current:
                pen = QPen(colour.lighter(150))
                pen.setWidthF(1.5)
                painter.setPen(pen)
            else:
                painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(rect, 5, 5)
            # Keep the name on screen while the start of a long section is scrolled out of view.
            label_rect = rect.adjusted(max(pixels.x(pixels.t0) - rect.left(), 0), 0, 0, 0)
            draw_label(painter, label_rect, self.title(section), self._font, QColor("#ffffff"))
        self.draw_edit_handles(painter, pixels, QColor(theme.LOOP))
