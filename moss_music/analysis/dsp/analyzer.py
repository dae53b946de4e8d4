"""``DspAnalyzer``: the CPU backend. One streaming feature pass, then each estimator on shared features."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from threadpoolctl import threadpool_limits

from moss_music.analysis.base import CancelCheck, ProgressCallback
from moss_music.analysis.dsp import beats as beat_mod
from moss_music.analysis.dsp import chords as chord_mod
from moss_music.analysis.dsp import key as key_mod
from moss_music.analysis.dsp import octave, pitch
from moss_music.analysis.dsp import sections as section_mod
from moss_music.analysis.dsp.features import FRAME_RATE, PITCH_RATE, Features, extract
from moss_music.analysis.dsp.features import audible as audible_frames
from moss_music.analysis.dsp.progress import Steps
from moss_music.annotations import Beat, Chord, Key, Tempo, TempoPoint, TimeSignature, TrackAnnotations
from moss_music.audio import AudioData

ALGORITHM_VERSION = "2.5.0"
DECODE_RATE = 8000
GRID_SECONDS = 0.5
"""Chord/section time step when a track has no beat (speech, ambient, very short clips)."""
PHASE_SHIFTS = (1 / 3, 1 / 2)
"""Shares of a beat a grid may be moved by: from a straight 'and' (1/2) or a swung one (~2/3) to the beat."""
PHASE_MARGIN = 1.2
"""Harmonic change half-way between beats must exceed that on them by this factor to move the grid."""
PHASE_LOW_VETO = 3.0
"""...unless the low band hits the grid this many times harder than the moved one: a bass on the beat under
comping that pushes the chords onto the 'and' (bossa: 158x) keeps the grid. The phase moves of the tune
half have 0.55-1.08."""
SWUNG_CHORD_DELAY = 0.2
"""In swung music (``BeatGrid.swing``) the chord chroma is read from 0.2 of a beat after each beat: the beat
itself is the walking bass's and the ride's attack, the comping lands on the swung 8th. Tune-half shuffles
majmin 0.879 -> 0.919 (0.15-0.25 all >= 0.910, 0.33 0.897); straight songs read from the beat, where a
delay cost waltz 0.027 and piano 0.025. The bass chroma stays on the beat (delaying it too lost 0.01-0.07)."""
WEIGHTS = {"features": 6.0, "beats": 2.0, "harmony": 2.0, "sections": 1.0, "loudness": 0.2}


class DspAnalyzer:
    """Beats, downbeats, tempo, metre, key, chords, sections and loudness with numpy only."""

    backend: ClassVar[str] = "dsp"
    tasks: ClassVar[tuple[str, ...]] = ("beats", "key", "chords", "sections", "loudness")
    sample_rate: ClassVar[int] = DECODE_RATE
    """Callers decode straight to this rate: nothing the analysis hears lies above 4 kHz, and a two-hour
    file then holds 230 MB of samples instead of 1.3 GB at 44.1 kHz (the whole analysis stays < 500 MB).
    The features resample block by block to their own rate."""

    @classmethod
    def from_options(cls, options: dict[str, Any] | None = None) -> DspAnalyzer:
        """Options (device, model_dir, …) are for model backends; the DSP backend needs none."""
        return cls()

    @property
    def model_id(self) -> str:
        return "dsp"

    @property
    def model_revision(self) -> str:
        return ALGORITHM_VERSION

    def analyze(
        self,
        audio: AudioData,
        tasks: Sequence[str],
        *,
        params: dict[str, Any] | None = None,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> TrackAnnotations:
        """Analyse mono ``audio`` at any sample rate; ``params`` is accepted for the common interface and
        ignored (the DSP backend has no knobs a job needs to set). Raises ValueError for unknown tasks
        and AnalysisCancelled when ``should_cancel`` says so (checked at least every 0.1-0.3 s)."""
        unknown = sorted(set(tasks) - set(self.tasks))
        if unknown:
            raise ValueError(f"the dsp backend cannot do {', '.join(unknown)}; it does {', '.join(self.tasks)}")
        # The matrices here are small: BLAS threads only add spin-waits, which turn into seconds when the
        # machine is busy (measured 2.6x slower on a loaded 2-core box). One thread per analysis.
        with threadpool_limits(limits=1, user_api="blas"):
            return self._analyze(audio, set(tasks), Steps(progress, should_cancel, WEIGHTS))

    def _analyze(self, audio: AudioData, wanted: set[str], steps: Steps) -> TrackAnnotations:
        result = TrackAnnotations(duration=audio.duration)

        steps.begin("features", "reading the audio")
        features = extract(audio.samples, audio.sample_rate, steps)

        steps.begin("beats", "finding the beat")
        tuning = pitch.estimate_tuning(features.logspec)
        grid = _beat_grid(features, steps, tuning)
        steps.tick(0.5)
        spans = _span_boundaries(grid.times, features.duration)
        spectra, tonalness = pitch.beat_spectra(features, spans, tuning)
        treble, bass = pitch.treble_chroma(spectra), pitch.bass_chroma(spectra)
        steps.tick(0.7)
        _label_bars(grid, features, treble, bass, tonalness, steps)

        if "beats" in wanted:
            _fill_beats(result, grid)

        harmony = None
        if wanted & {"key", "chords", "sections"}:
            steps.begin("harmony", "hearing the harmony")
            chord_spectra = spectra if grid.swing < beat_mod.SWING_MIN else \
                pitch.beat_spectra(features, _delayed(spans, grid, SWUNG_CHORD_DELAY), tuning)[0]
            harmony = _harmony(features, grid, spans, pitch.chord_chroma(chord_spectra), bass, tonalness, steps)
            if "key" in wanted:
                result.key = harmony.key
            if "chords" in wanted:
                result.chords = harmony.chords

        if "sections" in wanted:
            steps.begin("sections", "finding the sections")
            result.sections = section_mod.find_sections(features, grid, spans, treble, steps)

        if "loudness" in wanted:
            steps.begin("loudness", "measuring loudness")
            result.loudness = features.meter.loudness()
            result.energy = features.meter.energy()
        steps.done()
        return result


def _beat_grid(features: Features, steps: Steps, tuning: float) -> beat_mod.BeatGrid:
    """Beats at the tempo octave a musician would count (see octave.py), with the runner-up level kept."""
    env = beat_mod.onset_strength(features)
    low = beat_mod.low_onset_strength(features)
    bpm, confidence = beat_mod.estimate_tempo(env, low)
    empty = beat_mod.BeatGrid(np.zeros(0), np.zeros(0, dtype=int))
    if bpm <= 0:
        return empty
    frames = beat_mod.track_beats(env, bpm, steps)
    if len(frames) > 1:
        bpm = 60 * FRAME_RATE / np.median(np.diff(frames))
    accent_factor, mid_ratio = beat_mod.metrical_level(env, frames, bpm)
    subdivided = False
    if accent_factor <= 1.0 and bpm >= octave.SUBDIVISION_MIN_BPM:
        alternation, variation = beat_mod.low_pattern(features, frames)
        subdivided = (alternation < octave.SUBDIVISION_ALTERNATION_MAX
                      and variation > octave.SUBDIVISION_VARIATION_MIN
                      and beat_mod.triple_pulse(features, frames) < octave.SUBDIVISION_TRIPLE_MAX
                      and beat_mod.cymbal_flux(features) < octave.SUBDIVISION_CYMBAL_MAX
                      and _short_chord_share(frames, features, tuning, steps) < octave.SUBDIVISION_SHORT_MAX)
    choice = octave.choose(bpm, accent_factor, mid_ratio, subdivided)
    if choice.factor == 0.5:
        treble, bass, _ = _beat_chroma(features, frames / FRAME_RATE + beat_mod.LATENCY, tuning)
        frames = _half(frames, features, treble, bass)
    elif choice.factor == 2.0:
        frames = beat_mod.track_beats(env, bpm * 2.0, steps)
    if len(frames) < 4:
        return empty
    times = _on_the_beat(frames / FRAME_RATE + beat_mod.LATENCY, features, tuning)
    if beat_mod.low_share(features, beat_mod.to_frames(times)) >= beat_mod.LOW_SHARE_MIN:
        times = beat_mod.follow_swung_beat(low, times)
    # a half-beat move lands half-way; a swung or pushed beat sits a little off that: follow the onsets
    frames = beat_mod.align_phase(env, beat_mod.to_frames(times))
    times = frames / FRAME_RATE + beat_mod.LATENCY
    ibi = np.median(np.diff(times))
    steady = beat_mod.steady_bpm(times)
    final = steady if steady is not None else float(60 / ibi)
    grid = beat_mod.BeatGrid(times=times, positions=np.ones(len(times), dtype=int), bpm=final,
                             bpm_confidence=confidence * choice.confidence, curve=beat_mod.tempo_curve(times),
                             swing=beat_mod.swing_ratio(env, times))
    grid.runner_up = (final * choice.runner_up / choice.factor, confidence * choice.runner_up_confidence) \
        if choice.runner_up != choice.factor else None
    return grid


def _short_chord_share(frames: np.ndarray, features: Features, tuning: float, steps: Steps) -> float:
    """Share of chords lasting at most two beats of a candidate grid (neutral decoding: no key, no bars).

    At the level a musician counts, pop harmony changes every two or four beats; on a grid of
    subdivisions (8th-note arpeggios tracked as beats) the same chords last four to sixteen 'beats'
    and almost none lasts two."""
    treble, bass, tonal = _beat_chroma(features, frames / FRAME_RATE + beat_mod.LATENCY, tuning)
    if len(treble) < 16 or tonal.mean() < 0.5:
        return 1.0
    path = chord_mod.decode(treble, bass, tonal, np.full(len(treble), 2), None, steps)
    lengths, run = [], 0
    for i, state in enumerate(path):
        run += 1
        if i + 1 == len(path) or path[i + 1] != state:
            if chord_mod.STATES[state].root is not None:
                lengths.append(run)
            run = 0
    inner = np.asarray(lengths[1:-1] if len(lengths) > 2 else lengths)
    return float(np.mean(inner <= 2)) if len(inner) else 1.0


def _beat_chroma(features: Features, times: np.ndarray, tuning: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(treble, bass chroma, harmonic share 0/1) per beat of a candidate grid."""
    spans = _span_boundaries(times, features.duration)
    spectra, tonalness = pitch.beat_spectra(features, spans, tuning)
    rows = slice(1, 1 + len(times))
    audible = pitch.sync(audible_frames(features.rms).astype(np.float32)[:, None], spans, PITCH_RATE)[:, 0] \
        if len(features.rms) else np.zeros(len(spans) - 1)
    tonal = ((tonalness >= pitch.TONAL_MIN) & (audible >= 0.5)).astype(float)
    return pitch.treble_chroma(spectra)[rows], pitch.bass_chroma(spectra)[rows], tonal[rows]


def _on_the_beat(times: np.ndarray, features: Features, tuning: float) -> np.ndarray:
    """The grid, or the grid moved by a third, half or two thirds of a beat when chords change there.

    Off-beat parts (a skanking guitar, an off-beat synth bass, a swung comping chord) can pull the tracker
    onto the 'and'; harmony almost always changes on the beat, so the phase where the chroma of one beat
    differs most from the next is the beat."""
    if len(times) < 16:
        return times
    period = float(np.median(np.diff(times)))
    base = _harmonic_novelty(times, features, tuning)
    if base is None:
        return times
    best, best_times = base * PHASE_MARGIN, times
    low_here = _low_accent(features, times)
    for share in PHASE_SHIFTS:
        shifted = times[:-1] + share * np.diff(times)
        novelty = _harmonic_novelty(shifted, features, tuning)
        if novelty is not None and novelty > best and low_here <= PHASE_LOW_VETO * _low_accent(features, shifted):
            best, best_times = novelty, shifted
    if best_times is not times and best_times[-1] + period < features.duration - 0.05:
        best_times = np.append(best_times, best_times[-1] + period)
    return best_times


def _low_accent(features: Features, times: np.ndarray) -> float:
    """Mean low-band onset strength (kick, bass attacks) on a candidate grid."""
    return float(beat_mod.accent_at(features.onset_low, beat_mod.to_frames(times)).mean()) if len(times) else 0.0


def _harmonic_novelty(times: np.ndarray, features: Features, tuning: float) -> float | None:
    """Mean chroma change from each beat of a candidate grid to the next; None without harmony."""
    treble, bass, tonal = _beat_chroma(features, times, tuning)
    if len(treble) < 8 or tonal.mean() < 0.5:
        return None
    c = treble / (np.linalg.norm(treble, axis=1, keepdims=True) + 1e-9) \
        + bass / (np.linalg.norm(bass, axis=1, keepdims=True) + 1e-9)
    a, b = c[:-1], c[1:]
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-9)
    return float(np.mean(1.0 - cos))


def _half(frames: np.ndarray, features: Features, treble: np.ndarray, bass: np.ndarray) -> np.ndarray:
    """Every other beat, on the phase where chords change and bass notes and kicks land."""
    c = treble + bass
    c = c / (np.linalg.norm(c, axis=1, keepdims=True) + 1e-9)
    change = np.zeros(len(frames))
    if len(c) == len(frames) and len(c) > 2:
        before = np.vstack([c[:1], c[:-1]])
        change = 1.0 - np.sum(before * c, axis=1)
    low = beat_mod.accent_at(features.onset_low, frames)
    low = low / (low.mean() + 1e-9)
    score = [float(change[p::2].mean() + 0.5 * low[p::2].mean()) for p in (0, 1)]
    return frames[int(np.argmax(score))::2]


def _span_boundaries(beat_times: np.ndarray, duration: float) -> np.ndarray:
    """Boundaries of the analysis spans: one per beat, plus the stretches before the first and after the last."""
    if len(beat_times) == 0:
        n = max(int(np.ceil(duration / GRID_SECONDS)), 1)
        return np.linspace(0.0, max(duration, 1e-3), n + 1)
    inner = beat_times[(beat_times > 0) & (beat_times < duration)]
    return np.concatenate([[0.0], inner, [max(duration, inner[-1] + 1e-3 if len(inner) else 1e-3)]])


def _delayed(spans: np.ndarray, grid: beat_mod.BeatGrid, share: float) -> np.ndarray:
    """Analysis spans with their inner boundaries moved ``share`` of a beat later."""
    if len(grid.times) < 2:
        return spans
    period = float(np.median(np.diff(grid.times)))
    out = spans.copy()
    out[1:-1] = np.minimum(spans[1:-1] + share * period, spans[-1] - 1e-3)
    return out


def _label_bars(grid: beat_mod.BeatGrid, features: Features, treble: np.ndarray, bass: np.ndarray,
                tonalness: np.ndarray, steps: Steps) -> None:
    if len(grid.times) == 0:
        return
    rows = slice(1, 1 + len(grid.times))
    low_db, loud_db = beat_mod.accents(features, grid.times - beat_mod.LATENCY)
    evidence = beat_mod.downbeat_evidence(treble[rows], tonalness[rows], low_db, loud_db, bass[rows])
    steps.tick()
    grid.positions, grid.meter, grid.meter_confidence = beat_mod.label_bars(
        evidence, steps.tick, start=beat_mod.first_sounding(loud_db))


def _fill_beats(result: TrackAnnotations, grid: beat_mod.BeatGrid) -> None:
    if len(grid.times) == 0:
        return
    result.beats = [Beat(round(float(t), 4), int(p)) for t, p in zip(grid.times, grid.positions, strict=False)]
    result.tempo = Tempo(bpm=round(grid.bpm, 2), confidence=round(grid.bpm_confidence, 3),
                         curve=[TempoPoint(t, b) for t, b in grid.curve])
    if grid.runner_up is not None:
        result.tempo.runner_up_bpm = round(grid.runner_up[0], 2)
        result.tempo.runner_up_confidence = round(grid.runner_up[1], 3)
    result.time_signature = TimeSignature(grid.meter, 4, round(grid.meter_confidence, 3))


def _chord_runs(path: np.ndarray, durations: np.ndarray) -> list[tuple[int, str, float, frozenset[int]]]:
    """Consecutive beats on one chord merged into (root, quality, seconds, pitch classes); N dropped."""
    runs: list[tuple[int, str, float, frozenset[int]]] = []
    prev = -1
    for state, dur in zip(path, durations, strict=False):
        st = chord_mod.STATES[state]
        if st.root is None:
            prev = -1
            continue
        if state == prev and runs:
            runs[-1] = (*runs[-1][:2], runs[-1][2] + float(dur), runs[-1][3])
        else:
            runs.append((st.root, st.quality, float(dur), frozenset(st.pitch_classes())))
        prev = state
    return runs


@dataclass
class _Harmony:
    key: Key | None
    chords: list[Chord]
    path: np.ndarray
    """Chord state per analysis span (indices into chords.STATES)."""


def _harmony(features: Features, grid: beat_mod.BeatGrid, spans: np.ndarray, treble: np.ndarray,
             bass: np.ndarray, tonalness: np.ndarray, steps: Steps) -> _Harmony:
    durations = np.diff(spans)
    # share of frames in each span with audible sound: a span with a few loud frames at its edge is still silent
    audible = audible_frames(features.rms).astype(np.float32)[:, None]
    level = pitch.sync(audible, spans, PITCH_RATE)[:, 0] if len(features.rms) else np.zeros(len(durations))
    level = np.where(tonalness >= pitch.TONAL_MIN, level, 0.0)  # unpitched spans count as silent for harmony
    positions = np.full(len(durations), 2)
    if len(grid.times):
        positions[1: 1 + len(grid.positions)] = grid.positions
    tn = treble / (treble.sum(axis=1, keepdims=True) + 1e-9)
    bn = bass / (bass.sum(axis=1, keepdims=True) + 1e-9)
    weight = durations * (level >= 0.5)
    global_chroma = ((tn + bn) * weight[:, None]).sum(axis=0)
    if weight.sum() < min(2.0, 0.25 * durations.sum()) or not np.any(global_chroma > 0):
        chords = [Chord(0.0, float(spans[-1]), "N", 1.0)]
        return _Harmony(None, chords, np.zeros(len(durations), dtype=int))
    key = key_mod.to_key(key_mod.key_scores(global_chroma))
    path = chord_mod.decode(treble, bass, level, positions, key_mod.key_index(key) if key else None, steps,
                            bass_line=True)
    runs = _chord_runs(path, durations)
    evidence = key_mod.chord_evidence(runs)
    bass_line = (bn * weight[:, None]).sum(axis=0)
    opening = runs[0][:2] if runs else None
    final = key_mod.to_key(key_mod.settle_relative(key_mod.key_scores(global_chroma, evidence), bass_line, opening))
    if final is not None and key is not None and (final.tonic, final.mode) != (key.tonic, key.mode):
        path = chord_mod.decode(treble, bass, level, positions, key_mod.key_index(final), steps, bass_line=True)
    fit = chord_mod.template_fit(treble, path)
    return _Harmony(final, chord_mod.segments(path, spans, fit, final), path)
