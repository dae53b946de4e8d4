"""``TrackViewWindow``: lanes or chord sheet, transport, practice, lyrics, details and editing for one track.

It composes the pieces and wires them: the loader fills in the document and
peaks, the player plays and keeps time, a display-refresh timer moves the
playhead while playing, the edit session owns changes and undo. It never
touches the database or decodes audio itself — the loader, player, edit
session and ask service do that off the UI thread. Playback, editing and
lyrics live in mixins (``playback``, ``blocks``, ``lyrics_feature``).
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from desktop.events import follow_track
from desktop.player import Player
from desktop.track_view import theme
from desktop.track_view.ask import AskService
from desktop.track_view.blocks import BlockEditingMixin
from desktop.track_view.details import DetailsPanel
from desktop.track_view.document import TrackDocument
from desktop.track_view.edit_panel import EditPanel
from desktop.track_view.editing import EditSession
from desktop.track_view.loader import TrackLoader, data_dir_of
from desktop.track_view.lyric_sync_panel import NUDGE_S, LyricSyncPanel
from desktop.track_view.lyrics_feature import LyricsMixin
from desktop.track_view.playback import PlaybackMixin
from desktop.track_view.practice import PracticePanel
from desktop.track_view.sheet import ChordSheetView
from desktop.track_view.timeline import Timeline
from desktop.track_view.transport import VIEW_LANES, VIEW_SHEET, TransportBar
from moss_music.library import Library
from moss_music.library.schema import utcnow
from moss_music.paths import DataDir

FRAME_MS = 16
AFTER_PAINT_MS = 30


class _PlayerEvents(QObject):
    """Carries player and loader-thread events onto the UI thread."""

    event = Signal(str)
    devices = Signal(object, object, str)
    lyrics_read = Signal(object, str, str)
    """(lines, error message or '', where they came from)"""


class TrackViewWindow(PlaybackMixin, BlockEditingMixin, LyricsMixin, QWidget):
    document_loaded = Signal()
    peaks_loaded = Signal()

    def __init__(self, library: Library, track_id: int, parent: QWidget | None = None, *,
                 player: Player | None = None, data_dir: DataDir | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TrackView")
        self.setWindowTitle("Track")
        self.setStyleSheet(theme.STYLESHEET)
        self.setMinimumSize(1024, 600)
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
        self._alive_lock = threading.Lock()
        self._events = _PlayerEvents(self)
        self._events.event.connect(self._player_event)
        self._events.devices.connect(self._devices_found)
        self._events.lyrics_read.connect(self._lyrics_read)
        # Reading the track starts first, so the database and the widgets are worked on at the same time;
        # its results arrive as queued signals, after this constructor has built what they fill in.
        self.loader = TrackLoader(library, track_id, self.data_dir, parent=self)
        self.loader.document_ready.connect(self._document_ready)
        self.loader.document_failed.connect(self._document_failed)
        self.loader.peaks_ready.connect(self._peaks_ready)
        self.loader.peaks_failed.connect(self._peaks_failed)
        self.loader.backends_ready.connect(self._backends_ready)
        self.loader.start()
        self._find_output = player is None
        self.player = player or Player(None, unavailable_reason="Looking for an audio output…")
        self.player.add_listener(self._relay_player_event)
        self._build()
        self._wire()
        self._shortcuts()
        self.ask = AskService(library, track_id, data_dir=self.data_dir, parent=self)
        self.details.set_ask_available(self.ask.unavailable)
        self.ask.queued.connect(lambda _job, q: self.details.show_pending(q, "Queued for MOSS-Music…"))
        self.ask.progressed.connect(self._ask_progress)
        self.ask.answered.connect(self._ask_answered)
        self.ask.failed.connect(lambda _job, q, reason: self.details.show_pending(q or "(empty question)",
                                                                                  f"⚠ {reason}"))
        self.details.ask_requested.connect(self.ask.ask)
        follow_track(self)  # new results for this track (finished jobs, the demo song) reload the view
        self.frame_timer = QTimer(self)
        self.frame_timer.setInterval(FRAME_MS)
        self.frame_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.frame_timer.timeout.connect(self.tick)
        if self._find_output:
            self._start_output_search()
        else:
            self._show_playback_status()

    # -- layout -------------------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 8, 12, 8)
        outer.setSpacing(6)
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
        self.sheet = ChordSheetView()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.timeline)
        self.stack.addWidget(self.sheet)
        for kind, title, *_ in Timeline.LANES:
            if kind != "waveform":
                self.transport.add_lane_toggle(kind, title)
        self.practice = PracticePanel()
        self.lyric_sync = LyricSyncPanel()
        self.details = DetailsPanel()
        self.edit_panel = EditPanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.practice, "Practice")
        self.tabs.addTab(self.lyric_sync, "Lyrics")
        self.tabs.addTab(self.details, "Details")
        self.tabs.addTab(self.edit_panel, "Edit")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.stack)
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
        t.device_chosen.connect(self.choose_device)
        t.color_mode_changed.connect(lambda mode: tl.item("chords").set_color_mode(mode))
        t.viewChanged.connect(self.show_view)
        t.lane_toggled.connect(tl.set_lane_shown)
        t.set_loop(None, None)
        tl.seek_requested.connect(self.seek)
        tl.block_activated.connect(self._block_activated)
        tl.context_requested.connect(self._context_menu)
        tl.loop_edited.connect(lambda a, b: self.set_loop(a, b, "A–B"))
        tl.edge_moved.connect(self._edge_moved)
        self.sheet.seek_requested.connect(self.seek)
        self.sheet.loop_requested.connect(self.set_loop)
        self.sheet.simplify_changed.connect(self._simplify)
        p.speed_changed.connect(self.player.set_speed)
        p.transpose_changed.connect(self._transpose)
        p.capo_changed.connect(self._capo)
        p.spelling_changed.connect(self._spelling)
        p.metronome_toggled.connect(lambda on: self.player.set_metronome(on))
        p.count_in_changed.connect(self._count_in)
        ep = self.edit_panel
        ep.shift_requested.connect(lambda s: self.edits and self.edits.shift_beats(s))
        ep.tempo_requested.connect(self._set_tempo)
        ep.downbeat_requested.connect(lambda: self.edits and self.edits.set_downbeat(self.player.position()))
        ep.revert_requested.connect(lambda layer: self.edits and self.edits.revert(layer))
        ls = self.lyric_sync
        ls.import_requested.connect(self._ask_lyrics_source)
        ls.start_requested.connect(self._sync_started)
        ls.tap_requested.connect(self.sync_tap)
        ls.applied.connect(self._sync_applied)
        ls.preview_changed.connect(lambda lines: self.timeline.item("lyrics").set_lines(lines))

    def _shortcuts(self) -> None:
        bindings = {
            "Space": self._space, "Home": self.stop,
            "+": lambda: self.timeline.zoom(0.5), "=": lambda: self.timeline.zoom(0.5),
            "-": lambda: self.timeline.zoom(2.0), "0": self.timeline.fit,
            "Left": lambda: self._step(-1, False), "Right": lambda: self._step(1, False),
            "Shift+Left": lambda: self._step(-1, True), "Shift+Right": lambda: self._step(1, True),
            "L": self.loop_current_section, "Escape": self.clear_loop,
            "[": lambda: self.set_loop_point("start"), "]": lambda: self.set_loop_point("end"),
            "F": self.transport.follow.toggle, "E": self.transport.edit.toggle, "T": self.edit_panel.tap,
            "S": lambda: self.show_view(VIEW_LANES if self.stack.currentWidget() is self.sheet else VIEW_SHEET),
            ",": lambda: self.lyric_sync.nudge(-NUDGE_S), ".": lambda: self.lyric_sync.nudge(NUDGE_S),
            "Backspace": self.lyric_sync.undo,
            "Ctrl+Z": self.undo, "Ctrl+Shift+Z": self.redo, "Ctrl+Y": self.redo,
        }
        self._shortcut_objects = []
        for keys, slot in bindings.items():
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
            self._shortcut_objects.append(shortcut)

    def show_view(self, view: str) -> None:
        """Lanes (time line) or chord sheet (bars) in the top pane."""
        self.stack.setCurrentWidget(self.sheet if view == VIEW_SHEET else self.timeline)
        self.transport.set_view(view)
        self._show_position(self.player.position())

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
        self.sheet.set_document(doc)
        self.practice.set_document(doc)
        self.lyric_sync.set_document(doc)
        self.details.set_document(doc)
        self._update_chips()
        self.player.set_beats(doc.beat_times, doc.beat_positions == 1)
        if self.edits is None:
            self.edits = EditSession(self.library, doc, self)
            self.edits.changed.connect(self._layer_edited)
            self.edits.save_failed.connect(self.transport.set_status)
            self.edit_panel.set_stack(self.edits.stack)
        else:
            self.edits.doc = doc
        self.edit_panel.set_edited_layers(doc.user_layers)
        self.edit_panel.set_tempo(doc.annotations.tempo.bpm if doc.annotations.tempo else None)
        if first:
            self.timeline.set_position(0.0)
            self.practice.show_time(0.0)
            self.transport.set_time(0.0, doc.duration)
        self.document_loaded.emit()

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
        self._after_first_paint()
        self.peaks_loaded.emit()

    def _peaks_failed(self, message: str) -> None:
        self.timeline.waveform.set_peaks(None, message)
        self._after_first_paint()
        self.peaks_loaded.emit()

    def _after_first_paint(self) -> None:
        """Decoding for playback and the backends table start once the lanes are on screen, so neither
        competes with opening (a timer fires after the pending paint)."""
        QTimer.singleShot(AFTER_PAINT_MS, self, self._start_background_work)

    def _start_background_work(self) -> None:
        if not self._alive:
            return
        self._start_decoding()
        self.loader.load_backends()

    def _start_decoding(self) -> None:
        if self.doc is not None and self.player.state == "empty":
            self.player.load_file(self.doc.path)

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

    # -- asking -----------------------------------------------------------------------------------------------

    def _ask_progress(self, _job_id: int, status: str) -> None:
        question = self.ask.pending.get(_job_id)
        if question:
            self.details.show_pending(question, f"… {status}")

    def _ask_answered(self, _job_id: int, question: str, answer: str, reasoning: str) -> None:
        self.details.show_answer(question, answer, reasoning)

    # -- export ----------------------------------------------------------------------------------------------

    def open_export(self) -> None:
        from desktop.export_dialog import ExportDialog

        if self.edits is not None:
            self.edits.flush()
        dialog = ExportDialog(self.library, [self.track_id], self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # -- closing ---------------------------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop sound and background work; edits already made are flushed to the library."""
        with self._alive_lock:
            self._alive = False
        self.loader.close_signals()
        self.frame_timer.stop()
        self.player.close()
        self.ask.close()
        if self.edits is not None:
            self.edits.close()
            self.edits = None
