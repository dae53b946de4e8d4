"""Chords over a walking bass: the bass line's walking share, approach notes, the two-phase decoder and the
bass note's major-third partial (chords.py, pitch.py)."""

from __future__ import annotations

import numpy as np
import pytest

from moss_music.analysis.dsp import chords as chord_mod
from moss_music.analysis.dsp import pitch
from moss_music.analysis.dsp.features import MIDI_HI, MIDI_LO
from moss_music.analysis.dsp.progress import Steps
from moss_music.annotations.chords import QUALITIES

PROGRESSION = [(0, "maj"), (9, "min"), (2, "min"), (7, "maj")] * 4  # C Am Dm G, a bar each


def _one_hot(pcs: list[int], floor: float = 0.02) -> np.ndarray:
    out = np.full((len(pcs), 12), floor)
    out[np.arange(len(pcs)), pcs] = 1.0
    return out


def _walking_chroma(comp: float, progression: list[tuple[int, str]] = PROGRESSION,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
    """(treble, bass chroma, true (root, quality) per beat) of a shuffle-like bar per chord.

    The bass walks root, third, fifth and an approach note a semitone under the next root; its partials put
    the bass note, its fifth and its major third into the treble, over a quieter comp chord (``comp``), as
    the dev set's shuffles sound."""
    rng = np.random.default_rng(seed)
    treble, bass, truth = [], [], []
    for i, (root, quality) in enumerate(progression):
        tones = [(root + iv) % 12 for iv in QUALITIES[quality][0]]
        following = progression[(i + 1) % len(progression)][0]
        for note in (root, tones[1], tones[2], (following - 1) % 12):
            row = np.full(12, 0.05) + 0.05 * rng.random(12)
            for pc, level in ((note, 1.0), ((note + 7) % 12, 0.7), ((note + 4) % 12, 0.35)):
                row[pc] += level
            row[tones] += comp
            treble.append(row)
            bass.append(note)
            truth.append((root, quality))
    return np.array(treble), _one_hot(bass), truth


def _steps() -> Steps:
    steps = Steps(None, None, {"harmony": 1.0})
    steps.begin("harmony", "test")
    return steps


def _beat_accuracy(path: np.ndarray, truth: list[tuple[int, str]]) -> float:
    """Share of beats with the right root and the right major/minor third (sevenths count as their triad)."""
    def minor(quality: str) -> bool:
        return quality in ("min", "min7")

    return float(np.mean([chord_mod.STATES[s].root == root and minor(chord_mod.STATES[s].quality) == minor(q)
                          for s, (root, q) in zip(path, truth, strict=True)]))


def test_walking_share_tells_a_walking_line_from_a_root_line():
    audible = np.ones(32)
    root_line = _one_hot([pc for pc in (0, 9, 2, 7) for _ in range(8)])
    walking = _one_hot([(root + step) % 12 for root in (0, 9, 2, 7) for step in (0, 4, 7, 11)] * 2)
    assert chord_mod.walking_share(root_line, audible) == 0.0
    assert chord_mod.walking_share(walking, audible) == 1.0
    # silence and too few sounding beats say nothing
    assert chord_mod.walking_share(walking, np.zeros(32)) == 0.0
    assert chord_mod.walking_share(walking[:5], audible[:5]) == 0.0


def test_the_approach_note_is_passing_not_the_root_before_it():
    # G (root, 2 beats) walks G, G# into A; then A, C#, E and D# into E
    bass = _one_hot([7, 8, 9, 1, 4, 3, 4])
    assert chord_mod.passing_beats(bass).tolist() == [False, True, False, False, False, True, False]


def test_a_walking_bass_whose_partials_drown_the_comp_still_names_the_chords():
    """Every bass note's partials look like a major triad on it; read as root votes they turn Am into
    C#m and G into Bm halfway through each bar. Read as a walking line, the first beat names the root."""
    treble, bass, truth = _walking_chroma(comp=0.2)
    audible = np.ones(len(treble))
    positions = np.tile([1, 2, 3, 4], len(PROGRESSION))
    plain = chord_mod.decode(treble, bass, audible, positions, (0, "major"), _steps())
    walking = chord_mod.decode(treble, bass, audible, positions, (0, "major"), _steps(), bass_line=True)
    assert _beat_accuracy(plain, truth) < 0.7
    assert _beat_accuracy(walking, truth) >= 0.95


def test_the_beat_after_an_approach_note_starts_the_next_chord(monkeypatch):
    """Bbm to F#: the F# bar's bass (F#, A#, C#) sits inside Bbm, so only its first beat says 'change';
    the approach note (E) before it marks that beat as the likely start of a chord."""
    progression = [(10, "min"), (6, "maj")] * 4
    treble, bass, truth = _walking_chroma(comp=0.2, progression=progression)
    args = (treble, bass, np.ones(len(treble)), np.tile([1, 2, 3, 4], len(progression)), (10, "minor"))
    f_sharp = [i for i, (root, _) in enumerate(truth) if root == 6]

    def named(path: np.ndarray) -> float:
        return float(np.mean([chord_mod.STATES[path[i]].root == 6 for i in f_sharp]))

    assert named(chord_mod.decode(*args, _steps(), bass_line=True)) >= 0.9
    monkeypatch.setattr(chord_mod, "APPROACH_CHANGE", 0.0)
    assert named(chord_mod.decode(*args, _steps(), bass_line=True)) < 0.5


def test_a_root_bass_line_decodes_as_before():
    """bass_line=True changes nothing where the bass does not walk (a note per chord)."""
    rng = np.random.default_rng(1)
    treble, bass, roots = [], [], []
    for root, quality in PROGRESSION:
        for _ in range(4):
            row = np.full(12, 0.05) + 0.1 * rng.random(12)
            row[[(root + iv) % 12 for iv in QUALITIES[quality][0]]] += 1.0
            treble.append(row)
            roots.append(root)
    treble, bass = np.array(treble), _one_hot(roots)
    args = (treble, bass, np.ones(len(treble)), np.tile([1, 2, 3, 4], len(PROGRESSION)), (0, "major"))
    assert chord_mod.decode(*args, _steps()).tolist() == chord_mod.decode(*args, _steps(), bass_line=True).tolist()


def test_the_bass_notes_major_third_partial_is_taken_off_the_chord_spectrum():
    spectra = np.zeros((3, MIDI_HI - MIDI_LO), dtype=np.float32)
    bass_note, third_partial = 40 - MIDI_LO, 40 + pitch.THIRD_PARTIAL_INTERVAL - MIDI_LO
    spectra[0, bass_note], spectra[0, third_partial] = 1.0, 0.5  # E2 with its G#4 partial
    spectra[0, 64 - MIDI_LO] = 0.8  # a chord tone elsewhere stays
    spectra[1, bass_note], spectra[1, third_partial] = 1.0, 0.1  # a weak partial goes, never below zero
    spectra[2, 64 - MIDI_LO] = 0.8  # no bass note: nothing is taken
    out = pitch.without_bass_third(spectra)
    assert out[0, third_partial] == pytest.approx(0.5 - pitch.THIRD_PARTIAL_SHARE)
    assert out[0, 64 - MIDI_LO] == pytest.approx(0.8) and out[0, bass_note] == pytest.approx(1.0)
    assert out[1, third_partial] == pytest.approx(max(0.1 - pitch.THIRD_PARTIAL_SHARE, 0.0))
    np.testing.assert_array_equal(out[2], spectra[2])
    assert out.min() >= 0.0
    assert pitch.chord_chroma(spectra).shape == (3, 12)
    assert pitch.without_bass_third(spectra[:0]).shape == (0, MIDI_HI - MIDI_LO)
