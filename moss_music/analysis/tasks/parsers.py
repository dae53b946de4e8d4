"""Turning one task's model text into annotation values.

Each ``parse_*`` takes the answer text (and the audio duration for timed
tasks) and returns the parsed value, or None when nothing usable is in the
text. None of them raises on any input: the runner keeps the raw text and
flags the task instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from moss_music.analysis.tasks.timeparse import (
    clean_label,
    load_json_block,
    normalize_text,
    parse_timed_text,
    strip_line,
    to_spans,
)
from moss_music.analysis.tasks.vocab import CAPTION_ASPECT_SYNONYMS, section_function
from moss_music.annotations import Caption, Chord, Key, LyricLine, Section, Tempo, TimeSignature, Word
from moss_music.annotations.chords import to_harte
from moss_music.annotations.lyric_sync import untimed_lines

NO_VOCALS_RE = re.compile(r"\b(no vocals?|instrumental (track|piece|music)|there are no lyrics)\b|纯音乐|无人声", re.I)


# ----------------------------------------------------------------------------- lyrics
def parse_lyrics(text: str, duration: float | None) -> list[LyricLine] | None:
    """Timed lyric lines (word timings when the model gave them); plain lines without any time are kept as
    untimed lyrics (start == end == 0, see annotations.lyric_sync); [] for an instrumental; None if empty."""
    spans = to_spans(parse_timed_text(text, ("text", "lyric", "lyrics", "line", "label")), duration)
    lines = [
        LyricLine(s.start, s.end, s.label, [Word(ws, we, wt) for ws, we, wt in s.words])
        for s in spans if s.label
    ]
    if lines:
        return lines
    normalized = normalize_text(text)
    if NO_VOCALS_RE.search(normalized):
        return []
    plain = [strip_line(line) for line in normalized.splitlines()]
    plain = [line for line in plain if line and not _LYRICS_PREAMBLE_RE.match(line)]
    return untimed_lines(plain) or None


_SECTION_WORDS = r"(?:verse|chorus|pre-chorus|bridge|intro|outro|hook|refrain)"
_LYRICS_PREAMBLE_RE = re.compile(
    rf"^(?:here (?:are|is)\b.*|.*\blyrics\b.*:|\[[^\]]*\]|\(?{_SECTION_WORDS}(?:\s*\d+)?\)?:?)$", re.I)
"""Lines that introduce or label lyrics rather than being sung ("Here are the lyrics:", "[Chorus]")."""


# ----------------------------------------------------------------------------- chords
_CHORD_SPLIT_RE = re.compile(r"[\s,;|]+")
_CHORD_NOISE_RE = re.compile(r"\b(chord|chords|played|plays|on|the)\b|\(.*?\)", re.I)


def chord_label(text: str) -> str | None:
    """Harte label for one chord name, or None."""
    text = text.strip().replace("♯", "#").replace("♭", "b")
    if not text:
        return None
    if text.upper() in ("N", "N.C.", "NC", "NO CHORD", "NONE", "X", "SILENCE"):
        return "N"
    try:
        return to_harte(text)
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def parse_chords(text: str, duration: float | None) -> list[Chord] | None:
    """Timed chords in Harte syntax; a span naming several chords is shared evenly between them."""
    spans = to_spans(parse_timed_text(text, ("chord", "label", "name", "text")), duration)
    chords: list[Chord] = []
    for span in spans:
        label = chord_label(span.label)
        if label is not None:
            chords.append(Chord(span.start, span.end, label))
            continue
        names = [n for n in _CHORD_SPLIT_RE.split(_CHORD_NOISE_RE.sub(" ", span.label)) if n]
        labels = [chord_label(n) for n in names]
        if not labels or any(lab is None for lab in labels):
            continue
        step = (span.end - span.start) / len(labels)
        chords.extend(Chord(span.start + i * step, span.start + (i + 1) * step, lab) for i, lab in enumerate(labels))
    return _merge_repeats(chords) or None


def _merge_repeats(chords: list[Chord]) -> list[Chord]:
    merged: list[Chord] = []
    for chord in chords:
        if merged and merged[-1].label == chord.label and abs(merged[-1].end - chord.start) < 1e-6:
            merged[-1].end = chord.end
        else:
            merged.append(chord)
    return merged


# ----------------------------------------------------------------------------- structure
def parse_structure(text: str, duration: float | None) -> list[Section] | None:
    spans = to_spans(parse_timed_text(text, ("label", "section", "name", "type", "text")), duration)
    sections = [Section(s.start, s.end, s.label or "section", section_function(s.label)) for s in spans]
    return sections or None


# ----------------------------------------------------------------------------- key, tempo, metre
_KEY_RE = re.compile(
    r"(?<![A-Za-z])(?P<tonic>[A-G])\s*(?P<acc>[#b]?)\s*(?:-\s*)?(?P<mode>major|minor|maj|min|dorian|mixolydian|"
    r"lydian|phrygian|aeolian|ionian|locrian|m(?![a-z])|大调|小调)?",
)
_KEY_CONTEXT_RE = re.compile(r"(?:key|tonality|tonic|调)\s*(?:is|of|:|=|in)?\s*(?:the\s+)?(?:key\s+of\s+)?", re.I)
_TEMPO_RE = re.compile(r"(?P<bpm>\d{2,3}(?:\.\d+)?)\s*(?:bpm|beats per minute|拍每分钟)", re.I)
_TEMPO_CONTEXT_RE = re.compile(r"tempo\s*(?:is|of|:|=|around|about|approximately|~)?\s*(?:about\s+)?(?P<bpm>\d{2,3}(?:\.\d+)?)", re.I)
_METER_RE = re.compile(r"(?<!\d)(?P<num>\d{1,2})\s*/\s*(?P<den>2|4|8|16)(?!\d)")
_MODE_NAMES = {"maj": "major", "major": "major", "大调": "major", "": "major",
               "min": "minor", "minor": "minor", "m": "minor", "小调": "minor"}


@dataclass
class KeyTempoMeter:
    key: Key | None = None
    tempo: Tempo | None = None
    time_signature: TimeSignature | None = None


def parse_key(text: str) -> Key | None:
    text = normalize_text(text).replace("♯", "#").replace("♭", "b")
    contexts = _key_candidates(text)
    for source in contexts:  # right after "key:" a bare tonic ("Key: C") means major
        match = _KEY_RE.match(source.lstrip())
        if match:
            return _key_from_match(match)
    for match in _KEY_RE.finditer(text):  # elsewhere only "X major/minor/m" counts
        if match["mode"]:
            return _key_from_match(match)
    return None


def _key_from_match(match: re.Match[str]) -> Key:
    mode = match["mode"] or ""
    return Key(match["tonic"] + match["acc"], _MODE_NAMES.get(mode.lower(), mode.lower()))


def _key_candidates(text: str) -> list[str]:
    """Texts that start where a key name should be: JSON "key" values, then what follows 'key'/'tonality'."""
    found = [text[m.end():] for m in _KEY_CONTEXT_RE.finditer(text)]
    data = load_json_block(text)
    if isinstance(data, dict):
        found = [str(v) for k, v in data.items() if "key" in str(k).lower()] + found
    return found


def parse_tempo(text: str) -> Tempo | None:
    text = normalize_text(text)
    data = load_json_block(text)
    if isinstance(data, dict):
        for name, value in data.items():
            if any(word in str(name).lower() for word in ("tempo", "bpm")):
                text = f"{value} bpm\n{text}"
    for regex in (_TEMPO_RE, _TEMPO_CONTEXT_RE):
        for match in regex.finditer(text):
            bpm = float(match["bpm"])
            if 20 <= bpm <= 320:
                return Tempo(bpm)
    return None


def parse_time_signature(text: str) -> TimeSignature | None:
    for match in _METER_RE.finditer(normalize_text(text)):
        numerator, denominator = int(match["num"]), int(match["den"])
        if 1 <= numerator <= 16:
            return TimeSignature(numerator, denominator)
    return None


def parse_key_tempo_meter(text: str) -> KeyTempoMeter | None:
    result = KeyTempoMeter(parse_key(text), parse_tempo(text), parse_time_signature(text))
    if result.key is None and result.tempo is None and result.time_signature is None:
        return None
    return result


# ----------------------------------------------------------------------------- instruments
_INTRO_PHRASES_RE = re.compile(
    r"^(?:the (?:song|track|piece|music) (?:features|includes|contains|uses|has)|i (?:can )?hear|"
    r"instruments?(?: and voices)?(?: used)?(?: are| include)?\s*:?|voices?\s*:|there (?:is|are))\s*",
    re.I,
)


def parse_instruments(text: str) -> list[str] | None:
    text = normalize_text(text)
    data = load_json_block(text)
    if isinstance(data, list) and all(isinstance(x, str) for x in data):
        candidates = list(data)
    else:
        lines = [strip_line(line) for line in text.splitlines() if strip_line(line)]
        if len(lines) == 1:
            line = _INTRO_PHRASES_RE.sub("", lines[0]).rstrip(".")
            candidates = re.split(r",|;|、|，| and (?=[^,]*$)", line)
        else:
            candidates = [_INTRO_PHRASES_RE.sub("", line) for line in lines if not line.endswith(":")]
    seen: dict[str, str] = {}
    for item in candidates:
        name = clean_label(re.sub(r"^(?:and|a|an|the)\s+", "", item.strip(), flags=re.I))
        if name and len(name) <= 80 and name.lower() not in seen:
            seen[name.lower()] = name
    return list(seen.values()) or None


# ----------------------------------------------------------------------------- caption
_ASPECT_LINE_RE = re.compile(r"^\s*(?P<name>[^:]{2,40}?)\s*:\s*(?P<text>.+)$")


def parse_caption(text: str) -> Caption | None:
    """The caption text, per-aspect sentences when the model labelled them, and short tags."""
    text = normalize_text(text).strip()
    if not text:
        return None
    aspects: dict[str, str] = {}
    tags: list[str] = []
    prose: list[str] = []
    for line in text.splitlines():
        stripped = strip_line(line)
        match = _ASPECT_LINE_RE.match(stripped)
        name = match["name"].strip().lower() if match else ""
        if match and name in ("tags", "tag", "keywords", "标签"):
            tags.extend(t for t in (clean_label(x) for x in re.split(r"[,;、，#]", match["text"])) if t)
        elif match and name in CAPTION_ASPECT_SYNONYMS:
            aspect = CAPTION_ASPECT_SYNONYMS[name]
            aspects[aspect] = (aspects[aspect] + " " if aspect in aspects else "") + match["text"].strip()
            prose.append(stripped)
        elif stripped:
            prose.append(stripped)
    if not tags:
        tags = _tags_from_aspects(aspects)
    caption_text = "\n".join(prose).strip() or text
    return Caption(text=caption_text, aspects=aspects, tags=_unique(tags)[:12])


def _tags_from_aspects(aspects: dict[str, str]) -> list[str]:
    """Short comma-separated phrases of the genre and mood answers make serviceable tags."""
    tags = []
    for aspect in ("genre", "mood"):
        for piece in re.split(r",|;|/| and ", aspects.get(aspect, "")):
            piece = clean_label(piece)
            if piece and len(piece.split()) <= 3:
                tags.append(piece.lower())
    return tags


def _unique(items: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        if item and len(item) <= 40:
            seen.setdefault(item.lower(), item)
    return list(seen.values())
