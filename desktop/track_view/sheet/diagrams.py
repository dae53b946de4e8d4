"""Chord diagrams: a guitar chord box (capo-aware) and a piano keyboard with the chord's keys lit.

The fingering comes from ``moss_music.annotations.fretboard``; these widgets
only draw it, at a fixed size so the panel never jumps when the chord changes.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

from desktop.track_view import theme
from moss_music.annotations.fretboard import GuitarShape, guitar_shape, piano_voicing
from moss_music.annotations.spelling import spell_note

FRETS_SHOWN = 5
BLACK_KEYS = {1, 3, 6, 8, 10}


def _font(size: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPixelSize(size)
    f.setBold(bold)
    return f


class GuitarDiagram(QWidget):
    """Six strings, five frets; dots where to press, x/o above muted/open strings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shape: GuitarShape | None = None
        self.title = ""
        self.capo = 0
        self.setFixedSize(self.sizeHint())

    def sizeHint(self) -> QSize:
        return QSize(118, 132)

    def set_chord(self, harte: str | None, name: str, capo: int = 0) -> None:
        """``harte`` is the sounding chord; ``name`` what the player reads (the shape's name with a capo)."""
        self.shape = guitar_shape(harte, capo) if harte else None
        self.title = name
        self.capo = capo
        self.setToolTip(self._tooltip())
        self.update()

    def _tooltip(self) -> str:
        if self.shape is None:
            return "No chord"
        strings = " ".join("x" if f < 0 else str(f) for f in self.shape.frets)
        extra = " (simplified to the triad)" if self.shape.simplified else ""
        capo = f", capo {self.capo}" if self.capo else ""
        return f"{self.title}: {strings} (low E to high E{capo}){extra}"

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        text, muted = QColor(theme.TEXT), QColor(theme.MUTED)
        painter.setFont(_font(14, True))
        painter.setPen(QPen(text))
        painter.drawText(QRectF(0, 0, self.width(), 20), int(Qt.AlignmentFlag.AlignCenter), self.title or "–")
        shape = self.shape
        left, top, width, height = 22.0, 36.0, self.width() - 36.0, self.height() - 50.0
        string_gap, fret_gap = width / 5, height / FRETS_SHOWN
        base = shape.base_fret if shape else 1
        nut = QPen(text if base == 1 else muted)
        nut.setWidthF(4.0 if base == 1 else 1.0)
        painter.setPen(nut)
        painter.drawLine(QPointF(left, top), QPointF(left + width, top))
        painter.setPen(QPen(muted))
        for i in range(1, FRETS_SHOWN + 1):
            painter.drawLine(QPointF(left, top + i * fret_gap), QPointF(left + width, top + i * fret_gap))
        for s in range(6):
            painter.drawLine(QPointF(left + s * string_gap, top), QPointF(left + s * string_gap, top + height))
        painter.setFont(_font(11))
        if base > 1:
            painter.drawText(QRectF(0, top + 2, left - 5, fret_gap), int(Qt.AlignmentFlag.AlignRight), f"{base}")
        if self.capo:
            painter.drawText(QRectF(0, self.height() - 15, self.width(), 14), int(Qt.AlignmentFlag.AlignCenter),
                             f"capo {self.capo}")
        if shape is None:
            return
        if shape.simplified:
            painter.drawText(QRectF(0, 18, self.width(), 14), int(Qt.AlignmentFlag.AlignCenter), "(triad)")
        if shape.barre is not None and shape.barre >= base:
            row = shape.barre - base
            strings = [s for s, f in enumerate(shape.frets) if f == shape.barre]
            y = top + (row + 0.5) * fret_gap
            bar_pen = QPen(QColor(theme.ACCENT))
            bar_pen.setWidthF(8.0)
            bar_pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(bar_pen)
            painter.drawLine(QPointF(left + strings[0] * string_gap, y), QPointF(left + strings[-1] * string_gap, y))
        painter.setPen(Qt.PenStyle.NoPen)
        for s, fret in enumerate(shape.frets):
            x = left + s * string_gap
            if fret <= 0:
                painter.setPen(QPen(text))
                painter.setFont(_font(11, True))
                painter.drawText(QRectF(x - 6, top - 17, 12, 14), int(Qt.AlignmentFlag.AlignCenter),
                                 "×" if fret < 0 else "○")
                painter.setPen(Qt.PenStyle.NoPen)
                continue
            row = fret - base
            if 0 <= row < FRETS_SHOWN:
                painter.setBrush(QColor(theme.ACCENT))
                painter.drawEllipse(QPointF(x, top + (row + 0.5) * fret_gap), 6.0, 6.0)


class PianoDiagram(QWidget):
    """Two octaves from C; the chord's keys lit, the bass of a slash chord in another color."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notes: list[int] = []
        self.title = ""
        self.setFixedSize(self.sizeHint())

    def sizeHint(self) -> QSize:
        return QSize(200, 62)

    def set_chord(self, harte: str | None, name: str, key=None) -> None:
        """``harte`` as it sounds (after transposition); a capo does not apply to a piano. The tooltip names
        the keys as ``key``'s signature spells them."""
        self.notes = piano_voicing(harte, low=48) if harte else []
        self.title = name
        self.setToolTip(f"{name}: " + " ".join(_note_name(n, key) for n in self.notes) if self.notes else "No chord")
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setFont(_font(14, True))
        painter.setPen(QPen(QColor(theme.TEXT)))
        painter.drawText(QRectF(0, 0, self.width(), 17), int(Qt.AlignmentFlag.AlignCenter), self.title or "–")
        low = 48 if not self.notes or self.notes[0] >= 48 else 36
        whites = [n for n in range(low, low + 24) if n % 12 not in BLACK_KEYS]
        top, height = 19.0, self.height() - 20.0
        key_w = (self.width() - 2) / len(whites)
        lit = set(self.notes)
        bass = self.notes[0] if self.notes and self.notes[0] < 48 else None
        for i, note in enumerate(whites):
            rect = QRectF(1 + i * key_w, top, key_w, height)
            painter.setPen(QPen(QColor("#30343d")))
            painter.setBrush(QColor(theme.ACCENT) if note in lit else QColor("#e9ecf2"))
            if note == bass:
                painter.setBrush(QColor(theme.LOOP))
            painter.drawRect(rect)
        for note in range(low, low + 24):
            if note % 12 not in BLACK_KEYS:
                continue
            white_index = len([n for n in whites if n < note])
            x = 1 + white_index * key_w - key_w * 0.3
            rect = QRectF(x, top, key_w * 0.6, height * 0.6)
            painter.setPen(QPen(QColor("#101216")))
            color = QColor("#2aa198") if note in lit else QColor("#1b1e24")
            painter.setBrush(QColor(theme.LOOP) if note == bass else color)
            painter.drawRect(rect)


def _note_name(midi: int, key=None) -> str:
    return spell_note(midi % 12, key) + str(midi // 12 - 1)


__all__ = ["GuitarDiagram", "PianoDiagram", "guitar_shape"]
