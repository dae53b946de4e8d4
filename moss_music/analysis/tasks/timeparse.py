"""Reading times and time ranges out of free model text.

Models write times many ways: ``12.5``, ``12.5s``, ``0:12``, ``00:12.50``,
``1:02:03``, ``[00:12.50]``; ranges with ``-``, ``–``, ``—``, ``~``, ``to``;
full-width digits and punctuation. Everything here returns None on what it
cannot read and never raises.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field

_NUMBER = r"\d+(?:[.,]\d+)?"
TIME = rf"(?:\d{{1,2}}:)?\d{{1,3}}:\d{{1,2}}(?:[.,]\d+)?|{_NUMBER}"
_UNIT = r"\s*(?:s|sec|secs|seconds?|秒)?"
_DASH = r"\s*(?:-{1,2}|–|—|~|to|至|到|→|->)\s*"
RANGE_RE = re.compile(
    rf"[\[(<]?\s*(?<![\w.:])(?P<start>{TIME}){_UNIT}{_DASH}(?P<end>{TIME})(?!\d){_UNIT}\s*[\])>]?", re.IGNORECASE
)
LEADING_TIME_RE = re.compile(rf"^\s*[\[(<]?\s*(?P<start>{TIME}){_UNIT}\s*[\])>]?\s*[:|\-–—]?\s*", re.IGNORECASE)
_BULLET_RE = re.compile(r"^\s*(?:[-*•+·]|\d{1,3}[.)](?!\d))\s+")
_MARKUP_RE = re.compile(r"\*\*|__|`+|^#+\s*")
_WORD_TAG_RE = re.compile(rf"<(?P<time>{TIME})>")


@dataclass
class TimedItem:
    start: float
    end: float | None
    label: str
    words: list[tuple[float, str]] = field(default_factory=list)
    """(start, word) pairs from enhanced-LRC ``<mm:ss.xx>`` tags, when the model wrote them."""


def normalize_text(text: str) -> str:
    """NFKC folds full-width digits and punctuation (：～［］) into ASCII; stray control characters go."""
    text = unicodedata.normalize("NFKC", str(text))
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def parse_time(token: str) -> float | None:
    """Seconds from ``12.5``, ``0:12``, ``00:12,50``, ``1:02:03``; None if unreadable or not finite."""
    try:
        parts = token.strip().replace(",", ".").split(":")
        if not 1 <= len(parts) <= 3:
            return None
        value = 0.0
        for part in parts:
            value = value * 60 + float(part)
        return value if math.isfinite(value) else None
    except (ValueError, OverflowError):
        return None


def clean_label(text: str) -> str:
    text = _BULLET_RE.sub("", text)
    text = _MARKUP_RE.sub("", text)
    return text.strip(" \t:|-–—,;.\"'")


def strip_line(line: str) -> str:
    return _MARKUP_RE.sub("", _BULLET_RE.sub("", line)).strip()


def parse_timed_line(line: str) -> TimedItem | None:
    """One line holding a time range or a leading timestamp plus a label (label may come first)."""
    line = strip_line(line)
    if not line:
        return None
    match = RANGE_RE.search(line)
    if match:
        start, end = parse_time(match["start"]), parse_time(match["end"])
        if start is None or end is None:
            return None
        label = clean_label(line[: match.start()] + " " + line[match.end():])
        return TimedItem(start, end, label)
    match = LEADING_TIME_RE.match(line)
    if match:
        start = parse_time(match["start"])
        rest = line[match.end():]
        if start is None or not rest.strip():
            return None
        words = _word_tags(rest)
        if words:
            rest = _WORD_TAG_RE.sub(" ", rest)
        return TimedItem(start, None, clean_label(" ".join(rest.split())), words)
    return None


def _word_tags(text: str) -> list[tuple[float, str]]:
    pieces = _WORD_TAG_RE.split(text)
    words = []
    # split gives [before, time1, text1, time2, text2, ...]
    for index in range(1, len(pieces) - 1, 2):
        start, word = parse_time(pieces[index]), pieces[index + 1].strip()
        if start is not None and word:
            words.append((start, word))
    return words


def parse_json_items(text: str, label_keys: tuple[str, ...]) -> list[TimedItem] | None:
    """Items from a JSON list (or {"...": [...]}) of objects with start/end and a label key; None if no JSON."""
    data = load_json_block(text)
    if data is None:
        return None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if lists else [data]
    if not isinstance(data, list):
        return None
    items = []
    for entry in data:
        if not isinstance(entry, dict):
            continue
        lowered = {str(k).lower(): v for k, v in entry.items()}
        start = _json_time(lowered.get("start", lowered.get("start_time", lowered.get("begin", lowered.get("time")))))
        end = _json_time(lowered.get("end", lowered.get("end_time", lowered.get("stop"))))
        if start is None and isinstance(lowered.get("timestamp"), (list, tuple)) and len(lowered["timestamp"]) == 2:
            start, end = _json_time(lowered["timestamp"][0]), _json_time(lowered["timestamp"][1])
        label = next((lowered[k] for k in label_keys if k in lowered and lowered[k] is not None), "")
        if start is None:
            continue
        items.append(TimedItem(start, end, clean_label(str(label))))
    return items


def _json_time(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    return parse_time(normalize_text(str(value)))


def load_json_block(text: str) -> object | None:
    """The first JSON array or object in ``text`` (code fences allowed); None if there is none."""
    text = re.sub(r"```(?:json)?", "", text)
    for opener, closer in (("[", "]"), ("{", "}")):
        start = text.find(opener)
        end = text.rfind(closer)
        if start != -1 and end > start:
            try:
                return json.loads(text[start : end + 1])
            except (ValueError, RecursionError):
                continue
    return None


def parse_timed_text(text: str, label_keys: tuple[str, ...] = ("label", "text")) -> list[TimedItem]:
    """Every timed item in ``text``: JSON first, else one item per line."""
    text = normalize_text(text)
    from_json = parse_json_items(text, label_keys)
    if from_json:
        return from_json
    items = []
    for line in text.splitlines():
        item = parse_timed_line(line)
        if item is not None:
            items.append(item)
    return items


@dataclass
class Span:
    start: float
    end: float
    label: str
    words: list[tuple[float, float, str]] = field(default_factory=list)


def to_spans(items: list[TimedItem], duration: float | None, default_length: float = 4.0) -> list[Span]:
    """Sorted, clamped, non-overlapping spans: missing ends run to the next start (or the end of the audio)."""
    items = sorted((i for i in items if math.isfinite(i.start)), key=lambda i: i.start)
    limit = duration if duration is not None and duration > 0 else None
    spans: list[Span] = []
    for index, item in enumerate(items):
        start = max(0.0, item.start)
        end = item.end
        if end is None or not math.isfinite(end):
            following = items[index + 1].start if index + 1 < len(items) else None
            end = following if following is not None and following > start else (limit or start + default_length)
        if end < start:
            start, end = max(0.0, end), start  # a reversed range; its end may be before zero
        if limit is not None:
            if start >= limit:
                continue
            end = min(end, limit)
        if end <= start:
            continue
        spans.append(Span(start, end, item.label, _word_spans(item.words, start, end)))
    return repair_overlaps(spans)


def _word_spans(words: list[tuple[float, str]], start: float, end: float) -> list[tuple[float, float, str]]:
    result = []
    for index, (word_start, text) in enumerate(words):
        word_end = words[index + 1][0] if index + 1 < len(words) else end
        word_start, word_end = max(start, word_start), min(end, word_end)
        if word_end > word_start:
            result.append((word_start, word_end, text))
    return result


def repair_overlaps(spans: list[Span]) -> list[Span]:
    """An item that starts before the previous one ends cuts the previous one short."""
    repaired: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        while repaired and repaired[-1].end > span.start:
            previous = repaired[-1]
            if span.start > previous.start:
                previous.end = span.start
                break
            repaired.pop()  # same start: the later line wins
        repaired.append(span)
    return repaired
