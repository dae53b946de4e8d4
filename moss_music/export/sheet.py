"""The song laid out for reading: per section, its bars of chords and its lyric lines with chords on words.

ChordPro and the lead sheet print the same layout in two syntaxes, so the
decisions (which word a chord change lands on, which chords fill a bar) are
made once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from moss_music.annotations import Chord, LyricLine, TrackAnnotations
from moss_music.export.base import ExportOptions
from moss_music.export.naming import bars, chord_name, chords_between, section_names, track_end

# A chord that lands this shortly after a word starts still belongs on that word (singers anticipate).
WORD_TOLERANCE_S = 0.15


@dataclass
class SheetLine:
    text: str
    chords: list[tuple[int, str]] = field(default_factory=list)
    """(character column, chord name), ascending columns."""


@dataclass
class SheetBlock:
    name: str
    """'' when the song has no sections."""
    function: str
    start: float
    end: float
    bars: list[list[str]] = field(default_factory=list)
    """Chord names sounding in each bar, in order."""
    lines: list[SheetLine] = field(default_factory=list)


def sheet_blocks(annotations: TrackAnnotations, options: ExportOptions,
                 duration: float | None = None) -> list[SheetBlock]:
    end = track_end(annotations, duration)
    sections = sorted(annotations.sections, key=lambda s: s.start)
    if sections:
        blocks = [SheetBlock(name, s.function, s.start, s.end) for s, name in zip(sections, section_names(sections))]
    else:
        blocks = [SheetBlock("", "other", 0.0, end)]
    chords = sorted(annotations.chords, key=lambda c: c.start)
    bar_spans = bars(annotations, duration)
    lines = sorted(annotations.lyrics, key=lambda line: line.start)
    for i, block in enumerate(blocks):
        last = i == len(blocks) - 1
        in_block = [span for span in bar_spans if _inside(span[0], block, last)]
        if in_block:
            block.bars = [_bar_names(chords_between(chords, a, b), options) for a, b in in_block]
        else:
            block.bars = [[chord_name(c.label, options)] for c in chords if _inside(c.start, block, last)]
        block.lines = [place_chords(line, chords, options) for line in lines if _inside(line.start, block, last)]
    return blocks


def _inside(time: float, block: SheetBlock, last: bool) -> bool:
    return block.start - 1e-6 <= time < block.end - 1e-6 or (last and time >= block.start - 1e-6)


def _bar_names(chords: list[Chord], options: ExportOptions) -> list[str]:
    names: list[str] = []
    for chord in chords:
        name = chord_name(chord.label, options)
        if not names or names[-1] != name:
            names.append(name)
    return names


def place_chords(line: LyricLine, chords: list[Chord], options: ExportOptions) -> SheetLine:
    """The line's text with each chord change pinned to the word being sung when it happens."""
    if line.words:
        words = [(w.start, w.text.strip()) for w in line.words if w.text.strip()]
        text = " ".join(word for _, word in words)
    else:
        text = " ".join(line.text.split())
        words = []
    starts = _word_columns(text)
    placed: dict[int, str] = {}
    for chord in chords_between(chords, line.start, line.end):
        at = max(chord.start, line.start)
        if words:
            index = max([k for k, (t, _) in enumerate(words) if t <= at + WORD_TOLERANCE_S] or [0])
            column = starts[min(index, len(starts) - 1)] if starts else 0
        else:
            share = (at - line.start) / max(line.end - line.start, 1e-6)
            column = _word_start_before(text, round(share * len(text)))
        while column in placed and column < len(text):
            column = next((c for c in starts if c > column), len(text) + 1)
        placed[column] = chord_name(chord.label, options)
    return SheetLine(text, sorted(placed.items()))


def _word_columns(text: str) -> list[int]:
    return [i for i, ch in enumerate(text) if ch != " " and (i == 0 or text[i - 1] == " ")]


def _word_start_before(text: str, column: int) -> int:
    column = min(max(column, 0), max(len(text) - 1, 0))
    while column > 0 and text[column - 1] != " ":
        column -= 1
    return column
