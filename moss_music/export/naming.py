"""Musical facts every exporter spells the same way: section names, chord and key names, bars.

A DAW marker, a cue sheet track, a ChordPro directive and a lead sheet heading
for one section must agree ('Chorus 2' everywhere), so they all come from here.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter

from moss_music.annotations import Chord, Key, Section, TrackAnnotations, display_name
from moss_music.annotations.chords import NO_CHORD, note_to_pitch_class, pitch_class_name
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


def chord_name(label: str, options: ExportOptions) -> str:
    """Pop name for a Harte label with the batch's transposition and spelling."""
    return display_name(label, options.transpose, options.prefer_flats)


def is_no_chord(chord: Chord) -> bool:
    return chord.label.strip() in ("", NO_CHORD, "X")


def key_tonic(key: Key, transpose: int = 0, prefer_flats: bool | None = None) -> str:
    """The tonic, transposed; the source's spelling survives when nothing asks to change it."""
    if transpose % 12 == 0 and prefer_flats is None:
        return key.tonic
    try:
        pc = note_to_pitch_class(key.tonic)
    except ValueError:
        return key.tonic
    flats = prefer_flats if prefer_flats is not None else "b" in key.tonic
    return pitch_class_name(pc + transpose, flats)


def key_name(key: Key, options: ExportOptions) -> str:
    """'Db minor', 'A major' (modes other than major/minor kept as written)."""
    return f"{key_tonic(key, options.transpose, options.prefer_flats)} {key.mode}"


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


def bars(annotations: TrackAnnotations, duration: float | None = None) -> list[tuple[float, float]]:
    """(start, end) of every bar: between detected downbeats, else counted from the tempo.

    Empty when the track has neither beats nor tempo: sheets then fall back to one
    cell per chord.
    """
    end = track_end(annotations, duration)
    downbeats = annotations.downbeats
    numerator, _ = meter(annotations)
    if len(downbeats) < 2 and len(annotations.beats) >= numerator * 2:
        downbeats = [b.time for b in annotations.beats[::numerator]]
    if len(downbeats) >= 2:
        result = list(zip(downbeats, downbeats[1:]))
        length = statistics.median(b - a for a, b in result)
        if downbeats[0] > length * 0.25:  # a pickup or lead-in before the first downbeat: a short bar of its own
            result.insert(0, (0.0, downbeats[0]))
        last = downbeats[-1]
        while last < end - length * 0.25:
            result.append((last, min(last + length, end)))
            last += length
        return result
    bpm = tempo_bpm(annotations)
    if not bpm or end <= 0:
        return []
    length = 60.0 / bpm * numerator
    count = max(1, int(end / length + 0.75))
    return [(i * length, min((i + 1) * length, end)) for i in range(count)]


def chords_between(chords: list[Chord], start: float, end: float) -> list[Chord]:
    """Chords sounding in [start, end): the one held over from before, then the changes."""
    return [c for c in chords if c.end > start + 1e-6 and c.start < end - 1e-6]
