"""Beat-synchronous chord recognition: chord templates on treble and bass chroma, decoded by an HMM.

The state space is 12 roots × {maj, min, 7, maj7, min7, dim, aug, sus2, sus4}, first and second
inversions of major and minor triads, and N (no chord). Richer chords and inversions carry a prior
penalty so that they win only when the extra tone or the bass note is really there. Changes are made
more likely on downbeats and half-bars than on other beats, because that is where harmony moves in
most music; chords that belong to the estimated key get a small bonus.

Under a walking bass (a new bass note on nearly every beat, as in swing and shuffle) only the note under a
chord's first beat is its root: the next ones are its third and fifth and, on the last beat, an approach
note a semitone from the next root. There the decoder tells a chord's first beat from its held beats
(``decode(..., bass_line=True)``): the bass names the root on the first beat only, later bass notes count
for a chord when they are its tones and against it when they are not, approach notes count less, and the
beat after an approach note is a likely chord change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moss_music.analysis.dsp.progress import Steps
from moss_music.analysis.dsp.viterbi import viterbi_onsets, viterbi_sticky
from moss_music.annotations import Chord, Key
from moss_music.annotations.chords import QUALITIES, ChordSymbol
from moss_music.annotations.spelling import spell_note

VOCABULARY = ("maj", "min", "7", "maj7", "min7", "dim", "aug", "sus2", "sus4")
QUALITY_PENALTY = {"maj": 0.0, "min": 0.0, "7": 0.4, "maj7": 0.4, "min7": 0.4, "dim": 1.2, "aug": 1.5,
                   "sus2": 0.6, "sus4": 0.6}
INVERSIONS = {"maj": ("3", "5"), "min": ("b3", "5")}
INVERSION_PENALTY = 1.0
DEGREE_SEMITONES = {"1": 0, "3": 4, "b3": 3, "5": 7}
TREBLE_GAIN = 14.0
BASS_GAIN = 3.0
NO_CHORD_COS = 0.35
"""Below this template fit (cosine) a beat is better called N than any chord."""
STAY = {1: 0.55, 3: 0.8}
STAY_OTHER = 0.93
KEY_BONUS = 2.5
KEY_NEUTRAL = ("aug",)
"""Qualities that are chromatic by nature: on a scale degree they take the in-key bonus, so a larger bonus
(which keeps walking-bass approach notes from naming out-of-key triads) does not hide them."""
SUS_THIRD_WEIGHT = 0.8
"""Suspended templates count a major or minor third against them (weight -1 at both): a triad with a
passing second or fourth (a melody note, an arpeggio's neighbour) is still the triad, and a sus chord
wins only where the third is really missing. Dev-set tune half majmin 0.816 -> 0.877."""
MIN_CHORD_SECONDS = 0.25
"""Shorter runs are slivers between a track edge and a beat, not chords."""
WALKING_CHANGE = (0.6, 0.9)
"""Share of sounding beats whose strongest bass pitch class differs from the previous beat's: up to the first
figure the bass is a root line (pedal notes, one note per chord, root-fifth) and every beat's bass note votes
for the root as before; from the second on the bass walks and the walking rules apply in full (in between,
in proportion). Dev-set tune half: piano, guitar, synth-pop and waltz songs 0.13-0.72, full band (busy
8ths with approach notes) 0.51-0.91, shuffle (walking bass) 0.94-1.00. Flat: (0.5, 0.8) and (0.7, 0.95)
score within 0.001 of the mean; (0.8, 0.95) costs full band 0.011."""
HELD_IN, HELD_OUT = 0.5, 1.5
"""Under a walking bass, a held beat's bass note adds HELD_IN to chords it is a triad tone of and takes
HELD_OUT from the others (times the walking share): a walking line plays the chord's tones, so a chord
that keeps hearing other notes has ended. Tune half (with the rest as committed): shuffle / full band
0.873 / 0.880; HELD_OUT 1.0: 0.872 / 0.870, 2.5: 0.861 / 0.884, 0: 0.864 / 0.858; HELD_IN 0: 0.859 /
0.881, 1.0: 0.868 / 0.877 (mean 0.911-0.916 throughout)."""
PASSING_FLATTEN = 0.7
"""Share of a passing beat's evidence that is dropped under a walking bass: a bass note a semitone from the
next beat's note is an approach note (unless the next one is itself one, in a chromatic run) and its
partials name no chord. Tune half shuffle 0: 0.766, 0.5: 0.847, 0.7: 0.873, 0.85: 0.862, 1.0: 0.858; full
band 0.874-0.880 from 0.5 to 1.0."""
APPROACH_CHANGE = 0.5
"""Under a walking bass the beat after an approach note is where the next chord begins: its probability of
keeping the chord is scaled by 1 - APPROACH_CHANGE x the walking share. Tune half: shuffle 0.842 -> 0.873,
full band 0.878 -> 0.880, no song lower; 0.3-0.7 give shuffle 0.865-0.875, 0.9 costs full band 0.014."""


@dataclass(frozen=True)
class ChordState:
    root: int | None
    quality: str = "maj"
    bass: str = "1"

    def label(self, key: Key | None = None) -> str:
        """Harte label with the root spelled for ``key`` (Bb:maj in F major, never A#:maj)."""
        if self.root is None:
            return "N"
        return ChordSymbol(self.root, self.quality, self.bass, spell_note(self.root, key)).harte()

    def pitch_classes(self) -> list[int]:
        if self.root is None:
            return []
        return sorted({(self.root + i) % 12 for i in QUALITIES[self.quality][0]})


def states() -> list[ChordState]:
    out = [ChordState(None)]
    for root in range(12):
        for quality in VOCABULARY:
            out.append(ChordState(root, quality))
            for bass in INVERSIONS.get(quality, ()):
                out.append(ChordState(root, quality, bass))
    return out


STATES = states()


def _templates() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(treble templates L2-normalised, bass pitch class per state, log prior per state)."""
    treble = np.zeros((len(STATES), 12))
    bass = np.full(len(STATES), -1)
    prior = np.zeros(len(STATES))
    for i, st in enumerate(STATES):
        if st.root is None:
            continue
        intervals = QUALITIES[st.quality][0]
        for k, iv in enumerate(intervals):
            treble[i, (st.root + iv) % 12] = 1.0 if k < 3 else 0.8
        if st.quality in ("sus2", "sus4"):
            treble[i, [(st.root + 3) % 12, (st.root + 4) % 12]] = -SUS_THIRD_WEIGHT
        treble[i] /= np.linalg.norm(treble[i])
        bass[i] = (st.root + DEGREE_SEMITONES[st.bass]) % 12
        prior[i] = -QUALITY_PENALTY[st.quality] - (INVERSION_PENALTY if st.bass != "1" else 0.0)
    return treble, bass, prior


TREBLE_T, BASS_PC, LOG_PRIOR = _templates()
ROOT_PC = np.array([-1 if st.root is None else st.root for st in STATES])
INVERTED = np.array([st.root is not None and st.bass != "1" for st in STATES])


def key_scale(tonic: int, mode: str) -> set[int]:
    steps = (0, 2, 4, 5, 7, 9, 11) if mode == "major" else (0, 2, 3, 5, 7, 8, 10, 11)  # minor incl. leading tone
    return {(tonic + s) % 12 for s in steps}


def emissions(treble: np.ndarray, bass: np.ndarray, audible: np.ndarray) -> np.ndarray:
    """(beats, states) log-scores: template fit of the treble chroma plus the bass note's share."""
    # float32 and in place: a two-hour track has ~15,000 beats x 217 states, so every temporary counts
    t = (treble / (np.linalg.norm(treble, axis=1, keepdims=True) + 1e-9)).astype(np.float32)
    score = t @ (TREBLE_GAIN * TREBLE_T.T).astype(np.float32)
    b = (bass / (bass.sum(axis=1, keepdims=True) + 1e-9)).astype(np.float32)
    # the bass note's share above chance: the root for root-position states, the named bass for inversions
    bass_score = b[:, np.clip(BASS_PC, 0, None)]
    bass_score -= np.float32(1.0 / 12)
    bass_score *= np.where(BASS_PC >= 0, BASS_GAIN, 0.0).astype(np.float32)[None, :]
    score += bass_score
    del bass_score
    # N: a fixed fit, plus a strong pull where there is (almost) no pitched energy
    silent = audible < 0.5
    score[:, 0] = TREBLE_GAIN * NO_CHORD_COS + np.where(silent, 50.0, 0.0)
    return score


def decode(treble: np.ndarray, bass: np.ndarray, audible: np.ndarray, positions: np.ndarray,
           key: tuple[int, str] | None, steps: Steps, bass_line: bool = False) -> np.ndarray:
    """State index per beat.

    ``bass_line`` lets a walking bass be read as one (see the module docstring); without it every beat's
    bass note votes for the root, which is what the quick tempo-octave check wants."""
    emit = emissions(treble, bass, audible)
    entry = LOG_PRIOR.copy()
    if key is not None:
        scale = key_scale(*key)
        for i, st in enumerate(STATES):
            if st.root is None:
                continue
            if set(st.pitch_classes()) <= scale or (st.quality in KEY_NEUTRAL and st.root in scale):
                entry[i] += KEY_BONUS
    entry = entry - np.log(np.exp(entry).sum())
    stay = np.array([STAY.get(int(p), STAY_OTHER) for p in positions])
    walking = walking_share(bass, audible) if bass_line else 0.0
    if walking == 0.0:
        return viterbi_sticky(emit, np.log(stay), np.log(1 - stay), entry, tick=steps.tick)
    held = (bass / (bass.sum(axis=1, keepdims=True) + 1e-9)).astype(np.float32) @ _held_bass(walking).T
    held += emit
    passing = passing_beats(bass)
    rows = np.flatnonzero(passing)
    for e in (emit, held):
        best = e[rows].max(axis=1, keepdims=True)
        e[rows] = best + (e[rows] - best) * np.float32(1.0 - PASSING_FLATTEN * walking)
    stay[1:] = np.where(passing[:-1], stay[1:] * (1.0 - APPROACH_CHANGE * walking), stay[1:])
    return viterbi_onsets(emit, held, np.log(stay), np.log(1 - stay), entry, tick=steps.tick)


def walking_share(bass: np.ndarray, audible: np.ndarray) -> float:
    """0 for a root bass line, 1 for a walking one (WALKING_CHANGE), from how often the bass note changes."""
    top = np.argmax(bass, axis=1)
    sounding = (audible[1:] >= 0.5) & (audible[:-1] >= 0.5) & (bass[1:].sum(axis=1) > 0) & (bass[:-1].sum(axis=1) > 0)
    if sounding.sum() < 8:
        return 0.0
    changes = float(np.mean(top[1:][sounding] != top[:-1][sounding]))
    lo, hi = WALKING_CHANGE
    return float(np.clip((changes - lo) / (hi - lo), 0.0, 1.0))


def passing_beats(bass: np.ndarray) -> np.ndarray:
    """Beats whose bass note is a semitone from the next beat's: approach notes.

    In a chromatic run (G, G#, A) only the note right before the arrival is one: a beat is passing when the
    next beat is a semitone away and is not passing itself."""
    top = np.argmax(bass, axis=1)
    semitone = np.zeros(len(top), dtype=bool)
    semitone[:-1] = np.isin((top[1:] - top[:-1]) % 12, (1, 11)) & (bass[:-1].sum(axis=1) > 0) & (bass[1:].sum(axis=1) > 0)
    passing = np.zeros(len(top), dtype=bool)
    for t in range(len(top) - 2, -1, -1):
        passing[t] = semitone[t] and not passing[t + 1]
    return passing


def _held_bass(walking: float) -> np.ndarray:
    """(states, 12) weights that turn a held beat's bass chroma into its score change from ``emissions``:
    the root vote taken out and the chord-tone rule (HELD_IN, HELD_OUT) put in, both times ``walking``."""
    weights = np.zeros((len(STATES), 12), dtype=np.float32)
    for i, st in enumerate(STATES):
        if st.root is None:
            continue
        weights[i] -= walking * (HELD_OUT - BASS_GAIN / 12)
        for iv in QUALITIES[st.quality][0][:3]:
            weights[i, (st.root + iv) % 12] += walking * (HELD_IN + HELD_OUT)
        weights[i, BASS_PC[i]] -= walking * BASS_GAIN
    return weights


def segments(path: np.ndarray, boundaries: np.ndarray, fit: np.ndarray, key: Key | None = None) -> list[Chord]:
    """Merge runs of one state into Chord spans spelled for ``key``; confidence is the run's mean template fit.

    Runs shorter than MIN_CHORD_SECONDS (the sliver between time 0 and a first beat a few ms later, or
    after the last beat) join their longer neighbour, so every chord lasts at least a musical moment."""
    if len(path) == 0:
        return []
    runs: list[list[int]] = []  # [state, first span, end span]
    for i, state in enumerate(path):
        if runs and runs[-1][0] == state:
            runs[-1][2] = i + 1
        else:
            runs.append([int(state), i, i + 1])
    merged: list[list[int]] = []
    for run in runs:
        short = boundaries[run[2]] - boundaries[run[1]] < MIN_CHORD_SECONDS
        if merged and (short or merged[-1][0] == run[0]):
            merged[-1][2] = run[2]
        elif merged and boundaries[merged[-1][2]] - boundaries[merged[-1][1]] < MIN_CHORD_SECONDS:
            merged[-1] = [run[0], merged[-1][1], run[2]]
        else:
            merged.append(run)
    chords = []
    for state, a, b in merged:
        conf = float(np.clip(np.mean(fit[a:b]), 0, 1))
        chords.append(Chord(float(boundaries[a]), float(boundaries[b]), STATES[state].label(key), round(conf, 3)))
    return chords


def template_fit(treble: np.ndarray, path: np.ndarray) -> np.ndarray:
    t = treble / (np.linalg.norm(treble, axis=1, keepdims=True) + 1e-9)
    fit = np.einsum("ij,ij->i", t, TREBLE_T[path])
    return np.where(path == 0, 1.0 - np.max(t @ TREBLE_T[1:].T, axis=1), fit)
