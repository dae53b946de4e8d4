"""The details panel: caption by aspect, tags, key/BPM/metre per backend with their disagreements,
raw model output and reasoning, and the 'Ask about this track' box.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.track_view import theme
from desktop.track_view.document import BackendSummary, TrackDocument
from moss_music.annotations import CAPTION_ASPECTS


def disagreement_notes(backends: list[BackendSummary]) -> list[str]:
    """Every backend's disagreements with the signal analysis, capitalised for reading."""
    return [note[:1].upper() + note[1:] for b in backends for note in b.disagreements]


def _heading(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setStyleSheet(f"color: {theme.MUTED}; font-size: 11px; letter-spacing: 2px;")
    return label


class DetailsPanel(QFrame):
    ask_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Panel")
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 12, 16, 12)
        row.setSpacing(18)
        row.addLayout(self._build_caption(), 4)
        row.addLayout(self._build_backends(), 3)
        row.addLayout(self._build_raw_and_ask(), 4)
        self.doc: TrackDocument | None = None
        self._asked: list[tuple[str, str, str]] = []

    def _build_caption(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(6)
        column.addWidget(_heading("Caption"))
        self.caption = QTextBrowser()
        self.caption.setMinimumHeight(60)
        self.caption.setOpenLinks(False)
        column.addWidget(self.caption, 1)
        return column

    def _build_backends(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(6)
        column.addWidget(_heading("Key · tempo · metre"))
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Backend", "Key", "BPM", "Metre"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setMinimumHeight(84)
        self.table.setMaximumHeight(110)
        column.addWidget(self.table)
        self.disagree = QLabel("")
        self.disagree.setObjectName("Warning")
        self.disagree.setWordWrap(True)
        column.addWidget(self.disagree)
        self.extra = QLabel("")
        self.extra.setWordWrap(True)
        self.extra.setProperty("muted", True)
        column.addWidget(self.extra)
        column.addStretch(1)
        return column

    def _build_raw_and_ask(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(6)
        header = QHBoxLayout()
        header.addWidget(_heading("Raw model output"))
        header.addStretch(1)
        self.raw_task = QComboBox()
        self.raw_task.currentIndexChanged.connect(self._show_raw)
        header.addWidget(self.raw_task)
        column.addLayout(header)
        self.raw = QPlainTextEdit()
        self.raw.setReadOnly(True)
        self.raw.setMaximumHeight(64)
        self.raw.setMinimumHeight(34)
        column.addWidget(self.raw)
        self.raw_empty = QLabel("No raw model output for this track (only signal analysis ran).")
        self.raw_empty.setProperty("muted", True)
        self.raw_empty.setWordWrap(True)
        column.addWidget(self.raw_empty)
        column.addWidget(_heading("Ask about this track"))
        ask_row = QHBoxLayout()
        self.question = QLineEdit()
        self.question.setPlaceholderText("e.g. What instrument plays the solo?")
        self.question.returnPressed.connect(self._ask)
        self.ask_button = QPushButton("Ask")
        self.ask_button.clicked.connect(self._ask)
        ask_row.addWidget(self.question, 1)
        ask_row.addWidget(self.ask_button)
        self.ask_unavailable = QLabel("")
        self.ask_unavailable.setObjectName("Warning")
        self.ask_unavailable.setWordWrap(True)
        self.ask_unavailable.hide()
        column.addLayout(ask_row)
        column.addWidget(self.ask_unavailable)
        self.answers = QTextBrowser()
        self.answers.setMinimumHeight(36)
        column.addWidget(self.answers, 1)
        return column

    # -- content ----------------------------------------------------------------------------------------

    def set_document(self, doc: TrackDocument) -> None:
        self.doc = doc
        ann = doc.annotations
        self._show_caption(doc)
        self.table.setRowCount(len(doc.backends))
        for row, b in enumerate(doc.backends):
            for col, text in enumerate((b.backend, b.key or "–", f"{b.bpm:.1f}" if b.bpm else "–",
                                        b.time_signature or "–")):
                item = QTableWidgetItem(text)
                item.setToolTip(b.model or b.backend)
                self.table.setItem(row, col, item)
        notes = disagreement_notes(doc.backends)
        self.disagree.setText("\n".join(f"⚠ {n}" for n in notes))
        extra = []
        if ann.loudness:
            extra.append(f"Loudness {ann.loudness.integrated_lufs:.1f} LUFS")
        if ann.instruments:
            extra.append("Instruments: " + ", ".join(ann.instruments))
        if ann.unparsed:
            extra.append("Could not read the model's answer for: " + ", ".join(ann.unparsed))
        self.extra.setText("\n".join(extra))
        self.raw_task.blockSignals(True)
        self.raw_task.clear()
        for task in sorted(ann.raw):
            self.raw_task.addItem(task)
        self.raw_task.blockSignals(False)
        # No raw output: no empty chooser, no box — one line says so.
        self.raw_task.setVisible(bool(ann.raw))
        self.raw.setVisible(bool(ann.raw))
        self.raw_empty.setVisible(not ann.raw)
        self._show_raw()
        self._show_answers()

    def _show_caption(self, doc: TrackDocument) -> None:
        caption = doc.annotations.caption
        if caption is None:
            self.caption.setHtml(f"<p style='color:{theme.MUTED}'>No caption yet — queue the MOSS-Music "
                                 "caption task for this track.</p>")
            return
        parts = [f"<p style='font-size:14px; color:{theme.TEXT}'>{html.escape(caption.text)}</p>"]
        if caption.tags:
            chips = " ".join(f"<span style='background:{theme.RAISED}; color:{theme.ACCENT}'>&nbsp;#{html.escape(t)}"
                             "&nbsp;</span>" for t in caption.tags)
            parts.append(f"<p>{chips}</p>")
        rows = "".join(
            f"<tr><td style='color:{theme.MUTED}; padding-right:10px'>{aspect}</td>"
            f"<td>{html.escape(caption.aspects[aspect])}</td></tr>"
            for aspect in CAPTION_ASPECTS if caption.aspects.get(aspect)
        )
        if rows:
            parts.append(f"<table cellspacing='2'>{rows}</table>")
        if caption.reasoning:
            parts.append(f"<p style='color:{theme.MUTED}'><i>Reasoning:</i> {html.escape(caption.reasoning)}</p>")
        self.caption.setHtml("".join(parts))

    def _show_raw(self) -> None:
        doc = self.doc
        task = self.raw_task.currentText()
        if doc is None or not task:
            self.raw.setPlainText("No raw model output for this track.")
            return
        self.raw.setPlainText(doc.annotations.raw.get(task, ""))

    def _show_answers(self) -> None:
        doc = self.doc
        entries = [(a.question, a.answer, a.reasoning) for a in (doc.annotations.answers if doc else [])]
        entries += self._asked
        if not entries:
            self.answers.setHtml(f"<p style='color:{theme.MUTED}'>Questions you ask are answered by MOSS-Music "
                                 "in the background.</p>")
            return
        blocks = []
        for question, answer, reasoning in entries:
            block = f"<p><b>Q: {html.escape(question)}</b><br>{html.escape(answer)}"
            if reasoning:
                block += f"<br><span style='color:{theme.MUTED}'>{html.escape(reasoning)}</span>"
            blocks.append(block + "</p>")
        self.answers.setHtml("".join(blocks))
        self.answers.verticalScrollBar().setValue(self.answers.verticalScrollBar().maximum())

    def set_ask_available(self, reason: str) -> None:
        """Disable asking, saying why, when no model or server is set up ('' enables it)."""
        self.question.setEnabled(not reason)
        self.ask_button.setEnabled(not reason)
        self.ask_button.setToolTip(reason)
        self.question.setPlaceholderText("e.g. What instrument plays the solo?" if not reason
                                         else "Asking needs MOSS-Music")
        self.ask_unavailable.setText(reason)
        self.ask_unavailable.setVisible(bool(reason))

    # -- asking -----------------------------------------------------------------------------------------

    def _ask(self) -> None:
        question = self.question.text().strip()
        if not question:
            self.question.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.question.clear()
        self.ask_requested.emit(question)

    def show_pending(self, question: str, status: str) -> None:
        self._asked = [entry for entry in self._asked if entry[0] != question]
        self._asked.append((question, status, ""))
        self._show_answers()

    def show_answer(self, question: str, answer: str, reasoning: str) -> None:
        self._asked = [entry for entry in self._asked if entry[0] != question]
        self._asked.append((question, answer, reasoning))
        self._show_answers()
