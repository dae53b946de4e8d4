"""The chord sheet view: the bar grid that follows playback, with diagrams for the current and next chord.

It owns no playback: the window feeds it the time (``show_time``) and listens
for seeks and loop requests. The bars are laid out once per document or
setting change (``moss_music.annotations.bars``); a frame only moves the
highlight and, while following, scrolls the current row into view.
"""

from __future__ import annotations

from PySide6.QtCore import QMarginsF, Qt, Signal
from PySide6.QtGui import QPageLayout, QPageSize, QPainter, QPdfWriter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.track_view import theme
from desktop.track_view.document import TrackDocument
from desktop.track_view.sheet.diagrams import GuitarDiagram, PianoDiagram
from desktop.track_view.sheet.grid import CELLS_BARS, CELLS_BEATS, ChordSheetGrid, SheetPalette
from moss_music.annotations.bars import SheetLayout, layout_bars

FOLLOW_AT = 0.33
"""While following, the current row is scrolled to this fraction of the visible height."""


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet(f"color: {theme.MUTED}; font-size: 11px; letter-spacing: 2px;")
    return label


class ChordSheetView(QFrame):
    seek_requested = Signal(float)
    loop_requested = Signal(float, float, str)
    """(start, end, name) of a selected range of bars."""
    simplify_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Panel")
        self.doc: TrackDocument | None = None
        self.sheet = SheetLayout()
        self.follow = True
        self._chords: tuple = (None, None)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        outer.setSpacing(10)
        column = QVBoxLayout()
        column.setSpacing(4)
        column.addLayout(self._build_toolbar())
        self.grid = ChordSheetGrid()
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.grid)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setMinimumHeight(90)
        column.addWidget(self.scroll, 1)
        outer.addLayout(column, 1)
        outer.addWidget(self._build_diagrams())
        self.grid.seek_requested.connect(self.seek_requested)
        self.grid.selectionChanged.connect(self._selected)

    def _build_toolbar(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(8)
        self.cells = QComboBox()
        self.cells.addItem("Cell per beat", CELLS_BEATS)
        self.cells.addItem("Cell per bar", CELLS_BARS)
        self.cells.currentIndexChanged.connect(lambda _i: self.grid.set_cells(self.cells.currentData()))
        self.simplify = QCheckBox("Simplify (triads only)")
        self.simplify.setToolTip("Show every chord as its triad: sevenths, extensions and slash basses dropped")
        self.simplify.toggled.connect(self.simplify_changed)
        self.hint = QLabel("Click a bar to play from it · drag or shift-click across bars to loop them")
        self.hint.setProperty("muted", True)
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.print_button = QPushButton("Print…")
        self.print_button.setToolTip("Print the chord sheet or save it as PDF")
        self.print_button.clicked.connect(self.print_dialog)
        row.addWidget(self.cells)
        row.addWidget(self.simplify)
        row.addWidget(self.hint, 1)
        row.addWidget(self.print_button)
        return row

    def _build_diagrams(self) -> QWidget:
        panel = QWidget()
        panel.setFixedWidth(2 * 118 + 14)
        column = QVBoxLayout(panel)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        captions = QHBoxLayout()
        captions.addWidget(_caption("NOW"))
        captions.addStretch(1)
        captions.addWidget(_caption("NEXT"))
        column.addLayout(captions)
        guitars = QHBoxLayout()
        self.guitar_now = GuitarDiagram()
        self.guitar_next = GuitarDiagram()
        guitars.addWidget(self.guitar_now)
        guitars.addWidget(self.guitar_next)
        column.addLayout(guitars)
        self.piano_now = PianoDiagram()
        self.piano_next = PianoDiagram()
        for piano in (self.piano_now, self.piano_next):
            piano.setFixedWidth(2 * 118 + 10)
            column.addWidget(piano)
        column.addStretch(1)
        return panel

    # -- content --------------------------------------------------------------------------------------

    def set_document(self, doc: TrackDocument) -> None:
        """Take a (new or edited) document; the bars are laid out when the sheet is first shown, so opening
        a track in the lanes view does not pay for a sheet nobody looks at."""
        self.doc = doc
        self._stale = True
        if self.isVisible():
            self.ensure_laid_out()

    _stale = False
    _loop: tuple[float | None, float | None] = (None, None)

    def ensure_laid_out(self) -> None:
        if not self._stale or self.doc is None:
            return
        self._stale = False
        doc = self.doc
        ann = doc.annotations
        self.sheet = layout_bars(ann.beats, ann.chords, ann.sections, ann.lyrics, duration=doc.duration,
                                 tempo=ann.tempo, simplify=doc.settings.simplify)
        self.grid.set_sheet(self.sheet, doc.settings)
        self._chords = (object(), object())
        self.show_loop(*self._loop)
        if self.sheet.synthetic_grid:
            self.hint.setText("No beat grid yet: bars assume a steady tempo")

    def showEvent(self, event) -> None:
        self.ensure_laid_out()
        super().showEvent(event)

    def refresh_names(self) -> None:
        """After a transposition, capo or spelling change (the bars stay)."""
        if self._stale:
            return
        self.grid.refresh_names()
        self._chords = (object(), object())

    # -- playback ----------------------------------------------------------------------------------------

    def show_time(self, t: float, follow: bool = False) -> None:
        """Highlight the bar and beat at ``t``; with ``follow`` keep its row in view (playing or seeking)."""
        if self.doc is None or not self.isVisible():
            return
        self.ensure_laid_out()
        changed = self.grid.show_time(t)
        if changed and self.follow and follow and self.grid.current[0] >= 0:
            self._scroll_to(self.grid.current[0])
        self._show_diagrams(t)

    def _scroll_to(self, bar: int) -> None:
        row = self.grid.row_of(bar)
        if row is None:
            return
        bar_ = self.scroll.verticalScrollBar()
        viewport = self.scroll.viewport().height()
        top, bottom = bar_.value(), bar_.value() + viewport
        if row.y < top or row.y + row.height > bottom - viewport * 0.2:
            bar_.setValue(int(max(row.y - viewport * FOLLOW_AT, 0)))

    def _show_diagrams(self, t: float) -> None:
        doc = self.doc
        now_i, next_i = doc.chord_index_at(t), doc.next_chord_index(t)
        now = doc.chord(now_i).label if now_i is not None else None
        upcoming = doc.chord(next_i).label if next_i is not None else None
        key = (now, upcoming, doc.settings.capo, doc.settings.transpose, doc.settings.simplify)
        if key == self._chords:
            return
        self._chords = key
        settings = doc.settings
        for diagram, label in ((self.guitar_now, now), (self.guitar_next, upcoming)):
            if label is None or label == "N":
                diagram.set_chord(None, "N.C." if label == "N" else "–", settings.capo)
                continue
            diagram.set_chord(self._sounding_harte(label), settings.chord_name(label), settings.capo)
        for piano, label, caption in ((self.piano_now, now, "Now"), (self.piano_next, upcoming, "Next")):
            if label is None or label == "N":
                piano.set_chord(None, f"{caption}: –")
            else:
                piano.set_chord(self._sounding_harte(label), f"{caption}: {settings.sounding_name(label)}",
                                settings.sounding_key())

    def _sounding_harte(self, label: str) -> str:
        from moss_music.annotations import transpose_harte
        from moss_music.annotations.bars import simplify_chord

        settings = self.doc.settings
        label = simplify_chord(label) if settings.simplify else label
        return transpose_harte(label, settings.transpose)

    # -- loops -----------------------------------------------------------------------------------------

    def _selected(self, first: int, last: int) -> None:
        if first < 0 or not self.sheet.bars:
            return
        start, end = self.sheet.bar_range(first, last)
        a, b = self.sheet.bars[first].number, self.sheet.bars[last].number
        name = f"bar {a}" if first == last else f"bars {a}–{b}"
        self.loop_requested.emit(start, end, name)

    def show_loop(self, start: float | None, end: float | None) -> None:
        """Shade the bars a loop covers (whatever set it: lanes, keys or this grid)."""
        self._loop = (start, end)
        if self._stale:
            return  # applied when the sheet is laid out
        if start is None or end is None or not self.sheet.bars:
            self.grid.set_loop(None, None)
            self.grid.clear_selection()
            return
        first = self.sheet.bar_at(start + 1e-3)
        last = self.sheet.bar_at(end - 1e-3)
        self.grid.set_loop(first, last if last is not None else first)

    # -- printing -----------------------------------------------------------------------------------------

    def print_dialog(self) -> None:
        self.ensure_laid_out()
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec():
            self.render_pages(printer)

    def save_pdf(self, path: str) -> int:
        """The sheet as an A4 PDF; returns the number of pages."""
        self.ensure_laid_out()
        writer = QPdfWriter(path)
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        writer.setPageMargins(QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter)
        writer.setResolution(96)
        writer.setTitle(self.doc.title if self.doc else "Chord sheet")
        return self.render_pages(writer)

    def render_pages(self, device) -> int:
        """Paint title and rows page by page in ink colors; rows never split across pages."""
        from desktop.track_view.sheet.grid import PRINT_MIN_BAR_WIDTH, layout_rows

        layout = device.pageLayout() if hasattr(device, "pageLayout") else None
        rect = layout.paintRectPixels(device.resolution()) if layout is not None else None
        scale = device.resolution() / 96.0
        width = (rect.width() if rect is not None else device.width()) / scale
        page_h = (rect.height() if rect is not None else device.height()) / scale
        saved_rows, saved_per_row = self.grid.rows, self.grid.per_row
        self.grid.rows, self.grid.per_row = layout_rows(self.sheet, width, any(b.lyrics for b in self.sheet.bars),
                                                        PRINT_MIN_BAR_WIDTH)
        saved_current, self.grid.current = self.grid.current, (-1, -1)
        painter = QPainter(device)
        painter.scale(scale, scale)
        pages = 1
        title_h = 0.0
        if self.doc is not None:
            title_h = 46.0
            painter.setPen(Qt.GlobalColor.black)
            font = painter.font()
            font.setPixelSize(20)
            font.setBold(True)
            painter.setFont(font)
            painter.drawText(0, 24, self.doc.title)
            font.setPixelSize(12)
            font.setBold(False)
            painter.setFont(font)
            settings = self.doc.settings
            extra = [self.doc.artist, f"Key {settings.key_name()}" if settings.key_name() else "",
                     f"Capo {settings.capo}" if settings.capo else ""]
            painter.drawText(0, 40, " · ".join(e for e in extra if e))
        offset = -title_h
        page_rows: list = []
        for row in self.grid.rows:
            if row.y + row.height - offset > page_h and page_rows:
                self.grid.paint_rows(painter, page_rows, width, SheetPalette.ink(), offset)
                device.newPage()
                pages += 1
                offset = row.y - 4
                page_rows = []
            page_rows.append(row)
        self.grid.paint_rows(painter, page_rows, width, SheetPalette.ink(), offset)
        painter.end()
        self.grid.rows, self.grid.per_row, self.grid.current = saved_rows, saved_per_row, saved_current
        return pages
