"""The tempo octave a musician would count, with the runner-up level and both confidences.

An onset envelope repeats at the beat, at its double (8th-note arpeggios, strums, hi-hats) and at its half
(a backbeat at 170 BPM); autocorrelation alone cannot choose. The levels are scored by the *tempo prior*
(people count most songs between ~70 and ~140 BPM) and by accent patterns (weak off-beats say 'halve', a
strong backbeat half-way between beats says 'double'). Harmonic rhythm is a third cue, for fast tracked
levels only: when almost no chord lasts two tracked beats and the low band does not hit every beat alike,
the tracked beats are taken as subdivisions (ballads with 8th-note arpeggios). Chord length alone overlaps
between ballads counted twice too fast and songs with one chord a bar; the low-band checks (no even
four-on-the-floor, no drum/bass pattern on every beat) and the tempo floor keep band songs out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PRIOR_BPM = 100.0
PRIOR_WIDTH = 1.0
"""Octaves: a tempo one octave from PRIOR_BPM loses 1.0 in score."""
ACCENT_WEIGHT = 0.6
MIN_BPM, MAX_BPM = 50.0, 200.0
FAST_BPM, FAST_PENALTY = 180.0, 0.5
"""Counts above FAST_BPM lose this much more than the prior says: at that speed two beats are felt as one
(a held-out bossa at 100 BPM with strong off-beat comping was doubled to 199). The faster level stays a
runner-up."""
SUBDIVISION_MIN_BPM = 110.0
"""Tracked tempi from here up are checked for being subdivisions of a slower count (harmonic rhythm)."""
SUBDIVISION_SHORT_MAX = 0.4
"""At most this share of chords may last two tracked beats or less for the grid to look like subdivisions.
Halved ballads 0.00-0.17 on the tune half, one with melody-led chord flicker 0.30; band songs (with a kit,
see SUBDIVISION_CYMBAL_MAX) go as low as 0.04, so this check alone could not keep them out (it was 0.2
before the kit check; from 0.3 up to no limit at all only that ballad changes on the tune half)."""
SUBDIVISION_ALTERNATION_MAX = 0.9
"""...and the low band must not hit every tracked beat alike (a four-on-the-floor kick is the count)..."""
SUBDIVISION_VARIATION_MIN = 0.5
"""...nor follow a drum pattern or a busy bass line (low-band coefficient of variation across beats)."""
SUBDIVISION_TRIPLE_MAX = 0.5
"""...nor pulse in threes (low-band correlation three beats apart, ``beats.triple_pulse``): a fast 3/4 is
counted in its beats, never halved. Tune-half waltzes 0.95-0.98, halved ballads and strums -0.8-0.05."""
SUBDIVISION_CYMBAL_MAX = 0.17
"""...nor have a drum kit (``beats.cymbal_flux``): with a kit the drummer's pattern is the count, however
long the chords last. Halved ballads on the tune half 0.103-0.128 and the synthetic arpeggio ballad of
the tests 0.147; the one full band song halved without this (137 BPM read as 68) 0.187. A thin margin
on one song: a bright solo recording may pass it and keep its 8th-note count."""
SUBDIVISION_WEIGHT = 1.5
"""Outweighs the accents' vote for the tracked level (0.6) and the prior at 110 BPM (halving costs ~0.7)."""


@dataclass(frozen=True)
class OctaveChoice:
    factor: float
    """Multiply the tracked tempo by this (0.5, 1 or 2)."""
    confidence: float
    runner_up: float
    """Factor of the next best level."""
    runner_up_confidence: float


def choose(bpm: float, accent_factor: float, mid_ratio: float, subdivided: bool = False) -> OctaveChoice:
    """Score the tracked level, its half and its double; ``accent_factor`` is what accents alone said
    (0.5, 1 or 2 relative to ``bpm``), ``mid_ratio`` the strength half-way between beats relative to on them,
    ``subdivided`` whether the harmonic rhythm says the tracked beats are subdivisions (chords lasting four
    to sixteen of them, hardly ever two, and no low-band hit on every one: 8th-note arpeggios of a ballad)."""
    scores: dict[float, float] = {}
    for factor in (0.5, 1.0, 2.0):
        level = bpm * factor
        if not MIN_BPM <= level <= MAX_BPM:
            continue
        s = -(np.log2(level / PRIOR_BPM) / PRIOR_WIDTH) ** 2 - (FAST_PENALTY if level > FAST_BPM else 0.0)
        if factor == accent_factor:
            s += ACCENT_WEIGHT
        if factor == 0.5 and subdivided:
            s += SUBDIVISION_WEIGHT
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
