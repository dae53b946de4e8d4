"""Bars for a chord sheet: chords snapped to the beat grid, section names and lyrics per bar.

A chord sheet (the track view's grid, a printed lead sheet) reads a song bar by
bar, beat by beat, not in seconds. This module turns the time-based layers into
that grid once, with no Qt and no drawing, so every view and export lays bars
out the same way:

* bars run from one downbeat to the next; beats before the first downbeat form
  a pickup bar;
* each chord is snapped to the nearest beats; a chord that covers less than
  one beat after snapping (a sliver between two real changes) is dropped and
  the chord before it carries on;
* a section's name heads the bar it starts in (snapped to the nearest bar);
* timed lyric words (or whole lines, when they have no word times) go under
  the bar they start in. Untimed lines (no start/end known) are left out: a
  sheet never invents a time.

Without a beat grid, a 4/4 grid at the analysed tempo (else 120 BPM) stands in
so the chords still read as bars.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from moss_music.annotations.chords import NO_CHORD, parse_chord
from moss_music.annotations.model import Beat, Chord, LyricLine, Section, Tempo

FALLBACK_BPM = 120.0
FALLBACK_BEATS_PER_BAR = 4


@dataclass(frozen=True)
class SheetBar:
    """One bar of the sheet."""

    index: int
    """0-based position in the sheet (the pickup bar, when there is one, is 0)."""
    number: int
    """Bar number as musicians count: 1 at the first downbeat, 0 for a pickup bar."""
    beats: tuple[float, ...]
    """Start time of each beat in the bar."""
    end: float
    slots: tuple[str | None, ...]
    """Harte label sounding on each beat (None before the first chord or after the last)."""
    section: str = ""
    """Name of the section that starts at this bar ('' when the bar continues one)."""
    section_function: str = ""
    lyrics: str = ""
    """Words sung in this bar, in order."""

    @property
    def start(self) -> float:
        return self.beats[0]

    @property
    def changes(self) -> list[tuple[int, str | None]]:
        """(beat in bar, label) where the chord changes; beat 0 is always listed so a bar names its chord."""
        result: list[tuple[int, str | None]] = []
        previous: object = object()
        for i, label in enumerate(self.slots):
            if label != previous:
                result.append((i, label))
                previous = label
        return result

    def beat_at(self, t: float) -> int:
        """Index of the beat sounding at ``t`` (clamped into the bar)."""
        return max(bisect.bisect_right(self.beats, t) - 1, 0)


@dataclass(frozen=True)
class SheetLayout:
    bars: tuple[SheetBar, ...] = ()
    synthetic_grid: bool = False
    """True when there was no beat grid and a steady one stood in."""
    bar_starts: tuple[float, ...] = field(default=(), repr=False)

    def bar_at(self, t: float) -> int | None:
        """Index of the bar sounding at ``t`` (None before the first or after the last)."""
        i = bisect.bisect_right(self.bar_starts, t) - 1
        if i < 0 or i >= len(self.bars) or t >= self.bars[i].end:
            return None
        return i

    def bar_range(self, first: int, last: int) -> tuple[float, float]:
        """Start and end time of bars ``first..last`` (inclusive, any order): a loop over a selection."""
        a, b = sorted((first, last))
        return self.bars[a].start, self.bars[b].end

    def sections(self) -> list[tuple[int, str]]:
        """(bar index, name) of every section start, for a table of contents or headers."""
        return [(bar.index, bar.section) for bar in self.bars if bar.section]


def simplify_chord(harte: str) -> str:
    """The chord as a triad (major, minor, diminished, augmented, sus2, sus4), root position.

    'A:min7' -> 'A:min', 'G:7' -> 'G', 'C/3' -> 'C', 'B:hdim7' -> 'B:dim'; 'N' and unreadable
    labels are returned unchanged. For a "simplify" switch: beginners play triads.
    """
    try:
        symbol = parse_chord(harte)
    except ValueError:
        return harte
    if symbol.root is None:
        return harte
    tones = {i % 12 for i in symbol.intervals()}
    if 4 in tones:
        quality = "aug" if 8 in tones and 7 not in tones else "maj"
    elif 3 in tones:
        quality = "dim" if 6 in tones and 7 not in tones else "min"
    elif 5 in tones:
        quality = "sus4"
    elif 2 in tones:
        quality = "sus2"
    else:
        quality = "maj"
    root = symbol.root_spelling or None
    simple = type(symbol)(symbol.root, quality, "1", root or "")
    return simple.harte()


def _grid(beats: Sequence[Beat], tempo: Tempo | None, duration: float) -> tuple[np.ndarray, np.ndarray, bool]:
    """(beat times, bar positions, synthetic?)"""
    if len(beats) >= 2:
        times = np.array([b.time for b in beats], dtype=np.float64)
        positions = np.array([b.position for b in beats], dtype=np.int32)
        return times, positions, False
    bpm = tempo.bpm if tempo and tempo.bpm > 0 else FALLBACK_BPM
    step = 60.0 / bpm
    count = max(int(np.ceil(max(duration, step) / step)), 1)
    times = np.arange(count, dtype=np.float64) * step
    positions = (np.arange(count) % FALLBACK_BEATS_PER_BAR + 1).astype(np.int32)
    return times, positions, True


def _snap(times: np.ndarray, t: float) -> int:
    """Index of the beat nearest ``t``; len(times) for a time past the last beat's half period."""
    i = int(np.searchsorted(times, t))
    if i == 0:
        return 0
    if i >= len(times):
        period = times[-1] - times[-2] if len(times) > 1 else 0.5
        return len(times) if t - times[-1] > period / 2 else len(times) - 1
    return i if times[i] - t < t - times[i - 1] else i - 1


def beat_labels(times: np.ndarray, chords: Sequence[Chord]) -> list[str | None]:
    """The chord on each beat after snapping; slivers shorter than a beat are dropped."""
    labels: list[str | None] = [None] * len(times)
    for chord in chords:
        a, b = _snap(times, chord.start), _snap(times, chord.end)
        if b <= a:
            continue  # shorter than a beat once snapped: a detection sliver, not a change
        for k in range(a, min(b, len(times))):
            labels[k] = chord.label
    # A dropped sliver leaves a hole only where nothing else covers: carry the previous chord on.
    previous = None
    last_end = max((c.end for c in chords), default=0.0)
    for k, label in enumerate(labels):
        if label is None and previous is not None and times[k] < last_end:
            labels[k] = previous
        previous = labels[k]
    return labels


def _bar_bounds(times: np.ndarray, positions: np.ndarray) -> list[int]:
    """Beat indices where bars start (a pickup bar first when the song starts off the downbeat)."""
    starts = [int(i) for i in np.flatnonzero(positions == 1)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return starts


def _bar_words(lyrics: Sequence[LyricLine], bar_starts: list[float], count: int) -> list[list[str]]:
    words: list[list[str]] = [[] for _ in range(count)]

    def place(t: float, text: str) -> None:
        i = bisect.bisect_right(bar_starts, t + 1e-6) - 1
        if 0 <= i < count and text:
            words[i].append(text)

    for line in lyrics:
        if line.end <= line.start:
            continue  # untimed: no bar to put it under
        if line.words:
            for word in line.words:
                place(word.start, word.text)
        else:
            place(line.start, line.text)
    return words


def layout_bars(beats: Sequence[Beat], chords: Sequence[Chord], sections: Sequence[Section] = (),
                lyrics: Sequence[LyricLine] = (), *, duration: float = 0.0, tempo: Tempo | None = None,
                simplify: bool = False) -> SheetLayout:
    """The chord sheet of a song; ``simplify`` reduces every chord to its triad."""
    duration = max(duration, max((c.end for c in chords), default=0.0), max((b.time for b in beats), default=0.0))
    times, positions, synthetic = _grid(beats, tempo, duration)
    if simplify:
        chords = [Chord(c.start, c.end, simplify_chord(c.label), c.confidence) for c in chords]
    labels = beat_labels(times, chords)
    bounds = _bar_bounds(times, positions)
    period = float(np.median(np.diff(times))) if len(times) > 1 else 0.5
    song_end = max(duration, float(times[-1]) + period)
    bar_starts = [float(times[i]) for i in bounds]
    words = _bar_words(lyrics, bar_starts, len(bounds))
    headers: dict[int, Section] = {}
    for section in sections:
        i = _snap(np.asarray(bar_starts), section.start)
        if i < len(bounds):
            headers.setdefault(i, section)
    first_downbeat = next((k for k, b in enumerate(bounds) if positions[b] == 1), None)
    bars: list[SheetBar] = []
    for k, first in enumerate(bounds):
        last = bounds[k + 1] if k + 1 < len(bounds) else len(times)
        end = float(times[last]) if last < len(times) else min(song_end, float(times[-1]) + period)
        number = 0 if first_downbeat is None or k < first_downbeat else k - first_downbeat + 1
        section = headers.get(k)
        bars.append(SheetBar(
            index=k, number=number, beats=tuple(float(t) for t in times[first:last]), end=end,
            slots=tuple(labels[first:last]), section=section.label if section else "",
            section_function=section.function if section else "", lyrics=" ".join(words[k]),
        ))
    return SheetLayout(tuple(bars), synthetic, tuple(bar_starts))


def is_no_chord(label: str | None) -> bool:
    return label is None or label == NO_CHORD


def section_titles(label: str, function: str = "") -> list[str]:
    """Readable names for a section, longest first, for the room there is.

    An analyser's bare letters become the function's name: ('B', 'chorus') -> ['Chorus (B)', 'Chorus', 'Ch'];
    a real name stays first: ('Verse 2', 'verse') -> ['Verse 2', 'V2'], ('Chorus 1b', 'chorus') -> ['Chorus 1b', 'C1b'].
    """
    label = label.strip()
    words = function.replace("-", " ").split() if function and function != "other" else []
    if words and len(label) <= 2:
        long = " ".join(w.capitalize() for w in words)
        short = "".join(w[0].upper() for w in words) if len(words) > 1 else long[:2]
        return [f"{long} ({label})" if label else long, long, short]
    if not label:
        return ["Section"]
    parts = label.split()
    # repeat numbers and part letters survive: 'Chorus 1b' -> 'C1b', 'Intro a' -> 'Ia'
    short = parts[0][0].upper() + "".join(p for p in parts[1:] if p[:1].isdigit() or (len(p) == 1 and p.islower())) \
        if parts else label[:2]
    return [label, short] if short != label else [label]
