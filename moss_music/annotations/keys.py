"""Musical keys: the one place that knows key signatures, Camelot and Open Key codes.

Analyzers write a key as a tonic name plus mode (``annotations.Key``); the
library filters by Camelot code, tags carry a three-character code, and every
chord name is spelled for the key's signature. All of those read a
``MusicalKey`` — a pitch class and a mode — so the same key can never be shown
as "Gb major · 2B" in one place and "F# major" in another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from moss_music.annotations.chords import FLAT_NAMES, SHARP_NAMES, note_to_pitch_class
from moss_music.annotations.model import Key

MODES = ("major", "minor")
KEY_NOTATIONS = ("standard", "openkey", "camelot")

# Tonics written with flats: the major and minor keys whose signatures carry flats.
# F# major (6 sharps) and Eb minor (6 flats) are the usual choices for the enharmonic pair.
_FLAT_MAJOR_TONICS = frozenset({5, 10, 3, 8, 1})  # F Bb Eb Ab Db
_FLAT_MINOR_TONICS = frozenset({2, 7, 0, 5, 10, 3})  # D G C F Bb Eb

_CAMELOT = re.compile(r"^\s*(1[0-2]|0?[1-9])\s*([ABab])\s*$")
_OPEN_KEY = re.compile(r"^\s*(1[0-2]|0?[1-9])\s*([dmDM])\s*$")
_NAMED = re.compile(
    r"^\s*([A-Ga-g])\s*(#|b|♯|♭)?\s*(major|minor|maj|min|dur|moll|m|M|-)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MusicalKey:
    """A major or minor key as a pitch class (0 = C) and a mode."""

    pitch_class: int
    mode: str

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        object.__setattr__(self, "pitch_class", self.pitch_class % 12)

    @property
    def is_minor(self) -> bool:
        return self.mode == "minor"

    @property
    def prefers_flats(self) -> bool:
        """True when the key signature carries flats (so its notes are spelled with flats)."""
        flat_tonics = _FLAT_MINOR_TONICS if self.is_minor else _FLAT_MAJOR_TONICS
        return self.pitch_class in flat_tonics

    @property
    def tonic(self) -> str:
        names = FLAT_NAMES if self.prefers_flats else SHARP_NAMES
        return names[self.pitch_class]

    @property
    def _relative_major_pc(self) -> int:
        return (self.pitch_class + 3) % 12 if self.is_minor else self.pitch_class

    @property
    def camelot(self) -> str:
        """Camelot wheel code: C major = 8B, A minor = 8A; one step round the wheel is a fifth."""
        return f"{(7 * self._relative_major_pc + 7) % 12 + 1}{'A' if self.is_minor else 'B'}"

    @property
    def open_key(self) -> str:
        """Open Key code: C major = 1d, A minor = 1m."""
        return f"{(7 * self._relative_major_pc) % 12 + 1}{'m' if self.is_minor else 'd'}"

    @property
    def camelot_order(self) -> tuple[int, int]:
        """Sort key that walks the wheel: 1A, 1B, 2A, 2B, …"""
        code = self.camelot
        return int(code[:-1]), 0 if code.endswith("A") else 1

    def name(self) -> str:
        """'Bb major', 'C# minor'."""
        return f"{self.tonic} {self.mode}"

    def short(self) -> str:
        """'Bb', 'C#m': the standard code that fits ID3's three-character TKEY frame."""
        return self.tonic + ("m" if self.is_minor else "")

    def code(self, notation: str = "standard") -> str:
        """The key in ``notation`` (one of ``KEY_NOTATIONS``); ValueError for any other name."""
        if notation == "standard":
            return self.short()
        if notation == "openkey":
            return self.open_key
        if notation == "camelot":
            return self.camelot
        raise ValueError(f"unknown key notation {notation!r}; choose from {', '.join(KEY_NOTATIONS)}")

    def transposed(self, semitones: int) -> MusicalKey:
        return MusicalKey(self.pitch_class + semitones, self.mode)

    def relative(self) -> MusicalKey:
        """The relative minor of a major key, or the relative major of a minor one (same signature)."""
        if self.is_minor:
            return MusicalKey(self.pitch_class + 3, "major")
        return MusicalKey(self.pitch_class - 3, "minor")

    def compatible(self) -> tuple[MusicalKey, ...]:
        """Keys a DJ mixes into without a clash: the key itself, one fifth either way, and the relative."""
        return (
            self,
            self.transposed(7),
            self.transposed(-7),
            self.relative(),
        )

    def __str__(self) -> str:
        return self.name()


def all_keys() -> list[MusicalKey]:
    """The 24 keys in Camelot order (1A, 1B, 2A, …), the order DJs scan a key list in."""
    keys = [MusicalKey(pc, mode) for pc in range(12) for mode in MODES]
    return sorted(keys, key=lambda k: k.camelot_order)


def parse_key(text: str | None) -> MusicalKey | None:
    """A key from a name ('A minor', 'Am', 'F#', 'Gb major'), Camelot ('8A') or Open Key ('1m').

    None when ``text`` is none of those (modes other than major/minor included).
    """
    if not text:
        return None
    camelot = _CAMELOT.match(text)
    if camelot:
        code = f"{int(camelot.group(1))}{camelot.group(2).upper()}"
        return next(k for k in all_keys() if k.camelot == code)
    open_key = _OPEN_KEY.match(text)
    if open_key:
        code = f"{int(open_key.group(1))}{open_key.group(2).lower()}"
        return next(k for k in all_keys() if k.open_key == code)
    named = _NAMED.match(text)
    if not named:
        return None
    letter, accidental, suffix = named.group(1), named.group(2) or "", named.group(3) or ""
    accidental = {"♯": "#", "♭": "b", "B": "b"}.get(accidental, accidental)
    try:
        pc = note_to_pitch_class(letter.upper() + accidental)
    except ValueError:
        return None
    if suffix == "M":
        mode = "major"
    else:
        mode = "minor" if suffix.lower() in ("minor", "min", "moll", "m", "-") else "major"
    return MusicalKey(pc, mode)


def key_from_annotation(key: Key | None) -> MusicalKey | None:
    """The analyzer's ``Key`` as a ``MusicalKey``; None for no key or a mode outside major/minor."""
    if key is None:
        return None
    mode = (key.mode or "").strip().lower()
    if mode not in MODES:
        return None
    try:
        return MusicalKey(note_to_pitch_class(key.tonic.strip()), mode)
    except ValueError:
        return None


def as_musical_key(key: MusicalKey | Key | str | None) -> MusicalKey | None:
    """Accept any of the ways a key reaches a view or an export and return the one type."""
    if key is None or isinstance(key, MusicalKey):
        return key
    if isinstance(key, Key):
        return key_from_annotation(key)
    return parse_key(key)
