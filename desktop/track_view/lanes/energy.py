"""The optional energy lane: the analyser's 0..1 loudness-like curve as a filled area."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QBrush, QColor, QPainter, QPen

from desktop.track_view import theme
from desktop.track_view.lanes.base import LaneItem, PixelMap


class EnergyItem(LaneItem):
    def __init__(self, duration: float) -> None:
        super().__init__(duration)
        self.times = np.zeros(0)
        self.values = np.zeros(0)

    def set_curve(self, hop_seconds: float, values: list[float]) -> None:
        self.values = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)
        self.times = (np.arange(len(self.values)) + 0.5) * hop_seconds
        self.update()

    def draw(self, painter: QPainter, pixels: PixelMap) -> None:
        if len(self.values) < 2:
            return
        first, last = np.searchsorted(self.times, [pixels.t0, pixels.t1])
        first, last = max(first - 1, 0), min(last + 1, len(self.times))
        xs = pixels.xs(self.times[first:last])
        ys = pixels.bottom - self.values[first:last] * (pixels.height - 4)
        step = max(int(np.ceil(len(xs) / max(pixels.x(pixels.t1) - pixels.x(pixels.t0), 1.0))), 1)
        if step > 1:  # more points than pixels: keep each column's loudest point
            n = len(xs) // step * step
            xs = xs[:n:step]
            ys = ys[:n].reshape(-1, step).min(axis=1)
        if len(xs) < 2:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        x = np.concatenate([[xs[0]], xs, [xs[-1]]])
        y = np.concatenate([[pixels.bottom], ys, [pixels.bottom]])
        color = QColor(theme.ENERGY)
        fill = QColor(color)
        fill.setAlpha(70)
        painter.fillPath(pg.arrayToQPath(x, y, connect="all"), QBrush(fill))
        painter.setPen(QPen(color))
        painter.setBrush(QBrush())
        # One vectorised path: a QPointF per point costs ~0.1 ms each from numpy scalars.
        painter.drawPath(pg.arrayToQPath(xs, ys, connect="all"))
