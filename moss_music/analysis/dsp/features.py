"""One streaming pass over the audio that computes every low-level feature the estimators share.

Everything runs at 11.025 kHz (soxr, block by block, when the caller did not decode at that rate): onsets
and timbre need nothing above 5 kHz, and a two-hour file then takes 320 MB as samples instead of 640 MB,
which keeps a whole analysis under 500 MB. Only reduced features are kept (one float per onset frame, a
1/3-semitone spectrum in float16 and a mel vector per 46 ms pitch frame), never a full spectrogram.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft  # 3-4x faster than numpy.fft on float32 frames, for ~0.4 s of import
import soxr
from numpy.lib.stride_tricks import sliding_window_view

from moss_music.analysis.dsp.loudness import LoudnessMeter
from moss_music.analysis.dsp.progress import Steps

SR = 11025
HOP = 128
N_FFT = 512
FRAME_RATE = SR / HOP
"""Onset frames per second (86.1)."""
PITCH_SR = 11025
PITCH_HOP = 512
PITCH_NFFT = 4096
PITCH_RATE = PITCH_SR / PITCH_HOP
"""Pitch/timbre frames per second (21.5): exactly one per 4 onset frames."""

MIDI_LO = 28
"""E1: the lowest bass string."""
MIDI_HI = 97
BINS_PER_SEMITONE = 3
N_MELS = 40
LOW_BAND_HZ = 180.0
CYMBAL_BAND_HZ = 2500.0
"""Mel bands from here up carry cymbals, hi-hats and the snare's rattle (no instrument's fundamentals)."""
BLOCK = 1 << 16
"""Input samples per streaming step: small enough that per-block spectra stay a few MB."""


@dataclass
class Features:
    duration: float
    onset: np.ndarray
    """Spectral flux of log-mel magnitudes, one value per onset frame (FRAME_RATE)."""
    onset_low: np.ndarray
    """The same flux restricted to bands below LOW_BAND_HZ: kick drums and bass notes."""
    logspec: np.ndarray
    """(frames, semitones * 3) magnitude spectrum (float16) on a 1/3-semitone grid from MIDI_LO, at PITCH_RATE."""
    timbre: np.ndarray
    """(frames, N_MELS) log-mel magnitudes (float16) averaged to PITCH_RATE."""
    rms: np.ndarray
    """Frame RMS at PITCH_RATE."""
    meter: LoudnessMeter
    """The loudness meter that saw the native-rate stream; read its results at the end."""


def cymbal_bands() -> np.ndarray:
    """Mask of the mel bands (``Features.timbre`` columns) at or above CYMBAL_BAND_HZ."""
    _mel_matrix()
    return _CACHE["cymbal"]  # type: ignore[return-value]


def audible(rms: np.ndarray) -> np.ndarray:
    """Frames with sound: above -60 dBFS, or 40 dB under the loud passages of a very quiet recording."""
    if len(rms) == 0:
        return np.zeros(0, dtype=bool)
    threshold = max(min(1e-3, 0.01 * float(np.percentile(rms, 95))), 1e-5)
    return rms > threshold


class _Framer:
    """Cuts a stream into centred, overlapping frames (frame i is centred on sample i * hop)."""

    def __init__(self, n_fft: int, hop: int) -> None:
        self.n_fft, self.hop = n_fft, hop
        self.buf = np.zeros(n_fft // 2, dtype=np.float32)

    def push(self, x: np.ndarray, last: bool = False) -> np.ndarray:
        parts = [self.buf, x.astype(np.float32, copy=False)]
        if last:
            parts.append(np.zeros(self.n_fft // 2, dtype=np.float32))
        buf = np.concatenate(parts)
        if len(buf) < self.n_fft:
            self.buf = buf
            return np.zeros((0, self.n_fft), dtype=np.float32)
        n = 1 + (len(buf) - self.n_fft) // self.hop
        frames = sliding_window_view(buf, self.n_fft)[:: self.hop][:n]
        self.buf = buf[n * self.hop:]
        return frames


def _log_frequency_matrix() -> np.ndarray:
    """Maps PITCH_NFFT magnitudes onto the 1/3-semitone grid.

    Each grid bin averages the FFT bins inside its triangle; where the FFT is coarser than the grid
    (the bass range) it interpolates linearly between the two nearest FFT bins instead, so no grid bin
    is empty.
    """
    n_bins = PITCH_NFFT // 2 + 1
    freqs = np.arange(n_bins) * PITCH_SR / PITCH_NFFT
    with np.errstate(divide="ignore"):
        pitch = 69 + 12 * np.log2(np.maximum(freqs, 1e-6) / 440.0)
    grid = MIDI_LO + (np.arange((MIDI_HI - MIDI_LO) * BINS_PER_SEMITONE) - 1) / BINS_PER_SEMITONE
    step = 1.0 / BINS_PER_SEMITONE
    rows, cols, vals = [], [], []
    for k, p in enumerate(grid):
        w = 1.0 - np.abs(pitch - p) / step
        idx = np.nonzero(w > 0)[0]
        if len(idx) >= 2:
            weights = w[idx] / w[idx].sum()
        else:
            f = 440.0 * 2 ** ((p - 69) / 12)
            pos = f * PITCH_NFFT / PITCH_SR
            lo = int(np.floor(pos))
            idx = np.array([lo, lo + 1])
            weights = np.array([lo + 1 - pos, pos - lo])
        rows.extend([k] * len(idx))
        cols.extend(idx.tolist())
        vals.extend(weights.tolist())
    matrix = np.zeros((len(grid), n_bins), dtype=np.float32)
    np.add.at(matrix, (np.array(rows), np.array(cols)), np.array(vals, dtype=np.float32))
    # only FFT bins up to the top of the grid matter: keep the matrix that narrow
    return matrix[:, : int(np.max(cols)) + 1]


_CACHE: dict[str, object] = {}


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + f / 700.0)


def _mel_filterbank() -> tuple[np.ndarray, np.ndarray]:
    """(N_MELS × bins triangular filters on the HTK mel scale, centre frequencies).

    Written out rather than taken from librosa: importing librosa.filters pulls in numba and costs
    seconds on a cold start, for twenty lines of arithmetic.
    """
    fmin, fmax = 30.0, 5000.0
    mels = np.linspace(_hz_to_mel(np.array(fmin)), _hz_to_mel(np.array(fmax)), N_MELS + 2)
    hz = 700.0 * (10 ** (mels / 2595.0) - 1.0)
    freqs = np.arange(N_FFT // 2 + 1) * SR / N_FFT
    lower = (freqs[None, :] - hz[:-2, None]) / (hz[1:-1, None] - hz[:-2, None])
    upper = (hz[2:, None] - freqs[None, :]) / (hz[2:, None] - hz[1:-1, None])
    return np.maximum(0.0, np.minimum(lower, upper)).astype(np.float32), hz[1:-1]


def _mel_matrix() -> np.ndarray:
    if "mel" not in _CACHE:
        _CACHE["mel"], centres = _mel_filterbank()
        _CACHE["low"] = centres < LOW_BAND_HZ
        _CACHE["cymbal"] = centres >= CYMBAL_BAND_HZ
    return _CACHE["mel"]  # type: ignore[return-value]


def _log_matrix() -> np.ndarray:
    if "log" not in _CACHE:
        _CACHE["log"] = _log_frequency_matrix()
    return _CACHE["log"]  # type: ignore[return-value]


class _Rows:
    """Rows written in place into one array sized from the expected frame count (grown if it was short),
    so a two-hour spectrum is never held twice by a concatenation."""

    def __init__(self, expected: int, width: int, dtype: type) -> None:
        self.data = np.empty((max(expected, 1), width), dtype=dtype)
        self.size = 0

    def append(self, rows: np.ndarray) -> None:
        end = self.size + len(rows)
        if end > len(self.data):
            grown = np.empty((max(end, int(len(self.data) * 1.25)), self.data.shape[1]), dtype=self.data.dtype)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size: end] = rows
        self.size = end

    def result(self) -> np.ndarray:
        return self.data[: self.size]


class _OnsetStage:
    def __init__(self, expected_pitch_frames: int) -> None:
        self.framer = _Framer(N_FFT, HOP)
        self.window = np.hanning(N_FFT).astype(np.float32)
        self.mel = _mel_matrix()
        self.low = _CACHE["low"]
        self.prev: np.ndarray | None = None
        self.onset: list[np.ndarray] = []
        self.onset_low: list[np.ndarray] = []
        self.logmel = _Rows(expected_pitch_frames, N_MELS, np.float16)
        self.power: list[np.ndarray] = []
        self._pending = np.zeros((0, N_MELS + 1), dtype=np.float32)

    def push(self, x: np.ndarray, last: bool = False) -> None:
        frames = self.framer.push(x, last)
        if len(frames) == 0:
            return
        power = np.mean(frames * frames, axis=1)
        mag = np.abs(scipy.fft.rfft(frames * self.window, axis=1)).astype(np.float32)
        logmel = np.log1p(100.0 * (mag @ self.mel.T))
        prev = logmel[:1] if self.prev is None else self.prev
        diff = np.maximum(np.diff(np.vstack([prev, logmel]), axis=0), 0.0)
        self.prev = logmel[-1:]
        self.onset.append(diff.sum(axis=1))
        self.onset_low.append(diff[:, self.low].sum(axis=1))
        # pool timbre and power to the pitch frame rate as we go: 4 onset frames per pitch frame
        pending = np.concatenate([self._pending, np.column_stack([logmel, power])])
        whole = len(pending) // 4 * 4
        if last and whole < len(pending):
            pad = np.repeat(pending[-1:], 4 - len(pending) % 4, axis=0)
            pending = np.concatenate([pending, pad])
            whole = len(pending)
        pooled = pending[:whole].reshape(-1, 4, N_MELS + 1).mean(axis=1)
        self._pending = pending[whole:]
        self.logmel.append(pooled[:, :N_MELS])
        self.power.append(pooled[:, N_MELS])


class _PitchStage:
    def __init__(self, expected_frames: int) -> None:
        self.framer = _Framer(PITCH_NFFT, PITCH_HOP)
        self.window = np.hanning(PITCH_NFFT).astype(np.float32)
        self.matrix = _log_matrix()
        # float16: magnitudes stay far inside its range, and 3-digit precision is plenty for chroma
        self.spec = _Rows(expected_frames, self.matrix.shape[0], np.float16)

    def push(self, x: np.ndarray, last: bool = False) -> None:
        frames = self.framer.push(x, last)
        if len(frames) == 0:
            return
        spectrum = scipy.fft.rfft(frames * self.window, axis=1)[:, : self.matrix.shape[1]]
        self.spec.append(np.abs(spectrum).astype(np.float32) @ self.matrix.T)


def _fit(values: np.ndarray, n_out: int) -> np.ndarray:
    """Pad (repeating the last row) or cut to ``n_out`` rows: the two streams differ by a frame at the end."""
    if len(values) >= n_out:
        return values[:n_out]
    if len(values) == 0:
        return np.zeros((n_out,) + values.shape[1:], dtype=np.float32)
    return np.concatenate([values, np.repeat(values[-1:], n_out - len(values), axis=0)])


def extract(samples: np.ndarray, sample_rate: int, steps: Steps) -> Features:
    """Run the streaming pass over mono ``samples``; reports progress and honours cancel per block."""
    meter = LoudnessMeter(sample_rate)
    to_sr = soxr.ResampleStream(sample_rate, SR, 1, dtype="float32", quality="HQ") if sample_rate != SR else None
    to_pitch = soxr.ResampleStream(SR, PITCH_SR, 1, dtype="float32", quality="HQ") if PITCH_SR != SR else None
    n = len(samples)
    expected = int(n * PITCH_SR / max(sample_rate, 1) / PITCH_HOP) + 4
    onset, pitch = _OnsetStage(expected), _PitchStage(expected)
    for start in range(0, max(n, 1), BLOCK):
        block = np.asarray(samples[start: start + BLOCK], dtype=np.float32)
        last = start + BLOCK >= n
        meter.push(block)
        y = to_sr.resample_chunk(block, last=last) if to_sr is not None else block
        onset.push(y, last)
        pitch.push(to_pitch.resample_chunk(y, last=last) if to_pitch is not None else y, last)
        steps.tick(min((start + BLOCK) / max(n, 1), 1.0))
    duration = n / sample_rate if sample_rate else 0.0

    def cat(parts: list[np.ndarray], width: int | None = None) -> np.ndarray:
        if parts:
            return np.concatenate(parts).astype(np.float32, copy=False)
        return np.zeros((0, width) if width else 0, dtype=np.float32)

    n_pitch = pitch.spec.size
    logmel = onset.logmel.result()
    power = cat(onset.power)
    return Features(
        duration=duration,
        onset=cat(onset.onset),
        onset_low=cat(onset.onset_low),
        logspec=pitch.spec.result(),
        timbre=_fit(logmel, n_pitch),
        rms=np.sqrt(np.maximum(_fit(power, n_pitch), 0.0)),
        meter=meter,
    )
