"""Metronome clicks on the song's own beat grid, and the count-in before playing.

Clicks are mixed into blocks whose source-time span is known, so they land on
the analysed beats whatever the speed, and keep following a tempo that drifts.
"""

from __future__ import annotations

import numpy as np

CLICK_SECONDS = 0.035


def click_sound(sample_rate: int, accent: bool) -> np.ndarray:
    """A short woodblock-like tick; the downbeat is higher and louder."""
    n = int(CLICK_SECONDS * sample_rate)
    t = np.arange(n) / sample_rate
    freq = 1760.0 if accent else 1175.0
    tone = np.sin(2 * np.pi * freq * t) * np.exp(-t * 120.0)
    return (tone * (0.6 if accent else 0.4)).astype(np.float32)


class Metronome:
    """Beat times (source seconds) and which of them are downbeats."""

    def __init__(self, sample_rate: int, beat_times: np.ndarray | None = None,
                 downbeats: np.ndarray | None = None) -> None:
        self.sample_rate = sample_rate
        self.times = np.asarray(beat_times if beat_times is not None else [], dtype=np.float64)
        self.downbeats = np.asarray(downbeats if downbeats is not None else np.zeros(len(self.times), bool), bool)
        self.volume = 1.0
        self._accent = click_sound(sample_rate, True)
        self._plain = click_sound(sample_rate, False)
        self._carry = np.zeros(0, dtype=np.float32)
        """The part of a click that did not fit in the previous block."""

    def sound(self, accent: bool) -> np.ndarray:
        return (self._accent if accent else self._plain) * self.volume

    def mix(self, block: np.ndarray, spans) -> None:
        """Add the clicks of the beats inside each span's source-time range to its part of ``block``."""
        carry, self._carry = self._carry, np.zeros(0, dtype=np.float32)
        self._add(block, 0, carry)
        if not len(self.times):
            return
        for span in spans:
            if span.end <= span.start or span.frames <= 0:
                continue
            first, last = np.searchsorted(self.times, [span.start, span.end])
            for i in range(first, last):
                at = span.offset + int((self.times[i] - span.start) / (span.end - span.start) * span.frames)
                self._add(block, at, self.sound(bool(self.downbeats[i])))

    def reset(self) -> None:
        self._carry = np.zeros(0, dtype=np.float32)

    def beat_period_at(self, position: float, fallback_bpm: float = 120.0) -> float:
        """The local beat length, for a count-in that matches the bar the song starts in."""
        if len(self.times) < 2:
            return 60.0 / fallback_bpm
        i = int(np.clip(np.searchsorted(self.times, position), 1, len(self.times) - 1))
        lo, hi = max(i - 4, 0), min(i + 4, len(self.times) - 1)
        return float(np.median(np.diff(self.times[lo:hi + 1])))

    def count_in(self, beats: int, period_seconds: float) -> np.ndarray:
        """``beats`` clicks ``period_seconds`` apart (in output time), the first accented."""
        step = int(round(period_seconds * self.sample_rate))
        buffer = np.zeros(step * beats, dtype=np.float32)
        for i in range(beats):
            self._add_mono(buffer, i * step, self.sound(i == 0))
        return buffer

    def _add(self, block: np.ndarray, at: int, sound: np.ndarray) -> None:
        end = min(at + len(sound), len(block))
        if 0 <= at < end:
            block[at:end] += sound[:end - at, None]
        if at + len(sound) > len(block):
            rest = sound[max(len(block) - at, 0):]
            if len(rest) > len(self._carry):
                rest = rest.copy()
                rest[:len(self._carry)] += self._carry
                self._carry = rest
            else:
                self._carry = self._carry.copy()
                self._carry[:len(rest)] += rest

    @staticmethod
    def _add_mono(buffer: np.ndarray, at: int, sound: np.ndarray) -> None:
        end = min(at + len(sound), len(buffer))
        buffer[at:end] += sound[:end - at]
