"""Put one task's parsed output into a TrackAnnotations; keep the raw text; flag what could not be parsed."""

from __future__ import annotations

import logging
from collections.abc import Callable
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


_ONE_LAYER: dict[str, tuple[Callable[[str, float | None], Any], str]] = {
    "lyrics": (parsers.parse_lyrics, "lyrics"),
    "chords": (parsers.parse_chords, "chords"),
    "structure": (parsers.parse_structure, "sections"),
    "instruments": (lambda answer, _duration: parsers.parse_instruments(answer), "instruments"),
}
"""Tasks whose answer fills one layer: (parser taking the answer and the song's length, layer name)."""


def _apply(ann: TrackAnnotations, task: str, answer: str, reasoning: str, duration: float | None,
           params: dict[str, Any]) -> bool:
    if task == "caption":
        caption = parsers.parse_caption(answer)
        if caption is not None:
            caption.reasoning = reasoning
            ann.caption = caption
        return caption is not None
    if task in _ONE_LAYER:
        parse, layer = _ONE_LAYER[task]
        value = parse(answer, duration)
        if value is not None:  # None: unparseable; an empty list is an answer (an instrumental has no lyrics)
            setattr(ann, layer, value)
        return value is not None
    if task == "key":
        found = parsers.parse_key_tempo_meter(answer)
        if found is None:
            return False
        ann.key = found.key or ann.key
        ann.tempo = found.tempo or ann.tempo
        ann.time_signature = found.time_signature or ann.time_signature
        return True
    if task == "ask":
        ann.answers.append(Answer(str(params.get("question", "")), answer.strip(), reasoning))
        return bool(answer.strip())
    raise ValueError(f"no parser for task {task!r}")
