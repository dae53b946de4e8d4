"""Beat, tempo, downbeat and metre estimation on click tracks and synthetic bands with known grids."""

from __future__ import annotations

import mir_eval
import numpy as np
import pytest
import soxr

from tests.dsp.synth import SR, arpeggio_ballad, click_track, song


@pytest.mark.parametrize("bpm", [72.0, 100.0, 128.0, 160.0])
def test_click_track_tempo_and_beats_are_found(run, bpm):
    audio, truth = click_track(bpm, duration=20.0)
    result = run(audio, ["beats"])
    assert result.tempo.bpm == pytest.approx(bpm, rel=0.04)
    beats = np.array([b.time for b in result.beats])
    assert mir_eval.beat.f_measure(np.array(truth.beats), beats) >= 0.95


def test_accented_click_track_in_four_has_its_downbeats_on_the_accents(run):
    audio, truth = click_track(110.0, duration=24.0, meter=4)
    result = run(audio, ["beats"])
    assert str(result.time_signature) == "4/4"
    assert mir_eval.beat.f_measure(np.array(truth.downbeats), np.array(result.downbeats)) >= 0.9


def test_waltz_click_track_reads_as_three_four(run):
    audio, truth = click_track(120.0, duration=24.0, meter=3)
    result = run(audio, ["beats"])
    assert str(result.time_signature) == "3/4"
    assert mir_eval.beat.f_measure(np.array(truth.downbeats), np.array(result.downbeats)) >= 0.9


def test_band_downbeats_follow_the_chord_changes(run):
    audio, truth = song([("C", 4), ("A:min", 4), ("F", 4), ("G", 4)], bpm=96.0,
                        sections=[("A", 12, 0.8)], melody_seed=3)
    result = run(audio, ["beats"])
    positions = [b.position for b in result.beats]
    assert set(positions) == {1, 2, 3, 4}
    assert mir_eval.beat.f_measure(np.array(truth.downbeats), np.array(result.downbeats)) >= 0.9
    assert result.tempo.bpm == pytest.approx(96.0, rel=0.04)


def test_no_beats_before_the_music_starts(run):
    audio, truth = click_track(120.0, duration=15.0, start=3.0)
    result = run(audio, ["beats"])
    assert result.beats[0].time >= 3.0 - 0.07


def test_tempo_does_not_depend_on_the_input_sample_rate(run):
    audio, _ = click_track(90.0, duration=16.0)
    for rate in (8000, 44100, 48000):
        resampled = soxr.resample(audio, SR, rate)
        assert run(resampled, ["beats"], sr=rate).tempo.bpm == pytest.approx(90.0, rel=0.04)


def test_white_noise_has_no_beat(run):
    noise = np.random.default_rng(0).standard_normal(SR * 10) * 0.1
    result = run(noise, ["beats"])
    assert result.beats == [] and result.tempo is None


def test_a_steady_track_is_stored_as_one_constant_tempo(run):
    # a MIDI tempo map built from the curve must not alternate between the jitter of beat estimates
    audio, _ = song([("C", 4), ("A:min", 4), ("F", 4), ("G", 4)], bpm=104.0, sections=[("A", 16, 0.8)], melody_seed=5)
    tempo = run(audio, ["beats"]).tempo
    assert len(tempo.curve) == 1
    assert tempo.curve[0].bpm == pytest.approx(104.0, rel=0.01) and tempo.bpm == tempo.curve[0].bpm


def test_a_real_tempo_change_keeps_a_curve():
    from moss_music.analysis.dsp.beats import steady_bpm, tempo_curve

    times = np.concatenate([np.arange(40) * 0.5, 20.0 + np.arange(1, 41) * 0.4])  # 120 -> 150 BPM
    assert steady_bpm(times) is None
    bpms = [b for _, b in tempo_curve(times)]
    assert min(bpms) == pytest.approx(120.0, abs=1.0) and max(bpms) == pytest.approx(150.0, abs=1.0)


def test_the_runner_up_tempo_octave_is_stored(run):
    audio, _ = song([("C", 4), ("A:min", 4), ("F", 4), ("G", 4)], bpm=96.0, sections=[("A", 8, 0.8)], melody_seed=3)
    tempo = run(audio, ["beats"]).tempo
    assert tempo.runner_up_bpm is not None
    assert min(abs(tempo.runner_up_bpm / tempo.bpm - f) for f in (0.5, 2.0)) < 0.02
    assert 0.0 <= tempo.runner_up_confidence < tempo.confidence <= 1.0


@pytest.mark.parametrize("bpm", [62.0, 70.0])
def test_slow_ballad_with_eighth_note_hats_is_not_doubled(run, bpm):
    # every tracker that only looks at periodicity taps these at 124-140 BPM (the hi-hat level)
    audio, _ = song([("C", 4), ("A:min", 4), ("F", 4), ("G", 4)], bpm=bpm, sections=[("A", 8, 0.7)], melody_seed=2)
    assert run(audio, ["beats"]).tempo.bpm == pytest.approx(bpm, rel=0.04)


def test_fast_backbeat_is_not_halved(run):
    audio, _ = song([("E", 4), ("A", 4)], bpm=172.0, sections=[("A", 8, 0.9)], melody_seed=2)
    assert run(audio, ["beats"]).tempo.bpm == pytest.approx(172.0, rel=0.04)


def test_a_bass_that_moves_with_the_bar_votes_for_beat_one_and_a_walking_bass_does_not():
    from moss_music.analysis.dsp.beats import BASS_PERIODICITY_MIN, bar_periodicity

    rng = np.random.default_rng(0)
    with_the_bar = np.tile([2.0, -0.5, -0.5, -0.5], 24) + 0.2 * rng.standard_normal(96)
    walking = rng.standard_normal(96)
    assert bar_periodicity(with_the_bar) > BASS_PERIODICITY_MIN + 0.5
    assert bar_periodicity(walking) < BASS_PERIODICITY_MIN
    assert bar_periodicity(walking[:8]) == 0.0


@pytest.mark.parametrize("bpm", [58.0, 66.0, 74.0])
def test_piano_ballad_with_eighth_note_arpeggios_is_counted_in_quarters(run, bpm):
    # the arpeggio 8ths carry every periodicity cue; one chord a bar and no drums say they are subdivisions
    result = run(arpeggio_ballad(bpm), ["beats"])
    assert result.tempo.bpm == pytest.approx(bpm, rel=0.04)
    assert result.tempo.runner_up_bpm == pytest.approx(2 * bpm, rel=0.04)


def _fast_waltz(bpm: float, bars: int = 32) -> np.ndarray:
    """Oom-pah-pah in 3/4 with a chord every two bars and the bass louder on odd bars (a two-bar phrase):
    chords last six beats and the low band is sparse and uneven, as in the 8th notes of a ballad."""
    from tests.dsp.synth import chord_notes, midi_to_hz, normalise, place, tone

    beat = 60.0 / bpm
    out = np.zeros(int((bars * 3 * beat + 2.0) * SR))
    for bar in range(bars):
        notes, bass = chord_notes(["C", "G", "A:min", "F"][(bar // 2) % 4])
        start = 0.5 + bar * 3 * beat
        place(out, tone(midi_to_hz(bass), 1.5 * beat, decay=1.5), start, gain=0.7 if bar % 2 == 0 else 0.1)
        for k in (1, 2):
            for n in notes:
                place(out, tone(midi_to_hz(n), 0.6 * beat, decay=0.8), start + k * beat, gain=0.12)
    return normalise(out)


@pytest.mark.slow
@pytest.mark.parametrize("bpm", [140.0, 150.0])
def test_fast_waltz_is_counted_in_its_beats_not_halved(run, bpm):
    # long chords and a sparse, uneven bass look like a ballad's subdivisions; the pulse in threes does not
    result = run(_fast_waltz(bpm), ["beats"])
    assert result.tempo.bpm == pytest.approx(bpm, rel=0.04)
    assert str(result.time_signature) == "3/4"


def _dotted_arp_groove(bpm: float, bars: int = 24) -> np.ndarray:
    """Four-on-the-floor kick and bass under a six-note 16th arpeggio that repeats every dotted quarter
    (1.5 beats) regardless of the bar, accented on its first note: its period competes with the beat's."""
    from tests.dsp.synth import kick, midi_to_hz, normalise, place, tone

    beat = 60.0 / bpm
    out = np.zeros(int((bars * 4 * beat + 2.0) * SR))
    arp = [60, 64, 67, 72, 67, 64]
    for k in range(bars * 16):
        t = 0.5 + k * beat / 4
        if k % 4 == 0:
            place(out, kick(), t, gain=0.9)
        place(out, tone(midi_to_hz(arp[k % 6]), beat / 4, decay=0.3), t, gain=0.5 if k % 6 == 0 else 0.2)
        if k % 4 == 0:
            place(out, tone(midi_to_hz(36), 0.8 * beat, harmonics=4, decay=1.0), t, gain=0.3)
    return normalise(out)


def test_a_groove_repeating_every_dotted_quarter_is_counted_on_the_kick(run):
    # the arpeggio repeats every 1.5 beats (84.7 BPM); the kick and bass on every beat say 127
    assert run(_dotted_arp_groove(127.0), ["beats"]).tempo.bpm == pytest.approx(127.0, rel=0.04)


def test_tempo_estimate_prefers_the_beat_over_an_equally_strong_dotted_quarter_pattern():
    # onset envelopes (full and low band) with a pulse every beat at 127 BPM and one every 1.5 beats:
    # the slower lag wins the prior, the check for support at two thirds of it restores the beat
    from moss_music.analysis.dsp.beats import estimate_tempo
    from moss_music.analysis.dsp.features import FRAME_RATE

    period = 60 * FRAME_RATE / 127.0
    env = np.zeros(int(60 * FRAME_RATE))
    for step in (period, 1.5 * period):
        env[np.round(np.arange(0, len(env) - 2, step)).astype(int)] += 1.0
    env = np.convolve(env, [0.5, 1.0, 0.5], mode="same")
    bpm, confidence = estimate_tempo(env, env)
    assert bpm == pytest.approx(127.0, rel=0.02)
    assert confidence > 0.5


def test_with_chords_every_two_beats_the_bar_starts_where_the_music_does(run):
    """Kick on 1 and 3, a chord every two beats: nothing inside the song tells beat 1 from beat 3."""
    audio, truth = song([("C", 2), ("G", 2)], bpm=120.0, lead_in=1.3,
                        sections=[("A", 16, 0.8)])
    result = run(audio, ["beats"])
    assert str(result.time_signature) == "4/4"
    assert mir_eval.beat.f_measure(np.array(truth.downbeats), np.array(result.downbeats)) >= 0.9


def test_the_start_decides_only_between_equal_half_bars_and_clear_evidence_for_a_pickup_wins():
    from moss_music.analysis.dsp.beats import label_bars

    n = 96
    halves = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)  # beats 1 and 3 look alike
    for start in (0, 2):
        positions, metre, _ = label_bars(halves, start=start)
        assert metre == 4 and positions[start] == 1 and positions[start + 2] == 3
    pickup = np.where(np.arange(n) % 4 == 1, 3.0, -1.0)  # a clear bar line one beat after the first sound
    positions, metre, _ = label_bars(pickup, start=0)
    assert metre == 4 and positions[1] == 1 and positions[0] == 4


def test_cymbal_flux_hears_a_drum_kit_and_not_a_ballad():
    """The octave choice halves a fast grid for long chords only without a kit (octave.SUBDIVISION_CYMBAL_MAX)."""
    from moss_music.analysis.dsp import octave
    from moss_music.analysis.dsp.beats import cymbal_flux
    from moss_music.analysis.dsp.features import extract
    from moss_music.analysis.dsp.progress import Steps

    def flux(audio: np.ndarray) -> float:
        steps = Steps(None, None, {"features": 1.0})
        steps.begin("features", "reading")
        return cymbal_flux(extract(audio.astype(np.float32), SR, steps))

    progression = [("C", 8), ("A:min", 8), ("F", 8), ("G", 8)]
    band, _ = song(progression, bpm=136.0, sections=[("A", 16, 0.8)], melody_seed=1)
    no_kit, _ = song(progression, bpm=136.0, sections=[("A", 16, 0.8)], drums=False, melody_seed=1)
    assert flux(band) > octave.SUBDIVISION_CYMBAL_MAX > flux(no_kit)
    assert flux(arpeggio_ballad(64.0)) < octave.SUBDIVISION_CYMBAL_MAX


def test_a_stretch_slipped_onto_the_swung_off_beat_moves_back_and_a_true_grid_stays():
    from moss_music.analysis.dsp.beats import LATENCY, follow_swung_beat
    from moss_music.analysis.dsp.features import FRAME_RATE

    period, n = 0.6, 96
    beats = 1.0 + period * np.arange(n)
    low = np.zeros(int((beats[-1] + 2) * FRAME_RATE))
    for t in beats:  # walking bass and kick on every beat, a weaker swung comp two thirds in
        low[int(round((t - LATENCY) * FRAME_RATE))] = 1.0
        low[int(round((t + 2 / 3 * period - LATENCY) * FRAME_RATE))] = 0.5
    assert np.array_equal(follow_swung_beat(low, beats), beats)
    slipped = beats.copy()
    slipped[30:70] -= period / 3  # the tracker followed the comp for ten bars
    fixed = follow_swung_beat(low, slipped)
    assert np.max(np.abs(fixed[36:64] - beats[36:64])) < 0.02
    assert np.array_equal(fixed[:24], beats[:24])


@pytest.mark.parametrize(("offbeat", "swung"), [(0.5, False), (0.55, False), (0.62, True), (0.67, True)])
def test_swing_ratio_reads_where_the_offbeat_falls(offbeat, swung):
    """Straight or slightly late 8ths count as straight; 0.6 and up is swing (the chords are then read a
    little after the beat, analyzer.SWUNG_CHORD_DELAY)."""
    from moss_music.analysis.dsp.beats import LATENCY, SWING_MIN, swing_ratio
    from moss_music.analysis.dsp.features import FRAME_RATE

    period = 0.6
    beats = 1.0 + period * np.arange(64)
    env = np.zeros(int((beats[-1] + 2) * FRAME_RATE))
    for t in beats:
        env[int(round((t - LATENCY) * FRAME_RATE))] += 1.0
        env[int(round((t + offbeat * period - LATENCY) * FRAME_RATE))] += 0.7
    ratio = swing_ratio(env, beats)
    assert ratio == pytest.approx(offbeat, abs=0.025)
    assert (ratio >= SWING_MIN) == swung
    only_beats = np.zeros_like(env)
    only_beats[np.round((beats - LATENCY) * FRAME_RATE).astype(int)] = 1.0
    assert swing_ratio(only_beats, beats) == 0.5


def test_chord_spans_of_swung_music_start_later_but_keep_the_track_ends():
    from moss_music.analysis.dsp.analyzer import _delayed
    from moss_music.analysis.dsp.beats import BeatGrid

    times = np.arange(1.0, 9.0, 0.5)
    spans = np.concatenate([[0.0], times, [10.0]])
    delayed = _delayed(spans, BeatGrid(times, np.ones(len(times), dtype=int)), 0.2)
    assert delayed[0] == 0.0 and delayed[-1] == 10.0
    assert np.allclose(delayed[1:-1], times + 0.1)


def test_a_dotted_lag_over_a_two_beat_bass_figure_becomes_the_beat():
    """Bossa: the comping repeats every dotted quarter (3+3+2) and the tempo estimate can take that lag;
    the bass (on the beat and on the 'and' of 2) repeats every two beats, which is 4/3 of it."""
    from moss_music.analysis.dsp.beats import _bass_cycle_check
    from moss_music.analysis.dsp.features import FRAME_RATE

    beat = 60.0 / 126.0 * FRAME_RATE  # frames per beat
    n = int(60 * FRAME_RATE)
    bossa_bass, rock_bass = np.zeros(n), np.zeros(n)
    for two in range(200):
        for off, gain in ((0.0, 1.0), (1.5, 0.7)):
            k = int(round((two * 2 + off) * beat))
            if k < n:
                bossa_bass[k] += gain
    for b in range(400):
        k = int(round(b * beat))
        if k < n:
            rock_bass[k] += 1.0 if b % 2 == 0 else 0.8
    assert _bass_cycle_check(1.5 * beat, bossa_bass, 10) == pytest.approx(beat)
    assert _bass_cycle_check(beat, rock_bass, 10) == beat
    assert _bass_cycle_check(beat, bossa_bass, 10) == beat


def test_a_bass_on_the_beat_keeps_the_grid_when_the_comping_pushes_the_chords_onto_the_and(monkeypatch):
    """The phase check moves a grid to where chords change most, unless the low band hits the grid far
    harder than the moved one (bossa comping anticipates the chords; its bass stays on the beat)."""
    import dataclasses

    from moss_music.analysis.dsp import analyzer
    from moss_music.analysis.dsp.beats import LATENCY
    from moss_music.analysis.dsp.features import FRAME_RATE, extract
    from moss_music.analysis.dsp.progress import Steps

    steps = Steps(None, None, {"features": 1.0})
    steps.begin("features", "reading")
    silent = extract(np.zeros(SR * 20, dtype=np.float32), SR, steps)
    beats = 0.5 + 0.5 * np.arange(36)
    # harmony changes most half-way between the beats (the moved grid)
    monkeypatch.setattr(analyzer, "_harmonic_novelty",
                        lambda times, features, tuning: 0.6 if abs((times[0] - 0.5) % 0.5 - 0.25) < 0.01 else 0.2)

    def with_low_on(strong: np.ndarray, weak: np.ndarray):
        low = np.zeros(len(silent.onset_low), dtype=silent.onset_low.dtype)
        low[np.round((weak - LATENCY) * FRAME_RATE).astype(int)] = 0.1
        low[np.round((strong - LATENCY) * FRAME_RATE).astype(int)] = 1.0
        return dataclasses.replace(silent, onset_low=low)

    assert analyzer._on_the_beat(beats, with_low_on(beats, beats + 0.25), 0.0) is beats
    moved = analyzer._on_the_beat(beats, with_low_on(beats + 0.25, beats), 0.0)
    assert np.allclose(moved[:-1], beats[:-1] + 0.25)


def test_a_sustained_bass_under_plucked_notes_has_no_low_attacks_and_a_band_has():
    """Strings and harp: the low band has nothing to say where the beat is, so the swung-beat repair, which
    follows it, stays out (analyzer._beat_grid)."""
    from moss_music.analysis.dsp.beats import LOW_SHARE_MIN, low_share
    from moss_music.analysis.dsp.features import FRAME_RATE, extract
    from moss_music.analysis.dsp.progress import Steps
    from tests.dsp.synth import midi_to_hz, normalise, place, tone

    def features(audio: np.ndarray):
        steps = Steps(None, None, {"features": 1.0})
        steps.begin("features", "reading")
        return extract(audio.astype(np.float32), SR, steps)

    eighth = 60.0 / 140.0
    strings = np.zeros(SR * 24)
    for bar in range(10):
        bowed = tone(midi_to_hz(36), 8 * eighth, SR, harmonics=6, attack=0.6, decay=20.0)  # a slow bow, no attack
        place(strings, bowed, 0.5 + bar * 8 * eighth, SR, 0.5)
        for k in range(8):
            place(strings, tone(midi_to_hz((67, 72, 76, 79)[k % 4]), eighth, SR), 0.5 + (bar * 8 + k) * eighth, SR, 0.3)
    strings = normalise(strings)
    grid = np.round((0.5 + eighth * np.arange(70) - 0.005) * FRAME_RATE).astype(np.int64)
    soft = features(strings)
    assert low_share(soft, grid) < LOW_SHARE_MIN
    band, _ = song([("C", 4), ("G", 4)], bpm=120.0, sections=[("A", 8, 0.8)])
    band_grid = np.round((0.5 + 0.5 * np.arange(60) - 0.005) * FRAME_RATE).astype(np.int64)
    assert low_share(features(band), band_grid) >= LOW_SHARE_MIN
