"""Export and tag-writing dialogs: choose formats and options, see what will happen, then do it off the UI thread.

``ExportDialog`` writes the chosen formats for the chosen tracks into one
folder and asks (inline, before anything is written) when files exist.
``TagDialog`` previews every tag change as a diff (a dry run) and only then
writes, through the safe temp-copy-verify-replace path. Both run their work on
a ``BackgroundRunner`` pool thread and report progress through a queued
signal; the widgets only show what the ``moss_music.export`` functions return.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
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
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.services import BackgroundRunner, describe_error
from moss_music.export import (
    DESCRIPTOR_FIELDS,
    FORMATS,
    ID3_VERSIONS,
    KEY_NOTATIONS,
    WRITERS,
    ExportOptions,
    TagOptions,
    export_tracks,
    planned_targets,
    tag_tracks,
)
from moss_music.export.registry import GROUPS

DEFAULT_FORMATS = ("lrc", "midi", "jams")
_KEY_NOTATION_LABELS = {"standard": "Standard (Dbm)", "openkey": "Open Key (7m)", "camelot": "Camelot (12A)"}
_SPELLINGS = (("For the key (as analysed)", None), ("Sharps", False), ("Flats", True))
_PICKER_HINT = "Point at a format to see what it writes."
_DESCRIPTOR_LABELS = {"genre": "Genre", "mood": "Mood", "grouping": "Grouping", "comment": "Comment (appended)",
                      "none": "Nowhere"}
_ID3_VERSION_LABELS = {"keep": "Keep each file's version (new tags: v2.4)",
                       "2.3": "ID3v2.3 (Windows, older players and id3lib tools)", "2.4": "ID3v2.4"}


class _Progress(QObject):
    """Created on the UI thread; emitting it from the pool thread queues the update back to the UI."""

    changed = Signal(int, int, str)


class _RunState:
    """One background run: its cancel flag and its progress signal."""

    def __init__(self) -> None:
        self.cancel = threading.Event()
        self.progress = _Progress()

    def report(self, done: int, total: int, text: str) -> None:
        self.progress.changed.emit(done, total, text)


def _track_noun(count: int) -> str:
    return "1 track" if count == 1 else f"{count} tracks"


class _BatchDialog(QDialog):
    """What the export and tag dialogs share: one background run at a time, its progress bar, and cancelling
    it (button or Esc) instead of closing while a thread still works on the files."""

    FAILURE_TEXT = "Failed"
    progress: QProgressBar
    status: QLabel
    _run: _RunState | None

    def __init__(self, library, track_ids: list[int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.track_ids = list(track_ids)
        self.runner = BackgroundRunner(self, max_threads=1)
        self._run = None

    def _update_buttons(self) -> None:
        raise NotImplementedError

    def _begin_run(self, text: str = "") -> _RunState:
        run = _RunState()
        run.progress.changed.connect(self._show_progress)
        self._run = run
        self.progress.setRange(0, 0)
        self.progress.show()
        if text:
            self.status.setText(text)
        self._update_buttons()
        return run

    def _show_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if text:
            self.status.setText(text)

    def _end_run(self) -> None:
        self._run = None
        self.progress.hide()
        self._update_buttons()

    def _failed(self, error: BaseException) -> None:
        self._end_run()
        self.status.setText(f"{self.FAILURE_TEXT}: {describe_error(error)}")

    def _close_or_cancel(self) -> None:
        if self._run is not None:
            self._run.cancel.set()
            self.status.setText("Cancelling after the current file…")
            return
        self.reject()

    def reject(self) -> None:
        if self._run is not None:
            self._run.cancel.set()
            return
        super().reject()


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


class ExportDialog(_BatchDialog):
    """Formats, folder and options for exporting ``track_ids``; never overwrites without asking."""

    FAILURE_TEXT = "Export failed"

    finished_export = Signal(object)
    """The ``ExportReport`` of a finished (or cancelled) run."""

    def __init__(self, library, track_ids: list[int], parent: QWidget | None = None) -> None:
        super().__init__(library, track_ids, parent)
        self.setWindowTitle(f"Export {_track_noun(len(self.track_ids))}")
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

    def _begin_run(self, text: str = "") -> _RunState:
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


class TagOptionsForm(QGroupBox):
    """What to write into the files' tags and how, mapped onto ``TagOptions``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("What to write", parent)
        form = QFormLayout(self)
        self.key_notation = QComboBox()
        for name in KEY_NOTATIONS:
            self.key_notation.addItem(_KEY_NOTATION_LABELS.get(name, name), name)
        form.addRow("Key notation", self.key_notation)
        self.descriptors_field = QComboBox()
        for name in DESCRIPTOR_FIELDS:
            self.descriptors_field.addItem(_DESCRIPTOR_LABELS.get(name, name), name)
        self.descriptors_field.setCurrentIndex(DESCRIPTOR_FIELDS.index(TagOptions().descriptors_field))
        form.addRow("Genre/mood tags go to", self.descriptors_field)
        self.id3_version = QComboBox()
        for name in ID3_VERSIONS:
            self.id3_version.addItem(_ID3_VERSION_LABELS.get(name, name), name)
        self.id3_version.setToolTip("MP3, AIFF and WAV tags; v2.3 files stay v2.3 unless you choose otherwise")
        form.addRow("ID3 version", self.id3_version)
        self.field_boxes: dict[str, QCheckBox] = {}
        row = QHBoxLayout()
        for name, label in (("key", "Key"), ("bpm", "BPM"), ("lyrics", "Lyrics"), ("synced", "Synced lyrics/chords"),
                            ("caption", "Caption")):
            box = QCheckBox(label)
            box.setChecked(True)
            self.field_boxes[name] = box
            row.addWidget(box)
        form.addRow("Fields", row)
        self.backup = QCheckBox("Keep a backup copy of each file (FILE.bak)")
        form.addRow("", self.backup)

    def options(self) -> TagOptions:
        fields = {name: box.isChecked() for name, box in self.field_boxes.items()}
        return TagOptions(key_notation=self.key_notation.currentData(),
                          descriptors_field=self.descriptors_field.currentData(),
                          id3_version=self.id3_version.currentData(), backup=self.backup.isChecked(), **fields)


class TagDialog(_BatchDialog):
    """Shows the tag changes for ``track_ids`` as a diff (a dry run), then writes them on request."""

    finished_writing = Signal(object)
    """The list of ``TagOutcome`` after a write."""
    preview_ready = Signal(object)
    """The list of ``TagOutcome`` of a dry run."""

    def __init__(self, library, track_ids: list[int], parent: QWidget | None = None) -> None:
        super().__init__(library, track_ids, parent)
        self._preview_for: TagOptions | None = None
        self._pending = 0
        self.setWindowTitle(f"Write tags to {_track_noun(len(self.track_ids))}")
        self.setMinimumSize(640, 440)

        options = TagOptionsForm(self)
        self.options_form = options
        self.key_notation, self.descriptors_field = options.key_notation, options.descriptors_field
        self.id3_version, self.field_boxes, self.backup = options.id3_version, options.field_boxes, options.backup

        self.diff = QTreeWidget()
        self.diff.setHeaderLabels(["File / field", "Now", "After"])
        self.diff.setUniformRowHeights(True)
        self.diff.setColumnWidth(0, 240)
        self.progress = QProgressBar()
        self.progress.hide()
        self.status = QLabel("Reading the files' tags…")
        self.status.setWordWrap(True)

        self.buttons = QDialogButtonBox()
        self.write_button = self.buttons.addButton("Write tags", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.write_button.clicked.connect(self.write)
        self.close_button.clicked.connect(self._close_or_cancel)

        layout = QVBoxLayout(self)
        layout.addWidget(options)
        layout.addWidget(QLabel("Changes (nothing is written until you press Write tags):"))
        layout.addWidget(self.diff, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        # Option changes refresh the preview after a short pause, so typing through a combo box is cheap.
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.refresh_preview)
        for combo in (self.key_notation, self.descriptors_field, self.id3_version):
            combo.currentIndexChanged.connect(self._options_changed)
        for box in self.field_boxes.values():
            box.toggled.connect(self._options_changed)
        self._update_buttons()
        self.refresh_preview()

    def options(self) -> TagOptions:
        return self.options_form.options()

    def _options_changed(self) -> None:
        self._preview_for = None
        self._update_buttons()
        self._debounce.start()

    def _update_buttons(self) -> None:
        running = self._run is not None
        current = self._preview_for is not None and self._same_fields(self._preview_for, self.options())
        self.write_button.setEnabled(current and not running and self._pending > 0)
        self.close_button.setText("Cancel" if running else "Close")

    @staticmethod
    def _same_fields(a: TagOptions, b: TagOptions) -> bool:
        return {**a.__dict__, "backup": None} == {**b.__dict__, "backup": None}

    def refresh_preview(self) -> None:
        """Dry run in the background; the diff it returns is what Write tags will do."""
        if self._run is not None:
            self._debounce.start()
            return
        options = self.options()
        run = self._begin_run("Reading the files' tags…")
        self.runner.submit(
            lambda: tag_tracks(self.library, self.track_ids, options, dry_run=True, progress=run.report,
                               should_cancel=run.cancel.is_set),
            lambda outcomes: self._preview_done(options, outcomes), self._failed)

    def _preview_done(self, options: TagOptions, outcomes) -> None:
        self._end_run()
        self._show_outcomes(outcomes)
        self._pending = sum(1 for o in outcomes if o.changes and not o.error)
        self._preview_for = options
        errors = sum(1 for o in outcomes if o.error)
        if self._pending:
            self.status.setText(f"{self._pending} file(s) will change" + (f"; {errors} cannot be tagged." if errors
                                                                          else "."))
        else:
            self.status.setText("Every file's tags are already up to date." if not errors
                                else f"Nothing to write; {errors} file(s) cannot be tagged.")
        self._update_buttons()
        self.preview_ready.emit(outcomes)

    def _show_outcomes(self, outcomes, written: bool = False) -> None:
        self.diff.clear()
        for outcome in outcomes:
            name = Path(outcome.path).name if outcome.path else f"track {outcome.track_id}"
            if outcome.error:
                state = "error"
            elif written:
                state = "written" if outcome.written else "unchanged"
            else:
                state = f"{len(outcome.changes)} change(s)" if outcome.changes else "up to date"
            remarks = [f"backup: {outcome.backup}"] if outcome.backup else []
            item = QTreeWidgetItem([name, state, outcome.error or "; ".join(remarks + outcome.notes)])
            item.setToolTip(0, outcome.path)
            item.setToolTip(2, item.text(2))
            for change in outcome.changes:
                child = QTreeWidgetItem([change.field, change.old or "(none)", change.new])
                child.setToolTip(1, change.old)
                child.setToolTip(2, change.new)
                item.addChild(child)
            self.diff.addTopLevelItem(item)
            item.setExpanded(len(outcomes) <= 5)

    def write(self) -> None:
        options = self.options()
        run = self._begin_run("Writing tags…")
        self.runner.submit(
            lambda: tag_tracks(self.library, self.track_ids, options, progress=run.report,
                               should_cancel=run.cancel.is_set),
            self._write_done, self._failed)

    def _write_done(self, outcomes) -> None:
        self._end_run()
        self._show_outcomes(outcomes, written=True)
        written = sum(1 for o in outcomes if o.written)
        errors = [o for o in outcomes if o.error]
        self.status.setText(f"Tags written to {written} file(s)."
                            + (f" {len(errors)} failed; their files are unchanged." if errors else ""))
        self._pending = 0
        self._preview_for = None
        self._update_buttons()
        self.finished_writing.emit(outcomes)

    def keyPressEvent(self, event) -> None:
        # Enter must not write tags by accident: only the button does.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return
        super().keyPressEvent(event)
