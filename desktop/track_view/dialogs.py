"""Small edit dialogs for one chord, section or lyric line.

Each takes an ``apply`` callable that performs the edit and raises
ValueError on bad input; the message is shown in the dialog, which stays
open with the user's text intact.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.track_view import theme
from moss_music.annotations import SECTION_FUNCTIONS, Chord, LyricLine, Section


def _time_box(value: float, duration: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.0, max(duration, value) + 1.0)
    box.setDecimals(3)
    box.setSingleStep(0.05)
    box.setSuffix(" s")
    box.setValue(value)
    return box


class _EditDialog(QDialog):
    def __init__(self, title: str, apply: Callable[[], None] | None, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(380)
        self._apply = apply
        self.form = QFormLayout()
        self.error = QLabel("")
        self.error.setStyleSheet(f"color: {theme.WARNING};")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def try_accept(self) -> bool:
        try:
            if self._apply is not None:
                self._apply()
        except ValueError as error:
            self.error.setText(str(error))
            return False
        self.accept()
        return True


class ChordDialog(_EditDialog):
    def __init__(self, chord: Chord, shown_name: str, duration: float,
                 apply: Callable[[str, float, float], None], parent: QWidget | None = None) -> None:
        super().__init__("Edit chord", lambda: apply(self.label.text(), self.start.value(), self.end.value()), parent)
        self.label = QLineEdit(shown_name if chord.label != "N" else "N")
        self.label.setPlaceholderText("Am7, F#m7b5, C/E, A:min7 or N for no chord")
        self.start = _time_box(chord.start, duration)
        self.end = _time_box(chord.end, duration)
        self.form.addRow("Chord", self.label)
        self.form.addRow("Start", self.start)
        self.form.addRow("End", self.end)
        hint = QLabel("Names are as shown (after transposition and capo) — type the chord as you hear it "
                      "at the original pitch.")
        hint.setWordWrap(True)
        hint.setProperty("muted", True)
        self.form.addRow(hint)


class SectionDialog(_EditDialog):
    def __init__(self, section: Section, apply: Callable[[str, str], None], parent: QWidget | None = None) -> None:
        super().__init__("Rename section", lambda: apply(self.label.text(), self.function.currentText()), parent)
        self.label = QLineEdit(section.label)
        self.function = QComboBox()
        self.function.addItems(list(SECTION_FUNCTIONS))
        self.function.setCurrentText(section.function if section.function in SECTION_FUNCTIONS else "other")
        self.form.addRow("Name", self.label)
        self.form.addRow("Function", self.function)


class LyricDialog(_EditDialog):
    def __init__(self, line: LyricLine, duration: float, apply: Callable[[str, float, float], None],
                 parent: QWidget | None = None) -> None:
        super().__init__("Edit lyric line", lambda: apply(self.text.text(), self.start.value(), self.end.value()),
                         parent)
        self.text = QLineEdit(line.text)
        self.start = _time_box(line.start, duration)
        self.end = _time_box(line.end, duration)
        self.form.addRow("Text", self.text)
        self.form.addRow("Start", self.start)
        self.form.addRow("End", self.end)
