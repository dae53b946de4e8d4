"""What every lane item shares: drawing in screen pixels, and blocks whose edges can be dragged.

Lane items live in a pyqtgraph ViewBox whose x axis is song time and whose y
axis is 0..1. Text drawn in data coordinates would be stretched by the zoom,
so ``LaneItem.paint`` maps the visible time range to pixels once and hands
the subclass a ``PixelMap`` to draw with an identity transform: labels stay
crisp and only what is on screen is drawn.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem


@dataclass(frozen=True)
class PixelMap:
    """Time -> pixel mapping of one paint, and the lane's pixel rectangle."""

    scale: float
    offset: float
    top: float
    bottom: float
    t0: float
    t1: float

    def x(self, t: float) -> float:
        return self.scale * t + self.offset

    def xs(self, times: np.ndarray) -> np.ndarray:
        return self.scale * times + self.offset

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def rect(self, start: float, end: float, pad_y: float = 0.0) -> QRectF:
        x0, x1 = self.x(max(start, self.t0 - 1)), self.x(min(end, self.t1 + 1))
        return QRectF(x0, self.top + pad_y, max(x1 - x0, 0.0), self.height - 2 * pad_y)


def font(size: int, weight: QFont.Weight = QFont.Weight.Normal) -> QFont:
    f = QFont()
    f.setPixelSize(size)
    f.setWeight(weight)
    return f


class LaneItem(pg.GraphicsObject):
    def __init__(self, duration: float) -> None:
        super().__init__()
        self.duration = max(duration, 1e-3)
        # The playhead moves at display refresh over every lane: keep each lane's pixels cached so
        # those small repaints are blits, and only a zoom, a scroll or an edit redraws a lane.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_duration(self, duration: float) -> None:
        self.prepareGeometryChange()
        self.duration = max(duration, 1e-3)
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(0.0, 0.0, self.duration, 1.0)

    def visible_range(self) -> tuple[float, float]:
        view = self.getViewBox()
        if view is None:
            return 0.0, self.duration
        (t0, t1), _ = view.viewRange()
        return max(t0, 0.0), min(t1, self.duration)

    def paint(self, painter: QPainter, option, widget=None) -> None:  # Qt's signature
        transform = painter.transform()
        t0, t1 = self.visible_range()
        if t1 <= t0:
            return
        top = transform.map(QPointF(0.0, 1.0)).y()
        bottom = transform.map(QPointF(0.0, 0.0)).y()
        if top > bottom:
            top, bottom = bottom, top
        pixels = PixelMap(transform.m11(), transform.dx(), top, bottom, t0, t1)
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        self.draw(painter, pixels)
        painter.restore()

    def draw(self, painter: QPainter, pixels: PixelMap) -> None:
        raise NotImplementedError


def draw_label(painter: QPainter, rect: QRectF, text: str, label_font: QFont, color: QColor,
               align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, padding: float = 6.0) -> bool:
    """Draw ``text`` inside ``rect`` if at least a few characters fit; elided with '…' otherwise."""
    inner = rect.adjusted(padding, 0, -padding / 2, 0)
    if inner.width() < 10:
        return False
    metrics = QFontMetrics(label_font)
    shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(inner.width()))
    if not shown or shown == "…":
        return False
    painter.setFont(label_font)
    painter.setPen(QPen(color))
    painter.drawText(inner, int(align), shown)
    return True


class BlockLaneItem(LaneItem):
    """A lane of [start, end) blocks; in edit mode their edges can be dragged with the mouse.

    Adjacent blocks (one's end is the next one's start) move together, so a
    section boundary stays a boundary. The lane only previews the drag; the
    finished move is reported through ``edge_moved(index, edge, time)`` and
    becomes an undoable edit elsewhere.
    """

    edge_moved = Signal(str, int, str, float)
    """(lane kind, block index, 'start'|'end', new time)"""
    GRAB_PIXELS = 6.0
    MIN_BLOCK = 0.05

    def __init__(self, duration: float) -> None:
        super().__init__(duration)
        self.editable = False
        self.kind = ""
        self._drag: tuple[int, str, float] | None = None
        self._starts: list[float] = []
        self.setAcceptHoverEvents(True)

    def spans(self) -> Sequence[tuple[float, float]]:
        raise NotImplementedError

    def set_editable(self, editable: bool) -> None:
        self.editable = editable
        self.unsetCursor()
        self.update()

    def visible_blocks(self, pixels: PixelMap) -> Iterator[tuple[int, float, float]]:
        """(index, start, end) of the blocks overlapping the drawn range, found by bisection so a long song's
        thousands of chords cost nothing off screen. Subclasses keep ``_starts`` sorted."""
        spans = self.effective_spans()
        first = max(bisect.bisect_right(self._starts, pixels.t0) - 1, 0)
        for i in range(first, len(spans)):
            start, end = spans[i]
            if start > pixels.t1:
                break
            if end >= pixels.t0:
                yield i, start, end

    def effective_spans(self) -> list[tuple[float, float]]:
        """Spans with the drag in progress applied, for drawing."""
        spans = [tuple(s) for s in self.spans()]
        if self._drag is None:
            return spans
        index, edge, t = self._drag
        start, end = spans[index]
        if edge == "start":
            spans[index] = (t, end)
            if index > 0 and abs(spans[index - 1][1] - start) < 1e-6:
                spans[index - 1] = (spans[index - 1][0], t)
        else:
            spans[index] = (start, t)
            if index + 1 < len(spans) and abs(spans[index + 1][0] - end) < 1e-6:
                spans[index + 1] = (t, spans[index + 1][1])
        return spans

    def edge_at(self, t: float) -> tuple[int, str] | None:
        view = self.getViewBox()
        if view is None:
            return None
        tolerance = view.viewPixelSize()[0] * self.GRAB_PIXELS
        best: tuple[float, int, str] | None = None
        for i, (start, end) in enumerate(self.spans()):
            for edge, at in (("start", start), ("end", end)):
                distance = abs(at - t)
                if distance <= tolerance and (best is None or distance < best[0]):
                    best = (distance, i, edge)
        return (best[1], best[2]) if best else None

    def edge_limits(self, index: int, edge: str) -> tuple[float, float]:
        spans = self.spans()
        start, end = spans[index]
        if edge == "start":
            lower = spans[index - 1][0] + self.MIN_BLOCK if index > 0 and abs(spans[index - 1][1] - start) < 1e-6 \
                else (spans[index - 1][1] if index > 0 else 0.0)
            return lower, end - self.MIN_BLOCK
        upper = spans[index + 1][1] - self.MIN_BLOCK if index + 1 < len(spans) and \
            abs(spans[index + 1][0] - end) < 1e-6 else (spans[index + 1][0] if index + 1 < len(spans) else self.duration)
        return start + self.MIN_BLOCK, upper

    def hoverEvent(self, ev) -> None:
        if not self.editable or ev.isExit():
            self.unsetCursor()
            return
        if self.edge_at(ev.pos().x()) is not None:
            self.setCursor(Qt.CursorShape.SizeHorCursor)
        else:
            self.unsetCursor()

    def mouseDragEvent(self, ev) -> None:
        if not self.editable or ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        if ev.isStart():
            hit = self.edge_at(ev.buttonDownPos().x())
            if hit is None:
                ev.ignore()
                return
            self._drag = (hit[0], hit[1], ev.buttonDownPos().x())
        if self._drag is None:
            ev.ignore()
            return
        ev.accept()
        index, edge, _ = self._drag
        lower, upper = self.edge_limits(index, edge)
        t = float(np.clip(ev.pos().x(), lower, upper))
        self._drag = (index, edge, t)
        self.update()
        if ev.isFinish():
            self._drag = None
            self.update()
            self.edge_moved.emit(self.kind, index, edge, t)

    def draw_edit_handles(self, painter: QPainter, pixels: PixelMap, color: QColor) -> None:
        if not self.editable:
            return
        pen = QPen(color)
        pen.setWidthF(2.0)
        painter.setPen(pen)
        for start, end in self.effective_spans():
            for t in (start, end):
                if pixels.t0 <= t <= pixels.t1:
                    x = pixels.x(t)
                    painter.drawLine(QPointF(x, pixels.top + 2), QPointF(x, pixels.bottom - 2))
