"""Key names for tags and DJ software: standard ('Dbm'), Open Key ('7m') and Camelot ('12A').

The ID3 TKEY frame allows at most three characters ('A'-'G', 'b', '#', 'm',
or 'o' for off-key); DJ tools put Open Key or Camelot codes there too, all of
which fit. Modes other than major/minor have no code in either wheel.
"""

from __future__ import annotations

from moss_music.annotations import Key
from moss_music.annotations.chords import note_to_pitch_class

KEY_NOTATIONS = ("standard", "openkey", "camelot")
MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MINOR_NAMES = ("Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm")


def _pitch_class_and_minor(key: Key, transpose: int = 0) -> tuple[int, bool] | None:
    mode = key.mode.lower()
    if mode not in ("major", "minor"):
        return None
    try:
        return (note_to_pitch_class(key.tonic) + transpose) % 12, mode == "minor"
    except ValueError:
        return None


def standard_key(key: Key, transpose: int = 0) -> str | None:
    """'Dbm', 'F#', 'Am': the source's spelling when it fits three characters, else the usual one."""
    found = _pitch_class_and_minor(key, transpose)
    if found is None:
        return None
    pc, minor = found
    suffix = "m" if minor else ""
    tonic = key.tonic.strip()
    if transpose % 12 == 0 and len(tonic) <= 2 and tonic[:1].upper() in "ABCDEFG" and tonic[1:] in ("", "b", "#"):
        spelled = tonic[0].upper() + tonic[1:] + suffix
        if spelled not in ("Cbm", "Fbm", "E#m", "B#m"):
            return spelled
    return (MINOR_NAMES if minor else MAJOR_NAMES)[pc]


def open_key(key: Key, transpose: int = 0) -> str | None:
    """Open Key notation: C major = '1d', A minor = '1m', one step per fifth."""
    found = _pitch_class_and_minor(key, transpose)
    if found is None:
        return None
    pc, minor = found
    major_pc = (pc + 3) % 12 if minor else pc
    return f"{(7 * major_pc) % 12 + 1}{'m' if minor else 'd'}"


def camelot_key(key: Key, transpose: int = 0) -> str | None:
    """Camelot wheel: C major = '8B', A minor = '8A'."""
    found = _pitch_class_and_minor(key, transpose)
    if found is None:
        return None
    pc, minor = found
    major_pc = (pc + 3) % 12 if minor else pc
    return f"{(7 * major_pc + 7) % 12 + 1}{'A' if minor else 'B'}"


def key_code(key: Key, notation: str = "standard", transpose: int = 0) -> str | None:
    """The key in the chosen notation; ValueError for an unknown notation name."""
    if notation == "standard":
        return standard_key(key, transpose)
    if notation == "openkey":
        return open_key(key, transpose)
    if notation == "camelot":
        return camelot_key(key, transpose)
    raise ValueError(f"unknown key notation {notation!r}; choose from {', '.join(KEY_NOTATIONS)}")
