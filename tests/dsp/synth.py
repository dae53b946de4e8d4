"""Synthetic music with known answers, made with numpy only, for the DSP analyzer tests.

Every generator returns the audio *and* the ground truth it was built from, so a test can state
exactly what the analyzer should find (beat times, chord labels, key, section boundary).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from moss_music.annotations.chords import parse_chord

SR = 22050
A4 = 440.0


def midi_to_hz(note: float) -> float:
    return A4 * 2.0 ** ((note - 69) / 12)


def tone(freq: float, duration: float, sr: int = SR, *, harmonics: int = 8, rolloff: float = 0.6,
         attack: float = 0.01, decay: float = 1.5, brightness: float = 1.0) -> np.ndarray:
    """A harmonic note with an exponential decay: a plucked/piano-like sound whose partials a chroma sees."""
    n = max(int(duration * sr), 1)
    t = np.arange(n) / sr
    out = np.zeros(n)
    for h in range(1, harmonics + 1):
        if freq * h >= sr / 2:
            break
        out += (rolloff ** (h - 1)) * brightness ** (h - 1) * np.sin(2 * np.pi * freq * h * t)
    env = np.minimum(t / attack, 1.0) * np.exp(-t / decay)
    release = np.minimum((duration - t) / 0.02, 1.0).clip(0, 1)
    return out * env * release


def click(sr: int = SR, *, freq: float = 1500.0, length: float = 0.03) -> np.ndarray:
    t = np.arange(int(length * sr)) / sr
    return np.sin(2 * np.pi * freq * t) * np.exp(-t / (length / 5))


def kick(sr: int = SR) -> np.ndarray:
    t = np.arange(int(0.25 * sr)) / sr
    sweep = 50 + 100 * np.exp(-t / 0.03)
    return np.sin(2 * np.pi * np.cumsum(sweep) / sr) * np.exp(-t / 0.08)


def snare(sr: int = SR, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(0.18 * sr)) / sr
    return (0.6 * rng.standard_normal(len(t)) + 0.4 * np.sin(2 * np.pi * 190 * t)) * np.exp(-t / 0.05)


def hat(sr: int = SR, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(0.05 * sr)) / sr
    noise = np.diff(rng.standard_normal(len(t) + 1))  # crude high-pass
    return noise * np.exp(-t / 0.012) * 0.3


def place(out: np.ndarray, sound: np.ndarray, at: float, sr: int = SR, gain: float = 1.0) -> None:
    start = int(round(at * sr))
    if start >= len(out):
        return
    end = min(start + len(sound), len(out))
    out[start:end] += gain * sound[: end - start]


def normalise(x: np.ndarray, peak: float = 0.9) -> np.ndarray:
    m = np.max(np.abs(x)) if len(x) else 0.0
    return (x * (peak / m) if m > 0 else x).astype(np.float32)


@dataclass
class Truth:
    """Ground truth of a synthetic piece."""

    beats: list[float] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    chords: list[tuple[float, float, str]] = field(default_factory=list)
    sections: list[tuple[float, float, str]] = field(default_factory=list)
    bpm: float = 0.0
    meter: int = 4
    key: str = ""

    @property
    def downbeats(self) -> list[float]:
        return [b for b, p in zip(self.beats, self.positions, strict=False) if p == 1]


def click_track(bpm: float, duration: float = 20.0, *, meter: int = 4, start: float = 0.5,
                sr: int = SR) -> tuple[np.ndarray, Truth]:
    """Clicks on every beat, a louder lower click on each downbeat."""
    out = np.zeros(int(duration * sr))
    truth = Truth(bpm=bpm, meter=meter)
    period = 60.0 / bpm
    t, i = start, 0
    while t < duration - 0.05:
        pos = i % meter + 1
        place(out, click(sr, freq=900.0 if pos == 1 else 1600.0), t, sr, 1.0 if pos == 1 else 0.5)
        truth.beats.append(t)
        truth.positions.append(pos)
        t += period
        i += 1
    return normalise(out), truth


def chord_notes(label: str, octave_root: int = 60) -> tuple[list[int], int]:
    """(MIDI notes of a close voicing around middle C, MIDI bass note) for a Harte label."""
    sym = parse_chord(label)
    root = octave_root + (sym.root - octave_root % 12) % 12
    if root > 66:
        root -= 12
    notes = [root + i for i in sym.intervals()]
    bass_pc = sym.bass_pitch_class()
    bass = 36 + (bass_pc - 36 % 12) % 12
    return notes, bass


def song(progression: list[tuple[str, int]], bpm: float = 100.0, *, meter: int = 4, lead_in: float = 0.5,
         drums: bool = True, bass: bool = True, sections: list[tuple[str, int, float]] | None = None,
         sr: int = SR, melody_seed: int | None = None) -> tuple[np.ndarray, Truth]:
    """A band playing ``progression`` [(Harte label, beats)], optionally repeated through ``sections``.

    ``sections`` is [(label, bars, energy 0..1)]: each section replays the progression from its start with
    its own loudness and brightness, so a section change is a change in timbre and energy.
    """
    period = 60.0 / bpm
    if sections is None:
        total = sum(b for _, b in progression)
        sections = [("A", int(np.ceil(total / meter)), 0.7)]
    n_beats = sum(bars * meter for _, bars, _ in sections)
    duration = lead_in + n_beats * period + 1.0
    out = np.zeros(int(duration * sr))
    truth = Truth(bpm=bpm, meter=meter)
    rng = np.random.default_rng(melody_seed)
    beat_index = 0
    for sec_label, bars, energy in sections:
        sec_start = lead_in + beat_index * period
        sec_beats = bars * meter
        bright = 0.5 + 0.5 * energy
        gain = 0.25 + 0.75 * energy
        b = 0
        prog_i = 0
        while b < sec_beats:
            label, length = progression[prog_i % len(progression)]
            length = min(length, sec_beats - b)
            t0 = lead_in + (beat_index + b) * period
            t1 = lead_in + (beat_index + b + length) * period
            notes, bass_note = chord_notes(label)
            for k in range(length):  # comp on every beat so the chord is sustained
                bt = t0 + k * period
                for n in notes:
                    place(out, tone(midi_to_hz(n), period * 0.95, sr, brightness=bright, decay=0.8), bt, sr, 0.3 * gain)
                if bass:
                    place(out, tone(midi_to_hz(bass_note), period * 0.95, sr, harmonics=4, decay=1.0), bt, sr, 0.5 * gain)
                if melody_seed is not None:
                    mel = notes[rng.integers(len(notes))] + 12
                    place(out, tone(midi_to_hz(mel), period * 0.9, sr, harmonics=3, rolloff=0.3), bt, sr, 0.2 * gain)
            if truth.chords and truth.chords[-1][2] == label and abs(truth.chords[-1][1] - t0) < 1e-9:
                truth.chords[-1] = (truth.chords[-1][0], t1, label)
            else:
                truth.chords.append((t0, t1, label))
            b += length
            prog_i += 1
        for k in range(sec_beats):
            bt = lead_in + (beat_index + k) * period
            pos = k % meter + 1
            truth.beats.append(bt)
            truth.positions.append(pos)
            if drums:
                if pos == 1 or (meter == 4 and pos == 3):
                    place(out, kick(sr), bt, sr, 0.9 * gain)
                if meter == 4 and pos in (2, 4) or meter == 3 and pos in (2, 3):
                    place(out, snare(sr, seed=k), bt, sr, 0.35 * gain * bright)
                place(out, hat(sr, seed=k), bt, sr, gain * bright)
                place(out, hat(sr, seed=k + 7), bt + period / 2, sr, 0.6 * gain * bright)
        truth.sections.append((sec_start, sec_start + sec_beats * period, sec_label))
        beat_index += sec_beats
    return normalise(out), truth


def arpeggio_ballad(bpm: float, *, bars: int = 16, seed: int = 0) -> np.ndarray:
    """Solo piano ballad: a held bass note per bar, 8th-note arpeggios of the chord, a melody on the beats.

    No drums and one chord a bar: every periodicity cue taps the 8th notes, twice the tempo people count."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    progression = ["C", "A:min", "F", "G"]
    out = np.zeros(int((bars * 4 * beat + 2.0) * SR))
    for bar in range(bars):
        notes, bass = chord_notes(progression[bar % 4])
        start = 0.5 + bar * 4 * beat
        place(out, tone(midi_to_hz(bass), 4 * beat, decay=3.0), start, gain=0.5)
        pattern = [bass + 7, *notes, notes[-1] + 12, *notes[::-1][:2]]
        for k in range(1, 8):
            place(out, tone(midi_to_hz(pattern[k % len(pattern)]), 1.2 * beat, decay=1.0), start + k * beat / 2,
                  gain=0.25 * (1 + 0.1 * rng.standard_normal()))
        for b in range(4):
            note = notes[int(rng.integers(len(notes)))] + 12
            place(out, tone(midi_to_hz(note), 0.9 * beat, decay=1.2), start + b * beat, gain=0.35)
    return normalise(out)
