"""Put one task's parsed output into a TrackAnnotations; keep the raw text; flag what could not be parsed."""

from __future__ import annotations

import logging
from typing import Any

from moss_music.analysis.tasks import parsers
from moss_music.annotations import Answer, TrackAnnotations

log = logging.getLogger(__name__)


def apply_output(annotations: TrackAnnotations, task: str, answer: str, reasoning: str, raw_text: str,
                 duration: float | None, params: dict[str, Any] | None = None) -> bool:
    """Fill the task's layers from ``answer``; returns False (and flags the task) when nothing was usable."""
    annotations.raw[task] = raw_text
    try:
        ok = _apply(annotations, task, answer, reasoning, duration, params or {})
    except Exception:  # a parser bug must not lose the model's text: keep it raw and flagged
        log.exception("parser for task %r failed", task)
        ok = False
    if not ok and task not in annotations.unparsed:
        annotations.unparsed.append(task)
    return ok


def _apply(ann: TrackAnnotations, task: str, answer: str, reasoning: str, duration: float | None,
           params: dict[str, Any]) -> bool:
    if task == "caption":
        caption = parsers.parse_caption(answer)
        if caption is not None:
            caption.reasoning = reasoning
            ann.caption = caption
        return caption is not None
    if task == "lyrics":
        lines = parsers.parse_lyrics(answer, duration)
        if lines is not None:
            ann.lyrics = lines
        return lines is not None
    if task == "chords":
        chords = parsers.parse_chords(answer, duration)
        if chords is not None:
            ann.chords = chords
        return chords is not None
    if task == "structure":
        sections = parsers.parse_structure(answer, duration)
        if sections is not None:
            ann.sections = sections
        return sections is not None
    if task == "key":
        found = parsers.parse_key_tempo_meter(answer)
        if found is None:
            return False
        ann.key = found.key or ann.key
        ann.tempo = found.tempo or ann.tempo
        ann.time_signature = found.time_signature or ann.time_signature
        return True
    if task == "instruments":
        names = parsers.parse_instruments(answer)
        if names is not None:
            ann.instruments = names
        return names is not None
    if task == "ask":
        ann.answers.append(Answer(str(params.get("question", "")), answer.strip(), reasoning))
        return bool(answer.strip())
    raise ValueError(f"no parser for task {task!r}")
