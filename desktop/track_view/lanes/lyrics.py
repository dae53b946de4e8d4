"""The lyric lane: each line as a block; zoomed in, every word sits at its own time.

The word being sung is highlighted as the playhead passes it; when the words
of a line would overlap at the current zoom the line's text is shown instead.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen

from desktop.track_view import theme
from desktop.track_view.lanes.base import BlockLaneItem, PixelMap, draw_label, font
from moss_music.annotations import LyricLine
from moss_music.annotations.lyric_sync import is_timed


class LyricLaneItem(BlockLaneItem):
    def __init__(self, duration: float) -> None:
        super().__init__(duration)
        self.lines: list[LyricLine] = []
        self.current: tuple[int, int] = (-1, -1)
        """(line, word) being sung."""
        self._starts: list[float] = []
        self._font = font(12)
        self._metrics = QFontMetrics(self._font)

    def spans(self):
        return [(line.start, line.end) for line in self.lines]

    def set_lines(self, lines: list[LyricLine]) -> None:
        """Timed lines are drawn at their times; untimed ones are counted and said to be untimed, never placed."""
        self.lines = [line for line in lines if is_timed(line)]
        self.untimed = len(lines) - len(self.lines)
        self._starts = [line.start for line in self.lines]
        self.update()

    untimed = 0

    def set_current(self, line: int, word: int) -> None:
        if (line, word) != self.current:
            self.current = (line, word)
            self.update()

    def _words_fit(self, line: LyricLine, pixels: PixelMap) -> bool:
        words = line.words
        for a, b in zip(words, words[1:], strict=False):
            if (b.start - a.start) * pixels.scale < self._metrics.horizontalAdvance(a.text) + 6:
                return False
        return bool(words)

    def draw(self, painter: QPainter, pixels: PixelMap) -> None:
        if not self.lines:
            text = (f"{self.untimed} untimed lyric lines — not placed in time; tap to sync them in the Lyrics tab"
                    if self.untimed else "No lyrics — import them in the Lyrics tab")
            draw_label(painter, pixels.rect(pixels.t0, pixels.t1), text, font(12), QColor(theme.MUTED))
            return
        right = pixels.x(pixels.t1)
        for i, start, end in self.visible_blocks(pixels):
            line = self.lines[i]
            rect = pixels.rect(start, end, pad_y=4).adjusted(1, 0, -1, 0)
            active = i == self.current[0]
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#27314a" if active else theme.RAISED))
            painter.drawRoundedRect(rect, 4, 4)
            if self._words_fit(line, pixels):
                self._draw_words(painter, pixels, line, rect, self.current[1] if active else -1)
            else:
                # The text may run on over the gap before the next line: at Fit zoom a line is a few pixels wide.
                following = self.lines[i + 1].start if i + 1 < len(self.lines) else pixels.t1
                room = QRectF(rect.left(), rect.top(), max(min(pixels.x(following), right) - rect.left() - 3,
                                                           rect.width()), rect.height())
                draw_label(painter, room, line.text, self._font, QColor(theme.TEXT if active else "#b8bfcc"))
        self.draw_edit_handles(painter, pixels, QColor(theme.LOOP))

    def _draw_words(self, painter: QPainter, pixels: PixelMap, line: LyricLine, rect: QRectF, current: int) -> None:
        painter.setFont(self._font)
        height = self._metrics.height() + 4
        y = rect.center().y() - height / 2
        for k, word in enumerate(line.words):
            x = pixels.x(word.start)
            width = self._metrics.horizontalAdvance(word.text) + 6
            box = QRectF(x, y, width, height)
            if k == current:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(theme.ACCENT))
                painter.drawRoundedRect(box, 3, 3)
                painter.setPen(QPen(QColor("#0b1413")))
            else:
                painter.setPen(QPen(QColor(theme.TEXT if current >= 0 and k < current else "#b8bfcc")))
            painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), word.text)
