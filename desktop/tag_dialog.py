"""The tag-writing dialog: preview every tag change as a diff (a dry run), then write.

Writes go through the safe temp-copy-verify-replace path in
``moss_music.export.tags``; the widgets only show what it returns.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.batch_dialog import BatchDialog, track_noun
from moss_music.export import (
    DESCRIPTOR_FIELDS,
    ID3_VERSIONS,
    KEY_NOTATIONS,
    TagOptions,
    tag_tracks,
)

_KEY_NOTATION_LABELS = {"standard": "Standard (Dbm)", "openkey": "Open Key (7m)", "camelot": "Camelot (12A)"}
_DESCRIPTOR_LABELS = {"genre": "Genre", "mood": "Mood", "grouping": "Grouping", "comment": "Comment (appended)",
                      "none": "Nowhere"}
_ID3_VERSION_LABELS = {"keep": "Keep each file's version (new tags: v2.4)",
                       "2.3": "ID3v2.3 (Windows, older players and id3lib tools)", "2.4": "ID3v2.4"}



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


class TagDialog(BatchDialog):
    """Shows the tag changes for ``track_ids`` as a diff (a dry run), then writes them on request."""

    finished_writing = Signal(object)
    """The list of ``TagOutcome`` after a write."""
    preview_ready = Signal(object)
    """The list of ``TagOutcome`` of a dry run."""

    def __init__(self, library, track_ids: list[int], parent: QWidget | None = None) -> None:
        super().__init__(library, track_ids, parent)
        self._preview_for: TagOptions | None = None
        self._pending = 0
        self.setWindowTitle(f"Write tags to {track_noun(len(self.track_ids))}")
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
