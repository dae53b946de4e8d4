"""Long audio: cut into overlapping windows, analyse each, shift its times, merge on the timeline.

Each window owns the time up to the middle of its overlaps with its
neighbours; a timed item belongs to the window that owns its midpoint, so an
event in an overlap is kept once.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass

from moss_music.annotations import Caption, TrackAnnotations
from moss_music.annotations.lyric_sync import is_timed


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    own_start: float
    own_end: float

    def owns(self, start: float, end: float) -> bool:
        middle = (start + end) / 2
        return self.own_start <= middle < self.own_end


def plan_windows(duration: float, window: float = 600.0, overlap: float = 30.0) -> list[Window]:
    """Equal windows of ``window`` seconds, evenly spaced, overlapping by at least ``overlap``."""
    if duration <= window or window <= overlap:
        return [Window(0.0, duration, 0.0, math.inf)]
    count = math.ceil((duration - overlap) / (window - overlap))
    step = (duration - window) / (count - 1)
    starts = [i * step for i in range(count)]
    windows = []
    for index, start in enumerate(starts):
        end = min(start + window, duration)
        own_start = 0.0 if index == 0 else (start + starts[index - 1] + window) / 2
        own_end = math.inf if index == count - 1 else (starts[index + 1] + start + window) / 2
        windows.append(Window(start, end, own_start, own_end))
    return windows


def shift(annotations: TrackAnnotations, offset: float) -> None:
    """Move every timed item of one window's result by the window's start."""
    if not offset:
        return
    for item in (*annotations.chords, *annotations.sections):
        item.start += offset
        item.end += offset
    for line in annotations.lyrics:
        if not is_timed(line):
            continue  # untimed lyrics stay untimed: no window offset gives them a time
        line.start += offset
        line.end += offset
        for word in line.words:
            word.start += offset
            word.end += offset


def merge_windows(parts: list[tuple[Window, TrackAnnotations]], duration: float) -> TrackAnnotations:
    """One track's annotations from its windows' (already shifted) annotations."""
    if len(parts) == 1:
        result = parts[0][1]
        result.duration = duration
        return result
    merged = TrackAnnotations(duration=duration)
    for window, part in parts:
        merged.chords += [c for c in part.chords if window.owns(c.start, c.end)]
        merged.sections += [s for s in part.sections if window.owns(s.start, s.end)]
        merged.lyrics += [line for line in part.lyrics if not is_timed(line) or window.owns(line.start, line.end)]
        for name in part.instruments:
            if name.lower() not in {n.lower() for n in merged.instruments}:
                merged.instruments.append(name)
        for task, text in part.raw.items():
            label = f"[window {window.start:.1f}-{window.end:.1f} s]\n{text}"
            merged.raw[task] = f"{merged.raw[task]}\n\n{label}" if task in merged.raw else label
    _merge_globals(merged, [part for _, part in parts])
    # a task counts as unparsed only if no window could be parsed
    tasks = {t for _, part in parts for t in part.raw}
    merged.unparsed = sorted(t for t in tasks if all(t in part.unparsed or t not in part.raw for _, part in parts))
    return merged


def _merge_globals(merged: TrackAnnotations, parts: list[TrackAnnotations]) -> None:
    keys = [p.key for p in parts if p.key is not None]
    if keys:
        votes = Counter(str(k) for k in keys)
        merged.key = next(k for k in keys if str(k) == votes.most_common(1)[0][0])
        merged.key.confidence = votes[str(merged.key)] / len(keys)
    tempos = [p.tempo for p in parts if p.tempo is not None]
    if tempos:
        merged.tempo = tempos[0]
        merged.tempo.bpm = float(statistics.median(t.bpm for t in tempos))
    meters = [p.time_signature for p in parts if p.time_signature is not None]
    if meters:
        votes = Counter(str(m) for m in meters)
        merged.time_signature = next(m for m in meters if str(m) == votes.most_common(1)[0][0])
    captions = [p.caption for p in parts if p.caption is not None]
    if captions:
        first = captions[0]
        tags = list(dict.fromkeys(t for c in captions for t in c.tags))[:12]
        merged.caption = Caption(first.text, dict(first.aspects), tags, first.reasoning)
    answers_by_question: dict[str, list] = {}
    for part in parts:
        for answer in part.answers:
            answers_by_question.setdefault(answer.question, []).append(answer)
    for answers in answers_by_question.values():
        first = answers[0]
        if len(answers) > 1:
            first.answer = "\n\n".join(a.answer for a in answers if a.answer)
        merged.answers.append(first)
