"""JAMS interchange: the format anyone can load to check our results.

Standard namespaces carry what they can (beat, chord, key_mode, tempo,
segment_open, lyrics); layers JAMS has no namespace for travel in ``blob``
annotations whose ``annotation_metadata.annotation_tools`` names the layer, so a
file we write reads back into the same ``TrackAnnotations``.
"""

from __future__ import annotations

import os
from typing import Any

import jams

from moss_music.annotations.chords import NO_CHORD, to_harte
from moss_music.annotations.model import (
    Beat,
    Caption,
    Chord,
    Key,
    LyricLine,
    Section,
    Tempo,
    TempoPoint,
    TrackAnnotations,
    Word,
)

_BLOB_LAYERS = ("caption", "instruments", "loudness", "energy", "answers", "raw", "time_signature", "tempo_curve")
_TOOL = "moss-music-studio"


def to_jams(
    annotations: TrackAnnotations,
    *,
    title: str = "",
    artist: str = "",
    release: str = "",
    source: str = "",
) -> jams.JAMS:
    """Build a JAMS object; ``source`` names the analyzer (e.g. 'dsp', 'moss:MOSS-Music-8B-Instruct')."""
    duration = _duration(annotations)
    doc = jams.JAMS()
    doc.file_metadata.duration = duration
    doc.file_metadata.title = title
    doc.file_metadata.artist = artist
    doc.file_metadata.release = release

    def new(namespace: str, layer: str) -> jams.Annotation:
        ann = jams.Annotation(namespace=namespace, time=0, duration=duration)
        ann.annotation_metadata.annotation_tools = f"{_TOOL}:{layer}"
        ann.annotation_metadata.data_source = source
        doc.annotations.append(ann)
        return ann

    if annotations.beats:
        ann = new("beat", "beats")
        for beat in annotations.beats:
            ann.append(time=beat.time, duration=0.0, value=int(beat.position), confidence=None)
    if annotations.tempo:
        new("tempo", "tempo").append(time=0.0, duration=duration, value=float(annotations.tempo.bpm),
                                     confidence=float(min(max(annotations.tempo.confidence, 0.0), 1.0)))
        if annotations.tempo.curve:
            _blob(new("blob", "tempo_curve"), [[p.time, p.bpm] for p in annotations.tempo.curve])
    if annotations.key:
        key = annotations.key
        ann = new("key_mode", "key")
        ann.append(time=0.0, duration=duration, value=_jams_key(key), confidence=key.confidence)
        if key.runner_up:
            ann.sandbox.runner_up = annotations.layer_to_json("key")["runner_up"]
    if annotations.chords:
        ann = new("chord", "chords")
        for chord in annotations.chords:
            ann.append(time=chord.start, duration=max(chord.end - chord.start, 0.0),
                       value=_jams_chord(chord.label), confidence=chord.confidence)
    if annotations.sections:
        ann = new("segment_open", "sections")
        for section in annotations.sections:
            ann.append(time=section.start, duration=max(section.end - section.start, 0.0),
                       value=section.function, confidence=section.confidence)
        ann.sandbox.labels = [section.label for section in annotations.sections]
    if annotations.lyrics:
        lines = new("lyrics", "lyrics")
        for line in annotations.lyrics:
            lines.append(time=line.start, duration=max(line.end - line.start, 0.0), value=line.text, confidence=None)
        words = [(i, w) for i, line in enumerate(annotations.lyrics) for w in line.words]
        if words:
            ann = new("lyrics", "lyrics_words")
            for _, word in words:
                ann.append(time=word.start, duration=max(word.end - word.start, 0.0), value=word.text, confidence=None)
            ann.sandbox.line_index = [i for i, _ in words]
    if annotations.caption and annotations.caption.tags:
        ann = new("tag_open", "tags")
        for tag in annotations.caption.tags:
            ann.append(time=0.0, duration=duration, value=tag, confidence=None)
    for layer in ("caption", "instruments", "loudness", "energy", "answers", "raw", "time_signature"):
        if layer in annotations.present_layers():
            _blob(new("blob", layer), annotations.layer_to_json(layer))
    return doc


def from_jams(doc: jams.JAMS) -> TrackAnnotations:
    """Read a JAMS object; ours round-trip exactly, others give whatever standard layers they hold."""
    result = TrackAnnotations(duration=doc.file_metadata.duration)
    word_layer = None
    for ann in doc.annotations:
        layer = _layer_name(ann)
        data = list(ann.data)
        if ann.namespace in ("beat", "beat_position"):
            result.beats = [Beat(float(o.time), _beat_position(o.value)) for o in data]
        elif ann.namespace == "tempo" and data:
            result.tempo = Tempo(float(data[0].value), float(data[0].confidence or 1.0), result.tempo.curve if result.tempo else [])
        elif ann.namespace == "key_mode" and data:
            result.key = _key_from_jams(str(data[0].value), data[0].confidence)
            runner_up = getattr(ann.sandbox, "runner_up", None)
            if result.key and runner_up:
                result.key.runner_up = Key(**{k: v for k, v in runner_up.items() if k != "runner_up"})
        elif ann.namespace in ("chord", "chord_harte"):
            result.chords = [Chord(float(o.time), float(o.time + o.duration), _harte_or_raw(str(o.value)),
                                   float(o.confidence) if o.confidence is not None else 1.0) for o in data]
        elif ann.namespace in ("segment_open", "segment_salami_function", "segment_salami_upper"):
            labels = list(getattr(ann.sandbox, "labels", []) or [])
            result.sections = [
                Section(float(o.time), float(o.time + o.duration), labels[i] if i < len(labels) else str(o.value),
                        str(o.value), float(o.confidence) if o.confidence is not None else 1.0)
                for i, o in enumerate(data)
            ]
        elif ann.namespace == "lyrics" and layer == "lyrics_words":
            word_layer = ann
        elif ann.namespace == "lyrics":
            result.lyrics = [LyricLine(float(o.time), float(o.time + o.duration), str(o.value)) for o in data]
        elif ann.namespace == "tag_open":
            result.caption = result.caption or Caption()
            result.caption.tags = [str(o.value) for o in data]
        elif ann.namespace == "blob" and data:
            _read_blob(result, layer, data[0].value)
    if word_layer is not None:
        _attach_words(result, word_layer)
    return result


def save_jams(annotations: TrackAnnotations, path: str | os.PathLike[str], **metadata: str) -> None:
    to_jams(annotations, **metadata).save(os.fspath(path))


def load_jams(path: str | os.PathLike[str]) -> TrackAnnotations:
    return from_jams(jams.load(os.fspath(path), validate=False))


def _duration(annotations: TrackAnnotations) -> float:
    if annotations.duration:
        return float(annotations.duration)
    ends = [b.time for b in annotations.beats] + [c.end for c in annotations.chords]
    ends += [s.end for s in annotations.sections] + [line.end for line in annotations.lyrics]
    return float(max(ends, default=0.0))


def _blob(ann: jams.Annotation, value: Any) -> None:
    ann.append(time=0.0, duration=ann.duration, value=value, confidence=None)


def _read_blob(result: TrackAnnotations, layer: str, value: Any) -> None:
    if layer == "tempo_curve":
        result.tempo = result.tempo or Tempo(0.0)
        result.tempo.curve = [TempoPoint(float(t), float(b)) for t, b in value]
    elif layer == "caption":
        tags = result.caption.tags if result.caption else []
        result.set_layer_from_json("caption", value)
        if tags and not result.caption.tags:
            result.caption.tags = tags
    elif layer in _BLOB_LAYERS:
        result.set_layer_from_json(layer, value)


def _attach_words(result: TrackAnnotations, ann: jams.Annotation) -> None:
    indexes = list(getattr(ann.sandbox, "line_index", []) or [])
    for i, obs in enumerate(ann.data):
        word = Word(float(obs.time), float(obs.time + obs.duration), str(obs.value))
        line_index = indexes[i] if i < len(indexes) else _line_containing(result.lyrics, word.start)
        if line_index is not None and 0 <= line_index < len(result.lyrics):
            result.lyrics[line_index].words.append(word)


def _line_containing(lines: list[LyricLine], time: float) -> int | None:
    for i, line in enumerate(lines):
        if line.start - 1e-6 <= time <= line.end + 1e-6:
            return i
    return None


def _layer_name(ann: jams.Annotation) -> str:
    tools = str(ann.annotation_metadata.annotation_tools or "")
    return tools.split(":", 1)[1] if tools.startswith(_TOOL + ":") else ""


def _beat_position(value: Any) -> int:
    if isinstance(value, dict):
        return int(value.get("position", 1))
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1


def _jams_chord(label: str) -> str:
    return "N" if label in ("", NO_CHORD) else label


def _harte_or_raw(label: str) -> str:
    try:
        return to_harte(label)
    except ValueError:
        return label


def _jams_key(key: Key) -> str:
    mode = key.mode.lower()
    if mode not in ("major", "minor", "ionian", "dorian", "phrygian", "lydian", "mixolydian", "aeolian", "locrian"):
        mode = "major"
    return f"{key.tonic}:{mode}"


def _key_from_jams(value: str, confidence: Any) -> Key | None:
    if value in ("N", "X", ""):
        return None
    tonic, _, mode = value.partition(":")
    return Key(tonic, mode or "major", float(confidence) if confidence is not None else 1.0)
