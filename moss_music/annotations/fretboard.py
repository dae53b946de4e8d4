"""Where to put your fingers: guitar chord shapes (capo-aware) and piano voicings.

A chord-box diagram needs frets per string, not pitch classes. Open-position
shapes come from the table every guitarist learns first; any other root uses
the movable E-shape (root on the low E string) or A-shape (root on the A
string) barre, whichever sits lower on the neck. A capo moves the nut: the
shape is the one for the chord a capo-fret lower, drawn relative to the capo.
Qualities with no common shape (9ths, 11ths …) fall back to their triad and
say so. No Qt here; the track view draws what this returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from moss_music.annotations.bars import simplify_chord
from moss_music.annotations.chords import parse_chord

STANDARD_TUNING = (4, 9, 2, 7, 11, 4)
"""Open-string pitch classes, low E to high E."""
STANDARD_MIDI = (40, 45, 50, 55, 59, 64)
MUTED = -1

# Open shapes by (root pitch class, Harte quality): frets low E -> high E, -1 = not played.
OPEN_SHAPES: dict[tuple[int, str], tuple[int, ...]] = {
    (0, "maj"): (-1, 3, 2, 0, 1, 0), (9, "maj"): (-1, 0, 2, 2, 2, 0), (7, "maj"): (3, 2, 0, 0, 0, 3),
    (4, "maj"): (0, 2, 2, 1, 0, 0), (2, "maj"): (-1, -1, 0, 2, 3, 2),
    (9, "min"): (-1, 0, 2, 2, 1, 0), (4, "min"): (0, 2, 2, 0, 0, 0), (2, "min"): (-1, -1, 0, 2, 3, 1),
    (0, "7"): (-1, 3, 2, 3, 1, 0), (9, "7"): (-1, 0, 2, 0, 2, 0), (7, "7"): (3, 2, 0, 0, 0, 1),
    (4, "7"): (0, 2, 0, 1, 0, 0), (2, "7"): (-1, -1, 0, 2, 1, 2), (11, "7"): (-1, 2, 1, 2, 0, 2),
    (9, "min7"): (-1, 0, 2, 0, 1, 0), (4, "min7"): (0, 2, 0, 0, 0, 0), (2, "min7"): (-1, -1, 0, 2, 1, 1),
    (0, "maj7"): (-1, 3, 2, 0, 0, 0), (5, "maj7"): (-1, -1, 3, 2, 1, 0), (9, "maj7"): (-1, 0, 2, 1, 2, 0),
    (2, "maj7"): (-1, -1, 0, 2, 2, 2), (7, "maj7"): (3, 2, 0, 0, 0, 2),
    (9, "sus4"): (-1, 0, 2, 2, 3, 0), (2, "sus4"): (-1, -1, 0, 2, 3, 3), (4, "sus4"): (0, 2, 2, 2, 0, 0),
    (9, "sus2"): (-1, 0, 2, 2, 0, 0), (2, "sus2"): (-1, -1, 0, 2, 3, 0),
}

# Movable shapes: fret offsets from the barre at the root's fret; None = string not played.
E_SHAPES: dict[str, tuple[int | None, ...]] = {
    "maj": (0, 2, 2, 1, 0, 0), "min": (0, 2, 2, 0, 0, 0), "7": (0, 2, 0, 1, 0, 0), "min7": (0, 2, 0, 0, 0, 0),
    "maj7": (0, None, 1, 1, 0, None), "sus4": (0, 2, 2, 2, 0, 0), "aug": (0, None, 2, 1, 1, None),
}
A_SHAPES: dict[str, tuple[int | None, ...]] = {
    "maj": (None, 0, 2, 2, 2, 0), "min": (None, 0, 2, 2, 1, 0), "7": (None, 0, 2, 0, 2, 0),
    "min7": (None, 0, 2, 0, 1, 0), "maj7": (None, 0, 2, 1, 2, 0), "sus4": (None, 0, 2, 2, 3, 0),
    "sus2": (None, 0, 2, 2, 0, 0), "dim": (None, 0, 1, 2, 1, None), "hdim7": (None, 0, 1, 0, 1, None),
    "dim7": (None, 0, 1, 2, 1, 2), "maj6": (None, 0, 2, 2, 2, 2), "min6": (None, 0, 2, 2, 1, 2),
    "aug": (None, 0, 3, 2, 2, None),
}


@dataclass(frozen=True)
class GuitarShape:
    name_harte: str
    """The chord this shape plays (relative to the capo: the shape's own name)."""
    frets: tuple[int, ...]
    """Per string, low E first: -1 muted, 0 open (at the nut or capo), else the fret above it."""
    base_fret: int = 1
    """Fret the diagram's top row stands for (1 = at the nut)."""
    barre: int | None = None
    """Fret of a full barre, when the shape has one."""
    simplified: bool = False
    """True when the chord had no common shape and its triad is shown instead."""

    def sounding_pitch_classes(self, capo: int = 0) -> set[int]:
        return {(STANDARD_TUNING[s] + f + capo) % 12 for s, f in enumerate(self.frets) if f >= 0}


def _movable(root: int, quality: str) -> tuple[tuple[int, ...], int] | None:
    """The lower of the E- and A-shape barres: (frets, barre fret)."""
    options = []
    for shapes, string in ((E_SHAPES, 0), (A_SHAPES, 1)):
        offsets = shapes.get(quality)
        if offsets is None:
            continue
        fret = (root - STANDARD_TUNING[string]) % 12
        if fret + min(o for o in offsets if o is not None) < 1:
            fret += 12
        frets = tuple(MUTED if o is None else fret + o for o in offsets)
        options.append((fret, frets))
    if not options:
        return None
    fret, frets = min(options)
    return frets, fret


def guitar_shape(harte: str, capo: int = 0) -> GuitarShape | None:
    """The shape to play for the sounding chord ``harte`` with a capo at ``capo``; None for 'N' or unreadable."""
    try:
        symbol = parse_chord(harte)
    except ValueError:
        return None
    if symbol.root is None:
        return None
    root = (symbol.root - capo) % 12
    quality, simplified = symbol.quality, False
    if (root, quality) not in OPEN_SHAPES and quality not in E_SHAPES and quality not in A_SHAPES:
        quality, simplified = parse_chord(simplify_chord(harte)).quality, True
    shape_name = type(symbol)(root, quality, "1", "").harte()
    if (root, quality) in OPEN_SHAPES:
        return GuitarShape(shape_name, OPEN_SHAPES[(root, quality)], 1, None, simplified)
    found = _movable(root, quality)
    if found is None:
        return None
    frets, barre = found
    played = [f for f in frets if f > 0]
    base = 1 if max(played) <= 4 else min(played)
    full_barre = barre if frets.count(barre) >= 2 else None
    return GuitarShape(shape_name, frets, base, full_barre, simplified)


def piano_voicing(harte: str, low: int = 48) -> list[int]:
    """MIDI notes of the chord in root position from the first root at or above ``low`` (bass note first
    for a slash chord); empty for 'N' or unreadable labels."""
    try:
        symbol = parse_chord(harte)
    except ValueError:
        return []
    if symbol.root is None:
        return []
    root = low + (symbol.root - low) % 12
    notes = [root + i for i in symbol.intervals()]
    bass = symbol.bass_pitch_class()
    if symbol.bass != "1" and bass is not None:
        notes.insert(0, low - 12 + (bass - low) % 12)
    return sorted(set(notes))
