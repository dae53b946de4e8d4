"""The beat grid lane: a tick per beat, a taller one per downbeat, and bar numbers.

Level of detail: when beats would be closer than a few pixels only downbeats
are drawn, and bar numbers thin out (every 2nd, 4th, 8th … bar) so they never
overlap.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from desktop.track_view import theme
from desktop.track_view.lanes.base import LaneItem, PixelMap, font

MIN_BEAT_PIXELS = 5.0
MIN_LABEL_PIXELS = 28.0


class BeatGridItem(LaneItem):
    def __init__(self, duration: float) -> None:
        super().__init__(duration)
        self.times = np.zeros(0)
        self.positions = np.zeros(0, dtype=np.int32)
        self.current = -1
        self._font = font(10)

    def set_beats(self, times: np.ndarray, positions: np.ndarray) -> None:
        self.times = np.asarray(times, dtype=np.float64)
        self.positions = np.asarray(positions, dtype=np.int32)
        self._bar_numbers = np.cumsum(self.positions == 1)
        self.update()

    def set_current(self, index: int) -> None:
        if index != self.current:
            self.current = index
            self.update()

    def draw(self, painter: QPainter, pixels: PixelMap) -> None:
        if not len(self.times):
            painter.setFont(self._font)
            painter.setPen(QPen(QColor(theme.MUTED)))
            painter.drawText(QRectF(pixels.x(pixels.t0) + 8, pixels.top, 300, pixels.height),
                             int(Qt.AlignmentFlag.AlignVCenter), "No beat grid yet")
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        first, last = np.searchsorted(self.times, [pixels.t0, pixels.t1])
        first = max(first - 1, 0)
        times = self.times[first:last + 1]
        positions = self.positions[first:last + 1]
        xs = pixels.xs(times)
        spacing = pixels.scale * float(np.median(np.diff(self.times))) if len(self.times) > 1 else 100.0
        down = positions == 1
        if spacing >= MIN_BEAT_PIXELS:
            painter.setPen(QPen(QColor("#3c4250")))
            top = pixels.bottom - pixels.height * 0.35
            painter.drawLines([QLineF(x, top, x, pixels.bottom) for x in xs[~down]])
        painter.setPen(QPen(QColor("#6b7385")))
        painter.drawLines([QLineF(x, pixels.top + 2, x, pixels.bottom) for x in xs[down]])
        if 0 <= self.current - first < len(times):
            x = pixels.x(self.times[self.current])
            pen = QPen(QColor(theme.ACCENT))
            pen.setWidthF(3.0)
            painter.setPen(pen)
            painter.drawLine(QPointF(x, pixels.top + 2), QPointF(x, pixels.bottom))
        bar_spacing = spacing * max(int(np.max(self.positions)), 1)
        every = 1
        while bar_spacing * every < MIN_LABEL_PIXELS:
            every *= 2
        painter.setFont(self._font)
        painter.setPen(QPen(QColor(theme.MUTED)))
        bars = self._bar_numbers[first:last + 1]
        for x, bar, is_down in zip(xs, bars, down, strict=True):
            if is_down and (bar - 1) % every == 0:
                painter.drawText(QPointF(x + 3, pixels.top + 11), str(int(bar)))
