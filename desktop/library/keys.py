"""Musical keys as DJs and musicians type them: 'A minor', 'Am', 'F# major', 'Gb', or Camelot '8A'.

The library stores a key as "<tonic> <mode>" with the tonic spelled as the
analyzer wrote it ('F#' or 'Gb'), so a filter expands one key to every
spelling of its pitch class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from moss_music.annotations.chords import note_to_pitch_class, pitch_class_name

MODES = ("major", "minor")
_CAMELOT = re.compile(r"^\s*(1[0-2]|[1-9])\s*([ABab])\s*$")
_NAMED = re.compile(r"^\s*([A-Ga-g](?:#|b|♯|♭)?)\s*(major|minor|maj|min|m|M)?\s*$")


@dataclass(frozen=True)
class MusicalKey:
    pitch_class: int
    mode: str

    @property
    def camelot(self) -> str:
        """Camelot wheel code: A minor = 8A, C major = 8B; one step round the wheel is a fifth."""
        if self.mode == "minor":
            return f"{(7 + 7 * (self.pitch_class - 9)) % 12 + 1}A"
        return f"{(7 + 7 * self.pitch_class) % 12 + 1}B"

    def spellings(self) -> tuple[str, ...]:
        """Every "<tonic> <mode>" text the library may hold for this key."""
        names = {pitch_class_name(self.pitch_class), pitch_class_name(self.pitch_class, prefer_flats=True)}
        return tuple(sorted(f"{name} {self.mode}" for name in names))

    def display(self) -> str:
        prefer_flats = self.mode == "major" and self.pitch_class in (1, 3, 8, 10) or \
            self.mode == "minor" and self.pitch_class in (3, 10)
        return f"{pitch_class_name(self.pitch_class, prefer_flats)} {self.mode}"


def all_keys() -> list[MusicalKey]:
    """The 24 keys in Camelot order (1A, 1B, 2A, ...), the order DJs scan a key list in."""
    keys = [MusicalKey(pc, mode) for pc in range(12) for mode in MODES]
    return sorted(keys, key=lambda k: (int(k.camelot[:-1]), k.camelot[-1]))


def parse_key(text: str) -> MusicalKey | None:
    """A key from a standard name or a Camelot code; None when ``text`` is neither."""
    if not text:
        return None
    camelot = _CAMELOT.match(text)
    if camelot:
        code = f"{int(camelot.group(1))}{camelot.group(2).upper()}"
        return next(k for k in all_keys() if k.camelot == code)
    named = _NAMED.match(text)
    if not named:
        return None
    try:
        pc = note_to_pitch_class(named.group(1).replace("♯", "#").replace("♭", "b").capitalize())
    except ValueError:
        return None
    suffix = named.group(2) or "major"
    mode = "minor" if suffix in ("minor", "min", "m") else "major"
    return MusicalKey(pc, mode)


def camelot_of(key_name: str | None) -> str | None:
    key = parse_key(key_name or "")
    return key.camelot if key else None
