"""Edits to a track's annotations: undoable, saved as the user layer, machine results kept.

Every edit replaces one whole layer (old JSON -> new JSON) through a
``QUndoStack`` command, so undo/redo is exact and the same code path saves
to the library. Saving runs on one background thread in order, so the UI
never waits for the database; ``flush()`` waits for it (tests, closing).
Undoing the first edit of a layer removes the user layer again rather than
storing a copy of the machine result; "revert to machine result" is itself
an undoable command.
"""

from __future__ import annotations

import copy
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from desktop.track_view.document import TrackDocument
from moss_music.annotations import Beat, Tempo, TrackAnnotations, to_harte
from moss_music.library import Library

SAVE, CLEAR = "save", "clear"
EDITABLE_LAYERS = ("beats", "tempo", "chords", "sections", "lyrics")


class SetLayer(QUndoCommand):
    def __init__(self, session: EditSession, layer: str, before: Any, after: Any, text: str,
                 on_redo: str, on_undo: str) -> None:
        super().__init__(text)
        self.session, self.layer = session, layer
        self.before, self.after = before, after
        self.on_redo, self.on_undo = on_redo, on_undo

    def redo(self) -> None:
        self.session._apply(self.layer, self.after, self.on_redo)

    def undo(self) -> None:
        self.session._apply(self.layer, self.before, self.on_undo)


class EditSession(QObject):
    changed = Signal(str)
    save_failed = Signal(str)

    def __init__(self, library: Library, doc: TrackDocument, parent=None) -> None:
        super().__init__(parent)
        self.library = library
        self.doc = doc
        self.stack = QUndoStack(self)
        self._saver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="track-edit-save")
        self._pending: list[Future] = []

    # -- plumbing -------------------------------------------------------------------------------------

    def _layer_json(self, layer: str) -> Any:
        return copy.deepcopy(self.doc.annotations.layer_to_json(layer))

    def _push(self, layer: str, after: Any, text: str) -> None:
        before = self._layer_json(layer)
        if before == after:
            return
        had_user = layer in self.doc.user_layers
        self.stack.push(SetLayer(self, layer, before, after, text, SAVE, SAVE if had_user else CLEAR))

    def _apply(self, layer: str, data: Any, persist: str) -> None:
        if data is None:
            setattr(self.doc.annotations, layer, getattr(TrackAnnotations(), layer))
        else:
            self.doc.annotations.set_layer_from_json(layer, copy.deepcopy(data))
        self.doc.reindex()
        if persist == SAVE:
            self.doc.user_layers.add(layer)
            self._save(self.library.save_user_layer, self.doc.track_id, layer, copy.deepcopy(data))
        else:
            self.doc.user_layers.discard(layer)
            self._save(self.library.clear_user_layer, self.doc.track_id, layer)
        self.changed.emit(layer)

    def _save(self, fn, *args) -> None:
        future = self._saver.submit(fn, *args)
        future.add_done_callback(self._saved)
        self._pending.append(future)

    def _saved(self, future: Future) -> None:
        error = future.exception()
        if error is not None:
            self.save_failed.emit(f"Could not save the edit: {error}")

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every edit so far is in the database."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result(timeout)

    def close(self) -> None:
        self.flush()
        self._saver.shutdown(wait=True)

    # -- block edges, sections, chords, lyric lines -------------------------------------------------------

    def move_edge(self, layer: str, index: int, edge: str, t: float) -> None:
        """Move a block's start or end; an adjacent block's touching edge moves with it."""
        items = self._layer_json(layer)
        item = items[index]
        old = item[edge]
        item[edge] = round(t, 4)
        neighbour = index - 1 if edge == "start" else index + 1
        other_edge = "end" if edge == "start" else "start"
        if 0 <= neighbour < len(items) and abs(items[neighbour][other_edge] - old) < 1e-6:
            items[neighbour][other_edge] = item[edge]
        if layer == "lyrics":
            for line in (items[index], items[neighbour] if 0 <= neighbour < len(items) else None):
                if line is not None:
                    _fit_words(line)
        names = {"sections": "section boundary", "chords": "chord boundary", "lyrics": "lyric line timing"}
        self._push(layer, items, f"Move {names.get(layer, layer)}")

    def rename_section(self, index: int, label: str, function: str | None = None) -> None:
        label = label.strip()
        if not label:
            raise ValueError("a section needs a name")
        sections = self._layer_json("sections")
        sections[index]["label"] = label
        if function:
            sections[index]["function"] = function
        self._push("sections", sections, f"Rename section to {label!r}")

    def set_chord(self, index: int, label: str, start: float | None = None, end: float | None = None) -> None:
        """Change a chord's label (any spelling; stored as Harte) and/or span; raises ValueError on bad input."""
        harte = to_harte(label)
        chords = self._layer_json("chords")
        chord = chords[index]
        start = chord["start"] if start is None else float(start)
        end = chord["end"] if end is None else float(end)
        if end - start < 0.05:
            raise ValueError("a chord must last at least 50 ms")
        if index > 0 and start < chords[index - 1]["start"] + 0.05:
            raise ValueError("the chord would swallow the chord before it")
        if index + 1 < len(chords) and end > chords[index + 1]["end"] - 0.05:
            raise ValueError("the chord would swallow the chord after it")
        if index > 0:
            before = chords[index - 1]
            if before["end"] > start or abs(before["end"] - chord["start"]) < 1e-6:
                before["end"] = start  # neighbours that touched keep touching; overlaps are trimmed
        if index + 1 < len(chords):
            after = chords[index + 1]
            if after["start"] < end or abs(after["start"] - chord["end"]) < 1e-6:
                after["start"] = end
        chord.update(label=harte, start=start, end=end, confidence=1.0)
        self._push("chords", chords, f"Change chord to {label}")

    def edit_line(self, index: int, text: str, start: float, end: float) -> None:
        text = " ".join(text.split())
        if not text:
            raise ValueError("a lyric line needs some text (delete it in a later version)")
        if end - start < 0.1:
            raise ValueError("a lyric line must last at least 100 ms")
        lines = self._layer_json("lyrics")
        line = lines[index]
        old_words = [w["text"] for w in line.get("words", [])]
        line.update(text=text, start=float(start), end=float(end))
        if text.split() != old_words:
            line["words"] = [{"start": 0.0, "end": 0.0, "text": w} for w in text.split()]
            _spread_words(line)
        else:
            _fit_words(line)
        self._push("lyrics", lines, "Edit lyric line")

    def replace_lyrics(self, lines: list, text: str = "Import lyrics") -> None:
        """Swap the whole lyric layer (an import, or lines timed by tap-to-sync) as one undoable step."""
        self._push("lyrics", _json_of("lyrics", list(lines)), text)

    # -- beat grid --------------------------------------------------------------------------------------

    def shift_beats(self, seconds: float) -> None:
        beats = [dict(b, time=round(b["time"] + seconds, 4)) for b in self._layer_json("beats")]
        self._push("beats", [b for b in beats if b["time"] >= 0.0], f"Shift beat grid {seconds * 1000:+.0f} ms")

    def scale_beats(self, factor: float, anchor: float | None = None, bpm: float | None = None) -> None:
        """Stretch the grid around ``anchor`` (the first beat by default): factor > 1 = slower tempo."""
        beats = self._layer_json("beats")
        if not beats or factor <= 0:
            return
        anchor = beats[0]["time"] if anchor is None else anchor
        scaled = [dict(b, time=round(anchor + (b["time"] - anchor) * factor, 4)) for b in beats]
        self.stack.beginMacro("Scale beat grid")
        self._push("beats", [b for b in scaled if b["time"] >= 0.0], "Scale beat grid")
        old = _grid_bpm(self.doc.annotations.beats) or (self.doc.annotations.tempo.bpm
                                                         if self.doc.annotations.tempo else 0.0)
        if bpm or old:
            self._push("tempo", _json_of("tempo", Tempo(round(bpm or old / factor, 2), 1.0)), "Set tempo")
        self.stack.endMacro()

    def set_tempo(self, bpm: float) -> None:
        """Re-space the grid to ``bpm`` from its first beat (what tap tempo does)."""
        if bpm <= 0:
            raise ValueError("the tempo must be positive")
        ann = self.doc.annotations
        current = _grid_bpm(ann.beats) or (ann.tempo.bpm if ann.tempo else 0.0)
        if not ann.beats or not current:
            return self._build_grid(bpm)
        self.scale_beats(current / bpm, bpm=bpm)

    def _build_grid(self, bpm: float) -> None:
        """No grid yet: lay a 4/4 one over the whole song from the start."""
        step = 60.0 / bpm
        beats = []
        t, i = 0.0, 0
        while t < self.doc.duration:
            beats.append(Beat(round(t, 4), i % 4 + 1))
            t += step
            i += 1
        self.stack.beginMacro("Set tempo")
        self._push("beats", _json_of("beats", beats), "Lay beat grid")
        self._push("tempo", _json_of("tempo", Tempo(round(bpm, 2), 1.0)), "Set tempo")
        self.stack.endMacro()

    def set_downbeat(self, t: float) -> None:
        """Make the beat nearest ``t`` a downbeat, renumbering the bar positions around it."""
        beats = self._layer_json("beats")
        if not beats:
            return
        nearest = min(range(len(beats)), key=lambda i: abs(beats[i]["time"] - t))
        per_bar = max(b["position"] for b in beats) or 4
        for i, beat in enumerate(beats):
            beat["position"] = (i - nearest) % per_bar + 1
        self._push("beats", beats, "Set downbeat")

    # -- revert --------------------------------------------------------------------------------------------

    def revert(self, layer: str | None = None) -> None:
        """Back to the machine result for one layer (or every edited one); undoable."""
        layers = [layer] if layer else sorted(self.doc.user_layers)
        layers = [name for name in layers if name in self.doc.user_layers]
        if not layers:
            return
        self.stack.beginMacro("Revert to machine result")
        for name in layers:
            before = self._layer_json(name)
            after = copy.deepcopy(self.doc.machine.layer_to_json(name))
            self.stack.push(SetLayer(self, name, before, after, f"Revert {name}", CLEAR, SAVE))
        self.stack.endMacro()


def _json_of(layer: str, value: Any) -> Any:
    holder = TrackAnnotations()
    setattr(holder, layer, value)
    return holder.layer_to_json(layer)


def _grid_bpm(beats: list[Beat]) -> float:
    if len(beats) < 2:
        return 0.0
    return 60.0 * (len(beats) - 1) / (beats[-1].time - beats[0].time)


def _spread_words(line: dict) -> None:
    """New words with no timing: spread evenly over the line, weighted by length."""
    words = line["words"]
    weights = [len(w["text"]) + 1 for w in words]
    total = sum(weights)
    t = line["start"]
    span = line["end"] - line["start"]
    for word, weight in zip(words, weights, strict=True):
        word["start"] = round(t, 4)
        t += span * weight / total
        word["end"] = round(t, 4)


def _fit_words(line: dict) -> None:
    """Keep the words' relative timing when a line is moved or stretched."""
    words = line.get("words") or []
    if not words:
        return
    old_start = min(w["start"] for w in words)
    old_end = max(w["end"] for w in words)
    span = max(old_end - old_start, 1e-6)
    scale = (line["end"] - line["start"]) / span
    for word in words:
        word["start"] = round(line["start"] + (word["start"] - old_start) * scale, 4)
        word["end"] = round(line["start"] + (word["end"] - old_start) * scale, 4)
