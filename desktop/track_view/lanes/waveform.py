"""The waveform lane: the min/max envelope from the cached peak pyramid, at the zoom's level of detail.

Only the visible range is taken from the pyramid, at about one bin per
pixel, so a 10-minute track draws as fast as a 10-second one. The per-column
min/max is cached per (range, width) because the playhead repaints the lane at
display refresh without the view having moved. Until the peaks exist (first
open computes them in the background) a placeholder says so.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen

from desktop.track_view import theme
from desktop.track_view.lanes.base import LaneItem, PixelMap, draw_label, font
from moss_music.audio import PeakPyramid


class WaveformItem(LaneItem):
    def __init__(self, duration: float) -> None:
        super().__init__(duration)
        self.pyramid: PeakPyramid | None = None
        self._peak = 1.0
        self.message = "Computing waveform…"
        self._cache_key: tuple | None = None
        self._cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._color = QColor(theme.WAVE)

    def set_peaks(self, pyramid: PeakPyramid | None, message: str = "") -> None:
        self.pyramid = pyramid
        self.message = message
        self._peak = float(np.max(np.abs(pyramid.levels[-1].maxs))) if pyramid is not None else 1.0
        self._cache_key = None
        self.update()

    def _columns(self, pixels: PixelMap) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One (x, top, bottom) per pixel column: the min/max of the pyramid bins under that column."""
        x0, x1 = int(np.floor(pixels.x(pixels.t0))), int(np.ceil(pixels.x(pixels.t1)))
        key = (x0, x1, round(pixels.scale, 6), round(pixels.offset, 3), pixels.top, pixels.bottom)
        if key == self._cache_key and self._cache is not None:
            return self._cache
        width = max(x1 - x0, 1)
        times, mins, maxs = self.pyramid.envelope(pixels.t0, pixels.t1, width)
        xs = np.arange(x0, x1, dtype=np.float64)
        if len(times) == 0:
            self._cache = (xs[:0], xs[:0], xs[:0])
        else:
            # Column i covers [t(i), t(i+1)); take every bin whose centre falls there (at least the nearest one).
            edges = (np.append(xs, x1) - pixels.offset) / pixels.scale
            first = np.clip(np.searchsorted(times, edges[:-1]), 0, len(times) - 1)
            last = np.clip(np.searchsorted(times, edges[1:]), first + 1, len(times))
            lo = np.minimum.reduceat(mins, first) if len(first) else mins[:0]
            hi = np.maximum.reduceat(maxs, first) if len(first) else maxs[:0]
            # reduceat over-reaches when a column holds no bin: fall back to that column's nearest bin.
            single = last - first <= 1
            lo[single], hi[single] = mins[first[single]], maxs[first[single]]
            peak = max(self._peak, 1e-3)
            mid = (pixels.top + pixels.bottom) / 2
            half = (pixels.bottom - pixels.top) / 2 * 0.92 / peak
            tops = mid - hi * half
            bottoms = np.maximum(mid - lo * half, tops + 1.0)
            self._cache = (xs + 0.5, tops, bottoms)
        self._cache_key = key
        return self._cache

    def draw(self, painter: QPainter, pixels: PixelMap) -> None:
        mid = (pixels.top + pixels.bottom) / 2
        painter.setPen(QPen(QColor(theme.BORDER)))
        painter.drawLine(QPointF(pixels.x(pixels.t0), mid), QPointF(pixels.x(pixels.t1), mid))
        if self.pyramid is None:
            draw_label(painter, QRectF(pixels.x(pixels.t0), pixels.top, 400, pixels.height), self.message,
                       font(14), QColor(theme.MUTED), padding=16)
            return
        xs, tops, bottoms = self._columns(pixels)
        if len(xs) == 0:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QPen(self._color))
        painter.drawLines([QLineF(x, a, x, b) for x, a, b in zip(xs, tops, bottoms, strict=True)])
