"""The tempo octave a musician would count: periodicity, accents and harmonic rhythm together.

An onset envelope repeats at the beat, at its double (8th-note arpeggios, strums, hi-hats) and at its half
(a backbeat at 170 BPM); autocorrelation alone cannot choose. Two cues that do not depend on the
instrumentation settle it: the *tempo prior* (people count most songs between ~70 and ~140 BPM) and the
*harmonic rhythm*: chords change every two to four counted beats in almost all popular music, so a level
at which chords last eight beats is probably twice too fast, one at which they last a beat twice too slow.
Accent patterns (weak off-beats, a strong backbeat half-way between beats) add their vote.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moss_music.analysis.dsp import chords as chord_mod
from moss_music.analysis.dsp.viterbi import viterbi_sticky

PRIOR_BPM = 100.0
PRIOR_WIDTH = 1.0
"""Octaves: a tempo one octave from PRIOR_BPM loses 1.0 in score."""
CHORD_BEATS = 3.0
"""Typical chord length in counted beats (POP909 and most pop: 2 or 4)."""
HARMONY_WEIGHT = 0.0
ACCENT_WEIGHT = 0.6
MIN_BPM, MAX_BPM = 50.0, 200.0
MIN_CHORDS = 6
"""Fewer chord changes than this and the harmonic rhythm says nothing."""
STAY = 0.75
"""Per-beat chance a chord continues in the decoding used here: neutral about chord length."""


@dataclass(frozen=True)
class OctaveChoice:
    factor: float
    """Multiply the tracked tempo by this (0.5, 1 or 2)."""
    confidence: float
    runner_up: float
    """Factor of the next best level."""
    runner_up_confidence: float


def chord_length(treble: np.ndarray, bass: np.ndarray, tonal: np.ndarray) -> float | None:
    """Median chord length in beats (weighted by length) from a neutral chord decoding; None without harmony."""
    use = tonal >= 0.5
    if use.sum() < 16:
        return None
    emit = chord_mod.emissions(treble[use], bass[use], np.ones(int(use.sum())))
    n = len(emit)
    entry = chord_mod.LOG_PRIOR - np.log(np.exp(chord_mod.LOG_PRIOR).sum())
    path = viterbi_sticky(emit, np.full(n, np.log(STAY)), np.full(n, np.log(1 - STAY)), entry)
    changes = np.nonzero(np.diff(path))[0]
    if len(changes) < MIN_CHORDS:
        return None
    runs = np.diff(np.concatenate([[0], changes + 1, [n]])).astype(float)
    order = np.sort(runs)
    cum = np.cumsum(order)
    return float(order[np.searchsorted(cum, cum[-1] / 2)])


def choose(bpm: float, accent_factor: float, mid_ratio: float, chord_beats: float | None) -> OctaveChoice:
    """Score the tracked level, its half and its double; ``accent_factor`` is what accents alone said
    (0.5, 1 or 2 relative to ``bpm``), ``mid_ratio`` the strength half-way between beats relative to on them."""
    scores: dict[float, float] = {}
    for factor in (0.5, 1.0, 2.0):
        level = bpm * factor
        if not MIN_BPM <= level <= MAX_BPM:
            continue
        s = -(np.log2(level / PRIOR_BPM) / PRIOR_WIDTH) ** 2
        if chord_beats is not None:
            s -= HARMONY_WEIGHT * np.log2(chord_beats * factor / CHORD_BEATS) ** 2
        if factor == accent_factor:
            s += ACCENT_WEIGHT
        if factor == 2.0:
            s += ACCENT_WEIGHT * float(np.clip((mid_ratio - 0.5) / 0.4, -1, 1))
        scores[factor] = float(s)
    if not scores:
        return OctaveChoice(1.0, 0.0, 1.0, 0.0)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    values = np.array([v for _, v in ranked])
    probs = np.exp(2.0 * (values - values[0]))
    probs /= probs.sum()
    best = ranked[0][0]
    second = ranked[1][0] if len(ranked) > 1 else best
    return OctaveChoice(best, float(probs[0]), second, float(probs[1]) if len(probs) > 1 else 0.0)
