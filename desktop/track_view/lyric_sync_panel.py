"""The Lyrics tab: untimed lyrics listed as text, and tap-to-sync to time them while the song plays.

The timing logic is ``moss_music.annotations.lyric_sync.TapSync``; this panel
shows it (the lines with their stamps, the line or word to tap next) and
turns keys into taps: Space stamps, ``,``/``.`` nudge the last stamp by 50 ms,
Backspace undoes. "Apply" hands the timed lines to the window, which saves
them through the edit session (one undoable step).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.track_view import theme
from desktop.track_view.document import TrackDocument
from desktop.track_view.timeline import format_time
from moss_music.annotations import LyricLine
from moss_music.annotations.lyric_sync import TapSync, is_timed, untimed_count

NUDGE_S = 0.05


class LyricSyncPanel(QFrame):
    start_requested = Signal()
    """The user starts syncing: the window rewinds and plays."""
    tap_requested = Signal()
    """Tap at the playback position (the window knows it)."""
    applied = Signal(object)
    """The timed lines (list[LyricLine]) to save."""
    preview_changed = Signal(object)
    """The lines as timed so far (list[LyricLine]) while syncing, or the document's again afterwards."""
    import_requested = Signal(bool)
    """True: from a file; False: from the audio file's tags."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Panel")
        self.doc: TrackDocument | None = None
        self.sync: TapSync | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 10, 16, 10)
        row.setSpacing(16)
        self.lines = QListWidget()
        self.lines.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.lines.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row.addWidget(self.lines, 3)
        column = QVBoxLayout()
        column.setSpacing(8)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        column.addWidget(self.summary)
        self.next_caption = QLabel("TAP WHEN THIS LINE STARTS")
        self.next_caption.setStyleSheet(f"color: {theme.MUTED}; font-size: 11px; letter-spacing: 2px;")
        self.next_text = QLabel("")
        self.next_text.setWordWrap(True)
        self.next_text.setTextFormat(Qt.TextFormat.RichText)
        self.next_text.setStyleSheet("font-size: 22px; font-weight: 600;")
        self.next_text.setMinimumHeight(56)
        column.addWidget(self.next_caption)
        column.addWidget(self.next_text)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        self.start_button = QPushButton("Tap to sync…")
        self.start_button.setToolTip("Play from the start and press Space as each line begins")
        self.start_button.clicked.connect(self.start)
        self.word_mode = QCheckBox("Word by word")
        self.word_mode.setToolTip("Tap every word instead of every line (karaoke timing)")
        self.tap_button = QPushButton("Tap (Space)")
        self.tap_button.clicked.connect(self.tap_requested)
        self.earlier = QPushButton("−50 ms (,)")
        self.earlier.clicked.connect(lambda: self.nudge(-NUDGE_S))
        self.later = QPushButton("+50 ms (.)")
        self.later.clicked.connect(lambda: self.nudge(NUDGE_S))
        self.undo_button = QPushButton("Undo tap (⌫)")
        self.undo_button.clicked.connect(self.undo)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Save the times (one step in the edit history)")
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        for widget in (self.start_button, self.word_mode, self.tap_button, self.earlier, self.later,
                       self.undo_button, self.apply_button, self.cancel_button):
            # Space is the tap key: a focused button must not take it (a click would be a second tap).
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            buttons.addWidget(widget)
        buttons.addStretch(1)
        column.addLayout(buttons)
        imports = QHBoxLayout()
        from_file = QPushButton("Import lyrics file…")
        from_file.setToolTip("A .lrc, .srt, .vtt or plain .txt file (plain text stays untimed until you sync it)")
        from_file.clicked.connect(lambda: self.import_requested.emit(True))
        from_tags = QPushButton("From file tags")
        from_tags.setToolTip("Lyrics stored in the audio file's tags (USLT/SYLT, LYRICS, ©lyr)")
        from_tags.clicked.connect(lambda: self.import_requested.emit(False))
        imports.addWidget(from_file)
        imports.addWidget(from_tags)
        imports.addStretch(1)
        column.addLayout(imports)
        column.addStretch(1)
        row.addLayout(column, 4)
        self._show()

    @property
    def active(self) -> bool:
        return self.sync is not None

    # -- content ----------------------------------------------------------------------------------------

    def set_document(self, doc: TrackDocument) -> None:
        self.doc = doc
        if self.sync is None:
            self._show()

    def start(self) -> None:
        if self.doc is None or not self.doc.annotations.lyrics:
            return
        self.sync = TapSync.for_lines(self.doc.annotations.lyrics, self.word_mode.isChecked(), self.doc.duration)
        self._show()
        self.start_requested.emit()

    def tap(self, t: float) -> None:
        if self.sync is not None and self.sync.tap(t):
            self._show()

    def nudge(self, seconds: float) -> None:
        if self.sync is not None:
            self.sync.nudge(seconds)
            self._show()

    def undo(self) -> None:
        if self.sync is not None:
            self.sync.undo()
            self._show()

    def apply(self) -> None:
        if self.sync is None or not self.sync.stamps:
            return
        lines = self.sync.result()
        self.sync = None
        self.applied.emit(lines)
        self._show()

    def cancel(self) -> None:
        self.sync = None
        self._show()

    def show_time(self, t: float) -> None:
        """Nothing moves with the clock here; taps drive the panel (kept for a uniform frame call)."""

    # -- display ------------------------------------------------------------------------------------------

    def _lines_now(self) -> list[LyricLine]:
        """While syncing, the lines with the stamps so far (taps go in order, so they keep their order)."""
        if self.sync is not None:
            return self.sync.result()
        return list(self.doc.annotations.lyrics) if self.doc else []

    def _show(self) -> None:
        syncing = self.sync is not None
        for widget in (self.tap_button, self.earlier, self.later, self.undo_button, self.apply_button,
                       self.cancel_button, self.next_caption, self.next_text):
            widget.setVisible(syncing)
        self.start_button.setVisible(not syncing)
        self.word_mode.setEnabled(not syncing)
        lines = self._lines_now()
        if self.doc is not None:
            self.preview_changed.emit(lines)
        self.lines.clear()
        current = self.sync.current_line if syncing else -1
        for i, line in enumerate(lines):
            stamp = format_time(line.start, True)[:-2] if is_timed(line) else "  –  "
            item = QListWidgetItem(f"{stamp}   {line.text}")
            if not is_timed(line):
                item.setForeground(Qt.GlobalColor.gray)
            if i == current:
                item.setBackground(QColor(theme.SELECTED))
            self.lines.addItem(item)
        if syncing and current >= 0:
            self.lines.scrollToItem(self.lines.item(current), QListWidget.ScrollHint.PositionAtCenter)
        self._show_summary(lines, syncing)

    def _show_summary(self, lines: list[LyricLine], syncing: bool) -> None:
        if not lines:
            self.summary.setText("No lyrics for this track. Import a lyrics file or the lyrics in the file's "
                                 "tags, then tap along to time them — no GPU needed.")
            self.start_button.setEnabled(False)
            return
        self.start_button.setEnabled(True)
        untimed = untimed_count(lines)
        if not syncing:
            if untimed:
                self.summary.setText(f"{untimed} of {len(lines)} lines are untimed: they are shown as text, never "
                                     "at invented times. Tap to sync plays the song; press Space as each line "
                                     "begins.")
            else:
                self.summary.setText(f"{len(lines)} timed lines. Tap to sync re-times them by hand.")
            return
        sync = self.sync
        done = len(sync.stamps)
        unit = "words" if sync.words else "lines"
        self.summary.setText(f"{done} of {len(sync.targets)} {unit} timed · Space = next, "
                             ", / . = nudge 50 ms, Backspace = undo")
        target = sync.next_target
        if target is None:
            self.next_text.setText(f"<span style='color:{theme.ACCENT}'>All timed — press Apply</span>")
            return
        line, word = target
        tokens = sync.texts[line].split()
        if word < 0:
            self.next_text.setText(html.escape(sync.texts[line]))
        else:
            self.next_text.setText(" ".join(
                f"<span style='background:{theme.ACCENT}; color:{theme.BACKGROUND}'>&nbsp;{html.escape(w)}&nbsp;"
                "</span>" if k == word else html.escape(w) for k, w in enumerate(tokens)))
