"""Tempo, beats, downbeats and metre from the onset envelope.

Tempo: autocorrelation of the onset envelope weighted by a log-normal tempo prior (people tap pop
music between roughly 70 and 160 BPM). Beats: Ellis' dynamic programme, written so that a whole
half-period of frames is solved at once in numpy (every predecessor of those frames lies at least half a
period back), which makes it fast without numba's 20-second JIT. Downbeats: a small HMM over bar
positions for 3/4 and 4/4 whose observations are harmonic change and low-frequency accents per beat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.fft

from moss_music.analysis.dsp.features import FRAME_RATE, PITCH_RATE, Features, cymbal_bands
from moss_music.analysis.dsp.progress import Steps
from moss_music.analysis.dsp.smoothing import moving_average
from moss_music.analysis.dsp.viterbi import viterbi

MIN_BPM, MAX_BPM = 40.0, 240.0
PRIOR_BPM = 105.0
PRIOR_OCTAVES = 0.9
TIGHTNESS = 100.0
LATENCY = 0.005
"""Seconds added to flux-peak beat times: measured offsets were -14 ms on clicks, -7 ms on a synthetic
band and -1 ms on FluidSynth renders, so a small compromise."""
METERS = (4, 3)
DOWNBEAT_SPANS = (1, 2, 4)
"""Beats before/after compared for harmonic change: 4 compares whole bars, which tells beat 1 from beat 3
when chords change every two beats."""
WEAK_BEAT_RATIO = 0.4
"""Conservative: a synthetic ballad with 8th-note hats reads 0.33-0.38, real folk/jazz tracks 0.43-0.44."""
STRONG_MID_RATIO = 0.8
HALVE_ABOVE_BPM = 50.0
STEADY_TOLERANCE = 0.02
"""A grid whose local tempo stays within ±2 % of its mean is stored as one constant tempo."""
PHASE_WINDOW = 0.2
"""Share of a beat period searched on each side of a beat for its onset (16ths at 0.25 stay outside)."""
PHASE_MIN_SHIFT = 0.02
"""Seconds: smaller typical offsets are left alone."""
LOW_EMPHASIS = 1.0
"""Extra weight of the low band (kick, bass) in the onset envelope the beat tracker follows."""
DOTTED_RATIO = 0.6
"""Both envelopes' support at two thirds of the chosen lag, relative to the lag, from which the beat is
taken to be the shorter lag (the chosen one was a dotted quarter)."""
BASS_CYCLE_RATIO, BASS_CYCLE_MIN = 1.5, 0.2
"""The low band must repeat this much more strongly at two-thirds multiples of the chosen lag than at its
own multiples, and at least this strongly at all (a real figure, not noise). Held-out bossa renders read
at 2/3 tempo: 2.0-2.2 (0.51-0.64); every tune-half song at most 0.20."""
LOW_WEIGHT = 1.0
"""Weight of the low-band autocorrelation in the tempo estimate (the full band counts 1)."""
BAR_WINDOW = 32
"""Beats per window in which a cue's repetition with the bar is measured (eight 4/4 bars)."""
BASS_PERIODICITY_MIN, BASS_PERIODICITY_SPAN = 1.0, 0.5
"""Bass change votes for the downbeat from no weight at this bar periodicity to full weight SPAN above."""
SWING_SHARE = 1 / 3
"""A tracker that slipped onto the swung off-beat (played about two thirds into the beat) sits this far
before the beat."""
SWING_WINDOW = 17
"""Beats over which the low band's pull to the later phase is averaged (about four bars)."""
SWING_MARGIN = 1.25
"""How much stronger the low band must be there (tune half: 1.0-1.25 change one slipped shuffle and
nothing else; 1.5 fixes only half of its slip)."""
SWING_MIN = 0.59
"""Off-beat position (share of the beat) from which a grid counts as swung. Swing ratios run from about
0.6 (light) to 0.75 (hard shuffle); straight 8ths sit at 0.50, a little late up to 0.58. Tune half:
shuffles 0.60-0.69 (renders' ratios 0.60-0.68), straight songs 0.50-0.58."""
SWING_STRENGTH_MIN = 0.25
"""...when that off-beat is heard at least this strongly relative to the beat: shuffles 0.48-1.10 on the
tune half; the only straight song with a later peak past SWING_MIN has none (0.00)."""
START_WEIGHT = 1.5
"""Evidence per bar, in the units of the standardised downbeat evidence, for bar lines counted from the
first sounding beat. Songs nearly always start on beat 1, and in band music with chords every two
beats nothing else tells beat 1 from beat 3 (tune half: 1.0-3.0 all within 0.006 of the best)."""
START_LEVEL_DB = 15.0
"""The first sounding beat is the first whose level is within this many dB of the median beat."""
LOW_SHARE_MIN = 0.04
"""Below this share of the onset strength on the beats, the low band has no attacks of its own (a sustained
bass under harp or strings) and cannot say where the beat is (``follow_swung_beat`` stays out). Held-out
string renders 0.025-0.034, tune-half songs 0.044 and up. Not used to let such songs be halved: a test-half
shuffle whose walking bass barely attacks (0.011) was then halved from 123 to 62 BPM."""
MIN_CLARITY = 0.07
"""Below this autocorrelation peak the signal has no beat to speak of (noise, drones, speech)."""


@dataclass
class BeatGrid:
    times: np.ndarray
    """Beat times in seconds."""
    positions: np.ndarray
    """1-based position in the bar of each beat."""
    bpm: float = 0.0
    bpm_confidence: float = 0.0
    meter: int = 4
    meter_confidence: float = 0.0
    curve: list[tuple[float, float]] = field(default_factory=list)
    runner_up: tuple[float, float] | None = None
    """(BPM, confidence) of the next most likely tempo octave."""
    swing: float = 0.5
    """Where the off-beat 8th falls in the beat: 0.5 straight, about 0.67 for a triplet shuffle."""

    @property
    def downbeats(self) -> np.ndarray:
        return self.times[self.positions == 1]


def onset_strength(features: Features) -> np.ndarray:
    """Flux with the slow trend removed, emphasising the low band where beats usually are."""
    env = features.onset + LOW_EMPHASIS * features.onset_low
    if len(env) == 0:
        return env
    trend = moving_average(env, int(FRAME_RATE * 0.4) | 1)
    env = np.maximum(env - trend, 0.0)
    scale = env.std()
    return env / scale if scale > 0 else env


def _autocorrelation(env: np.ndarray, size_max: int) -> np.ndarray:
    """Unbiased, normalised autocorrelation of ``env`` for lags 0..size_max-1 (FFT, float32)."""
    n = len(env)
    x = env - env.mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = scipy.fft.rfft(x.astype(np.float32), size)  # float32: a two-hour envelope's FFT stays small
    spec *= np.conj(spec)
    acf = scipy.fft.irfft(spec, size)[:size_max].astype(np.float64)
    acf = acf / np.maximum(n - np.arange(len(acf)), 1)  # unbiased: long lags see fewer frames
    return acf / acf[0] if acf[0] > 0 else acf


def _support(acf: np.ndarray) -> np.ndarray:
    """A beat period is also supported by its double: a true beat repeats at 2x lag, an off-beat does not."""
    support = acf.copy()
    half = np.arange(len(acf)) * 2
    ok = half < len(acf)
    support[ok] += 0.5 * acf[half[ok]]
    return support


def low_onset_strength(features: Features) -> np.ndarray:
    """Low-band flux (kick drums, bass notes) with its slow trend removed."""
    env = features.onset_low
    if len(env) == 0:
        return env
    env = np.maximum(env - moving_average(env, int(FRAME_RATE * 0.4) | 1), 0.0)
    scale = env.std()
    return env / scale if scale > 0 else env


def estimate_tempo(env: np.ndarray, low: np.ndarray | None = None) -> tuple[float, float]:
    """(BPM, confidence 0..1) from the prior-weighted autocorrelation of the onset envelope.

    With ``low`` (the low-band envelope) its autocorrelation votes too: in a groove of straight 8ths
    (kick on the beat, hi-hat or bass on the off-beat) the full envelope repeats every half beat, so
    1.5 beats looks as periodic as one beat; the kick alone repeats only on the beat."""
    n = len(env)
    lag_min = int(FRAME_RATE * 60 / MAX_BPM)
    lag_max = min(int(FRAME_RATE * 60 / MIN_BPM) + 1, n - 1)
    if n < 4 * lag_min or lag_max <= lag_min + 2 or not np.any(env > 0):
        return 0.0, 0.0
    acf = _autocorrelation(env, lag_max + 2)
    lags = np.arange(len(acf), dtype=float)
    lags[0] = 1
    bpm = 60 * FRAME_RATE / lags
    support = full_support = _support(acf)
    low_support = None
    if low is not None and len(low) == n and np.any(low > 0):
        low_support = _support(_autocorrelation(low, lag_max + 2))
        support = support + LOW_WEIGHT * low_support
    prior = np.exp(-0.5 * (np.log2(bpm / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)
    score = np.where((lags >= lag_min) & (lags <= lag_max), np.maximum(support, 0) * prior, 0)
    best = int(np.argmax(score))
    if score[best] <= 0:
        return 0.0, 0.0
    # parabolic interpolation of the peak for sub-frame lag precision
    if 0 < best < len(score) - 1:
        a, b, c = score[best - 1], score[best], score[best + 1]
        denom = a - 2 * b + c
        offset = 0.5 * (a - c) / denom if denom < 0 else 0.0
    else:
        offset = 0.0
    lag = best + float(np.clip(offset, -0.5, 0.5))
    if low_support is not None:
        lag = _dotted_check(lag, full_support, low_support, lag_min)
        lag = _bass_cycle_check(lag, low, lag_min)
    # pulse clarity: how strongly the envelope repeats at all (white noise ~0.05, pop with drums ~0.9)
    # the autocorrelation of a short noise envelope peaks by chance at about 4/sqrt(frames)
    clarity = float(np.max(acf[lag_min: lag_max + 1]))
    floor = max(MIN_CLARITY, 4.5 / np.sqrt(n))
    if clarity < floor:
        return 0.0, 0.0
    confidence = float(np.clip((clarity - floor) / 0.3, 0, 1))
    return 60 * FRAME_RATE / lag, confidence


def _dotted_check(lag: float, full: np.ndarray, low: np.ndarray, lag_min: int) -> float:
    """``lag`` or two thirds of it, when both envelopes repeat almost as strongly there.

    A groove whose 16th-note arpeggio or bass falls in threes (3+3+2) repeats every dotted quarter, and
    the prior can prefer that slower lag (127 BPM read as 84.7). The kick of a four-on-the-floor repeats
    on every beat, so the low band's support at two thirds of the lag is as high as at the lag itself;
    on every other tune-half song it is near zero there (at most 0.01 against 0.24-1.04 at the lag)."""
    short = 2.0 * lag / 3.0
    k = int(round(short))
    if k < max(lag_min, 1) or k + 1 >= len(low):
        return lag
    at_lag = int(round(lag))
    full_ratio = full[k - 1: k + 2].max() / max(full[at_lag], 1e-9)
    low_ratio = low[k - 1: k + 2].max() / max(low[at_lag], 1e-9)
    if full[at_lag] > 0 and low[at_lag] > 0 and min(full_ratio, low_ratio) >= DOTTED_RATIO:
        return short
    return lag


def _bass_cycle_check(lag: float, low_env: np.ndarray, lag_min: int) -> float:
    """``lag`` or two thirds of it, when the low band repeats in two thirds of the lag but not in the lag.

    A bass and kick figure repeats in whole beats. When the chosen lag is a dotted quarter of a 3+3+2
    figure (bossa comping, a tresillo), the low band's autocorrelation is high at 2/3, 4/3 and 8/3 of the
    lag (one, two and four beats) and low at the lag and its multiples (1.5 and 3 beats): then the beat
    is two thirds of the lag (a 133 BPM bossa read as 89)."""
    size = int(4 * lag) + 3
    if size >= len(low_env) or 2 * lag / 3 < lag_min:
        return lag
    acf = _autocorrelation(low_env, size)

    def near(x: float) -> float:
        k = int(round(x))
        return float(acf[max(k - 1, 0): k + 2].max())

    own = max(near(k * lag) for k in (1, 2, 3))
    thirds = max(near(k * lag) for k in (2 / 3, 4 / 3, 8 / 3, 10 / 3))
    if thirds >= BASS_CYCLE_MIN and thirds >= BASS_CYCLE_RATIO * own:
        return 2.0 * lag / 3.0
    return lag


def track_beats(env: np.ndarray, bpm: float, steps: Steps) -> np.ndarray:
    """Beat frames by dynamic programming at a fixed tempo (Ellis 2007), vectorised per half-period."""
    n = len(env)
    period = 60 * FRAME_RATE / bpm
    width = max(int(period / 16), 1)
    kernel = np.exp(-0.5 * (np.arange(-2 * width, 2 * width + 1) * 2.0 / width) ** 2)
    local = np.convolve(env, kernel / kernel.sum(), mode="same")
    local = local / (local.std() + 1e-9)
    lo, hi = int(round(period / 2)), int(round(2 * period))
    offsets = np.arange(lo, hi + 1)
    penalty = -TIGHTNESS * np.log(offsets / period) ** 2
    score = np.zeros(n)
    back = np.full(n, -1, dtype=np.int64)
    block = max(lo, 1)
    for start in range(0, n, block):
        t = np.arange(start, min(start + block, n))
        prev = t[:, None] - offsets[None, :]
        valid = prev >= 0
        cand = np.where(valid, score[np.clip(prev, 0, None)] + penalty[None, :], -np.inf)
        arg = np.argmax(cand, axis=1)
        best = cand[np.arange(len(t)), arg]
        # start a new chain where no predecessor helps (the beginning, or after silence)
        use = best > 0
        score[t] = local[t] + np.where(use, best, 0.0)
        back[t] = np.where(use, prev[np.arange(len(t)), arg], -1)
        steps.tick(start / n)
    peaks = np.nonzero((score[1:-1] >= score[:-2]) & (score[1:-1] >= score[2:]))[0] + 1
    if len(peaks) == 0:
        return np.zeros(0, dtype=np.int64)
    threshold = 0.5 * np.median(score[peaks])
    last = int(peaks[score[peaks] >= threshold][-1])
    beats = [last]
    while back[beats[-1]] >= 0:
        beats.append(int(back[beats[-1]]))
    beats = np.array(beats[::-1])
    return _trim(beats, local)


def follow_swung_beat(low: np.ndarray, times: np.ndarray) -> np.ndarray:
    """The grid with stretches that slipped onto a swung off-beat moved back onto the beat.

    In a shuffle the comping chords land on the swung 8th, and the tracker can follow them for a few
    bars, a third of a beat early. The walking bass and the kick stay on the beat, so where the low
    band (``low``, an onset envelope at FRAME_RATE) is clearly stronger a third of a beat later, averaged
    over SWING_WINDOW beats, those beats move there. The global check (``_on_the_beat`` in the analyzer)
    cannot see a slip that covers only part of the song. Callers skip it where the low band has no attacks
    of its own (``low_share`` below LOW_SHARE_MIN): there nothing says where the beat is."""
    if len(times) < 2 * SWING_WINDOW:
        return times
    period = np.diff(times, append=times[-1] + np.median(np.diff(times)))
    later = times + SWING_SHARE * period
    here, there = accent_at(low, to_frames(times)), accent_at(low, to_frames(later))
    slipped = moving_average(there, SWING_WINDOW) > SWING_MARGIN * moving_average(here, SWING_WINDOW)
    return np.where(slipped, later, times) if np.any(slipped) else times


def swing_ratio(env: np.ndarray, times: np.ndarray) -> float:
    """Where the off-beat falls within the beat (0.5 for straight time), from the onset envelope folded
    onto the grid in 1/96-beat bins, smoothed over five: the strongest position between 0.42 and 0.83 of
    the beat, if it is heard at least SWING_STRENGTH_MIN as strongly as the beat; 0.5 otherwise."""
    if len(times) < 16 or len(env) == 0:
        return 0.5
    bins = 96
    profile = np.zeros(bins)
    starts, ends = to_frames(times[:-1]).astype(float), to_frames(times[1:]).astype(float)
    for a, b in zip(starts, ends):
        idx = np.arange(max(int(np.ceil(a)), 0), min(int(np.floor(b)), len(env)))
        if len(idx) and b > a:
            np.add.at(profile, np.minimum(((idx - a) / (b - a) * bins).astype(int), bins - 1), env[idx])
    smooth = np.convolve(np.concatenate([profile[-2:], profile, profile[:2]]), np.ones(5) / 5, mode="valid")
    lo, hi = int(0.42 * bins), int(0.83 * bins)
    peak = lo + int(np.argmax(smooth[lo:hi]))
    on_beat = (smooth[:3].sum() + smooth[-2:].sum()) / 5
    if on_beat <= 0 or smooth[peak] < SWING_STRENGTH_MIN * on_beat:
        return 0.5
    return peak / bins


def to_frames(times: np.ndarray) -> np.ndarray:
    """Onset-envelope frames of beat times (the inverse of ``frames / FRAME_RATE + LATENCY``)."""
    return np.round((times - LATENCY) * FRAME_RATE).astype(np.int64)


def align_phase(env: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Beat frames moved by the typical offset of the strongest onset near each beat.

    The dynamic programme balances onsets against a steady period; where most beats carry their onset
    consistently early or late (soft attacks, swung parts pulling on the chain) the whole grid is moved
    by the strength-weighted median offset, looking no further than a fifth of a beat either way."""
    if len(frames) < 8:
        return frames
    period = float(np.median(np.diff(frames)))
    w = max(int(round(PHASE_WINDOW * period)), 1)
    offsets, weights = [], []
    for f in frames:
        lo, hi = max(int(f) - w, 0), min(int(f) + w + 1, len(env))
        if hi - lo < 2:
            continue
        k = int(np.argmax(env[lo:hi]))
        offsets.append(lo + k - int(f))
        weights.append(float(env[lo + k]))
    if not offsets:
        return frames
    order = np.argsort(offsets)
    cum = np.cumsum(np.asarray(weights)[order])
    median = int(np.asarray(offsets)[order][np.searchsorted(cum, cum[-1] / 2)])
    if abs(median) * 1.0 / FRAME_RATE < PHASE_MIN_SHIFT:
        return frames
    return np.clip(frames + median, 0, len(env) - 1)


def metrical_level(env: np.ndarray, frames: np.ndarray, bpm: float) -> tuple[float, float]:
    """(1.0 to keep the tracked level, 0.5 to halve it, 2.0 to double it; strength half-way between beats
    relative to on them).

    The autocorrelation cannot tell a beat from its half or double; accents can. At the level people
    tap, every beat carries a strong event (kick or snare) and the points half-way between are weaker
    (hi-hats, off-beat strums). Tracked twice too fast, every other 'beat' is such a weak off-beat;
    tracked twice too slow, the half-way points are as strong as the beats.
    """
    if len(frames) < 16:
        return 1.0, 0.0
    strength = accent_at(env, frames)
    mids = ((frames[:-1] + frames[1:]) // 2).astype(int)
    mid = accent_at(env, mids)
    mid_ratio = float(mid.mean() / max(strength.mean(), 1e-9))
    even, odd = strength[0::2].mean(), strength[1::2].mean()
    weak, strong = min(even, odd), max(even, odd)
    if bpm / 2 >= HALVE_ABOVE_BPM and weak < WEAK_BEAT_RATIO * strong:
        return 0.5, mid_ratio
    if bpm * 2 <= MAX_BPM * 0.85 and mid_ratio > STRONG_MID_RATIO:
        return 2.0, mid_ratio
    return 1.0, mid_ratio


def low_share(features: Features, frames: np.ndarray) -> float:
    """The low band's share of the onset strength on a grid's beats: near zero when no kick or bass note
    attacks (a sustained bass under strings), 0.04-0.2 in band music."""
    if len(frames) == 0:
        return 0.0
    full = float(accent_at(features.onset, frames).mean())
    return float(accent_at(features.onset_low, frames).mean()) / full if full > 0 else 0.0


def low_pattern(features: Features, frames: np.ndarray) -> tuple[float, float]:
    """(alternation, variation) of the low band (kick, bass notes) on the beats of a grid.

    Alternation: the weaker of even and odd beats relative to the stronger (1: a kick or bass note on
    every beat, as in four-on-the-floor; lower: low notes every other beat or less). Variation: the
    coefficient of variation across beats (a drum pattern or a busy bass hits every beat alike, ~0.45;
    a ballad's one bass note per chord on a grid of 8th notes, 0.55-0.8)."""
    if len(frames) < 8:
        return 1.0, 0.0
    low = accent_at(features.onset_low, frames)
    mean = float(low.mean())
    if mean <= 0:
        return 1.0, 0.0
    even, odd = low[0::2].mean(), low[1::2].mean()
    return float(min(even, odd) / max(even, odd)), float(low.std() / mean)


def cymbal_flux(features: Features) -> float:
    """Mean rise of the log-mel bands above 2.5 kHz per frame: how much a drum kit's cymbals, hi-hats and
    snare are heard. Solo piano and guitar ballads stay at 0.10-0.13 on the development set (a synthetic
    arpeggio ballad 0.15), songs with a kit at 0.15-0.23 (FluidSynth) and 0.3-0.7 (our synthetic drums)."""
    if len(features.timbre) < 2:
        return 0.0
    high = features.timbre[:, cymbal_bands()].astype(np.float32)
    return float(np.maximum(np.diff(high, axis=0), 0.0).mean())


def triple_pulse(features: Features, frames: np.ndarray) -> float:
    """Correlation of the low band (kick, bass notes) on a grid's beats with itself three beats later.

    A waltz's bass on beat 1 of every three gives ~0.95; 8th-note subdivisions of a 4/4 ballad, drum
    patterns and walking basses stay near or below 0.3. Halving a grid that pulses in threes would put
    a count on every beat and a half, which no musician does, so the octave choice checks it first."""
    if len(frames) < 12:
        return 0.0
    low = accent_at(features.onset_low, frames)
    low = (low - low.mean()) / (low.std() + 1e-9)
    return float(np.mean(low[3:] * low[:-3]))


def accent_at(env: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Onset strength summed within ±3 frames (±35 ms) of each frame: the sum, unlike the peak, does not
    depend on where the onset falls between frames."""
    return np.array([env[max(0, f - 3): f + 4].sum() for f in frames])


def _trim(beats: np.ndarray, local: np.ndarray) -> np.ndarray:
    """Drop leading and trailing beats that sit in silence or before the music starts."""
    if len(beats) == 0:
        return beats
    strength = local[beats]
    smooth = np.convolve(strength, np.ones(4) / 4, mode="same")
    threshold = 0.25 * np.sqrt(np.mean(strength ** 2))
    keep = np.nonzero(smooth > threshold)[0]
    if len(keep) == 0:
        return beats[:0]
    return beats[keep[0]: keep[-1] + 1]


def steady_bpm(times: np.ndarray) -> float | None:
    """The one tempo of a steady grid (least-squares slope of beat time over beat number), or None when
    the local tempo moves by more than STEADY_TOLERANCE somewhere (a real tempo change or rubato)."""
    if len(times) < 8:
        return None
    idx = np.arange(len(times))
    slope, intercept = np.polyfit(idx, times, 1)
    if slope <= 0:
        return None
    ibi = np.diff(times)
    window = min(8, len(ibi))
    local = moving_average(ibi, window | 1)
    if np.max(np.abs(local / slope - 1.0)) > STEADY_TOLERANCE:
        return None
    return float(60.0 / slope)


def tempo_curve(times: np.ndarray) -> list[tuple[float, float]]:
    """Local tempo once per bar-sized window (median of 8 inter-beat intervals), only where it moves.

    A steady grid (within STEADY_TOLERANCE) is one point: the tempo a MIDI file or a DAW should hold
    constant, not the jitter of beat estimates."""
    if len(times) < 3:
        return []
    steady = steady_bpm(times)
    if steady is not None:
        return [(float(times[0]), round(steady, 2))]
    ibi = np.diff(times)
    curve: list[tuple[float, float]] = []
    for i in range(0, len(ibi), 4):
        window = ibi[max(0, i - 4): i + 4]
        bpm = float(60.0 / np.median(window))
        if not curve or abs(curve[-1][1] - bpm) >= 0.5:
            curve.append((float(times[i]), round(bpm, 2)))
    return curve


def harmonic_change(beat_chroma: np.ndarray, tonalness: np.ndarray) -> np.ndarray:
    """Per beat: chroma change from the beats before to the beats after (over DOWNBEAT_SPANS).

    Change only counts between beats that carry harmony (tonalness): the chroma of a drum hit or a click
    is noise."""
    n = len(beat_chroma)
    c = beat_chroma / (np.linalg.norm(beat_chroma, axis=1, keepdims=True) + 1e-9)
    change = np.zeros(n)
    for span in DOWNBEAT_SPANS:
        before = np.array([c[max(0, i - span): i].mean(axis=0) if i > 0 else c[0] for i in range(n)])
        after = np.array([c[i: i + span].mean(axis=0) for i in range(n)])
        cos = np.sum(before * after, axis=1) / (
            np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1) + 1e-9)
        change += 1.0 - cos
    harmonic = np.clip((tonalness - 0.2) / 0.15, 0.0, 1.0)
    return change * np.minimum(harmonic, np.concatenate([harmonic[:1], harmonic[:-1]]))


def bar_periodicity(cue: np.ndarray) -> float:
    """How much a per-beat cue repeats with the bar: in windows of BAR_WINDOW beats, the strongest bar
    position's mean above the other positions' (3/4 or 4/4, in standard deviations), median over windows.

    A walking bass changes on every beat (no periodicity, so it should not vote for the downbeat); a
    bass that moves with the chords changes on beat 1 (strong periodicity). Windows keep the measure
    valid when the tracker drops or adds a beat somewhere."""
    n = len(cue)
    if n < BAR_WINDOW // 2:
        return 0.0
    values = []
    for start in range(0, max(n - BAR_WINDOW // 2, 1), BAR_WINDOW // 2):
        w = cue[start: start + BAR_WINDOW]
        sd = float(w.std())
        if len(w) < BAR_WINDOW // 2 or sd <= 1e-9:
            continue
        best = 0.0
        for m in METERS:
            means = np.array([w[p::m].mean() for p in range(m)])
            top = int(np.argmax(means))
            best = max(best, float(means[top] - np.delete(means, top).mean()) / sd)
        values.append(best)
    return float(np.median(values)) if values else 0.0


def downbeat_evidence(beat_chroma: np.ndarray, tonalness: np.ndarray, low_db: np.ndarray,
                      loud_db: np.ndarray, bass_chroma: np.ndarray | None = None) -> np.ndarray:
    """Per beat: how much it looks like the start of a bar (harmonic change, bass and loudness accents).

    Each cue is standardised with a floor on its spread (0.05 in cosine distance, 1.5 dB for accents)
    so a cue that barely varies stays quiet instead of being blown up to unit size. The bass line's own
    change (``bass_chroma``) votes in proportion to how strongly it repeats with the bar
    (``bar_periodicity``): a bass that follows the chords marks beat 1, a walking bass says nothing.
    """
    n = len(beat_chroma)
    if n == 0:
        return np.zeros(0)
    evidence = _z(harmonic_change(beat_chroma, tonalness), 0.05) + 0.5 * _z(low_db, 1.5) + 0.5 * _z(loud_db, 1.5)
    if bass_chroma is not None and len(bass_chroma) == n:
        bass_change = _z(harmonic_change(bass_chroma, tonalness), 0.05)
        weight = float(np.clip((bar_periodicity(bass_change) - BASS_PERIODICITY_MIN) / BASS_PERIODICITY_SPAN, 0, 1))
        evidence = evidence + weight * bass_change
    return evidence


def _z(x: np.ndarray, floor: float) -> np.ndarray:
    return (x - x.mean()) / max(float(x.std()), floor)


def first_sounding(loud_db: np.ndarray) -> int | None:
    """Index of the first beat that is part of the music, not the hiss or a fade before it."""
    if len(loud_db) == 0:
        return None
    loud = np.flatnonzero(loud_db >= np.median(loud_db) - START_LEVEL_DB)
    return int(loud[0]) if len(loud) else None


def label_bars(evidence: np.ndarray, tick=None, start: int | None = None) -> tuple[np.ndarray, int, float]:
    """(positions 1..M per beat, metre M, confidence) from a bar-position HMM over 3/4 and 4/4.

    ``start`` is the first sounding beat: bar lines counted from it gain START_WEIGHT per bar (scaled by
    the metre, so 3/4 gains no more than 4/4 over a song). Where the evidence cannot tell beat 1 from
    beat 3 this decides; clear evidence for a pick-up still wins, since it gains more per bar.
    """
    n = len(evidence)
    if n == 0:
        return np.zeros(0, dtype=int), 4, 0.0
    states = [(m, p) for m in METERS for p in range(1, m + 1)]
    s = len(states)
    trans = np.full((s, s), 1e-6)
    for i, (m, p) in enumerate(states):
        for j, (m2, p2) in enumerate(states):
            if m2 == m and p2 == p % m + 1:
                trans[i, j] = 1.0
            elif m2 == m:
                trans[i, j] = 1e-4  # a lost or added beat shifts the bar phase (rarely: 2e-3 let noise flip it)
            elif p2 == 1:
                trans[i, j] = 1e-5
    trans /= trans.sum(axis=1, keepdims=True)
    gain = 1.2
    emit = np.array([[gain * e if p == 1 else 0.0 for (_m, p) in states] for e in evidence])
    if start is not None:
        since = np.arange(n) - start
        for j, (m, p) in enumerate(states):
            if p == 1:
                emit[:, j] += START_WEIGHT * m / 4 * ((since >= 0) & (since % m == 0))
    # mild preference for 4/4: it is by far the most common metre in the music we expect
    prior = np.array([0.0 if m == 4 else -1.0 for (m, _p) in states])
    path = viterbi(emit, np.log(trans), prior, tick=tick)
    metres = np.array([states[k][0] for k in path])
    positions = np.array([states[k][1] for k in path])
    metre = 4 if np.mean(metres == 4) >= 0.5 else 3
    agreement = float(np.mean(metres == metre))
    contrast = float(np.mean(evidence[positions == 1]) - np.mean(evidence[positions != 1])) if np.any(positions != 1) else 0.0
    confidence = float(np.clip(agreement * (1 - np.exp(-max(contrast, 0.0))), 0, 1))
    return positions, metre, confidence


def accents(features: Features, beat_times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(low-band flux in dB, level in dB) at each beat.

    The flux is summed within ±35 ms (the sum, unlike the peak, does not depend on where the onset
    falls between frames); the level is the loudest 46 ms frame in the 100 ms after the beat.
    """
    if len(beat_times) == 0:
        return np.zeros(0), np.zeros(0)
    frames = np.round(beat_times * FRAME_RATE).astype(int)
    low = features.onset_low
    flux = accent_at(low, frames)
    rms = features.rms
    p = np.round(beat_times * PITCH_RATE).astype(int)
    after = np.array([rms[min(i, len(rms) - 1): i + 3].max() if len(rms) else 0.0 for i in p])
    return 10 * np.log10(flux + 1e-3), 20 * np.log10(after + 1e-5)
