"""Fusion of model results with the DSP beat grid, and a list of where the two backends disagree.

A language model names chords and sections well but places them loosely in time; the DSP analyzer
places beats and downbeats precisely. ``fuse`` moves model boundaries onto the nearest beat (chords)
or downbeat (sections) when one is close enough, fills layers the model did not produce from the DSP
result, and reports disagreements (key, tempo, metre) instead of silently picking a side.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace

from moss_music.annotations import Chord, Key, Section, TrackAnnotations
from moss_music.annotations.chords import note_to_pitch_class

CHORD_TOLERANCE = 0.2
"""Seconds a chord boundary may move to reach a beat."""
SECTION_TOLERANCE = 1.5
"""Seconds a section boundary may move to reach a downbeat (then a beat within CHORD_TOLERANCE)."""
TEMPO_TOLERANCE = 0.04


@dataclass(frozen=True)
class Disagreement:
    layer: str
    """'key', 'tempo' or 'time_signature'."""
    dsp: str
    other: str
    relation: str
    """How the two answers relate: 'relative', 'parallel', 'fifth', 'double', 'half', 'different'."""

    def message(self) -> str:
        return f"{self.layer}: signal analysis says {self.dsp}, the model says {self.other} ({self.relation})"


def snap_time(t: float, grid: Sequence[float], tolerance: float) -> float:
    """The grid time nearest to ``t`` if it lies within ``tolerance``, else ``t`` unchanged."""
    if not grid:
        return t
    i = bisect.bisect_left(grid, t)
    candidates = [grid[j] for j in (i - 1, i) if 0 <= j < len(grid)]
    best = min(candidates, key=lambda g: abs(g - t))
    return best if abs(best - t) <= tolerance else t


def _snap_spans(spans: list, grids: Sequence[tuple[Sequence[float], float]]) -> list:
    """Snap the internal boundaries of a span list, dropping spans that collapse.

    The first start and the last end are kept: they are the edges of the annotated stretch (often the
    track's own start and end), not musical events.
    """
    out = []
    for i, span in enumerate(spans):
        start, end = span.start, span.end
        if i > 0:
            start = _snap_first(start, grids)
        if i < len(spans) - 1:
            end = _snap_first(end, grids)
        if out and start < out[-1].end:
            start = out[-1].end
        if end - start > 1e-6:
            out.append(replace(span, start=round(start, 4), end=round(end, 4)))
    return out


def _snap_first(t: float, grids: Sequence[tuple[Sequence[float], float]]) -> float:
    """Snap to the first grid (in priority order) that has a point within its tolerance."""
    for grid, tol in grids:
        snapped = snap_time(t, grid, tol)
        if snapped != t:
            return snapped
    return t


def snap_chords(chords: Sequence[Chord], beats: Sequence[float], tolerance: float = CHORD_TOLERANCE) -> list[Chord]:
    return _snap_spans(list(chords), [(sorted(beats), tolerance)])


def snap_sections(sections: Sequence[Section], downbeats: Sequence[float], beats: Sequence[float],
                  tolerance: float = SECTION_TOLERANCE, beat_tolerance: float = CHORD_TOLERANCE) -> list[Section]:
    return _snap_spans(list(sections), [(sorted(downbeats), tolerance), (sorted(beats), beat_tolerance)])


def key_relation(a: Key, b: Key) -> str:
    """'same', 'relative', 'parallel', 'fifth' or 'different'."""
    pa, pb = note_to_pitch_class(a.tonic), note_to_pitch_class(b.tonic)
    if a.mode == b.mode:
        if pa == pb:
            return "same"
        return "fifth" if (pa - pb) % 12 in (5, 7) else "different"
    if pa == pb:
        return "parallel"
    major, minor = (pa, pb) if a.mode == "major" else (pb, pa)
    return "relative" if (major - minor) % 12 == 3 else "different"


def tempo_relation(dsp_bpm: float, other_bpm: float, tolerance: float = TEMPO_TOLERANCE) -> str:
    """'same', 'double' (the model's is twice ours), 'half' or 'different'."""
    for name, factor in (("same", 1.0), ("double", 2.0), ("half", 0.5), ("triple", 3.0), ("third", 1 / 3)):
        if abs(other_bpm - dsp_bpm * factor) <= tolerance * dsp_bpm * factor:
            return name
    return "different"


def disagreements(dsp: TrackAnnotations, other: TrackAnnotations) -> list[Disagreement]:
    found: list[Disagreement] = []
    if dsp.key and other.key:
        relation = key_relation(dsp.key, other.key)
        if relation != "same":
            found.append(Disagreement("key", str(dsp.key), str(other.key), relation))
    if dsp.tempo and other.tempo and dsp.tempo.bpm > 0:
        relation = tempo_relation(dsp.tempo.bpm, other.tempo.bpm)
        if relation != "same":
            found.append(Disagreement("tempo", f"{dsp.tempo.bpm:.1f} BPM", f"{other.tempo.bpm:.1f} BPM", relation))
    if dsp.time_signature and other.time_signature:
        a, b = str(dsp.time_signature), str(other.time_signature)
        if a != b:
            found.append(Disagreement("time_signature", a, b, "different"))
    return found


def fuse(model: TrackAnnotations, dsp: TrackAnnotations, *, chord_tolerance: float = CHORD_TOLERANCE,
         section_tolerance: float = SECTION_TOLERANCE) -> tuple[TrackAnnotations, list[Disagreement]]:
    """The model's annotations with boundaries on the DSP grid and DSP layers where the model has none.

    Neither input is modified. Where both have a key/tempo/metre the model's answer is kept and the
    difference is reported, so a person (or the UI) decides.
    """
    fused = TrackAnnotations.from_dict(model.to_dict())
    beats = [b.time for b in dsp.beats]
    downbeats = dsp.downbeats
    if beats:
        fused.chords = snap_chords(fused.chords, beats, chord_tolerance)
        fused.sections = snap_sections(fused.sections, downbeats, beats, section_tolerance, chord_tolerance)
    for layer in ("beats", "tempo", "time_signature", "key", "chords", "sections", "loudness", "energy"):
        if not getattr(fused, layer) and getattr(dsp, layer):
            fused.set_layer_from_json(layer, dsp.layer_to_json(layer))
    if fused.duration is None:
        fused.duration = dsp.duration
    return fused, disagreements(dsp, model)
