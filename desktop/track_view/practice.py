"""The practice panel: big current and next chord with a beat countdown, karaoke lyrics, and the
practice controls (speed, transposition, capo, spelling, metronome, count-in).

``show_time`` runs at display refresh, so it only touches a label when its
text actually changes.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.player import MAX_SPEED, MAX_TRANSPOSE, MIN_SPEED
from desktop.track_view import theme
from desktop.track_view.document import TrackDocument

SPELLINGS = (("Auto", None), ("♯ Sharps", False), ("♭ Flats", True))
COUNT_INS = (("No count-in", 0), ("Count in 1 bar", 1), ("Count in 2 bars", 2))


class _Text(QLabel):
    """A label that skips redundant setText calls (they cost a relayout each)."""

    def show_text(self, text: str) -> None:
        if text != self.text():
            self.setText(text)


class _ChordText(_Text):
    """A chord name in a box of fixed width: a long name ('F#m7b5/C#') gets a smaller font, never a wider box,
    so nothing beside it moves when the chord changes."""

    def __init__(self, width: int, largest: int, smallest: int, weight: QFont.Weight, color: str) -> None:
        super().__init__("–")
        self.setFixedWidth(width)
        self._sizes = range(largest, smallest - 1, -2)
        self._weight = weight
        self._color = color
        self._size = 0
        self._fit("–")

    def _fit(self, text: str) -> None:
        f = QFont(self.font())
        f.setWeight(self._weight)
        size = self._sizes[-1]
        for size in self._sizes:
            f.setPixelSize(size)
            if QFontMetrics(f).horizontalAdvance(text) <= self.width() - 4:
                break
        if size != self._size:  # the window's style sheet sets fonts, so the size goes through one too
            self._size = size
            weight = 700 if self._weight >= QFont.Weight.Bold else 600
            self.setStyleSheet(f"font-size: {size}px; font-weight: {weight}; color: {self._color};")

    @property
    def pixel_size(self) -> int:
        return self._size

    def show_text(self, text: str) -> None:
        if text != self.text():
            self._fit(text)
            self.setText(text)


class PracticePanel(QFrame):
    speed_changed = Signal(float)
    transpose_changed = Signal(int)
    capo_changed = Signal(int)
    spelling_changed = Signal(object)
    metronome_toggled = Signal(bool)
    count_in_changed = Signal(int)
    """Bars of count-in (0 = none)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Panel")
        self.doc: TrackDocument | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 12, 18, 12)
        layout.setSpacing(10)
        layout.addLayout(self._build_display(), 1)
        layout.addLayout(self._build_controls())

    # -- layout ---------------------------------------------------------------------------------------

    def _build_display(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(28)
        chords = QGridLayout()
        chords.setHorizontalSpacing(28)
        chords.setVerticalSpacing(0)
        self.now_caption = self._caption("NOW")
        self.next_caption = self._caption("NEXT")
        self.current_chord = _ChordText(230, 64, 28, QFont.Weight.Bold, theme.TEXT)
        self.current_chord.setFixedHeight(78)
        self.next_chord = _ChordText(150, 34, 18, QFont.Weight.DemiBold, theme.MUTED)
        self.sounding = _Text("")
        self.sounding.setProperty("muted", True)
        self.countdown = _Text("")
        self.countdown.setStyleSheet(f"font-size: 20px; color: {theme.ACCENT}; letter-spacing: 3px;")
        self.countdown_text = _Text("")
        self.countdown_text.setProperty("muted", True)
        chords.addWidget(self.now_caption, 0, 0)
        chords.addWidget(self.next_caption, 0, 1)
        chords.addWidget(self.current_chord, 1, 0)
        chords.addWidget(self.next_chord, 1, 1, Qt.AlignmentFlag.AlignBottom)
        chords.addWidget(self.sounding, 2, 0)
        chords.addWidget(self.countdown, 2, 1)
        chords.addWidget(self.countdown_text, 3, 1)
        self.position_text = _Text("")
        self.position_text.setProperty("muted", True)
        chords.addWidget(self.position_text, 3, 0)
        row.addLayout(chords)
        divider = QFrame()
        divider.setFrameShape(QFrame.Shape.VLine)
        divider.setStyleSheet(f"color: {theme.BORDER};")
        row.addWidget(divider)
        lyrics = QVBoxLayout()
        lyrics.setSpacing(6)
        lyrics.addWidget(self._caption("LYRICS"))
        self.current_line = _Text("")
        self.current_line.setWordWrap(True)
        self.current_line.setTextFormat(Qt.TextFormat.RichText)
        self.current_line.setStyleSheet("font-size: 26px; font-weight: 600;")
        self.next_line = _Text("")
        self.next_line.setWordWrap(True)
        self.next_line.setStyleSheet(f"font-size: 18px; color: {theme.MUTED};")
        lyrics.addWidget(self.current_line)
        lyrics.addWidget(self.next_line)
        lyrics.addStretch(1)
        row.addLayout(lyrics, 1)
        return row

    @staticmethod
    def _caption(text: str) -> QLabel:
        label = QLabel(text)
        label.setStyleSheet(f"color: {theme.MUTED}; font-size: 11px; letter-spacing: 2px;")
        return label

    def _build_controls(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(14)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(int(MIN_SPEED * 100), int(MAX_SPEED * 100))
        self.speed.setSingleStep(5)
        self.speed.setPageStep(10)
        self.speed.setValue(100)
        self.speed.setFixedWidth(160)
        self.speed_label = QLabel("Speed 100 %")
        self.speed_label.setMinimumWidth(90)
        self.speed.valueChanged.connect(lambda v: self.speed_label.setText(f"Speed {v} %"))
        self.speed.sliderReleased.connect(lambda: self.speed_changed.emit(self.speed.value() / 100))
        self.speed.valueChanged.connect(self._speed_keyed)
        self.transpose = QSpinBox()
        self.transpose.setRange(-MAX_TRANSPOSE, MAX_TRANSPOSE)
        self.transpose.setPrefix("Transpose ")
        self.transpose.setSuffix(" st")
        self.transpose.valueChanged.connect(self.transpose_changed)
        self.capo = QSpinBox()
        self.capo.setRange(0, 11)
        self.capo.setPrefix("Capo ")
        self.capo.setSpecialValueText("No capo")
        self.capo.valueChanged.connect(self.capo_changed)
        self.spelling = QComboBox()
        for text, value in SPELLINGS:
            self.spelling.addItem(text, value)
        self.spelling.currentIndexChanged.connect(lambda i: self.spelling_changed.emit(SPELLINGS[i][1]))
        self.metronome = QCheckBox("Metronome")
        self.metronome.toggled.connect(self.metronome_toggled)
        self.count_in = QComboBox()
        for text, value in COUNT_INS:
            self.count_in.addItem(text, value)
        self.count_in.currentIndexChanged.connect(lambda i: self.count_in_changed.emit(COUNT_INS[i][1]))
        for widget in (self.speed_label, self.speed, self.transpose, self.capo, self.spelling, self.metronome,
                       self.count_in):
            row.addWidget(widget)
        row.addStretch(1)
        return row

    def _speed_keyed(self, value: int) -> None:
        if not self.speed.isSliderDown():
            self.speed_changed.emit(value / 100)

    # -- display ---------------------------------------------------------------------------------------

    def set_document(self, doc: TrackDocument) -> None:
        self.doc = doc
        self._last: tuple | None = None

    def show_time(self, t: float, count_in: int = 0) -> None:
        doc = self.doc
        if doc is None:
            return
        chord_i = doc.chord_index_at(t)
        next_i = doc.next_chord_index(t)
        line_i = doc.line_index_at(t)
        word_i = None
        if line_i is not None:
            word_i = doc.word_index_at(doc.annotations.lyrics[line_i], t)
        beat = doc.beat_in_bar(t)
        countdown = doc.beats_until(t, doc.chord(next_i).start) if next_i is not None else 0
        key = (chord_i, next_i, line_i, word_i, beat, countdown, count_in, doc.settings.transpose,
               doc.settings.capo, doc.settings.prefer_flats, doc.settings.simplify, doc.next_line_index(t))
        if key == getattr(self, "_last", None):
            return
        self._last = key
        settings = doc.settings
        if chord_i is not None:
            label = doc.chord(chord_i).label
            self.current_chord.show_text(settings.chord_name(label))
            sounding = settings.sounding_name(label)
            self.sounding.show_text(f"sounds as {sounding}" if settings.capo else "")
        else:
            self.current_chord.show_text("–")
            self.sounding.show_text("")
        self.next_chord.show_text(settings.chord_name(doc.chord(next_i).label) if next_i is not None else "")
        if count_in:
            self.countdown.show_text("● " * count_in)
            self.countdown_text.show_text(f"count-in: {count_in}")
        elif next_i is not None and len(doc.beat_times):
            dots = min(countdown, 8)
            self.countdown.show_text("● " * dots + ("…" if countdown > 8 else ""))
            self.countdown_text.show_text(f"in {countdown} beat{'s' if countdown != 1 else ''}")
        else:
            self.countdown.show_text("")
            self.countdown_text.show_text("")
        bar = doc.bar_number_at(t)
        self.position_text.show_text(f"Bar {bar} · beat {beat[0]}/{beat[1]}" if bar and beat else "")
        self._show_lyrics(doc, t, line_i, word_i)

    def _show_lyrics(self, doc: TrackDocument, t: float, line_i: int | None, word_i: int | None) -> None:
        lines = doc.annotations.lyrics
        if lines and doc.untimed_lines == len(lines):
            self.current_line.show_text(f"<span style='color:{theme.MUTED}; font-size:16px'>{len(lines)} untimed "
                                        "lines: tap to sync them in the Lyrics tab to follow them here.</span>")
            self.next_line.show_text(" / ".join(line.text for line in lines[:2]))
            return
        if not lines:
            self.current_line.show_text(f"<span style='color:{theme.MUTED}; font-size:16px'>No lyrics for this "
                                        "track yet.</span>")
            self.next_line.show_text("")
            return
        if line_i is None:
            self.current_line.show_text("")
            following = doc.next_line_index(t)
            self.next_line.show_text(lines[following].text if following is not None else "")
            return
        line = lines[line_i]
        if line.words:
            parts = []
            for k, word in enumerate(line.words):
                text = html.escape(word.text)
                if word_i is not None and k == word_i:
                    parts.append(f"<span style='color:{theme.BACKGROUND}; background:{theme.ACCENT}'>&nbsp;{text}"
                                 "&nbsp;</span>")
                elif word_i is not None and k < word_i:
                    parts.append(f"<span style='color:{theme.ACCENT}'>{text}</span>")
                else:
                    parts.append(f"<span style='color:{theme.TEXT}'>{text}</span>")
            self.current_line.show_text(" ".join(parts))
        else:
            self.current_line.show_text(html.escape(line.text))
        self.next_line.show_text(lines[line_i + 1].text if line_i + 1 < len(lines) else "")
