"""``load()``: a file in, mono float32 samples at the rate the caller needs out."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import soxr

from moss_music.audio.decode import BLOCK_FRAMES, iter_mono_blocks, probe

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


class _GrowingBuffer:
    """Output written in place into one array sized from the header, so peak memory is the output
    plus one block (joining a list of blocks would briefly hold it twice)."""

    def __init__(self, expected: int) -> None:
        self.data = np.empty(max(expected, 1), dtype=np.float32)
        self.size = 0

    def append(self, block: np.ndarray) -> None:
        end = self.size + len(block)
        if end > len(self.data):
            grown = np.empty(max(end, int(len(self.data) * 1.25)), dtype=np.float32)
            grown[:self.size] = self.data[:self.size]
            self.data = grown
        self.data[self.size:end] = block
        self.size = end

    def result(self) -> np.ndarray:
        # A view: the ~1 % slack stays allocated, which is cheaper than copying the whole output.
        return self.data[:self.size]


def load(path: str | os.PathLike[str], sample_rate: int | None = None) -> AudioData:
    """Decode ``path`` to mono, resampled with soxr to ``sample_rate`` (None keeps the native rate).

    Decodes and resamples block by block, so peak memory is the output plus one block.
    Raises AudioError for anything that is not usable audio.
    """
    info = probe(path)
    native_rate, blocks = iter_mono_blocks(path, BLOCK_FRAMES)
    target = sample_rate or native_rate
    resampler = soxr.ResampleStream(native_rate, target, 1, dtype="float32", quality="HQ") if target != native_rate else None
    buffer = _GrowingBuffer(int(info.duration * target * 1.01) + BLOCK_FRAMES)
    for block in blocks:
        buffer.append(resampler.resample_chunk(block) if resampler else block)
    if resampler is not None:
        buffer.append(resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
    samples = buffer.result()
    np.clip(samples, -1.0, 1.0, out=samples)
    return AudioData(samples, target, os.fspath(path))
