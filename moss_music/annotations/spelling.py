"""The one chord-spelling rule: name every note as the key's signature does.

A musician in Bb major reads Bb, Eb and F, never A#, D# and F; transposing A
minor up a semitone gives Bb minor, so its chords become Bbm and Db. Views and
exports all call ``spell_chord`` so a chord can never be spelled one way in the
chord lane and another in the lead sheet. The user's explicit sharps/flats
choice still wins, and with no key known the source's own spelling is kept.
"""

from __future__ import annotations

from moss_music.annotations.chords import FLAT_NAMES, SHARP_NAMES, parse_chord
from moss_music.annotations.keys import MusicalKey, as_musical_key
from moss_music.annotations.model import Key

# Chromatic notes in keys without accidentals (C major, A minor): the spellings pop charts use for
# borrowed chords (bIII, bVI, bVII) and secondary dominants (D/F#, E/G#).
_NATURAL_MAJOR = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_NATURAL_MINOR = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
# Diatonic degrees (semitones above the tonic) whose letter names follow the scale.
_MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
_LETTERS = "CDEFGAB"
_THEORY_ONLY = frozenset({"Cb", "B#", "Fb", "E#"})
_NATURAL_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def spell_note(pitch_class: int, key: MusicalKey | Key | str | None = None,
               prefer_flats: bool | None = None) -> str:
    """Name a pitch class: forced by ``prefer_flats``, else as ``key``'s signature spells it."""
    pc = pitch_class % 12
    if prefer_flats is not None:
        return (FLAT_NAMES if prefer_flats else SHARP_NAMES)[pc]
    musical_key = as_musical_key(key)
    if musical_key is None:
        return SHARP_NAMES[pc]
    diatonic = _diatonic_name(pc, musical_key)
    if diatonic is not None:
        return diatonic
    if musical_key.pitch_class in (0, 9) and musical_key.name() in ("C major", "A minor"):
        return (_NATURAL_MINOR if musical_key.is_minor else _NATURAL_MAJOR)[pc]
    return (FLAT_NAMES if musical_key.prefers_flats else SHARP_NAMES)[pc]


def spell_chord(harte: str, key: MusicalKey | Key | str | None = None, transpose: int = 0,
                prefer_flats: bool | None = None) -> str:
    """Harte label -> pop name for a reader: root and bass spelled for the key after ``transpose``.

    'N' reads 'N.C.'; a label that is no chord is returned as it is, so odd model output still shows.
    """
    try:
        chord = parse_chord(harte)
    except ValueError:
        return harte
    if chord.is_no_chord:
        return "N.C."
    chord = chord.transposed(transpose)
    musical_key = as_musical_key(key)
    if musical_key is None and prefer_flats is None:
        return chord.display(None)
    if musical_key is not None:
        musical_key = musical_key.transposed(transpose)
    root = spell_note(chord.root, musical_key, prefer_flats)
    text = root + chord.suffix()
    bass_pc = chord.bass_pitch_class()
    if chord.bass != "1" and bass_pc is not None:
        text += "/" + spell_note(bass_pc, musical_key, prefer_flats)
    return text


def spell_key(key: MusicalKey | Key | str | None, transpose: int = 0) -> str:
    """'Bb major' for the key after ``transpose``; '' when there is no major/minor key to show."""
    musical_key = as_musical_key(key)
    if musical_key is None:
        if isinstance(key, Key) and key.tonic:
            return str(key)
        return ""
    return musical_key.transposed(transpose).name()


def _diatonic_name(pc: int, key: MusicalKey) -> str | None:
    """The scale-degree spelling of ``pc`` in ``key`` (F# in D major, Bb in F major), if diatonic."""
    scale = _MINOR_SCALE if key.is_minor else _MAJOR_SCALE
    # Harmonic minor's raised 7th (E major's G# in A minor) keeps the 7th letter.
    degrees = list(scale) + ([11] if key.is_minor else [])
    interval = (pc - key.pitch_class) % 12
    if interval not in degrees:
        return None
    step = degrees.index(interval) if interval != 11 or not key.is_minor else 6
    tonic_letter = key.tonic[0]
    letter = _LETTERS[(_LETTERS.index(tonic_letter) + step) % 7]
    offset = (pc - _NATURAL_PC[letter] + 6) % 12 - 6
    if offset == 0:
        return letter
    if abs(offset) > 1:
        return None
    spelled = letter + ("#" if offset > 0 else "b")
    # Chord charts write B, C, E and F rather than Cb, B#, Fb and E#.
    return None if spelled in _THEORY_ONLY else spelled
