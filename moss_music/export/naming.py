"""Musical facts every exporter spells the same way: section names, chord and key names, bars.

A DAW marker, a cue sheet track, a ChordPro directive and a lead sheet heading
for one section must agree ('Chorus 2' everywhere), so they all come from here.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter

from moss_music.annotations import Chord, Key, Section, TrackAnnotations
from moss_music.annotations.chords import NO_CHORD
from moss_music.annotations.keys import key_from_annotation
from moss_music.annotations.spelling import spell_chord, spell_key
from moss_music.export.base import ExportOptions

_LETTER_LABEL = re.compile(r"^[A-Za-z]?['’]*\d*['’]*$")


def section_names(sections: list[Section]) -> list[str]:
    """Readable names: the analyzer's own name when it gave one, else 'Verse 1', 'Chorus 2', 'Intro'.

    Repetition letters ('A', 'B2') carry no meaning for a musician; the function
    does, numbered when it occurs more than once.
    """
    titles = [_function_title(s) for s in sections]
    totals = Counter(titles)
    seen: Counter[str] = Counter()
    names = []
    for section, title in zip(sections, titles):
        seen[title] += 1
        if not _is_letter_label(section.label):
            names.append(section.label.strip())
        else:
            names.append(f"{title} {seen[title]}" if totals[title] > 1 else title)
    return names


def _is_letter_label(label: str) -> bool:
    return bool(_LETTER_LABEL.match(label.strip()))


def _function_title(section: Section) -> str:
    if section.function in ("", "other"):
        return f"Section {section.label.strip()}" if section.label.strip() else "Section"
    return "-".join(part.capitalize() for part in section.function.split("-"))


def chord_name(label: str, options: ExportOptions, key: Key | None) -> str:
    """Pop name for a Harte label, spelled for the song's key after the batch's transposition.

    The one spelling rule (``spell_chord``) the track view uses too; the user's
    sharps/flats choice wins over the key signature.
    """
    return spell_chord(label, key, options.transpose, options.prefer_flats)


def is_no_chord(chord: Chord) -> bool:
    return chord.label.strip() in ("", NO_CHORD, "X")


def key_name(key: Key, options: ExportOptions) -> str:
    """'Bb major', 'C# minor' after transposition; modes other than major/minor kept as written."""
    return spell_key(key, options.transpose) or f"{key.tonic} {key.mode}".strip()


def key_short(key: Key, options: ExportOptions) -> str:
    """'Bb', 'C#m' (ChordPro's {key:}); '' for a mode a chord chart cannot state."""
    musical = key_from_annotation(key)
    return musical.transposed(options.transpose).short() if musical else ""


def tempo_bpm(annotations: TrackAnnotations) -> float | None:
    if annotations.tempo and annotations.tempo.bpm > 0:
        return float(annotations.tempo.bpm)
    times = [b.time for b in annotations.beats]
    gaps = [b - a for a, b in zip(times, times[1:]) if b > a]
    return 60.0 / statistics.median(gaps) if gaps else None


def meter(annotations: TrackAnnotations) -> tuple[int, int]:
    """(beats per bar, beat unit): the stated time signature, else the beat grid's longest bar, else 4/4."""
    if annotations.time_signature and annotations.time_signature.numerator > 0:
        return annotations.time_signature.numerator, annotations.time_signature.denominator or 4
    if annotations.beats:
        return max(1, max(b.position for b in annotations.beats)), 4
    return 4, 4


def track_end(annotations: TrackAnnotations, duration: float | None = None) -> float:
    """The song's length: the known duration, else the last thing annotated."""
    if duration:
        return float(duration)
    if annotations.duration:
        return float(annotations.duration)
    ends = [b.time for b in annotations.beats] + [c.end for c in annotations.chords]
    ends += [s.end for s in annotations.sections] + [line.end for line in annotations.lyrics]
    return float(max(ends, default=0.0))


def chords_between(chords: list[Chord], start: float, end: float) -> list[Chord]:
    """Chords sounding in [start, end): the one held over from before, then the changes."""
    return [c for c in chords if c.end > start + 1e-6 and c.start < end - 1e-6]
