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


def test_the_opening_tonic_chord_is_evidence_for_its_key_only():
    """One chord loop heard from two starting points: every share is the same, so the opening chord
    alone moves the evidence, toward the key whose tonic triad opens the song and by OPENING_WEIGHT."""
    minor_first = key_mod.chord_evidence(_runs(["A:min", "F", "C", "G"] * 4))
    major_first = key_mod.chord_evidence(_runs(["C", "G", "A:min", "F"] * 4))
    shift = minor_first - major_first
    # the loops differ only in the opening chord and in one move at the seam (G->Am vs F->C), no cadence
    assert shift[A_MINOR] == pytest.approx(key_mod.OPENING_WEIGHT)
    assert shift[C_MAJOR] == pytest.approx(-key_mod.OPENING_WEIGHT)
    others = np.delete(shift, [A_MINOR, C_MAJOR])
    assert np.allclose(others, 0.0)


@pytest.mark.parametrize(("loop", "expected"), [(["A:min", "F", "C", "G"], ("A", "minor")),
                                                (["C", "G", "A:min", "F"], ("C", "major"))])
def test_a_four_chord_loop_takes_the_key_of_its_opening_chord(run, loop, expected):
    """i-VI-III-VII (Am F C G) is a common minor loop in pop and uses the chords of vi-IV-I-V in C major:
    equal time on Am and C, the bass as often on A as on C, no V-i, and the profiles lean to the major.
    Only the opening chord tells the two songs apart (both read C major before the opening cue)."""
    audio, _ = song([(lab, 4) for lab in loop] * 4, bpm=100.0, melody_seed=5)
    key = run(audio, ["key"]).key
    assert (key.tonic, key.mode) == expected
