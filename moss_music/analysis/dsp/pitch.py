"""From the 1/3-semitone spectrum to tuned, beat-synchronous semitone spectra and chroma.

Tuning is the circular mean of where energy falls among the three sub-bins of each semitone (as in
Chordino), so slightly sharp or flat recordings still land on the right pitch classes. Spectra are
averaged per beat *before* any further work, which makes everything downstream cost per beat, not per
frame. The octave-wide background (noise, drum wash) is subtracted so chroma sees peaks, not level.
"""

from __future__ import annotations

import numpy as np

from moss_music.analysis.dsp.features import BINS_PER_SEMITONE, MIDI_HI, MIDI_LO, PITCH_RATE, Features
from moss_music.analysis.dsp.smoothing import moving_average

WINDOW_MARGIN = 0.09
"""Half the effective width of the 372 ms pitch window: frames this close to a beat hear the next beat."""
TONAL_MIN = 0.1
"""Spans with less tonalness than this are treated as unpitched (noise, drums alone, silence)."""
TREBLE = (48, 90)
"""MIDI range that feeds the chord chroma (C3..F#6)."""
BASS = (28, 55)
"""MIDI range for the bass chroma (E1..G3)."""
ROWS_PER_CHUNK = 2048
COMPRESSION = 400.0
TREBLE_CENTRE: float | None = 60.0
TREBLE_WIDTH = 10.0
TREBLE_WIDTH_ABOVE = 24.0
"""Chord chroma weights notes by a Gaussian around middle C (steeper below, TREBLE_WIDTH semitones, than
above, TREBLE_WIDTH_ABOVE): accompaniment lives there, while the bass line's overtones (below) and the
lead melody (above) carry most of the notes that are not chord tones. Wide enough above to keep a
seventh voiced over the triad."""
BASS_NOTE_RANGE = (28, 52)
"""Where the bass note's fundamental is looked for (E1..E3): the strongest peak there is taken as the bass note."""
THIRD_PARTIAL_INTERVAL = 28
"""Semitones from a fundamental to its fifth partial: two octaves and a major third."""
THIRD_PARTIAL_SHARE = 0.2
"""How much of the bass note's level is taken off the spectrum at its fifth partial. A bass note's partials
2-5 sound its octave, fifth and *major third* in the chord range, so every walking-bass note (and every
root under a minor chord) looks like a major triad of its own. The octave and the fifth are left: they
repeat the bass note, which the chord model weighs anyway, and taking them off lost more than it gained.
Dev-set tune half, with the walking-bass decoder: majmin 0.909 without -> 0.916 (piano 0.898 -> 0.907,
synth pop 0.946 -> 0.961, waltz 0.922 -> 0.931, shuffle 0.860 -> 0.873, guitar 0.949 -> 0.946), key 0.951 ->
0.956; 0.1-0.5 within 0.001 on the mean, 1.0 costs key 0.014. A share, not a per-song estimate: the low
quantiles of partial/fundamental ratios gained less (0.903-0.905 against 0.911, before chords.APPROACH_CHANGE)."""


def estimate_tuning(logspec: np.ndarray) -> float:
    """Offset from A440 equal temperament in semitones, in [-0.5, 0.5)."""
    if len(logspec) == 0:
        return 0.0
    total = logspec.sum(axis=0, dtype=np.float64)
    k = np.arange(len(total))
    phase = np.sum(total * np.exp(2j * np.pi * (k - 1) / BINS_PER_SEMITONE))
    if abs(phase) < 1e-9:
        return 0.0
    return float(np.angle(phase) / (2 * np.pi))


def semitone_spectrum(logspec: np.ndarray, tuning: float) -> np.ndarray:
    """(frames, semitones) magnitudes at the tuned semitone centres MIDI_LO..MIDI_HI-1."""
    n_semi = MIDI_HI - MIDI_LO
    pos = 1 + BINS_PER_SEMITONE * (np.arange(n_semi) + tuning)
    lo = np.clip(np.floor(pos).astype(int), 0, logspec.shape[1] - 1)
    hi = np.clip(lo + 1, 0, logspec.shape[1] - 1)
    frac = (pos - np.floor(pos))[None, :]
    logspec = logspec.astype(np.float32, copy=False)
    centre = logspec[:, lo] * (1 - frac) + logspec[:, hi] * frac
    side_lo = logspec[:, np.clip(lo - 1, 0, None)]
    side_hi = logspec[:, np.clip(hi + 1, None, logspec.shape[1] - 1)]
    return centre + 0.25 * (side_lo + side_hi)


def sync(values: np.ndarray, boundaries: np.ndarray, rate: float = PITCH_RATE, margin: float = 0.0) -> np.ndarray:
    """Mean of ``values`` rows between consecutive boundary times (seconds); empty spans take the nearest row.

    ``margin`` seconds are left out at both ends of each span (at most a quarter of it): a long analysis
    window centred just before a boundary already hears what comes after it.
    """
    n = len(values)
    if n == 0 or len(boundaries) < 2:
        return np.zeros((max(len(boundaries) - 1, 0),) + values.shape[1:], dtype=np.float32)
    b = np.asarray(boundaries, dtype=float)
    trim = np.minimum(margin, 0.25 * np.diff(b))
    starts = np.clip(np.round((b[:-1] + trim) * rate).astype(int), 0, n)
    ends = np.clip(np.round((b[1:] - trim) * rate).astype(int), 0, n)
    ends = np.minimum(np.maximum(ends, starts + 1), n)
    starts = np.minimum(starts, ends - 1)
    # a loop over spans rather than a cumulative sum: a cumsum of a two-hour spectrogram is 0.5 GB
    out = np.empty((len(starts),) + values.shape[1:], dtype=np.float32)
    for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
        out[k] = values[a:b].mean(axis=0)
    return out


def whiten(spectrum: np.ndarray) -> np.ndarray:
    """Remove the octave-wide background so only spectral peaks (notes) remain."""
    background = moving_average(spectrum, 13, axis=1)
    return np.maximum(spectrum - background, 0.0)


def fold(spectrum: np.ndarray, lo: int, hi: int, centre: float | None = None, width: float = 8.0,
         width_above: float | None = None) -> np.ndarray:
    """Fold MIDI range [lo, hi) of a semitone spectrum onto 12 pitch classes (optionally Gaussian-weighted)."""
    midi = np.arange(MIDI_LO, MIDI_HI)
    weight = ((midi >= lo) & (midi < hi)).astype(float)
    if centre is not None:
        widths = np.where(midi > centre, width_above or width, width)
        weight *= np.exp(-0.5 * ((midi - centre) / widths) ** 2)
    chroma = np.zeros((len(spectrum), 12))
    for pc in range(12):
        cols = (midi % 12) == pc
        chroma[:, pc] = spectrum[:, cols] @ weight[cols]
    return chroma


def beat_spectra(features: Features, boundaries: np.ndarray, tuning: float) -> tuple[np.ndarray, np.ndarray]:
    """(whitened semitone spectra averaged between consecutive boundary times, tonalness per span).

    Tonalness is the share of spectral magnitude standing out as peaks: about 0.06 for noise, 0.2-0.5
    for music with pitched instruments. It tells 'no chord' from 'a chord we cannot name'.
    """
    spans = sync(features.logspec, boundaries, margin=WINDOW_MARGIN)
    if len(spans) == 0:
        return np.zeros((0, MIDI_HI - MIDI_LO)), np.zeros(0)
    peaks = np.empty((len(spans), MIDI_HI - MIDI_LO), dtype=np.float32)
    tonalness = np.empty(len(spans), dtype=np.float32)
    for a in range(0, len(spans), ROWS_PER_CHUNK):  # rows are independent: bounded temporaries for hours of beats
        raw = semitone_spectrum(spans[a: a + ROWS_PER_CHUNK], tuning)
        part = whiten(raw)
        peaks[a: a + len(part)] = part
        tonalness[a: a + len(part)] = part.sum(axis=1) / (raw.sum(axis=1) + 1e-12)
    return peaks, tonalness


def treble_chroma(spectra: np.ndarray) -> np.ndarray:
    """Chroma of the chord range, log-compressed per span so one loud voice (a lead melody's passing
    note) cannot outweigh the chord tones held under it."""
    scale = spectra.max(axis=1, keepdims=True) + 1e-9 if len(spectra) else 1.0
    return fold(np.log1p(COMPRESSION * spectra / scale), *TREBLE, centre=TREBLE_CENTRE, width=TREBLE_WIDTH,
                width_above=TREBLE_WIDTH_ABOVE)


def without_bass_third(spectra: np.ndarray) -> np.ndarray:
    """Beat spectra with THIRD_PARTIAL_SHARE of each beat's bass note taken off at its fifth partial.

    The whitened spectrum of a bass note shows a peak 28 semitones up (a major third over the chord range)
    that no player meant; see THIRD_PARTIAL_SHARE."""
    if len(spectra) == 0:
        return spectra
    lo, hi = BASS_NOTE_RANGE[0] - MIDI_LO, BASS_NOTE_RANGE[1] - MIDI_LO
    note = lo + np.argmax(spectra[:, lo:hi], axis=1)
    rows = np.arange(len(spectra))
    partial = note + THIRD_PARTIAL_INTERVAL
    keep = partial < spectra.shape[1]
    out = spectra.copy()
    rows, note, partial = rows[keep], note[keep], partial[keep]
    out[rows, partial] = np.maximum(out[rows, partial] - THIRD_PARTIAL_SHARE * spectra[rows, note], 0.0)
    return out


def chord_chroma(spectra: np.ndarray) -> np.ndarray:
    """Treble chroma for the chord templates and the key: as ``treble_chroma``, without the bass note's
    major-third partial (beat tracking, bars and sections keep the plain treble chroma)."""
    return treble_chroma(without_bass_third(spectra))


def bass_chroma(spectra: np.ndarray) -> np.ndarray:
    return fold(spectra, *BASS, centre=40.0, width=7.0)
