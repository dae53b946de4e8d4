"""Waveform peaks: a min/max pyramid for drawing any zoom level without touching the audio.

Level 0 holds the min and max of every ``BASE_BIN`` native samples; each next
level merges ``FACTOR`` bins of the one below. It is computed in one streaming
decode pass and cached on disk by content hash, so a 10-minute track view
opens from a few hundred KB instead of decoding the file again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moss_music.audio.decode import iter_mono_blocks

BASE_BIN = 256
FACTOR = 4
MIN_BINS = 512
CACHE_VERSION = 1


@dataclass
class PeakLevel:
    samples_per_bin: int
    mins: np.ndarray
    maxs: np.ndarray


@dataclass
class PeakPyramid:
    sample_rate: int
    total_samples: int
    levels: list[PeakLevel]

    @property
    def duration(self) -> float:
        return self.total_samples / self.sample_rate if self.sample_rate else 0.0

    def level_for(self, seconds_per_pixel: float) -> PeakLevel:
        """The coarsest level that still has at least one bin per pixel."""
        wanted = seconds_per_pixel * self.sample_rate
        chosen = self.levels[0]
        for level in self.levels:
            if level.samples_per_bin <= wanted:
                chosen = level
        return chosen

    def envelope(self, start: float, end: float, pixels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(times, mins, maxs) covering [start, end] at about ``pixels`` columns."""
        span = max(end - start, 1e-6)
        level = self.level_for(span / max(pixels, 1))
        bin_seconds = level.samples_per_bin / self.sample_rate
        first = max(int(start / bin_seconds), 0)
        last = min(int(np.ceil(end / bin_seconds)) + 1, len(level.mins))
        times = (np.arange(first, max(last, first)) + 0.5) * bin_seconds
        return times, level.mins[first:last], level.maxs[first:last]

    def save(self, path: str | os.PathLike[str]) -> None:
        arrays: dict[str, np.ndarray] = {
            "meta": np.array([CACHE_VERSION, self.sample_rate, self.total_samples], dtype=np.int64),
        }
        for i, level in enumerate(self.levels):
            arrays[f"spb{i}"] = np.array([level.samples_per_bin], dtype=np.int64)
            arrays[f"min{i}"] = level.mins
            arrays[f"max{i}"] = level.maxs
        tmp = Path(path).with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PeakPyramid:
        with np.load(path) as data:
            version, sample_rate, total = (int(v) for v in data["meta"])
            if version != CACHE_VERSION:
                raise ValueError("peak cache from another version")
            levels = []
            i = 0
            while f"spb{i}" in data:
                levels.append(PeakLevel(int(data[f"spb{i}"][0]), data[f"min{i}"], data[f"max{i}"]))
                i += 1
        return cls(sample_rate, total, levels)


def compute_peaks(path: str | os.PathLike[str]) -> PeakPyramid:
    """One streaming decode pass; memory is the level-0 bins plus one block."""
    # A damaged file's waveform is still drawn (NaN/inf as silence); analysing it is refused elsewhere.
    sample_rate, blocks = iter_mono_blocks(path, invalid="zero")
    mins: list[np.ndarray] = []
    maxs: list[np.ndarray] = []
    carry = np.zeros(0, dtype=np.float32)
    total = 0
    for block in blocks:
        total += len(block)
        data = np.concatenate([carry, block]) if len(carry) else block
        whole = len(data) // BASE_BIN * BASE_BIN
        if whole:
            shaped = data[:whole].reshape(-1, BASE_BIN)
            mins.append(shaped.min(axis=1))
            maxs.append(shaped.max(axis=1))
        carry = data[whole:].copy()
    if len(carry):
        mins.append(np.array([carry.min()], dtype=np.float32))
        maxs.append(np.array([carry.max()], dtype=np.float32))
    base_min = np.concatenate(mins).astype(np.float32) if mins else np.zeros(1, np.float32)
    base_max = np.concatenate(maxs).astype(np.float32) if maxs else np.zeros(1, np.float32)
    return PeakPyramid(sample_rate, total, _build_levels(base_min, base_max))


def _build_levels(base_min: np.ndarray, base_max: np.ndarray) -> list[PeakLevel]:
    levels = [PeakLevel(BASE_BIN, base_min, base_max)]
    while len(levels[-1].mins) > MIN_BINS:
        below = levels[-1]
        pad = (-len(below.mins)) % FACTOR
        lo = np.concatenate([below.mins, np.full(pad, below.mins[-1], np.float32)]).reshape(-1, FACTOR).min(axis=1)
        hi = np.concatenate([below.maxs, np.full(pad, below.maxs[-1], np.float32)]).reshape(-1, FACTOR).max(axis=1)
        levels.append(PeakLevel(below.samples_per_bin * FACTOR, lo, hi))
    return levels


def cached_peaks(path: str | os.PathLike[str], content_hash: str, cache_dir: str | os.PathLike[str]) -> PeakPyramid:
    """Peaks from the cache when present and readable, else computed and cached."""
    cache_file = Path(cache_dir) / f"{content_hash}.npz"
    if cache_file.exists():
        try:
            return PeakPyramid.load(cache_file)
        except (OSError, ValueError, KeyError):
            cache_file.unlink(missing_ok=True)
    pyramid = compute_peaks(path)
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    try:
        pyramid.save(cache_file)
    except OSError:
        pass  # a full or read-only disk must not stop the view from opening
    return pyramid
