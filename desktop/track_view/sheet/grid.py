"""The chord sheet grid: bars in rows, one cell per beat (or per bar), section headers, lyrics under bars.

The bars come from ``moss_music.annotations.bars.layout_bars``; this widget only
places them in rows and paints. A row breaks at every section start (a new
section starts a new line, as on a lead sheet) and after ``bars_per_row`` bars,
which follows the width. Only the rows inside the exposed rectangle are
painted, so a 10-minute song costs the same as a short one. Clicking a bar
seeks to the beat under the mouse; dragging over bars (or shift-clicking)
selects a range that becomes a loop. The same ``paint_rows`` draws the grid on
a printer page in ink colors.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.track_view import theme
from desktop.track_view.document import DisplaySettings
from moss_music.annotations.bars import SheetBar, SheetLayout, section_titles

MIN_BAR_WIDTH = 190
PRINT_MIN_BAR_WIDTH = 150
"""On paper four bars a row (the lead-sheet habit) fit an A4 or Letter page."""
MARGIN = 12
HEADER_H = 28
CHORD_H = 46
LYRIC_H = 20
ROW_GAP = 6
CELLS_BEATS, CELLS_BARS = "beats", "bars"


@dataclass(frozen=True)
class SheetPalette:
    """Screen (dark) or print (ink on paper) colors."""

    background: QColor
    cell: QColor
    border: QColor
    text: QColor
    muted: QColor
    current: QColor
    beat: QColor
    selection: QColor

    @classmethod
    def screen(cls) -> SheetPalette:
        return cls(QColor(theme.LANE), QColor(theme.RAISED), QColor(theme.BORDER), QColor(theme.TEXT),
                   QColor(theme.MUTED), QColor(theme.SELECTED), QColor(theme.ACCENT), QColor(245, 196, 81, 60))

    @classmethod
    def ink(cls) -> SheetPalette:
        return cls(QColor("white"), QColor("white"), QColor("#777777"), QColor("black"), QColor("#555555"),
                   QColor("white"), QColor("black"), QColor("white"))


@dataclass(frozen=True)
class Row:
    y: float
    height: float
    bars: tuple[int, ...]
    header: str = ""
    header_function: str = ""


def _font(size: int, weight: QFont.Weight = QFont.Weight.Normal) -> QFont:
    f = QFont()
    f.setPixelSize(size)
    f.setWeight(weight)
    return f


def layout_rows(sheet: SheetLayout, width: float, with_lyrics: bool,
                min_bar_width: float = MIN_BAR_WIDTH) -> tuple[list[Row], int]:
    """Rows for a width: (rows, bars per row)."""
    usable = max(width - 2 * MARGIN, min_bar_width)
    per_row = next((n for n in (8, 4, 2) if usable / n >= min_bar_width), 1)
    rows: list[Row] = []
    y = float(MARGIN)
    current: list[int] = []
    header = ("", "")

    def close() -> None:
        nonlocal y, current
        if not current:
            return
        height = (HEADER_H if header[0] else 0) + CHORD_H + (LYRIC_H if with_lyrics else 0)
        rows.append(Row(y, height, tuple(current), *header))
        y += height + ROW_GAP
        current = []

    for bar in sheet.bars:
        if bar.section or len(current) == per_row:
            close()
            header = (bar.section, bar.section_function) if bar.section else ("", "")
        current.append(bar.index)
    close()
    return rows, per_row


class ChordSheetGrid(QWidget):
    seek_requested = Signal(float)
    selectionChanged = Signal(int, int)
    """(first bar, last bar) selected by a drag or shift-click; (-1, -1) when cleared."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sheet = SheetLayout()
        self.settings = DisplaySettings()
        self.cells = CELLS_BEATS
        self.rows: list[Row] = []
        self.per_row = 4
        self.current = (-1, -1)
        """(bar, beat) sounding."""
        self.selection: tuple[int, int] | None = None
        self.loop: tuple[int, int] | None = None
        self._anchor: int | None = None
        self._names: dict[str | None, str] = {}
        self._with_lyrics = False
        self._chord_font = _font(17, QFont.Weight.DemiBold)
        self._small_font = _font(12)
        self._header_font = _font(13, QFont.Weight.Bold)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(False)

    # -- content --------------------------------------------------------------------------------------

    def set_sheet(self, sheet: SheetLayout, settings: DisplaySettings) -> None:
        self.sheet = sheet
        self.settings = settings
        self._with_lyrics = any(bar.lyrics for bar in sheet.bars)
        self.refresh_names()
        self._relayout()

    def refresh_names(self) -> None:
        """Names per label, spelled for the key/transposition/capo (looked up per paint, computed once)."""
        labels = {label for bar in self.sheet.bars for label in bar.slots}
        self._names = {label: ("" if label is None else self.settings.chord_name(label)) for label in labels}
        self.update()

    def set_cells(self, cells: str) -> None:
        self.cells = cells
        self.update()

    def name(self, label: str | None) -> str:
        return self._names.get(label, "") if label is not None else ""

    def _relayout(self) -> None:
        self.rows, self.per_row = layout_rows(self.sheet, self.width(), self._with_lyrics)
        height = int(self.rows[-1].y + self.rows[-1].height + MARGIN) if self.rows else 60
        self.setFixedHeight(height)
        self.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        rows, per_row = layout_rows(self.sheet, self.width(), self._with_lyrics)
        if per_row != self.per_row or len(rows) != len(self.rows):
            self._relayout()

    def sizeHint(self) -> QSize:
        return QSize(900, self.height())

    # -- geometry ------------------------------------------------------------------------------------------

    def bar_rect(self, index: int, width: float | None = None) -> QRectF:
        """The chord cell rectangle of bar ``index`` (without header or lyrics)."""
        width = self.width() if width is None else width
        for row in self.rows:
            if index in row.bars:
                return self._bar_rect(row, index, width)
        return QRectF()

    def _bar_rect(self, row: Row, index: int, width: float) -> QRectF:
        bar_w = (width - 2 * MARGIN) / self.per_row
        column = row.bars.index(index)
        top = row.y + (HEADER_H if row.header else 0)
        return QRectF(MARGIN + column * bar_w, top, bar_w, CHORD_H)

    def row_of(self, bar: int) -> Row | None:
        return next((row for row in self.rows if bar in row.bars), None)

    def hit(self, pos: QPointF) -> tuple[int, int] | None:
        """(bar, beat) under a point."""
        for row in self.rows:
            if row.y <= pos.y() <= row.y + row.height:
                for index in row.bars:
                    rect = self._bar_rect(row, index, self.width())
                    if rect.left() <= pos.x() < rect.right():
                        beats = len(self.sheet.bars[index].beats)
                        beat = int((pos.x() - rect.left()) / rect.width() * beats)
                        return index, min(max(beat, 0), beats - 1)
        return None

    # -- playback -------------------------------------------------------------------------------------------

    def show_time(self, t: float) -> bool:
        """Highlight the bar and beat at ``t``; True when they changed."""
        bar = self.sheet.bar_at(t)
        current = (-1, -1) if bar is None else (bar, self.sheet.bars[bar].beat_at(t))
        if current == self.current:
            return False
        previous, self.current = self.current, current
        for index in {previous[0], current[0]} - {-1}:
            self.update(self.bar_rect(index).adjusted(-3, -3, 3, 3).toAlignedRect())
        return True

    def set_loop(self, first: int | None, last: int | None) -> None:
        self.loop = None if first is None or last is None else (min(first, last), max(first, last))
        self.update()

    # -- mouse ------------------------------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        hit = self.hit(event.position())
        if hit is None or event.button() != Qt.MouseButton.LeftButton:
            return
        bar, beat = hit
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier and self._anchor is not None:
            self._select(self._anchor, bar)
            return
        self._anchor = bar
        self.selection = None
        self.update()
        self.seek_requested.emit(self.sheet.bars[bar].beats[beat])

    def mouseMoveEvent(self, event) -> None:
        if self._anchor is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        hit = self.hit(event.position())
        if hit is not None and (hit[0] != self._anchor or self.selection is not None):
            self._select(self._anchor, hit[0], final=False)

    def mouseReleaseEvent(self, event) -> None:
        if self.selection is not None and event.button() == Qt.MouseButton.LeftButton:
            self.selectionChanged.emit(*self.selection)

    def _select(self, a: int, b: int, final: bool = True) -> None:
        self.selection = (min(a, b), max(a, b))
        self.update()
        if final:
            self.selectionChanged.emit(*self.selection)

    def clear_selection(self) -> None:
        self.selection = None
        self._anchor = None
        self.update()

    # -- painting ----------------------------------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.fillRect(event.rect(), QColor(theme.LANE))
        exposed = QRectF(event.rect())
        rows = [row for row in self.rows if row.y + row.height >= exposed.top() and row.y <= exposed.bottom()]
        self.paint_rows(painter, rows, self.width(), SheetPalette.screen())
        painter.end()

    def paint_rows(self, painter: QPainter, rows: list[Row], width: float, palette: SheetPalette,
                   y_offset: float = 0.0) -> None:
        """Draw rows (screen or printer); ``y_offset`` moves them up (a printed page starts mid-sheet)."""
        for row in rows:
            if row.header:
                top = row.y - y_offset
                color = theme.section_color(row.header_function) if palette.background != QColor("white") \
                    else palette.text
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(color)
                painter.drawRoundedRect(QRectF(MARGIN, top + 7, 5, HEADER_H - 12), 2, 2)
                painter.setFont(self._header_font)
                painter.setPen(QPen(palette.text))
                painter.drawText(QRectF(MARGIN + 12, top, width - 2 * MARGIN, HEADER_H - 2),
                                 int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                                 section_titles(row.header, row.header_function)[0])
            for index in row.bars:
                rect = self._bar_rect(row, index, width).translated(0, -y_offset)
                self._paint_bar(painter, self.sheet.bars[index], rect, palette)

    def _paint_bar(self, painter: QPainter, bar: SheetBar, rect: QRectF, palette: SheetPalette) -> None:
        cell = rect.adjusted(2, 2, -2, -2)
        is_current = bar.index == self.current[0]
        selected = self.selection is not None and self.selection[0] <= bar.index <= self.selection[1]
        looped = self.loop is not None and self.loop[0] <= bar.index <= self.loop[1]
        painter.setBrush(palette.current if is_current else palette.cell)
        pen = QPen(palette.beat if is_current else palette.border)
        pen.setWidthF(2.0 if is_current else 1.0)
        painter.setPen(pen)
        painter.drawRoundedRect(cell, 5, 5)
        if selected or looped:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.selection if selected else QColor(245, 196, 81, 35))
            painter.drawRoundedRect(cell, 5, 5)
        beats = max(len(bar.beats), 1)
        beat_w = cell.width() / beats
        if is_current and self.current[1] >= 0 and palette.background != QColor("white"):
            marker = QRectF(cell.left() + self.current[1] * beat_w + 3, cell.bottom() - 5, beat_w - 6, 3)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.beat)
            painter.drawRoundedRect(marker, 1.5, 1.5)
        painter.setPen(QPen(palette.muted))
        painter.setFont(self._small_font)
        if bar.number:
            painter.drawText(QRectF(cell.left() + 5, cell.top() + 1, 30, 14), int(Qt.AlignmentFlag.AlignLeft),
                             str(bar.number))
        if self.cells == CELLS_BEATS:
            self._paint_beats(painter, bar, cell, beat_w, palette)
        else:
            self._paint_changes(painter, bar, cell, palette)
        if bar.lyrics:
            lyric_rect = QRectF(rect.left() + 4, rect.bottom() + 1, rect.width() - 8, LYRIC_H - 2)
            metrics = QFontMetrics(self._small_font)
            painter.setFont(self._small_font)
            painter.setPen(QPen(palette.text if is_current else palette.muted))
            painter.drawText(lyric_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                             metrics.elidedText(bar.lyrics, Qt.TextElideMode.ElideRight, int(lyric_rect.width())))

    def _paint_beats(self, painter: QPainter, bar: SheetBar, cell: QRectF, beat_w: float,
                     palette: SheetPalette) -> None:
        """One cell per beat: the name where the chord changes, a quiet slash where it carries on."""
        metrics = QFontMetrics(self._chord_font)
        changes = dict(bar.changes)
        for beat in range(len(bar.slots)):
            x = cell.left() + beat * beat_w
            if beat:
                painter.setPen(QPen(palette.border))
                painter.drawLine(QPointF(x, cell.top() + 14), QPointF(x, cell.bottom() - 8))
            box = QRectF(x, cell.top() + 10, beat_w, cell.height() - 14)
            if beat in changes:
                name = self.name(changes[beat]) or "–"
                # A long name may run into the next beat when that beat carries the same chord.
                span = 1
                while beat + span < len(bar.slots) and beat + span not in changes:
                    span += 1
                box.setWidth(beat_w * span)
                painter.setFont(self._chord_font)
                painter.setPen(QPen(palette.text))
                painter.drawText(box.adjusted(5, 0, -2, 0), int(Qt.AlignmentFlag.AlignLeft |
                                                                Qt.AlignmentFlag.AlignVCenter),
                                 metrics.elidedText(name, Qt.TextElideMode.ElideRight, int(box.width() - 7)))
            else:
                painter.setFont(self._small_font)
                painter.setPen(QPen(palette.muted))
                painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), "/")

    def _paint_changes(self, painter: QPainter, bar: SheetBar, cell: QRectF, palette: SheetPalette) -> None:
        """One cell per bar: its chords side by side."""
        names = [self.name(label) or "–" for _beat, label in bar.changes]
        text = "  ".join(names)
        painter.setFont(self._chord_font)
        painter.setPen(QPen(palette.text))
        metrics = QFontMetrics(self._chord_font)
        box = cell.adjusted(8, 10, -6, -4)
        painter.drawText(box, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(box.width())))
