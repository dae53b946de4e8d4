"""``load()``: a file in, mono float32 samples at the rate the caller needs out."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import soxr

from moss_music.audio.decode import BLOCK_FRAMES, iter_mono_blocks

MODEL_SAMPLE_RATE = 16_000


@dataclass
class AudioData:
    """Decoded mono audio; ``samples`` is float32 in [-1, 1]."""

    samples: np.ndarray
    sample_rate: int
    path: str = ""

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0


def load(path: str | os.PathLike[str], sample_rate: int | None = None) -> AudioData:
    """Decode ``path`` to mono, resampled with soxr to ``sample_rate`` (None keeps the native rate).

    Decodes and resamples block by block, so peak memory is the output plus one block.
    Raises AudioError for anything that is not usable audio.
    """
    native_rate, blocks = iter_mono_blocks(path, BLOCK_FRAMES)
    target = sample_rate or native_rate
    resampler = soxr.ResampleStream(native_rate, target, 1, dtype="float32", quality="HQ") if target != native_rate else None
    chunks: list[np.ndarray] = []
    for block in blocks:
        chunks.append(resampler.resample_chunk(block) if resampler else block.copy())
    if resampler is not None:
        chunks.append(resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    np.clip(samples, -1.0, 1.0, out=samples)
    return AudioData(samples.astype(np.float32, copy=False), target, os.fspath(path))
