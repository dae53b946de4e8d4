"""Six arrangements of a POP909 song (notes in beats), for the development set of the DSP analyzer.

Each arrangement is a different musical surface over the same chords and melody: a solo piano ballad
with 8th/16th arpeggios (the double-tempo trap), guitar strumming under a voice-like lead, a full band
with drums and a busy bass (the chord-estimation trap), four-on-the-floor synth pop, a 3/4 waltz
(oom-pah-pah) and a swung shuffle. Instruments, levels, reverb and detuning are drawn per song, so no
two renders of one arrangement sound alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from benchmarks.devset_pop909 import SourceChord

DRUM = 9
KICK, SNARE, SIDESTICK, CLAP, CLOSED_HAT, PEDAL_HAT, OPEN_HAT, CRASH, RIDE, TAMBOURINE, SHAKER = (
    36, 38, 37, 39, 42, 44, 46, 49, 51, 54, 70)


@dataclass
class Note:
    start: float
    """Beats (in the output metre) from bar 1."""
    dur: float
    pitch: int
    vel: int
    channel: int


@dataclass
class Part:
    channel: int
    program: int
    volume: int = 100
    reverb: int = 40
    chorus: int = 0
    detune_cents: float = 0.0


@dataclass
class Arranged:
    notes: list[Note]
    parts: list[Part]
    swing: float = 0.5
    """Where the off-beat 8th falls within the beat (0.5 straight, ~0.66 swung)."""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Arrangement:
    name: str
    meter: int
    bpm_range: tuple[float, float]
    build: Callable[[list[SourceChord], list[tuple[float, float, int]], list[float], int, np.random.Generator], Arranged]


def voicing(tones: tuple[int, ...], centre: int, lo: int, hi: int) -> list[int]:
    """Each chord tone in the octave nearest ``centre``, kept inside [lo, hi]."""
    out = []
    for pc in tones:
        p = centre + ((pc - centre) % 12)
        if p - centre > 6:
            p -= 12
        while p < lo:
            p += 12
        while p > hi:
            p -= 12
        out.append(p)
    return sorted(set(out))


def bass_note(pc: int, lo: int = 36) -> int:
    return lo + ((pc - lo) % 12)


def _vel(rng: np.random.Generator, base: int, spread: int = 8) -> int:
    return int(np.clip(base + rng.integers(-spread, spread + 1), 1, 127))


def _lead(melody, channel: int, rng, base: int, shift: int = 0) -> list[Note]:
    return [Note(s, max(d * 0.95, 0.1), p + shift, _vel(rng, base), channel) for s, d, p in melody]


def _chord_at(chords: list[SourceChord], beat: float) -> SourceChord | None:
    for c in chords:
        if c.start <= beat < c.end:
            return c
    return None


def _beats(chords: list[SourceChord]) -> range:
    return range(int(chords[-1].end)) if chords else range(0)


def piano_ballad(chords, melody, section_beats, meter, rng) -> Arranged:
    notes = _lead(melody, 0, rng, 88, shift=12 if rng.random() < 0.3 else 0)
    sixteenths = rng.random() < 0.4
    step = 0.25 if sixteenths else 0.5
    for c in chords:
        if c.root < 0:
            continue
        bass = bass_note(c.bass)
        notes.append(Note(c.start, c.end - c.start, bass, _vel(rng, 70), 1))
        if rng.random() < 0.5:
            notes.append(Note(c.start, c.end - c.start, bass + 12, _vel(rng, 55), 1))
        up = voicing(c.tones, 60, 50, 74)
        pattern = ([bass + 7] if (c.bass + 7) % 12 in c.tones else []) + up + up[-2:0:-1]
        t, k = c.start, 0
        while t < c.end - 1e-6:
            if t != c.start:
                notes.append(Note(t, step * 2.5, pattern[k % len(pattern)], _vel(rng, 50, 10), 1))
            t += step
            k += 1
    parts = [Part(0, 0, 110, int(rng.integers(40, 100))), Part(1, 0, int(rng.integers(85, 110)), int(rng.integers(40, 100)))]
    return Arranged(notes, parts, extra={"pedal": True})


def guitar_strum(chords, melody, section_beats, meter, rng) -> Arranged:
    voice = int(rng.choice([52, 53, 54, 85]))  # choir aahs, voice oohs, synth voice, voice lead
    notes = _lead(melody, 0, rng, 95)
    guitar = int(rng.choice([24, 25, 26]))
    patterns = [[(0, 1, 90), (1, 1, 70), (1.5, -1, 60), (2.5, -1, 70), (3, 1, 85), (3.5, -1, 60)],
                          [(0, 1, 95), (0.5, -1, 55), (1, 1, 75), (1.5, -1, 55), (2, 1, 90), (2.5, -1, 55),
                           (3, 1, 75), (3.5, -1, 55)],
                          [(0, 1, 95), (1, 1, 80), (2, 1, 90), (2.5, -1, 65), (3, -1, 70), (3.5, 1, 75)]]
    pattern = patterns[int(rng.integers(len(patterns)))]
    for bar in range(int(chords[-1].end // 4) + 1):
        for off, direction, vel in pattern:
            t = bar * 4 + off
            c = _chord_at(chords, t)
            if c is None or c.root < 0:
                continue
            pitches = [bass_note(c.bass, 40)] + voicing(c.tones, 60, 52, 71)
            if direction < 0:
                pitches = pitches[::-1][:4]
            for i, p in enumerate(pitches):
                notes.append(Note(t + i * 0.02, 0.9, p, _vel(rng, vel - 3 * i, 6), 1))
    parts = [Part(0, voice, int(rng.integers(95, 120)), int(rng.integers(30, 90)), int(rng.integers(0, 60))),
             Part(1, guitar, int(rng.integers(80, 110)), int(rng.integers(20, 80)))]
    if rng.random() < 0.6:
        for c in chords:
            if c.root >= 0:
                for off in (0.0, 2.0):
                    if c.start + off < c.end:
                        notes.append(Note(c.start + off, 1.6, bass_note(c.bass if off == 0 else c.root, 36), _vel(rng, 75), 2))
        parts.append(Part(2, 32, int(rng.integers(70, 100)), 20))
    if rng.random() < 0.5:
        for b in _beats(chords):
            for off in (0, 0.5):
                notes.append(Note(b + off, 0.1, SHAKER if rng.random() < 0.9 else TAMBOURINE, _vel(rng, 55 if off else 70), DRUM))
        parts.append(Part(DRUM, 0, int(rng.integers(50, 80)), 20))
    return Arranged(notes, parts)


def full_band(chords, melody, section_beats, meter, rng) -> Arranged:
    lead = int(rng.choice([65, 66, 56, 81, 73, 11]))
    notes = _lead(melody, 0, rng, 95)
    comp = int(rng.choice([4, 5, 17, 29, 0]))
    for c in chords:
        if c.root < 0:
            continue
        chord_notes = voicing(c.tones, 62, 53, 74)
        t = c.start
        while t < c.end - 1e-6:
            for p in chord_notes:
                notes.append(Note(t + (0.5 if comp == 29 else 0.0), 0.8 if comp != 17 else 1.9, p, _vel(rng, 70), 1))
            t += 2.0 if comp == 17 else 1.0
    # busy bass: 8ths on root/octave/fifth with a chromatic approach into the next chord
    for i, c in enumerate(chords):
        if c.root < 0:
            continue
        nxt = chords[i + 1] if i + 1 < len(chords) else None
        root = bass_note(c.bass, 33)
        figure = [root, root, root + 12, root + 7, root, root + 12, root + 7, root + 5]
        t, k = c.start, 0
        while t < c.end - 1e-6:
            p = figure[k % len(figure)]
            if nxt is not None and nxt.root >= 0 and t + 0.5 >= c.end - 1e-6 and k > 0:
                target = bass_note(nxt.bass, 33)
                p = target - 1 if rng.random() < 0.5 else target + 2
            notes.append(Note(t, 0.45, p, _vel(rng, 92 if k % 2 == 0 else 78), 2))
            t += 0.5
            k += 1
    beats = _beats(chords)
    hats16 = rng.random() < 0.35
    starts = {int(round(s)) for s in section_beats}
    for b in beats:
        pos = b % 4
        if pos in (0, 2) or (pos == 3 and rng.random() < 0.25):
            notes.append(Note(b + (0.5 if pos == 3 else 0.0), 0.2, KICK, _vel(rng, 105), DRUM))
        if pos in (1, 3):
            notes.append(Note(b, 0.2, SNARE, _vel(rng, 100), DRUM))
        for off in ((0, 0.25, 0.5, 0.75) if hats16 else (0, 0.5)):
            notes.append(Note(b + off, 0.1, CLOSED_HAT, _vel(rng, 75 if off == 0 else 55), DRUM))
        if b in starts:
            notes.append(Note(b, 1.0, CRASH, _vel(rng, 100), DRUM))
        if b + 1 in starts and b > 0:
            for off in (0.0, 0.25, 0.5, 0.75):
                notes.append(Note(b + off, 0.1, SNARE if off < 0.5 else 45, _vel(rng, 85), DRUM))
    parts = [Part(0, lead, int(rng.integers(90, 115)), int(rng.integers(20, 70))),
             Part(1, comp, int(rng.integers(70, 100)), int(rng.integers(20, 60)), int(rng.integers(0, 60))),
             Part(2, int(rng.choice([33, 34, 38])), int(rng.integers(90, 120)), 10),
             Part(DRUM, 0, int(rng.integers(95, 120)), int(rng.integers(10, 50)))]
    return Arranged(notes, parts)


def synth_pop(chords, melody, section_beats, meter, rng) -> Arranged:
    notes = _lead(melody, 0, rng, 92, shift=int(rng.choice([0, 12])))
    for c in chords:
        if c.root < 0:
            continue
        pad = voicing(c.tones, 64, 55, 77)
        for p in pad:
            notes.append(Note(c.start, c.end - c.start, p, _vel(rng, 70), 1))
        t = c.start
        while t < c.end - 1e-6:
            notes.append(Note(t + 0.5, 0.4, bass_note(c.bass, 36), _vel(rng, 100), 2))
            t += 1.0
        if rng.random() < 0.6:
            arp = voicing(c.tones, 72, 66, 86)
            t, k = c.start, 0
            while t < c.end - 1e-6:
                notes.append(Note(t, 0.2, arp[k % len(arp)], _vel(rng, 60), 3))
                t += 0.25
                k += 1
    for b in _beats(chords):
        notes.append(Note(b, 0.2, KICK, _vel(rng, 115, 4), DRUM))
        if b % 4 in (1, 3):
            notes.append(Note(b, 0.2, CLAP if rng.random() < 0.7 else SNARE, _vel(rng, 95), DRUM))
        notes.append(Note(b + 0.5, 0.2, OPEN_HAT, _vel(rng, 70), DRUM))
        for off in (0.25, 0.75):
            notes.append(Note(b + off, 0.1, CLOSED_HAT, _vel(rng, 50), DRUM))
    parts = [Part(0, int(rng.choice([80, 81, 87, 82])), int(rng.integers(85, 110)), int(rng.integers(20, 70))),
             Part(1, int(rng.choice([90, 89, 50, 95])), int(rng.integers(65, 95)), int(rng.integers(40, 90)), 60),
             Part(2, int(rng.choice([38, 39, 87])), int(rng.integers(90, 120)), 5),
             Part(3, int(rng.choice([84, 98, 6])), int(rng.integers(50, 80)), 50),
             Part(DRUM, 0, int(rng.integers(100, 125)), 10)]
    return Arranged(notes, parts)


def waltz(chords, melody, section_beats, meter, rng) -> Arranged:
    notes = _lead(melody, 0, rng, 92, shift=12 if rng.random() < 0.5 else 0)
    comp = int(rng.choice([21, 0, 45, 48, 6]))
    for b in _beats(chords):
        c = _chord_at(chords, b)
        if c is None or c.root < 0:
            continue
        pos = b % 3
        if pos == 0:
            root = bass_note(c.bass if (b - c.start) < 1 else (c.root + 7) % 12, 36)
            notes.append(Note(b, 0.9, root, _vel(rng, 95), 2))
        else:
            for p in voicing(c.tones, 62, 54, 72):
                notes.append(Note(b, 0.6, p, _vel(rng, 68), 1))
    parts = [Part(0, int(rng.choice([40, 73, 71, 68])), int(rng.integers(90, 115)), int(rng.integers(40, 100))),
             Part(1, comp, int(rng.integers(70, 100)), int(rng.integers(30, 90))),
             Part(2, int(rng.choice([58, 32, 43])), int(rng.integers(85, 115)), 30)]
    if rng.random() < 0.4:
        for b in _beats(chords):
            notes.append(Note(b, 0.1, KICK if b % 3 == 0 else CLOSED_HAT, _vel(rng, 70), DRUM))
        parts.append(Part(DRUM, 0, int(rng.integers(60, 90)), 30))
    return Arranged(notes, parts)


def shuffle(chords, melody, section_beats, meter, rng) -> Arranged:
    notes = _lead(melody, 0, rng, 95)
    for c in chords:
        if c.root < 0:
            continue
        t = c.start
        while t < c.end - 1e-6:
            for p in voicing(c.tones, 62, 54, 74):
                notes.append(Note(t + 0.5, 0.35, p, _vel(rng, 66), 1))  # comp on the swung off-beats
            t += 1.0
    # walking bass: root, third or fifth, then approach the next chord from a semitone
    for i, c in enumerate(chords):
        if c.root < 0:
            continue
        nxt = chords[i + 1] if i + 1 < len(chords) else c
        third = 3 if any((c.root + 3) % 12 == t for t in c.tones) else 4
        line = [bass_note(c.bass, 36), bass_note(c.root, 36) + third, bass_note(c.root, 36) + 7]
        t, k = c.start, 0
        while t < c.end - 1e-6:
            last = t + 1 >= c.end - 1e-6 and k > 0
            p = bass_note(max(nxt.bass, 0), 36) - 1 if last else line[k % len(line)]
            notes.append(Note(t, 0.9, p, _vel(rng, 90), 2))
            t += 1.0
            k += 1
    for b in _beats(chords):
        notes.append(Note(b, 0.3, RIDE, _vel(rng, 80), DRUM))
        notes.append(Note(b + 0.5, 0.2, RIDE, _vel(rng, 58), DRUM))
        if b % 4 in (1, 3):
            notes.append(Note(b, 0.2, SNARE if rng.random() < 0.6 else PEDAL_HAT, _vel(rng, 85), DRUM))
        else:
            notes.append(Note(b, 0.2, KICK, _vel(rng, 80), DRUM))
    parts = [Part(0, int(rng.choice([56, 66, 71, 65, 11])), int(rng.integers(90, 115)), int(rng.integers(30, 80))),
             Part(1, int(rng.choice([0, 4, 16, 26])), int(rng.integers(70, 100)), int(rng.integers(20, 70))),
             Part(2, int(rng.choice([32, 33])), int(rng.integers(90, 115)), 15),
             Part(DRUM, 0, int(rng.integers(80, 110)), int(rng.integers(20, 60)))]
    return Arranged(notes, parts, swing=float(rng.uniform(0.6, 0.68)))


ARRANGEMENTS = (
    Arrangement("piano_ballad", 4, (55.0, 78.0), piano_ballad),
    Arrangement("guitar_strum", 4, (72.0, 118.0), guitar_strum),
    Arrangement("full_band", 4, (95.0, 180.0), full_band),
    Arrangement("synth_pop", 4, (115.0, 132.0), synth_pop),
    Arrangement("waltz", 3, (88.0, 150.0), waltz),
    Arrangement("shuffle", 4, (78.0, 135.0), shuffle),
)
