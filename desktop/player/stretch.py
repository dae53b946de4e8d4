"""Speed without pitch change, and transposition without speed change.

librosa's phase vocoder (ISC licence). Rubber Band sounds better on music, but
its Python wheels (pedalboard) and the library itself are GPL, which this app
does not take on; another stretcher can be plugged in behind ``Stretcher``.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

MIN_SPEED = 0.5
MAX_SPEED = 1.25
MAX_TRANSPOSE = 12


class Stretcher(Protocol):
    name: str

    def process(self, samples: np.ndarray, sample_rate: int, speed: float, semitones: int) -> np.ndarray:
        """(frames, channels) float32 in, (about frames / speed, channels) float32 out."""


class LibrosaStretcher:
    name = "phase vocoder (librosa)"

    def process(self, samples: np.ndarray, sample_rate: int, speed: float, semitones: int) -> np.ndarray:
        import librosa

        out = np.ascontiguousarray(samples.astype(np.float32).T)  # librosa wants (channels, frames)
        if semitones:
            out = librosa.effects.pitch_shift(out, sr=sample_rate, n_steps=semitones)
        if speed != 1.0:
            out = librosa.effects.time_stretch(out, rate=speed)
        return np.ascontiguousarray(out.T, dtype=np.float32)


def default_stretcher() -> Stretcher:
    return LibrosaStretcher()


def clamp_speed(speed: float) -> float:
    return min(max(float(speed), MIN_SPEED), MAX_SPEED)


def clamp_transpose(semitones: int) -> int:
    return max(-MAX_TRANSPOSE, min(MAX_TRANSPOSE, int(semitones)))
