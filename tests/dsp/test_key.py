"""Global key: how the opening chord settles a song between relative major and minor."""

from __future__ import annotations

import numpy as np
import pytest

from moss_music.analysis.dsp import key as key_mod
from tests.dsp.synth import song

# pitch classes of the triads used below
TRIADS = {"C": (0, "maj", {0, 4, 7}), "G": (7, "maj", {7, 11, 2}), "F": (5, "maj", {5, 9, 0}),
          "A:min": (9, "min", {9, 0, 4})}
C_MAJOR, A_MINOR = 0, 21


def _runs(labels: list[str], seconds: float = 2.4) -> list[tuple[int, str, float, frozenset[int]]]:
    return [(TRIADS[lab][0], TRIADS[lab][1], seconds, frozenset(TRIADS[lab][2])) for lab in labels]


def test_the_opening_tonic_chord_settles_only_between_a_key_and_its_relative():
    """The opening chord adds OPENING_WEIGHT to the leading key or its relative when it is that key's tonic
    triad; a song in E minor that opens on its VI (C) gives C major nothing (the demo 'Night Drive')."""
    E_MINOR, G_MAJOR = 16, 7
    scores = np.zeros(24)
    scores[A_MINOR], scores[C_MAJOR] = 0.50, 0.51
    flat_bass = np.ones(12)
    base = key_mod.settle_relative(scores, flat_bass)
    opened = key_mod.settle_relative(scores, flat_bass, (9, "min"))
    shift = opened - base
    assert shift[A_MINOR] == pytest.approx(key_mod.OPENING_WEIGHT)
    assert np.allclose(np.delete(shift, A_MINOR), 0.0)
    scores = np.zeros(24)
    scores[E_MINOR], scores[C_MAJOR] = 0.50, 0.49
    shift = key_mod.settle_relative(scores, flat_bass, (0, "maj")) - key_mod.settle_relative(scores, flat_bass)
    assert np.allclose(shift, 0.0)
    assert key_mod.relative(E_MINOR) == G_MAJOR


@pytest.mark.parametrize(("loop", "expected"), [(["A:min", "F", "C", "G"], ("A", "minor")),
                                                (["C", "G", "A:min", "F"], ("C", "major"))])
def test_a_four_chord_loop_takes_the_key_of_its_opening_chord(run, loop, expected):
    """i-VI-III-VII (Am F C G) is a common minor loop in pop and uses the chords of vi-IV-I-V in C major:
    equal time on Am and C, the bass as often on A as on C, no V-i, and the profiles lean to the major.
    Only the opening chord tells the two songs apart (both read C major before the opening cue)."""
    audio, _ = song([(lab, 4) for lab in loop] * 4, bpm=100.0, melody_seed=5)
    key = run(audio, ["key"]).key
    assert (key.tonic, key.mode) == expected
