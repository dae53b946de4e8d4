"""POP909 symbolic songs (``../shared/eval/pop909_symbolic``) as note, chord and phrase lists in beats.

The development-set renderer (``render_devset.py``) arranges these for several band set-ups; this module
only reads the source files and cleans them (labels with stray characters, truncated labels, songs whose
key the source does not give as one key), so every arrangement starts from the same facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import mir_eval


@dataclass(frozen=True)
class SourceChord:
    start: float
    """Beats from bar 1."""
    end: float
    label: str
    """Harte label as cleaned here (mir_eval parses it)."""
    root: int
    """Pitch class, -1 for N."""
    tones: tuple[int, ...]
    """Pitch classes of the chord (absolute)."""
    bass: int
    """Pitch class of the bass note."""


@dataclass(frozen=True)
class Phrase:
    start_bar: int
    bars: int
    letter: str


@dataclass(frozen=True)
class SourceSong:
    song_id: str
    bpm: float
    key: str
    """'Gb major' style, for mir_eval.key."""
    melody: tuple[tuple[float, float, int], ...]
    """(start beat, duration in beats, MIDI pitch)."""
    chords: tuple[SourceChord, ...]
    phrases: tuple[Phrase, ...]

    @property
    def beats(self) -> float:
        return self.chords[-1].end if self.chords else 0.0

    @property
    def triple(self) -> bool:
        """Whether the song moves in threes (3/4, 6/8): most of its chords last 3, 6, 9 or 12 beats.

        POP909 writes no metre. Across its 896 songs the share of chords whose length is a multiple of
        three is at most 0.3 in the 4/4 songs and at least 0.6 in the 28 triple ones, so 0.5 separates
        them. The arrangements lay the music into 4/4 bars, so a triple song would get wrong bar lines
        and phrase boundaries in its annotations."""
        lengths = [c.end - c.start for c in self.chords if c.end > c.start]
        return bool(lengths) and sum(1 for n in lengths if n % 3 == 0) / len(lengths) > 0.5


_CLEAN = re.compile(r"[^A-Za-z0-9:#b/()*,]")


def _chord(label: str, start: float, end: float) -> SourceChord | None:
    text = _CLEAN.sub("", label)
    try:
        root, bitmap, bass = mir_eval.chord.encode(text)
    except Exception:  # noqa: BLE001 - truncated or malformed labels: the caller drops them
        return None
    if root < 0:
        return SourceChord(start, end, "N", -1, (), -1)
    tones = tuple(sorted({(root + i) % 12 for i in range(12) if bitmap[i]}))
    return SourceChord(start, end, text, int(root), tones, int((root + bass) % 12))


def _key(path: Path) -> str | None:
    words = path.read_text().split()
    if len(words) != 1 or ":" not in words[0]:
        return None
    tonic, mode = words[0].split(":")
    return f"{tonic} {'minor' if mode.startswith('min') else 'major'}"


def load_song(folder: Path) -> SourceSong | None:
    """The song in ``folder``, or None when it lacks one clear key, a tempo, chords or a structure."""
    try:
        key = _key(folder / "analyzed_key.txt")
        bpm = float((folder / "tempo.txt").read_text().split()[0])
        chord_rows = (folder / "finalized_chord.txt").read_text().splitlines()
        labels = (folder / "human_label1.txt").read_text().strip()
        melody_rows = (folder / "melody.txt").read_text().split("\n")
    except (OSError, ValueError, IndexError):
        return None
    if key is None or not labels:
        return None
    chords: list[SourceChord] = []
    t = 0.0
    for row in chord_rows:
        parts = row.split()
        if len(parts) < 2:
            continue
        try:
            beats = float(parts[-1])
        except ValueError:
            continue
        label = row.split("[")[0]
        chord = _chord(label, t, t + beats)
        if chord is None:  # unreadable: the previous chord rings on
            chord = chords[-1] if chords else SourceChord(t, t + beats, "N", -1, (), -1)
            chord = SourceChord(t, t + beats, chord.label, chord.root, chord.tones, chord.bass)
        chords.append(chord)
        t += beats
    melody: list[tuple[float, float, int]] = []
    pos = 0
    for row in melody_rows:
        parts = row.split()
        if len(parts) != 2:
            continue
        pitch, dur = int(parts[0]), int(parts[1])
        if pitch > 0:
            melody.append((pos / 4.0, dur / 4.0, pitch))
        pos += dur
    phrases: list[Phrase] = []
    bar = 0
    for letter, count in re.findall(r"([A-Za-z])(\d+)", labels):
        phrases.append(Phrase(bar, int(count), letter))
        bar += int(count)
    if not chords or not phrases or bpm <= 0:
        return None
    return SourceSong(folder.name, bpm, key, tuple(melody), tuple(chords), tuple(phrases))


def song_ids(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.isdigit())
