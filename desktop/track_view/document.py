"""What the track view shows, as plain data: annotations, display settings, and "what is at time t".

Lanes, the practice panel and the player all ask the same questions (which
chord is sounding, which lyric word is sung, where is the next bar); they are
answered here once, with sorted arrays and binary search, so a redraw at
display refresh costs microseconds. No Qt in this module.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from moss_music.annotations import Chord, Key, LyricLine, Section, TrackAnnotations
from moss_music.annotations.bars import simplify_chord
from moss_music.annotations.keys import as_musical_key
from moss_music.annotations.spelling import spell_chord, spell_key


@dataclass
class DisplaySettings:
    """How chords are named on screen; every name goes through ``spell_chord`` for the song's key."""

    transpose: int = 0
    """Semitones the playback is shifted by; chord names and the key follow it."""
    capo: int = 0
    """Capo fret: chord names become the shapes to play (sounding pitch minus the capo)."""
    prefer_flats: bool | None = None
    """None spells for the key's signature (or keeps each label's own spelling when no key is known)."""
    key: Key | None = None
    simplify: bool = False
    """Triads only: sevenths, extensions and inversions dropped (for beginners)."""

    def _label(self, harte: str) -> str:
        return simplify_chord(harte) if self.simplify else harte

    def chord_name(self, harte: str) -> str:
        """The name to read: the shape to play when a capo is on."""
        return spell_chord(self._label(harte), self.key, self.transpose - self.capo, self.prefer_flats)

    def sounding_name(self, harte: str) -> str:
        return spell_chord(self._label(harte), self.key, self.transpose, self.prefer_flats)

    def sounding_key(self):
        """The key as it sounds after transposition (a ``MusicalKey``), or None."""
        key = as_musical_key(self.key)
        return key.transposed(self.transpose) if key is not None else None

    def key_name(self) -> str:
        """'Bb major' after transposition; '' when no key is known."""
        return spell_key(self.key, self.transpose)


@dataclass
class BackendSummary:
    """Key, tempo and metre as one backend saw them, for the disagreement table."""

    backend: str
    model: str
    key: str = ""
    bpm: float | None = None
    time_signature: str = ""
    disagreements: list[str] = field(default_factory=list)
    """Where this backend and the signal analysis differ (``moss_music.analysis.fusion``), as sentences."""


@dataclass
class TrackDocument:
    track_id: int
    title: str
    artist: str
    path: str
    duration: float
    annotations: TrackAnnotations
    machine: TrackAnnotations = field(default_factory=TrackAnnotations)
    backends: list[BackendSummary] = field(default_factory=list)
    user_layers: set[str] = field(default_factory=set)
    settings: DisplaySettings = field(default_factory=DisplaySettings)

    def __post_init__(self) -> None:
        self.settings.key = self.annotations.key
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the lookup arrays after an edit."""
        ann = self.annotations
        self.settings.key = ann.key
        self.beat_times = np.array([b.time for b in ann.beats], dtype=np.float64)
        self.beat_positions = np.array([b.position for b in ann.beats], dtype=np.int32)
        self.downbeat_times = self.beat_times[self.beat_positions == 1]
        self.chord_starts = [c.start for c in ann.chords]
        self.section_starts = [s.start for s in ann.sections]
        # Untimed lines (start == end) sort after every time: "what is sung at t" never finds them.
        self.line_starts = [line.start if line.end > line.start else float("inf") for line in ann.lyrics]
        self.untimed_lines = sum(1 for line in ann.lyrics if line.end <= line.start)

    # -- "what is at time t" ----------------------------------------------------------------------

    @staticmethod
    def _index_at(starts: list[float], items: list, t: float) -> int | None:
        i = bisect.bisect_right(starts, t) - 1
        if i >= 0 and t < items[i].end:
            return i
        return None

    def chord_index_at(self, t: float) -> int | None:
        return self._index_at(self.chord_starts, self.annotations.chords, t)

    def next_chord_index(self, t: float) -> int | None:
        """The next chord that starts after ``t`` and is not 'no chord'."""
        i = bisect.bisect_right(self.chord_starts, t)
        chords = self.annotations.chords
        while i < len(chords) and chords[i].label == "N":
            i += 1
        return i if i < len(chords) else None

    def section_index_at(self, t: float) -> int | None:
        return self._index_at(self.section_starts, self.annotations.sections, t)

    def line_index_at(self, t: float) -> int | None:
        return self._index_at(self.line_starts, self.annotations.lyrics, t)

    def next_line_index(self, t: float) -> int | None:
        i = bisect.bisect_right(self.line_starts, t)
        return i if i < len(self.annotations.lyrics) and self.line_starts[i] != float("inf") else None

    @staticmethod
    def word_index_at(line: LyricLine, t: float) -> int | None:
        """The word being sung, or the last one sung in a gap inside the line."""
        starts = [w.start for w in line.words]
        i = bisect.bisect_right(starts, t) - 1
        return i if i >= 0 else None

    def bar_number_at(self, t: float) -> int | None:
        """1-based bar counted from the first downbeat."""
        if not len(self.downbeat_times) or t < self.downbeat_times[0]:
            return None
        return int(np.searchsorted(self.downbeat_times, t, side="right"))

    def beats_until(self, t: float, target: float) -> int:
        """Beats from ``t`` up to ``target``: the countdown to the next chord."""
        if not len(self.beat_times):
            return 0
        a, b = np.searchsorted(self.beat_times, [t, target - 1e-3], side="right")
        return int(max(b - a, 0)) + 1

    def beat_in_bar(self, t: float) -> tuple[int, int] | None:
        """(position, beats in this bar) of the beat sounding at ``t``."""
        i = int(np.searchsorted(self.beat_times, t, side="right")) - 1
        if i < 0:
            return None
        position = int(self.beat_positions[i])
        j = i + 1
        while j < len(self.beat_positions) and self.beat_positions[j] != 1:
            j += 1
        count = max(int(self.beat_positions[j - 1]), position) if j > i else position
        return position, count

    def neighbour_beat(self, t: float, direction: int, bars: bool = False) -> float:
        """The previous/next beat (or downbeat) from ``t``, for keyboard stepping."""
        grid = self.downbeat_times if bars else self.beat_times
        if not len(grid):
            step = 2.0 if bars else 0.5
            return float(np.clip(t + direction * step, 0.0, self.duration))
        if direction > 0:
            i = int(np.searchsorted(grid, t + 1e-3, side="right"))
            return float(grid[i]) if i < len(grid) else self.duration
        i = int(np.searchsorted(grid, t - 1e-3, side="left")) - 1
        return float(grid[i]) if i >= 0 else 0.0

    # -- blocks a click can loop --------------------------------------------------------------------

    def section(self, index: int) -> Section:
        return self.annotations.sections[index]

    def chord(self, index: int) -> Chord:
        return self.annotations.chords[index]
