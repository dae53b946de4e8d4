"""The export dialog: choose formats and options, see what will happen, then write off the UI thread.

``ExportDialog`` writes the chosen formats for the chosen tracks into one
folder and asks (inline, before anything is written) when files exist. The
run itself (pool thread, progress, cancel) is ``batch_dialog.BatchDialog``'s;
the widgets only show what the ``moss_music.export`` functions return. Tag
writing has its own dialog (``tag_dialog.TagDialog``), opened from here too.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.batch_dialog import BatchDialog, RunState, track_noun
from desktop.tag_dialog import TagDialog
from moss_music.export import (
    FORMATS,
    WRITERS,
    ExportOptions,
    export_tracks,
    planned_targets,
)
from moss_music.export.registry import GROUPS

DEFAULT_FORMATS = ("lrc", "midi", "jams")
_SPELLINGS = (("For the key (as analysed)", None), ("Sharps", False), ("Flats", True))
_PICKER_HINT = "Point at a format to see what it writes."

class FormatPicker(QGroupBox):
    """Check boxes for the formats, grouped by who reads them and named for what each is for.

    The description of the format under the mouse (or with focus) shows below
    the boxes, so a user picks 'Synced lyrics (LRC)' knowing what it does
    without reading internal ids like 'elrc' or 'rpp'.
    """

    changed = Signal()

    def __init__(self, selected: tuple[str, ...] = DEFAULT_FORMATS, parent: QWidget | None = None) -> None:
        super().__init__("Formats", parent)
        self.boxes: dict[str, QCheckBox] = {}
        layout = QVBoxLayout(self)
        columns = QHBoxLayout()
        for group in GROUPS:
            column = QVBoxLayout()
            heading = QLabel(group)
            heading.setObjectName("formatGroupHeading")
            heading.setStyleSheet("font-weight: 600;")
            column.addWidget(heading)
            for name in FORMATS:
                writer = WRITERS[name]
                if writer.group != group:
                    continue
                box = QCheckBox(writer.label or name)
                box.setToolTip(f"{writer.description}\nFile: <song>{writer.extension}   (format id: {name})")
                box.setChecked(name in selected)
                box.toggled.connect(self.changed)
                box.installEventFilter(self)
                self.boxes[name] = box
                column.addWidget(box)
            column.addStretch(1)
            columns.addLayout(column)
        layout.addLayout(columns)
        self.description = QLabel(_PICKER_HINT)
        self.description.setWordWrap(True)
        self.description.setObjectName("formatDescription")
        self.description.setStyleSheet("font-style: italic;")
        layout.addWidget(self.description)

    def selected(self) -> list[str]:
        return [name for name, box in self.boxes.items() if box.isChecked()]

    def set_selected(self, names: list[str]) -> None:
        for name, box in self.boxes.items():
            box.setChecked(name in names)

    def describe(self, name: str | None) -> None:
        """Show what ``name`` writes (None: the hint)."""
        if name is None:
            self.description.setText(_PICKER_HINT)
            return
        writer = WRITERS[name]
        self.description.setText(f"{writer.label}: {writer.description}. File: <song>{writer.extension}")

    def eventFilter(self, watched, event) -> bool:
        if event.type() in (QEvent.Type.Enter, QEvent.Type.FocusIn):
            self.describe(next((n for n, b in self.boxes.items() if b is watched), None))
        elif event.type() == QEvent.Type.Leave:
            self.describe(None)
        return False


class ExportOptionsForm(QGroupBox):
    """The choices every writer may read, mapped onto ``ExportOptions``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Options", parent)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.lrc_offset = QSpinBox()
        self.lrc_offset.setRange(-10_000, 10_000)
        self.lrc_offset.setSingleStep(50)
        self.lrc_offset.setSuffix(" ms")
        self.lrc_offset.setToolTip("Added to every lyric time stamp; negative shows lyrics earlier")
        form.addRow("Lyrics offset", self.lrc_offset)
        self.lrc_ms = QCheckBox("LRC stamps with milliseconds")
        form.addRow("", self.lrc_ms)
        self.block_chords = QCheckBox("MIDI: play the chords as notes")
        self.block_chords.setChecked(True)
        form.addRow("", self.block_chords)
        self.chord_markers = QCheckBox("MIDI / Reaper: a marker at every chord change")
        form.addRow("", self.chord_markers)
        self.transpose = QSpinBox()
        self.transpose.setRange(-11, 11)
        self.transpose.setSuffix(" semitones")
        form.addRow("Transpose chords", self.transpose)
        self.spelling = QComboBox()
        for label, value in _SPELLINGS:
            self.spelling.addItem(label, value)
        form.addRow("Chord spelling", self.spelling)

    def options(self) -> ExportOptions:
        return ExportOptions(
            lrc_offset_ms=self.lrc_offset.value(), lrc_milliseconds=self.lrc_ms.isChecked(),
            midi_block_chords=self.block_chords.isChecked(), chord_markers=self.chord_markers.isChecked(),
            transpose=self.transpose.value(), prefer_flats=self.spelling.currentData(),
        )


class OverwriteBanner(QWidget):
    """Shown when target files exist: the user decides before anything is written."""

    overwrite = Signal()
    keep = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.overwrite_button = QPushButton("Overwrite them")
        self.overwrite_button.clicked.connect(self.overwrite)
        self.skip_button = QPushButton("Keep them, write the rest")
        self.skip_button.clicked.connect(self.keep)
        row.addWidget(self.label, 1)
        row.addWidget(self.overwrite_button)
        row.addWidget(self.skip_button)
        self.hide()

    def ask(self, paths: list[Path]) -> None:
        names = ", ".join(p.name for p in paths[:3]) + (" …" if len(paths) > 3 else "")
        self.label.setText(f"{len(paths)} file(s) already exist: {names}")
        self.show()


def export_report_lines(report) -> list[str]:
    """What the results box lists: files written (with any warning), then what was not written and why."""
    lines = []
    for item in report.by_status("written"):
        lines.append(f"wrote {item.path}")
        lines += [f"    warning: {warning}" for warning in item.warnings]
    for status in ("exists", "skipped", "failed"):
        lines += [f"{status}: {_format_label(item.format)}: {item.message}" for item in report.by_status(status)]
    return lines


def _format_label(name: str) -> str:
    writer = WRITERS.get(name)
    return writer.label if writer is not None and writer.label else name


class ExportDialog(BatchDialog):
    """Formats, folder and options for exporting ``track_ids``; never overwrites without asking."""

    FAILURE_TEXT = "Export failed"

    finished_export = Signal(object)
    """The ``ExportReport`` of a finished (or cancelled) run."""

    def __init__(self, library, track_ids: list[int], parent: QWidget | None = None) -> None:
        super().__init__(library, track_ids, parent)
        self.setWindowTitle(f"Export {track_noun(len(self.track_ids))}")
        self.setMinimumWidth(720)

        self.formats = FormatPicker(parent=self)
        self.formats.changed.connect(self._update_buttons)
        self.format_boxes = self.formats.boxes
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("Folder for the exported files")
        self.folder_edit.textChanged.connect(self._update_buttons)
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(choose)
        self.options_form = ExportOptionsForm(self)
        form = self.options_form
        self.lrc_offset, self.lrc_ms, self.block_chords = form.lrc_offset, form.lrc_ms, form.block_chords
        self.chord_markers, self.transpose, self.spelling = form.chord_markers, form.transpose, form.spelling
        self.overwrite_banner = OverwriteBanner(self)
        self.overwrite_banner.overwrite.connect(lambda: self._start_export(force=True))
        self.overwrite_banner.keep.connect(lambda: self._start_export(force=False))
        self.overwrite_label = self.overwrite_banner.label
        self.overwrite_button = self.overwrite_banner.overwrite_button
        self.skip_button = self.overwrite_banner.skip_button

        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.results = QPlainTextEdit()
        self.results.setReadOnly(True)
        self.results.setMaximumHeight(140)
        self.results.hide()

        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.tags_button = self.buttons.addButton("Write tags…", QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.clicked.connect(self.check_and_export)
        self.tags_button.clicked.connect(self._open_tags)
        self.close_button.clicked.connect(self._close_or_cancel)

        layout = QVBoxLayout(self)
        for widget in (self.formats, QLabel("Save to")):
            layout.addWidget(widget)
        layout.addLayout(folder_row)
        for widget in (self.options_form, self.overwrite_banner, self.progress, self.status, self.results,
                       self.buttons):
            layout.addWidget(widget)
        self._update_buttons()
        self.runner.submit(self._default_folder, self._set_default_folder, lambda _error: None)

    # -- choices ------------------------------------------------------------------------------

    def selected_formats(self) -> list[str]:
        return self.formats.selected()

    def set_formats(self, names: list[str]) -> None:
        self.formats.set_selected(names)

    def options(self) -> ExportOptions:
        return self.options_form.options()

    def _default_folder(self) -> str:
        track = self.library.get_track(self.track_ids[0]) if self.track_ids else None
        return str(Path(track.path).parent) if track is not None else str(Path.home())

    def _set_default_folder(self, folder: str) -> None:
        if not self.folder_edit.text():
            self.folder_edit.setText(folder)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to", self.folder_edit.text() or str(Path.home()))
        if folder:
            self.folder_edit.setText(folder)

    def _update_buttons(self) -> None:
        running = self._run is not None
        ready = bool(self.selected_formats() and self.folder_edit.text().strip() and self.track_ids)
        self.export_button.setEnabled(ready and not running)
        self.tags_button.setEnabled(bool(self.track_ids) and not running)
        self.close_button.setText("Cancel" if running else "Close")
        self.overwrite_banner.setEnabled(not running)

    # -- running ------------------------------------------------------------------------------

    def check_and_export(self) -> None:
        """Find existing targets off the UI thread; ask inline when there are some, else export."""
        formats, folder = self.selected_formats(), self.folder_edit.text().strip()
        self.overwrite_banner.hide()
        self._begin_run()
        self.status.setText("Checking the folder…")

        def existing() -> list[Path]:
            return [p for p in planned_targets(self.library, self.track_ids, formats, folder) if p.exists()]

        self.runner.submit(existing, self._existing_checked, self._failed)

    def _existing_checked(self, paths: list[Path]) -> None:
        cancelled = self._run is not None and self._run.cancel.is_set()
        self._end_run()
        if cancelled:
            self.status.setText("Cancelled.")
            return
        if not paths:
            self._start_export(force=False)
            return
        self.status.setText("")
        self.overwrite_banner.ask(paths)

    def _start_export(self, force: bool) -> None:
        self.overwrite_banner.hide()
        run = self._begin_run()
        formats, folder, options = self.selected_formats(), self.folder_edit.text().strip(), self.options()
        self.runner.submit(
            lambda: export_tracks(self.library, self.track_ids, formats, folder, options=options, force=force,
                                  progress=run.report, should_cancel=run.cancel.is_set),
            self._export_done, self._failed)

    def _begin_run(self, text: str = "") -> RunState:
        self.results.hide()
        return super()._begin_run(text)

    def _export_done(self, report) -> None:
        self._end_run()
        lines = export_report_lines(report)
        self.results.setPlainText("\n".join(lines))
        self.results.setVisible(bool(lines))
        summary = f"{len(report.by_status('written'))} file(s) written"
        if report.cancelled:
            summary += " before you cancelled"
        counts = {"failed": len(report.by_status("failed")), "skipped": len(report.by_status("skipped")),
                  "warning(s)": sum(len(item.warnings) for item in report.items)}
        notes = [f"{count} {what}" for what, count in counts.items() if count]
        self.status.setText(summary + (f"; {', '.join(notes)} (see below)" if notes else "."))
        self.finished_export.emit(report)

    def _open_tags(self) -> None:
        TagDialog(self.library, self.track_ids, self).open()
