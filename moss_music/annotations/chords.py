"""Chord names: Harte labels (how we store chords) and pop names (how people read them).

Analyzers and model output produce many spellings ('Am7', 'A-7', 'A:min7',
'F#m7b5', 'C/E'); everything is normalised to Harte syntax for storage and JAMS,
and turned back into pop names for display, with transposition and a
sharps/flats preference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NO_CHORD = "N"

SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_NATURAL_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

# Harte shorthand -> (semitones above the root, pop suffix)
QUALITIES: dict[str, tuple[tuple[int, ...], str]] = {
    "maj": ((0, 4, 7), ""),
    "min": ((0, 3, 7), "m"),
    "dim": ((0, 3, 6), "dim"),
    "aug": ((0, 4, 8), "aug"),
    "sus2": ((0, 2, 7), "sus2"),
    "sus4": ((0, 5, 7), "sus4"),
    "7": ((0, 4, 7, 10), "7"),
    "maj7": ((0, 4, 7, 11), "maj7"),
    "min7": ((0, 3, 7, 10), "m7"),
    "minmaj7": ((0, 3, 7, 11), "m(maj7)"),
    "dim7": ((0, 3, 6, 9), "dim7"),
    "hdim7": ((0, 3, 6, 10), "m7b5"),
    "maj6": ((0, 4, 7, 9), "6"),
    "min6": ((0, 3, 7, 9), "m6"),
    "9": ((0, 4, 7, 10, 14), "9"),
    "maj9": ((0, 4, 7, 11, 14), "maj9"),
    "min9": ((0, 3, 7, 10, 14), "m9"),
    "11": ((0, 4, 7, 10, 14, 17), "11"),
    "min11": ((0, 3, 7, 10, 14, 17), "m11"),
    "13": ((0, 4, 7, 10, 14, 21), "13"),
    "maj13": ((0, 4, 7, 11, 14, 21), "maj13"),
    "min13": ((0, 3, 7, 10, 14, 21), "m13"),
    "5": ((0, 7), "5"),
    "1": ((0,), "1"),
}

# Pop suffixes people and models write -> Harte quality (or a Harte interval list).
_POP_SUFFIXES: dict[str, str] = {
    "": "maj", "maj": "maj", "M": "maj", "major": "maj",
    "m": "min", "min": "min", "-": "min", "minor": "min", "mi": "min",
    "dim": "dim", "°": "dim", "o": "dim", "dim5": "dim",
    "aug": "aug", "+": "aug", "+5": "aug", "#5": "aug",
    "sus2": "sus2", "sus4": "sus4", "sus": "sus4",
    "7": "7", "dom7": "7", "dom": "7",
    "maj7": "maj7", "M7": "maj7", "Δ": "maj7", "Δ7": "maj7", "ma7": "maj7", "j7": "maj7",
    "m7": "min7", "min7": "min7", "-7": "min7", "mi7": "min7",
    "mmaj7": "minmaj7", "m(maj7)": "minmaj7", "mM7": "minmaj7", "minmaj7": "minmaj7", "m/maj7": "minmaj7",
    "dim7": "dim7", "°7": "dim7", "o7": "dim7",
    "m7b5": "hdim7", "ø": "hdim7", "ø7": "hdim7", "min7b5": "hdim7", "m7-5": "hdim7", "hdim7": "hdim7",
    "hdim": "hdim7",
    "6": "maj6", "maj6": "maj6", "M6": "maj6",
    "m6": "min6", "min6": "min6",
    "9": "9", "maj9": "maj9", "M9": "maj9", "m9": "min9", "min9": "min9",
    "11": "11", "m11": "min11", "min11": "min11",
    "13": "13", "maj13": "maj13", "m13": "min13", "min13": "min13",
    "5": "5", "power": "5", "1": "1",
    "7sus4": "(4,5,b7)", "7sus": "(4,5,b7)", "add9": "(3,5,9)", "add2": "(3,5,9)",
    "madd9": "(b3,5,9)", "7b9": "(3,5,b7,b9)", "7#9": "(3,5,b7,#9)", "aug7": "(3,#5,b7)", "7#5": "(3,#5,b7)",
}

_DEGREE_SEMITONES = {"1": 0, "2": 2, "3": 4, "4": 5, "5": 7, "6": 9, "7": 11, "9": 14, "11": 17, "13": 21}
_SEMITONE_DEGREE = ("1", "b2", "2", "b3", "3", "4", "b5", "5", "b6", "6", "b7", "7")

_ROOT_RE = re.compile(r"^\s*([A-Ga-g])((?:#|b|♯|♭|s)*)(.*)$")


@dataclass(frozen=True)
class ChordSymbol:
    """A parsed chord: root pitch class, Harte quality or interval list, bass interval."""

    root: int | None
    """Pitch class 0..11; None for 'N' (no chord) and 'X' (unknown)."""
    quality: str = "maj"
    bass: str = "1"
    """Harte degree of the bass note above the root ('1' = root position, '3', 'b7' …)."""
    root_spelling: str = ""

    @property
    def is_no_chord(self) -> bool:
        return self.root is None

    def intervals(self) -> tuple[int, ...]:
        """Semitones above the root of the chord tones."""
        if self.root is None:
            return ()
        if self.quality in QUALITIES:
            return QUALITIES[self.quality][0]
        return (0, *(_degree_to_semitones(d) for d in _split_interval_list(self.quality)))

    def pitch_classes(self) -> list[int]:
        if self.root is None:
            return []
        return sorted({(self.root + i) % 12 for i in self.intervals()})

    def bass_pitch_class(self) -> int | None:
        if self.root is None:
            return None
        return (self.root + _degree_to_semitones(self.bass)) % 12

    def harte(self) -> str:
        if self.root is None:
            return NO_CHORD
        root = self.root_spelling or SHARP_NAMES[self.root]
        label = f"{root}:{self.quality}" if self.quality != "maj" else root
        if self.bass != "1":
            label += f"/{self.bass}"
        return label

    def transposed(self, semitones: int) -> ChordSymbol:
        if self.root is None or semitones % 12 == 0:
            return self
        return ChordSymbol((self.root + semitones) % 12, self.quality, self.bass, "")

    def suffix(self) -> str:
        """The pop quality suffix after the root: 'm7', 'sus4', 'add9', '' for a major triad."""
        if self.quality in QUALITIES:
            return QUALITIES[self.quality][1]
        return _interval_list_suffix(self.quality)

    def display(self, prefer_flats: bool | None = None) -> str:
        """The pop name a musician reads: 'Am7', 'C/E', 'F#m7b5'; 'N.C.' for no chord.

        ``prefer_flats`` None keeps the spelling the source used (sharps when it used none).
        """
        if self.root is None:
            return "N.C."
        names = FLAT_NAMES if prefer_flats or (prefer_flats is None and "b" in self.root_spelling) else SHARP_NAMES
        unwanted = {True: "#", False: "b", None: "\0"}[prefer_flats]
        spelled = self.root_spelling and unwanted not in self.root_spelling
        root = self.root_spelling if spelled else names[self.root]
        text = root + self.suffix()
        bass_pc = self.bass_pitch_class()
        if self.bass != "1" and bass_pc is not None:
            text += "/" + names[bass_pc]
        return text


def note_to_pitch_class(name: str) -> int:
    """'C#' -> 1, 'Bb' -> 10, 'E#' -> 5; raises ValueError for anything else."""
    match = _ROOT_RE.match(name)
    if not match or match.group(3).strip():
        raise ValueError(f"not a note name: {name!r}")
    return _root_pc(match.group(1), match.group(2))


def parse_chord(text: str) -> ChordSymbol:
    """Parse Harte ('A:min7/b7') or pop ('Am7/G') spellings; raises ValueError if it is neither."""
    label = _clean(text)
    if label.upper() in {"N", "NC", "N.C.", "N.C", "NONE", "X", "-"} or not label:
        return ChordSymbol(None)
    if ":" in label or re.search(r"/[b#]*\d+$", label):
        return _parse_harte(label)
    return _parse_pop(label)


def to_harte(text: str) -> str:
    """Normalise any chord spelling to a Harte label; ValueError when it is no chord name."""
    return parse_chord(text).harte()


def display_name(harte: str, transpose: int = 0, prefer_flats: bool | None = None) -> str:
    """Harte label -> pop name, transposed; unparseable labels are shown as they are."""
    try:
        return parse_chord(harte).transposed(transpose).display(prefer_flats)
    except ValueError:
        return harte


def transpose_harte(harte: str, semitones: int) -> str:
    return parse_chord(harte).transposed(semitones).harte()


def _clean(text: str) -> str:
    label = text.strip().strip("[]{}*`'\".,;")
    # Strip wrapping parentheses ('(Am)') but keep a Harte interval list's closing one ('C:(3,5,9)').
    while label.startswith("(") and label.endswith(")"):
        label = label[1:-1].strip()
    if label.endswith(")") and "(" not in label:
        label = label.rstrip(")")
    label = label.lstrip("(") if ")" not in label else label
    for wide, narrow in (("＃", "#"), ("♯", "#"), ("♭", "b"), ("／", "/"), ("：", ":"), ("Ｍ", "M")):
        label = label.replace(wide, narrow)
    return label


def _root_pc(letter: str, accidentals: str) -> int:
    pc = _NATURAL_PC[letter.upper()]
    for symbol in accidentals:
        pc += 1 if symbol in "#♯s" else -1
    return pc % 12


def _root_spelling(letter: str, accidentals: str) -> str:
    accidental = "".join("#" if s in "#♯s" else "b" for s in accidentals)
    return letter.upper() + accidental


def _parse_harte(label: str) -> ChordSymbol:
    root_part, _, rest = label.partition(":")
    bass = "1"
    if "/" in (rest or root_part):
        if rest:
            rest, _, bass = rest.partition("/")
        else:
            root_part, _, bass = root_part.partition("/")
    match = _ROOT_RE.match(root_part)
    if not match or match.group(3).strip():
        raise ValueError(f"not a chord label: {label!r}")
    quality = rest or "maj"
    if "(" in quality and not quality.startswith("("):
        # 'maj7(9)' style extensions: keep the shorthand, drop what we do not model.
        quality = quality.split("(", 1)[0]
    if quality not in QUALITIES and not _is_harte_list(quality):
        raise ValueError(f"unknown chord quality in {label!r}")
    if bass not in _SEMITONE_DEGREE and bass.lstrip("b#") not in _DEGREE_SEMITONES:
        raise ValueError(f"bad bass degree in {label!r}")
    return ChordSymbol(_root_pc(match.group(1), match.group(2)), quality, bass,
                       _root_spelling(match.group(1), match.group(2)))


def _parse_pop(label: str) -> ChordSymbol:
    label = label.replace(" ", "")
    bass_note = None
    if "/" in label and not label.endswith("/maj7"):
        head, _, tail = label.rpartition("/")
        if _ROOT_RE.match(tail) and not _ROOT_RE.match(tail).group(3):
            label, bass_note = head, tail
    match = _ROOT_RE.match(label)
    if not match or not match.group(1).isupper() and match.group(3):
        raise ValueError(f"not a chord name: {label!r}")
    letter, accidentals, suffix = match.group(1), match.group(2), match.group(3)
    # a lone 's' after the root is 'sus', not a sharp
    if accidentals.endswith("s") and suffix.startswith("us"):
        accidentals, suffix = accidentals[:-1], "s" + suffix
    quality = _POP_SUFFIXES.get(suffix) or _POP_SUFFIXES.get(suffix.replace("(", "").replace(")", ""))
    if quality is None:
        quality = _POP_SUFFIXES.get(suffix.lower()) if suffix.lower() in {"min", "maj", "dim", "aug", "sus"} else None
    if quality is None:
        raise ValueError(f"unknown chord quality {suffix!r} in {label!r}")
    root = _root_pc(letter, accidentals)
    bass = "1"
    if bass_note is not None:
        bass = _SEMITONE_DEGREE[(note_to_pitch_class(bass_note) - root) % 12]
    return ChordSymbol(root, quality, bass, _root_spelling(letter, accidentals))


def _is_harte_list(quality: str) -> bool:
    return bool(re.fullmatch(r"\((\*?[b#]*\d{1,2},?)*\)", quality.replace(" ", "")))


def _split_interval_list(quality: str) -> list[str]:
    return [d for d in quality.strip("()").replace(" ", "").split(",") if d and not d.startswith("*")]


def _degree_to_semitones(degree: str) -> int:
    flats = degree.count("b")
    sharps = degree.count("#")
    base = degree.lstrip("b#")
    return _DEGREE_SEMITONES.get(base, 0) - flats + sharps


def _interval_list_suffix(quality: str) -> str:
    for suffix, harte in _POP_SUFFIXES.items():
        if harte == quality and suffix:
            return suffix
    return quality
