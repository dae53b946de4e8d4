"""The track view's editing side: edit mode, undo/redo, block dialogs and the lanes' context menu.

A mixin of ``TrackViewWindow``. Every change goes through the window's
``EditSession`` (undoable, saved off the UI thread as the user layer).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QWidget

from desktop.track_view import theme
from desktop.track_view.dialogs import ChordDialog, LyricDialog, SectionDialog

BLOCK_KINDS = {"chords": "chord", "sections": "section", "lyrics": "lyric line"}


class BlockEditingMixin:
    def set_edit_mode(self, on: bool) -> None:
        self.timeline.set_edit_mode(on)
        if on:
            self.tabs.setCurrentWidget(self.edit_panel)
        if self.transport.edit.isChecked() != on:
            self.transport.edit.setChecked(on)

    def undo(self) -> None:
        if self.edits:
            self.edits.stack.undo()

    def redo(self) -> None:
        if self.edits:
            self.edits.stack.redo()

    def _edge_moved(self, kind: str, index: int, edge: str, t: float) -> None:
        if self.edits:
            self.edits.move_edge(kind, index, edge, t)

    def _set_tempo(self, bpm: float) -> None:
        if self.edits:
            try:
                self.edits.set_tempo(bpm)
            except ValueError as error:
                self.transport.set_status(str(error))

    def _layer_edited(self, layer: str) -> None:
        doc = self.doc
        self.timeline.refresh()
        self.practice.set_document(doc)
        self.sheet.set_document(doc)
        if layer == "beats":
            self.player.set_beats(doc.beat_times, doc.beat_positions == 1)
        if layer == "lyrics":
            self.lyric_sync.set_document(doc)
        self._update_chips()
        self.edit_panel.set_edited_layers(doc.user_layers)
        if layer == "tempo" and doc.annotations.tempo:
            self.edit_panel.set_tempo(doc.annotations.tempo.bpm)
        self._show_position(self.player.position())

    def edit_block(self, kind: str, index: int) -> QWidget | None:
        """Open the edit dialog for one chord, section or lyric line (returned for tests; shown non-modal)."""
        doc, edits = self.doc, self.edits
        if doc is None or edits is None:
            return None
        if kind == "chords":
            chord = doc.chord(index)
            dialog = ChordDialog(chord, doc.settings.sounding_name(chord.label) if not doc.settings.transpose
                                 else chord.label, doc.duration,
                                 lambda label, a, b: edits.set_chord(index, label, a, b), self)
        elif kind == "sections":
            dialog = SectionDialog(doc.section(index), lambda label, fn: edits.rename_section(index, label, fn), self)
        elif kind == "lyrics":
            dialog = LyricDialog(doc.annotations.lyrics[index], doc.duration,
                                 lambda text, a, b: edits.edit_line(index, text, a, b), self)
        else:
            return None
        dialog.setStyleSheet(theme.STYLESHEET)
        dialog.setObjectName("TrackView")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _block_activated(self, kind: str, index: int) -> None:
        if self.transport.edit.isChecked():
            self.edit_block(kind, index)
        else:
            self.loop_block(kind, index)

    def _context_menu(self, kind: str, index: int, t: float, pos) -> None:
        menu = QMenu(self)
        menu.addAction("Play from here", lambda: (self.seek(t), self.player.play()))
        if index >= 0 and kind in BLOCK_KINDS:
            noun = BLOCK_KINDS[kind]
            menu.addAction(f"Loop this {noun}", lambda: self.loop_block(kind, index))
            menu.addAction(f"Edit this {noun}…", lambda: self.edit_block(kind, index))
            block = {"chords": self.doc.chord, "sections": self.doc.section,
                     "lyrics": lambda i: self.doc.annotations.lyrics[i]}[kind](index)
            menu.addAction(f"Zoom to this {noun}", lambda: self.timeline.zoom_to(block.start, block.end))
        menu.addSeparator()
        menu.addAction("Loop start here", lambda: (self.seek(t), self.set_loop_point("start")))
        menu.addAction("Loop end here", lambda: (self.seek(t), self.set_loop_point("end")))
        if self.player.loop:
            menu.addAction("Clear loop", self.clear_loop)
        menu.popup(pos)
