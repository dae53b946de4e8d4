"""``TrackViewWindow``: lanes, transport, practice, details and editing for one track.

It composes the pieces and wires them: the loader fills in the document and
peaks, the player plays and keeps time, a display-refresh timer moves the
playhead while playing, the edit session owns changes and undo. It never
reads the database or audio itself — the loader, player, edit session and
ask service do that off the UI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.player import (
    COUNT_IN,
    PLAYING,
    Player,
    SoundDeviceOutput,
    list_output_devices,
    open_default_output,
)
from desktop.player.outputs import OutputError
from desktop.track_view import theme
from desktop.track_view.ask import AskService
from desktop.track_view.details import DetailsPanel
from desktop.track_view.dialogs import ChordDialog, LyricDialog, SectionDialog
from desktop.track_view.document import TrackDocument
from desktop.track_view.edit_panel import EditPanel
from desktop.track_view.editing import EditSession
from desktop.track_view.loader import TrackLoader, data_dir_of
from desktop.track_view.practice import PracticePanel
from desktop.track_view.timeline import Timeline
from desktop.track_view.transport import TransportBar
from moss_music.library import Library
from moss_music.library.schema import utcnow
from moss_music.paths import DataDir

FRAME_MS = 16
BLOCK_KINDS = {"chords": "chord", "sections": "section", "lyrics": "lyric line"}


class _PlayerEvents(QObject):
    """Carries player events (audio/loader threads) onto the UI thread."""

    event = Signal(str)
    devices = Signal(object, object, str)
    lyricsImported = Signal(str)
    """'' when the lyric layer was replaced, else the reason it was not."""


class TrackViewWindow(QWidget):
    documentLoaded = Signal()
    peaksLoaded = Signal()

    def __init__(self, library: Library, track_id: int, parent: QWidget | None = None, *,
                 player: Player | None = None, data_dir: DataDir | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TrackView")
        self.setWindowTitle("Track")
        self.setStyleSheet(theme.STYLESHEET)
        self.resize(1440, 900)
        self.library = library
        self.track_id = track_id
        self.opened_at = utcnow()
        """When the view read the library: jobs finished later mean there is something new to show."""
        self.data_dir = data_dir or data_dir_of(library)
        self.doc: TrackDocument | None = None
        self.edits: EditSession | None = None
        self.loop_name = ""
        self._alive = True
        self._events = _PlayerEvents(self)
        self._events.event.connect(self._player_event)
        self._events.devices.connect(self._devices_found)
        self._events.lyricsImported.connect(self._lyrics_imported)
        self._find_output = player is None
        self.player = player or Player(None, unavailable_reason="Looking for an audio output…")
        self.player.add_listener(self._relay_player_event)
        self._build()
        self._wire()
        self._shortcuts()
        self.ask = AskService(library, track_id, parent=self)
        self.ask.queued.connect(lambda _job, q: self.details.show_pending(q, "Queued for MOSS-Music…"))
        self.ask.progressed.connect(self._ask_progress)
        self.ask.answered.connect(self._ask_answered)
        self.ask.failed.connect(lambda _job, q, reason: self.details.show_pending(q or "(empty question)",
                                                                                  f"⚠ {reason}"))
        self.details.askRequested.connect(self.ask.ask)
        self.frame_timer = QTimer(self)
        self.frame_timer.setInterval(FRAME_MS)
        self.frame_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.frame_timer.timeout.connect(self.tick)
        self.loader = TrackLoader(library, track_id, self.data_dir, parent=self)
        self.loader.documentReady.connect(self._document_ready)
        self.loader.documentFailed.connect(self._document_failed)
        self.loader.peaksReady.connect(self._peaks_ready)
        self.loader.peaksFailed.connect(self._peaks_failed)
        self.loader.backendsReady.connect(self._backends_ready)
        self.loader.start()
        if self._find_output:
            self._start_output_search()
        else:
            self._show_playback_status()

    # -- layout -------------------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(14, 10, 14, 10)
        outer.setSpacing(8)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.title = QLabel("Loading…")
        self.title.setObjectName("Title")
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("Subtitle")
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        header.addLayout(titles, 1)
        self.chips: dict[str, QLabel] = {}
        for name in ("key", "bpm", "metre", "edited"):
            chip = QLabel("")
            chip.setObjectName("Chip")
            chip.hide()
            self.chips[name] = chip
            header.addWidget(chip)
        outer.addLayout(header)
        self.transport = TransportBar()
        outer.addWidget(self.transport)
        self.timeline = Timeline(1.0)
        self.practice = PracticePanel()
        self.details = DetailsPanel()
        self.edit_panel = EditPanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.practice, "Practice")
        self.tabs.addTab(self.details, "Details")
        self.tabs.addTab(self.edit_panel, "Edit")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.timeline)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([520, 300])
        self.splitter.setChildrenCollapsible(False)
        outer.addWidget(self.splitter, 1)

    def _wire(self) -> None:
        t, tl, p = self.transport, self.timeline, self.practice
        t.play.clicked.connect(self.toggle_play)
        t.stop.clicked.connect(self.stop)
        t.loop_a.clicked.connect(lambda: self.set_loop_point("start"))
        t.loop_b.clicked.connect(lambda: self.set_loop_point("end"))
        t.loop_section.clicked.connect(self.loop_current_section)
        t.loop_clear.clicked.connect(self.clear_loop)
        t.zoom_in.clicked.connect(lambda: tl.zoom(0.5))
        t.zoom_out.clicked.connect(lambda: tl.zoom(2.0))
        t.zoom_fit.clicked.connect(tl.fit)
        t.follow.toggled.connect(self._set_follow)
        t.edit.toggled.connect(self.set_edit_mode)
        t.export.clicked.connect(self.open_export)
        t.deviceChosen.connect(self.choose_device)
        t.colourModeChanged.connect(lambda mode: tl.item("chords").set_colour_mode(mode))
        t.set_loop(None, None)
        tl.seekRequested.connect(self.seek)
        tl.blockActivated.connect(self._block_activated)
        tl.contextRequested.connect(self._context_menu)
        tl.loopEdited.connect(lambda a, b: self.set_loop(a, b, "A–B"))
        tl.edgeMoved.connect(self._edge_moved)
        p.speedChanged.connect(self.player.set_speed)
        p.transposeChanged.connect(self._transpose)
        p.capoChanged.connect(self._capo)
        p.spellingChanged.connect(self._spelling)
        p.metronomeToggled.connect(lambda on: self.player.set_metronome(on))
        p.countInChanged.connect(self._count_in)
        ep = self.edit_panel
        ep.shiftRequested.connect(lambda s: self.edits and self.edits.shift_beats(s))
        ep.tempoRequested.connect(self._set_tempo)
        ep.downbeatRequested.connect(lambda: self.edits and self.edits.set_downbeat(self.player.position()))
        ep.revertRequested.connect(lambda layer: self.edits and self.edits.revert(layer))
        ep.importLyricsRequested.connect(self._ask_lyrics_source)

    def _shortcuts(self) -> None:
        bindings = {
            "Space": self.toggle_play, "Home": self.stop,
            "+": lambda: self.timeline.zoom(0.5), "=": lambda: self.timeline.zoom(0.5),
            "-": lambda: self.timeline.zoom(2.0), "0": self.timeline.fit,
            "Left": lambda: self._step(-1, False), "Right": lambda: self._step(1, False),
            "Shift+Left": lambda: self._step(-1, True), "Shift+Right": lambda: self._step(1, True),
            "L": self.loop_current_section, "Escape": self.clear_loop,
            "[": lambda: self.set_loop_point("start"), "]": lambda: self.set_loop_point("end"),
            "F": self.transport.follow.toggle, "E": self.transport.edit.toggle, "T": self.edit_panel.tap,
            "Ctrl+Z": self.undo, "Ctrl+Shift+Z": self.redo, "Ctrl+Y": self.redo,
        }
        self._shortcut_objects = []
        for keys, slot in bindings.items():
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
            self._shortcut_objects.append(shortcut)

    # -- loading ------------------------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self.doc is not None and (self.timeline.waveform.pyramid is not None or
                                         bool(self.timeline.waveform.message and "No waveform" in
                                              self.timeline.waveform.message))

    def _document_ready(self, doc: TrackDocument) -> None:
        first = self.doc is None
        if self.doc is not None:
            doc.settings = self.doc.settings
            doc.settings.key = doc.annotations.key
            doc.backends = doc.backends or self.doc.backends
        self.doc = doc
        self.setWindowTitle(f"{doc.title} — {doc.artist}" if doc.artist else doc.title)
        self.title.setText(doc.title)
        self.subtitle.setText(doc.artist or doc.path)
        self.timeline.set_document(doc)
        self.practice.set_document(doc)
        self.details.set_document(doc)
        self._update_chips()
        self.player.set_beats(doc.beat_times, doc.beat_positions == 1)
        if self.edits is None:
            self.edits = EditSession(self.library, doc, self)
            self.edits.changed.connect(self._layer_edited)
            self.edits.saveFailed.connect(self.transport.set_status)
            self.edit_panel.set_stack(self.edits.stack)
        else:
            self.edits.doc = doc
        self.edit_panel.set_edited_layers(doc.user_layers)
        self.edit_panel.set_tempo(doc.annotations.tempo.bpm if doc.annotations.tempo else None)
        if first:
            self.timeline.set_position(0.0)
            self.practice.show_time(0.0)
            self.transport.set_time(0.0, doc.duration)
        self.documentLoaded.emit()

    def _backends_ready(self, backends) -> None:
        if self.doc is not None:
            self.doc.backends = backends
            self.details.set_document(self.doc)

    def _document_failed(self, message: str) -> None:
        self.title.setText("Cannot open this track")
        self.subtitle.setText(message)
        self.timeline.waveform.set_peaks(None, "No waveform: " + message)

    def _peaks_ready(self, pyramid) -> None:
        self.timeline.waveform.set_peaks(pyramid)
        self._start_decoding()
        self.peaksLoaded.emit()

    def _peaks_failed(self, message: str) -> None:
        self.timeline.waveform.set_peaks(None, message)
        self._start_decoding()
        self.peaksLoaded.emit()

    def _start_decoding(self) -> None:
        """Decode for playback once the lanes are drawn, so it does not compete with opening."""
        if self.doc is not None and self.player.state == "empty":
            self.player.load_file(self.doc.path)

    def _ask_lyrics_source(self, from_file: bool) -> None:
        if not from_file:
            self.import_lyrics(None)
            return
        path, _ = QFileDialog.getOpenFileName(self, "Import lyrics", "",
                                              "Lyrics (*.lrc *.srt *.vtt *.txt);;All files (*)")
        if path:
            self.import_lyrics(path)

    def import_lyrics(self, path: str | None) -> None:
        """Replace the lyric lane with a lyrics file (or the audio file's own lyric tags), off the UI thread.

        Saved as the user's lyric layer: the machine lyrics stay and "Revert to machine result" brings them back.
        """
        import threading

        from moss_music.export import import_lyrics, lyrics_from_tags, read_lyrics_file

        if self.doc is None:
            return
        library, track_id, duration = self.library, self.track_id, self.doc.annotations.duration
        audio_path = self.doc.path

        def work() -> None:
            try:
                lines = read_lyrics_file(path, duration) if path else lyrics_from_tags(audio_path, duration)
                import_lyrics(library, track_id, lines)
                message = ""
            except (OSError, ValueError) as error:
                message = str(error) or type(error).__name__
            if self._alive:
                self._events.lyricsImported.emit(message)

        threading.Thread(target=work, name="track-view-lyrics", daemon=True).start()

    def _lyrics_imported(self, message: str) -> None:
        if message:
            self.transport.set_status(f"Lyrics not imported: {message}")
            return
        self.transport.set_status("Lyrics imported (revert to machine result in Edit to undo)")
        self.reload()

    def reload(self) -> None:
        """Re-read the annotations (a job for this track finished); edits already saved stay."""
        self.loader.reload_document()

    def _update_chips(self) -> None:
        ann = self.doc.annotations
        values = {
            "key": f"Key {self.doc.settings.key_name()}" if ann.key else "",
            "bpm": f"{ann.tempo.bpm:.1f} BPM" if ann.tempo else "",
            "metre": f"{ann.time_signature}" if ann.time_signature else "",
            "edited": "✎ edited" if self.doc.user_layers else "",
        }
        for name, text in values.items():
            self.chips[name].setText(text)
            self.chips[name].setVisible(bool(text))

    # -- output device ------------------------------------------------------------------------------------

    def _start_output_search(self) -> None:
        import threading

        def find() -> None:
            output, reason = open_default_output()
            devices = list_output_devices()
            if self._alive:
                self._events.devices.emit(output, devices, reason)

        threading.Thread(target=find, name="track-view-audio", daemon=True).start()

    def _devices_found(self, output, devices, reason: str) -> None:
        self.player.set_output(output, reason)
        self.transport.set_devices(devices, output is not None)
        self._show_playback_status()

    def choose_device(self, index) -> None:
        try:
            output = SoundDeviceOutput(index)
        except OutputError as error:
            self.transport.set_status(f"Cannot use that device: {error}")
            return
        self.player.set_output(output)
        self._show_playback_status()

    def _show_playback_status(self) -> None:
        available = self.player.available
        self.transport.set_status("" if available else self.player.unavailable_reason)
        self.transport.play.setEnabled(available)
        self.transport.stop.setEnabled(available)

    # -- transport ------------------------------------------------------------------------------------------

    def toggle_play(self) -> None:
        if self.player.state in (PLAYING, COUNT_IN):
            self.player.pause()
        elif not self.player.play() and self.player.error:
            self.transport.set_status(self.player.error)

    def stop(self) -> None:
        self.player.stop()
        self._show_position(self.player.position())

    def seek(self, t: float) -> None:
        self.player.seek(t)
        self._show_position(self.player.position())

    def _step(self, direction: int, bars: bool) -> None:
        if self.doc is not None:
            self.seek(self.doc.neighbour_beat(self.player.position(), direction, bars))

    def _relay_player_event(self, event: str) -> None:
        """Called on the audio/loader thread: hop onto the UI thread unless the view is gone."""
        if self._alive:
            self._events.event.emit(event)

    def _player_event(self, event: str) -> None:
        if event in ("state", "ended", "loaded"):
            playing = self.player.state in (PLAYING, COUNT_IN)
            self.transport.set_playing(playing)
            if playing and not self.frame_timer.isActive():
                self.frame_timer.start()
            elif not playing:
                self.frame_timer.stop()
                self._show_position(self.player.position())
        if event == "error" and self.player.error:
            self.transport.set_status(self.player.error)

    def tick(self) -> None:
        """One display frame while playing: move the playhead, follow it, update the practice panel."""
        playing = self.player.state in (PLAYING, COUNT_IN)
        self._show_position(self.player.position(), playing)
        status = "Preparing stretched audio…" if self.player.buffering else ""
        if status or self.transport.status.text() == "Preparing stretched audio…":
            self.transport.set_status(status)

    def _show_position(self, t: float, playing: bool = False) -> None:
        self.timeline.set_position(t, playing)
        self.practice.show_time(t, self.player.count_in_remaining())
        if self.doc is not None:
            self.transport.set_time(t, self.doc.duration)

    def _set_follow(self, on: bool) -> None:
        self.timeline.follow = on

    # -- loops ------------------------------------------------------------------------------------------------

    def set_loop(self, start: float | None, end: float | None, name: str = "") -> None:
        try:
            self.player.set_loop(start, end)
        except ValueError as error:
            self.transport.set_status(str(error))
            return
        loop = self.player.loop
        self.loop_name = name if loop else ""
        self.timeline.show_loop(loop.start if loop else None, loop.end if loop else None)
        self.transport.set_loop(loop.start if loop else None, loop.end if loop else None, self.loop_name)
        self._show_position(self.player.position())

    def clear_loop(self) -> None:
        self.set_loop(None, None)

    def set_loop_point(self, which: str) -> None:
        now = self.player.position()
        loop = self.player.loop
        duration = self.doc.duration if self.doc else self.player.duration
        if which == "start":
            end = loop.end if loop and loop.end > now + 0.05 else min(now + 4.0, duration)
            self.set_loop(now, end, "A–B")
        else:
            start = loop.start if loop and loop.start < now - 0.05 else max(now - 4.0, 0.0)
            self.set_loop(start, now, "A–B")

    def loop_block(self, kind: str, index: int) -> None:
        doc = self.doc
        block = {"chords": doc.annotations.chords, "sections": doc.annotations.sections,
                 "lyrics": doc.annotations.lyrics}[kind][index]
        loop = self.player.loop
        if loop and abs(loop.start - block.start) < 1e-3 and abs(loop.end - block.end) < 1e-3:
            self.clear_loop()
            return
        name = {"chords": lambda: doc.settings.chord_name(block.label), "sections": lambda: block.label,
                "lyrics": lambda: "lyric line"}[kind]()
        self.set_loop(block.start, block.end, name)

    def loop_current_section(self) -> None:
        if self.doc is None:
            return
        index = self.doc.section_index_at(self.player.position())
        if index is not None:
            self.loop_block("sections", index)

    # -- practice settings --------------------------------------------------------------------------------------

    def _transpose(self, semitones: int) -> None:
        self.player.set_transpose(semitones)
        self._display_changed(transpose=semitones)

    def _capo(self, fret: int) -> None:
        self._display_changed(capo=fret)

    def _spelling(self, prefer_flats) -> None:
        self._display_changed(prefer_flats=prefer_flats)

    def _display_changed(self, **changes) -> None:
        if self.doc is None:
            return
        for name, value in changes.items():
            setattr(self.doc.settings, name, value)
        self.timeline.item("chords").refresh_names()
        self.practice.set_document(self.doc)
        self._update_chips()
        self._show_position(self.player.position())

    def _count_in(self, bars: int) -> None:
        beats_per_bar = self.doc.annotations.time_signature.numerator if self.doc and \
            self.doc.annotations.time_signature else 4
        self.player.set_count_in(bars * beats_per_bar)

    # -- editing ---------------------------------------------------------------------------------------------------

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
        if layer == "beats":
            self.player.set_beats(doc.beat_times, doc.beat_positions == 1)
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

    # -- asking -----------------------------------------------------------------------------------------------

    def _ask_progress(self, _job_id: int, status: str) -> None:
        question = self.ask.pending.get(_job_id)
        if question:
            self.details.show_pending(question, f"… {status}")

    def _ask_answered(self, _job_id: int, question: str, answer: str, reasoning: str) -> None:
        self.details.show_answer(question, answer, reasoning)

    # -- export ----------------------------------------------------------------------------------------------

    def open_export(self) -> None:
        try:
            from desktop.export_dialog import ExportDialog
        except ImportError:
            self.transport.set_status("Export is not available in this build.")
            return
        if self.edits is not None:
            self.edits.flush()
        dialog = ExportDialog(self.library, [self.track_id], self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # -- closing ---------------------------------------------------------------------------------------------

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop sound and background work; edits already made are flushed to the library."""
        self._alive = False
        self.frame_timer.stop()
        self.player.close()
        self.ask.close()
        if self.edits is not None:
            self.edits.close()
            self.edits = None
