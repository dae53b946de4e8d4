"""What an empty library shows: what to do next, as three buttons, and the demo song's progress."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from desktop.theme import icon

BODY_AUTO = ("Add a folder of music and MOSS-Music Studio finds beats, key, chords and sections for every song "
             "with its built-in DSP analyzer as it is added — no model or GPU needed. Drop folders or files "
             "anywhere in this window, or start with the demo song: it opens analysed, ready to play.")
BODY_MANUAL = ("Add a folder of music, select songs and choose Analyze: MOSS-Music Studio finds beats, key, chords "
               "and sections with its built-in DSP analyzer — no model or GPU needed. (New files are not analysed "
               "by themselves: that is off in Settings → Library.) Or start with the demo song: it opens analysed, "
               "ready to play.")


class EmptyState(QWidget):
    add_folder_requested = Signal()
    demo_requested = Signal()
    get_model_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)

        logo = QLabel()
        logo.setPixmap(icon("app").pixmap(88, 88))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Your library is empty", objectName="emptyTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body = QLabel(BODY_AUTO, objectName="emptyBody")
        self.body = body
        body.setWordWrap(True)
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body.setFixedWidth(560)

        self.add_button = QPushButton(icon("folder-add"), "  Add a music folder…", objectName="primary")
        self.demo_button = QPushButton(icon("play"), "  Open the demo song", objectName="demoButton")
        self.demo_button.setToolTip("A 30-second song made on this computer, analysed with DSP and opened in the "
                                    "track view")
        self.add_button.clicked.connect(self.add_folder_requested)
        self.demo_button.clicked.connect(self.demo_requested)
        self.demo_progress = QProgressBar(objectName="demoProgress")
        self.demo_progress.setRange(0, 1000)
        self.demo_progress.setTextVisible(False)
        self.demo_progress.setFixedWidth(360)
        self.demo_progress.setFixedHeight(6)
        self.demo_status = QLabel("", objectName="hint")
        self.demo_status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.demo_progress.setVisible(False)
        self.demo_status.setVisible(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet("color: #353d47;")
        line.setFixedWidth(560)
        model_text = QLabel(
            "Want captions, lyrics with timestamps and answers about a song? Those come from the MOSS-Music "
            "model (about 18 GB; a GPU with 24 GB, or 8 GB with 4-bit quantization).", objectName="hint")
        model_text.setWordWrap(True)
        model_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        model_text.setFixedWidth(560)
        self.model_button = QPushButton("Get the MOSS-Music model…", objectName="getModelButton")
        self.model_button.clicked.connect(self.get_model_requested)
        model_row = QHBoxLayout()
        model_row.addStretch(1)
        model_row.addWidget(self.model_button)
        model_row.addStretch(1)

        column = QVBoxLayout()
        column.setSpacing(14)
        column.addStretch(2)
        column.addWidget(logo)
        column.addWidget(title)
        column.addWidget(body, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addSpacing(6)
        column.addLayout(buttons)
        column.addWidget(self.demo_progress, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(self.demo_status, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addSpacing(24)
        column.addWidget(line, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(model_text, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addLayout(model_row)
        column.addStretch(3)
        layout = QHBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(column, 4)
        layout.addStretch(1)
        self._wrapped = (body, model_text)

    def set_auto_analyze(self, on: bool) -> None:
        """Promise only what happens: the text follows the 'Analyse new files automatically' setting."""
        self.body.setText(BODY_AUTO if on else BODY_MANUAL)
        if self.isVisible():
            self.body.setMinimumHeight(self.body.heightForWidth(self.body.width()))

    def show_demo_progress(self, fraction: float, text: str) -> None:
        """The demo song is being made and analysed: a bar and the current stage under the buttons."""
        self.demo_button.setEnabled(fraction >= 1.0)
        self.demo_progress.setVisible(True)
        self.demo_status.setVisible(True)
        self.demo_progress.setValue(int(round(fraction * 1000)))
        self.demo_status.setText(text)

    def demo_finished(self, error: str = "") -> None:
        """Hide the progress again; ``error`` stays on screen, next to the button that can try again."""
        self.demo_button.setEnabled(True)
        self.demo_progress.setVisible(False)
        self.demo_status.setVisible(bool(error))
        self.demo_status.setText(error)

    def showEvent(self, event) -> None:
        # Word-wrapped labels in nested layouts get the height of one line unless told; the theme's font
        # is only known once the widget is polished, i.e. now.
        for label in self._wrapped:
            label.setMinimumHeight(label.heightForWidth(label.width()))
        super().showEvent(event)
