"""The tempo octave a musician would count, with the runner-up level and both confidences.

An onset envelope repeats at the beat, at its double (8th-note arpeggios, strums, hi-hats) and at its half
(a backbeat at 170 BPM); autocorrelation alone cannot choose. The levels are scored by the *tempo prior*
(people count most songs between ~70 and ~140 BPM) and by accent patterns (weak off-beats say 'halve', a
strong backbeat half-way between beats says 'double'). Harmonic rhythm (chords last two to four counted
beats) was tried as a third cue and left out: on the development set the chord lengths measured at the
tracked level overlap between correctly counted songs and piano ballads counted twice too fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PRIOR_BPM = 100.0
PRIOR_WIDTH = 1.0
"""Octaves: a tempo one octave from PRIOR_BPM loses 1.0 in score."""
ACCENT_WEIGHT = 0.6
MIN_BPM, MAX_BPM = 50.0, 200.0


@dataclass(frozen=True)
class OctaveChoice:
    factor: float
    """Multiply the tracked tempo by this (0.5, 1 or 2)."""
    confidence: float
    runner_up: float
    """Factor of the next best level."""
    runner_up_confidence: float


def choose(bpm: float, accent_factor: float, mid_ratio: float) -> OctaveChoice:
    """Score the tracked level, its half and its double; ``accent_factor`` is what accents alone said
    (0.5, 1 or 2 relative to ``bpm``), ``mid_ratio`` the strength half-way between beats relative to on them."""
    scores: dict[float, float] = {}
    for factor in (0.5, 1.0, 2.0):
        level = bpm * factor
        if not MIN_BPM <= level <= MAX_BPM:
            continue
        s = -(np.log2(level / PRIOR_BPM) / PRIOR_WIDTH) ** 2
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
