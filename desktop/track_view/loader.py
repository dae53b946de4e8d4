"""Everything the view needs from disk, fetched off the UI thread.

The window opens at once; the document (track row, merged annotations, the
per-backend summaries) and the waveform peaks arrive through signals. Peaks
come from the on-disk cache when they exist; otherwise the lane shows a
placeholder while they are computed (one streaming decode) and cached.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.track_view.document import BackendSummary, TrackDocument
from desktop.track_view.threads import GuardedEmitter
from moss_music.annotations import TrackAnnotations
from moss_music.annotations.spelling import spell_key
from moss_music.audio import AudioError, cached_peaks
from moss_music.library import Library, TrackNotFound
from moss_music.paths import DataDir


def data_dir_of(library: Library) -> DataDir:
    """The data dir a library lives in (its SQLite file's folder), else the default one."""
    database = library.engine.url.database
    if library.engine.url.get_backend_name() == "sqlite" and database and database != ":memory:":
        return DataDir(Path(database).resolve().parent)
    return DataDir.resolve()


def build_document(library: Library, track_id: int, with_backends: bool = True) -> TrackDocument:
    track = library.get_track(track_id)
    if track is None:
        raise TrackNotFound(f"track {track_id} is not in the library")
    machine = library.machine_annotations(track_id)
    user = library.user_annotations(track_id)
    annotations = overlay_layers(machine, user)
    backends = backend_summaries(library, track_id) if with_backends else []
    duration = track.duration or annotations.duration or machine.duration or 0.0
    if not duration and annotations.beats:
        duration = annotations.beats[-1].time + 1.0
    return TrackDocument(
        track_id=track_id, title=track.title or Path(track.path).stem, artist=track.artist or "",
        path=track.path, duration=float(duration), annotations=annotations, machine=machine,
        backends=backends, user_layers=set(user.present_layers()),
    )


def overlay_layers(machine: TrackAnnotations, user: TrackAnnotations) -> TrackAnnotations:
    """What ``machine.overlay(user)`` gives, without its JSON round trip of every layer (a third of the
    opening time of a 10-minute song). The copy is shallow: layers are shared with ``machine`` but never
    changed in place — an edit replaces the whole layer (``EditSession``), so the machine result stays."""
    merged = dataclasses.replace(machine)
    for name in user.present_layers():
        setattr(merged, name, getattr(user, name))
        if name == "raw":
            merged.unparsed = user.unparsed
    if user.duration is not None:
        merged.duration = user.duration
    return merged


def backend_summaries(library: Library, track_id: int) -> list[BackendSummary]:
    """Key, tempo and metre per backend (newest analysis of each), for the details panel, with where each
    model backend disagrees with the signal analysis (fusion's musical comparison: relative key, half time …)."""
    from moss_music.analysis.fusion import disagreements

    found: dict[str, tuple[str, object]] = {}
    for analysis in library.analyses(track_id):
        if analysis.backend in found:
            continue
        ann = library.machine_annotations(track_id, analysis.backend)
        if ann.key or ann.tempo or ann.time_signature:
            found[analysis.backend] = (analysis.model_id or "", ann)
    dsp = found.get("dsp", (None, None))[1]
    backends: list[BackendSummary] = []
    for backend, (model, ann) in found.items():
        notes = [d.message() for d in disagreements(dsp, ann)] if dsp is not None and backend != "dsp" else []
        backends.append(BackendSummary(
            backend, model, key=spell_key(ann.key), bpm=ann.tempo.bpm if ann.tempo else None,
            time_signature=str(ann.time_signature) if ann.time_signature else "", disagreements=notes,
        ))
    return backends


class TrackLoader(GuardedEmitter, QObject):
    document_ready = Signal(object)
    document_failed = Signal(str)
    peaks_ready = Signal(object)
    peaks_failed = Signal(str)
    backends_ready = Signal(object)
    """The per-backend summaries, read after the lanes are up (they cost a parse per backend)."""

    def __init__(self, library: Library, track_id: int, data_dir: DataDir, parent=None) -> None:
        super().__init__(parent)
        self.library = library
        self.track_id = track_id
        self.data_dir = data_dir
        self.threads: list[threading.Thread] = []
        self._init_guard()

    def start(self) -> None:
        thread = threading.Thread(target=self._load, name="track-view-load", daemon=True)
        self.threads.append(thread)
        thread.start()

    def reload_document(self) -> None:
        thread = threading.Thread(target=self._load_document, name="track-view-reload", daemon=True)
        self.threads.append(thread)
        thread.start()

    def _load_document(self, with_backends: bool = True) -> TrackDocument | None:
        try:
            doc = build_document(self.library, self.track_id, with_backends)
        except Exception as error:  # noqa: BLE001 - shown in the view instead of crashing it
            self.emit_safely("document_failed", str(error))
            return None
        self.emit_safely("document_ready", doc)
        return doc

    def _load(self) -> None:
        doc = self._load_document(with_backends=False)
        if doc is None:
            return
        self._load_peaks()

    def load_backends(self) -> None:
        """The per-backend table, read once the lanes are drawn: parsing every backend's analysis is pure
        Python, and run at the same time it would hold the interpreter the first paint is waiting for."""
        def work() -> None:
            try:
                self.emit_safely("backends_ready", backend_summaries(self.library, self.track_id))
            except Exception:  # noqa: BLE001 - the table stays empty; the lanes matter more
                pass

        thread = threading.Thread(target=work, name="track-view-backends", daemon=True)
        self.threads.append(thread)
        thread.start()

    def _load_peaks(self) -> None:
        track = self.library.get_track(self.track_id)
        if track is None or not track.content_hash:
            self.emit_safely("peaks_failed", "No waveform: the file has not been scanned successfully.")
            return
        try:
            pyramid = cached_peaks(track.path, track.content_hash, self.data_dir.peaks_dir)
        except AudioError as error:
            self.emit_safely("peaks_failed", f"No waveform: {error.reason} ({track.path})")
            return
        except Exception as error:  # noqa: BLE001
            self.emit_safely("peaks_failed", f"No waveform: {error}")
            return
        self.emit_safely("peaks_ready", pyramid)

    def wait(self, timeout: float = 10.0) -> None:
        for thread in list(self.threads):
            thread.join(timeout)
