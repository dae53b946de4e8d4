"""The song laid out for reading: per section, its bars of chords and its lyric lines with chords on words.

ChordPro and the lead sheet print the same layout in two syntaxes, so the
decisions (which word a chord change lands on, which chords fill a bar) are
made once, here. Bars come from ``moss_music.annotations.bars`` — the layout
the track view's chord grid uses — so chords are snapped to the beat grid and
slivers shorter than a beat (detection noise at bar edges, left in analyses
made before chords were snapped at the source) never reach the page.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from moss_music.annotations import Chord, Key, LyricLine, TrackAnnotations
from moss_music.annotations.bars import SheetLayout, layout_bars
from moss_music.annotations.lyric_sync import is_timed, timed_in_order
from moss_music.export.base import ExportOptions
from moss_music.export.lyrics import line_text
from moss_music.export.naming import chord_name, chords_between, section_names, track_end

# A chord that lands this shortly after a word starts still belongs on that word (singers anticipate).
WORD_TOLERANCE_S = 0.15
UNTIMED_BLOCK = "Lyrics (not timed yet)"
"""The block holding lyric lines that have no times, so no chords over them."""


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
    """One block per section (or one for the song), holding its bars and its lyric lines."""
    end = track_end(annotations, duration)
    layout = layout_bars(annotations.beats, sorted(annotations.chords, key=lambda c: c.start),
                         duration=end, tempo=annotations.tempo)
    chords = snapped_chords(layout)
    key = annotations.key
    names = [_bar_names(bar.changes, options, key) for bar in layout.bars]
    sections = sorted(annotations.sections, key=lambda s: s.start)
    if sections:
        blocks = [SheetBlock(name, s.function, s.start, s.end) for s, name in zip(sections, section_names(sections))]
        firsts = [_nearest_bar(layout, s.start) for s in sections]
    else:
        blocks, firsts = [SheetBlock("", "other", 0.0, end)], [0]
    lines = timed_in_order(annotations.lyrics)
    for i, block in enumerate(blocks):
        last = i == len(blocks) - 1
        stop = len(layout.bars) if last else max(firsts[i], firsts[i + 1])
        block.bars = names[firsts[i]:stop]
        block.lines = [place_chords(line, chords, options, key) for line in lines if _inside(line.start, block, last)]
    untimed = [line for line in annotations.lyrics if not is_timed(line)]
    if untimed:  # words with no times cannot sit under chords: printed as text after the song's blocks
        blocks.append(SheetBlock(UNTIMED_BLOCK, "other", end, end,
                                 lines=[SheetLine(" ".join(line_text(line).split())) for line in untimed]))
    return blocks


def snapped_chords(layout: SheetLayout) -> list[Chord]:
    """The layout's beat-snapped chords as timed chords: one per run of beats with the same label."""
    result: list[Chord] = []
    for bar in layout.bars:
        for k, label in enumerate(bar.slots):
            if label is None:
                continue
            start = bar.beats[k]
            stop = bar.beats[k + 1] if k + 1 < len(bar.beats) else bar.end
            if result and result[-1].label == label and abs(result[-1].end - start) < 1e-6:
                result[-1] = Chord(result[-1].start, stop, label)
            else:
                result.append(Chord(start, stop, label))
    return result


def _nearest_bar(layout: SheetLayout, time: float) -> int:
    starts = layout.bar_starts
    if not starts:
        return 0
    i = bisect.bisect_left(starts, time)
    if i >= len(starts):
        return len(starts) - 1
    if i > 0 and time - starts[i - 1] < starts[i] - time:
        return i - 1
    return i


def _inside(time: float, block: SheetBlock, last: bool) -> bool:
    return block.start - 1e-6 <= time < block.end - 1e-6 or (last and time >= block.start - 1e-6)


def _bar_names(changes: list[tuple[int, str | None]], options: ExportOptions, key: Key | None) -> list[str]:
    names: list[str] = []
    for _beat, label in changes:
        if label is None:
            continue
        name = chord_name(label, options, key)
        if not names or names[-1] != name:
            names.append(name)
    return names


def place_chords(line: LyricLine, chords: list[Chord], options: ExportOptions, key: Key | None = None) -> SheetLine:
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
        placed[column] = chord_name(chord.label, options, key)
    return SheetLine(text, sorted(placed.items()))


def _word_columns(text: str) -> list[int]:
    return [i for i, ch in enumerate(text) if ch != " " and (i == 0 or text[i - 1] == " ")]


def _word_start_before(text: str, column: int) -> int:
    column = min(max(column, 0), max(len(text) - 1, 0))
    while column > 0 and text[column - 1] != " ":
        column -= 1
    return column
