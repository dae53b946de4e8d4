"""Feeds turn the decoded song into output blocks, honouring the A–B loop.

``DirectFeed`` copies samples straight from the song (speed 100 %, no
transposition): a seek or a loop change takes effect on the next block.
Songs are (frames, channels) arrays: stereo plays as stereo.
``ProcessedFeed`` time-stretches and pitch-shifts chunks in a background
thread, staying several seconds ahead of the listener so the audio callback
only ever copies ready samples. Each chunk is rendered with some context
on both sides and overlaps the next by a few milliseconds, which are
crossfaded, so chunk joins are inaudible.

Every block comes with ``Span``s mapping its frames to source seconds; the
clock and the metronome use them, so both stay right at any speed.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from desktop.player.stretch import Stretcher

MIN_LOOP_SECONDS = 0.05


@dataclass(frozen=True)
class Span:
    offset: int
    """First frame of the span in the output block."""
    frames: int
    start: float
    """Source seconds at ``offset``."""
    end: float
    """Source seconds at ``offset + frames``."""


@dataclass(frozen=True)
class Loop:
    start: float
    end: float

    def __post_init__(self) -> None:
        if self.end - self.start < MIN_LOOP_SECONDS:
            raise ValueError(f"a loop must be at least {MIN_LOOP_SECONDS * 1000:.0f} ms long")


class Feed(Protocol):
    position: float
    underruns: int

    def read(self, frames: int) -> tuple[np.ndarray, list[Span], bool]:
        """(block of shape (frames, channels), spans, ended): ended once the song is over and nothing is left."""

    def seek(self, seconds: float) -> None: ...

    def set_loop(self, loop: Loop | None) -> None: ...

    def close(self) -> None: ...


class _Planner:
    """Which source range comes next, wrapping at the loop end."""

    def __init__(self, total: int, sample_rate: int) -> None:
        self.total = total
        self.sample_rate = sample_rate
        self.loop: tuple[int, int] | None = None

    def set_loop(self, loop: Loop | None) -> None:
        if loop is None:
            self.loop = None
            return
        start = int(np.clip(loop.start * self.sample_rate, 0, self.total))
        end = int(np.clip(loop.end * self.sample_rate, 0, self.total))
        self.loop = (start, end) if end > start else None

    def limit(self, pos: int) -> int:
        if self.loop is not None and pos < self.loop[1]:
            return self.loop[1]
        return self.total

    def after(self, end: int) -> int | None:
        """Where playback goes once it reaches ``end``; None when the song is over."""
        if self.loop is not None and end == self.loop[1]:
            return self.loop[0]
        if end >= self.total:
            return None
        return end


class DirectFeed:
    def __init__(self, samples: np.ndarray, sample_rate: int) -> None:
        self.samples = samples
        self.sample_rate = sample_rate
        self._planner = _Planner(len(samples), sample_rate)
        self._pos = 0
        self.underruns = 0

    @property
    def position(self) -> float:
        return self._pos / self.sample_rate

    def seek(self, seconds: float) -> None:
        self._pos = int(np.clip(seconds * self.sample_rate, 0, len(self.samples)))

    def set_loop(self, loop: Loop | None) -> None:
        self._planner.set_loop(loop)

    def read(self, frames: int) -> tuple[np.ndarray, list[Span], bool]:
        out = np.zeros((frames, self.samples.shape[1]), dtype=np.float32)
        spans: list[Span] = []
        filled = 0
        sr = self.sample_rate
        while filled < frames:
            limit = self._planner.limit(self._pos)
            take = min(frames - filled, limit - self._pos)
            if take > 0:
                out[filled:filled + take] = self.samples[self._pos:self._pos + take]
                spans.append(Span(filled, take, self._pos / sr, (self._pos + take) / sr))
                filled += take
                self._pos += take
            if self._pos >= limit:
                following = self._planner.after(limit)
                if following is None:
                    return out, spans, True
                self._pos = following
        return out, spans, False

    def close(self) -> None:
        pass


@dataclass
class _Segment:
    start: float
    end: float
    audio: np.ndarray
    consumed: int = 0

    def time_at(self, frame: int) -> float:
        return self.start + (self.end - self.start) * frame / max(len(self.audio), 1)


class ProcessedFeed:
    """Stretched/shifted audio rendered ahead in a background thread."""

    FIRST_CHUNK_S = 1.5
    """Short first chunk after a seek: playback starts quickly."""
    CHUNK_S = 6.0
    CONTEXT_S = 0.3
    """Audio rendered on both sides of a chunk and thrown away: stretchers misbehave at buffer edges."""
    CROSSFADE_S = 0.015
    AHEAD_S = 12.0

    def __init__(self, samples: np.ndarray, sample_rate: int, speed: float, semitones: int,
                 stretcher: Stretcher) -> None:
        self.samples = samples
        self.sample_rate = sample_rate
        self.speed = speed
        self.semitones = semitones
        self.stretcher = stretcher
        self.underruns = 0
        self.error: str | None = None
        self._planner = _Planner(len(samples), sample_rate)
        self._cond = threading.Condition()
        self._segments: deque[_Segment] = deque()
        self._buffered = 0
        self._generation = 0
        self._plan_pos: int | None = 0
        self._first = True
        self._tail: np.ndarray | None = None
        self._position = 0.0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="player-render", daemon=True)
        self._thread.start()

    @property
    def position(self) -> float:
        return self._position

    @property
    def ready(self) -> bool:
        """At least one chunk at the playhead is rendered."""
        with self._cond:
            return bool(self._segments) or self._plan_pos is None

    def seek(self, seconds: float) -> None:
        with self._cond:
            self._restart(int(np.clip(seconds * self.sample_rate, 0, len(self.samples))))

    def set_loop(self, loop: Loop | None) -> None:
        with self._cond:
            self._planner.set_loop(loop)
            self._restart(int(round(self._position * self.sample_rate)))

    def _restart(self, pos: int) -> None:
        self._generation += 1
        self._segments.clear()
        self._buffered = 0
        self._plan_pos = pos
        self._first = True
        self._tail = None
        self._position = pos / self.sample_rate
        self._cond.notify_all()

    def read(self, frames: int) -> tuple[np.ndarray, list[Span], bool]:
        out = np.zeros((frames, self.samples.shape[1]), dtype=np.float32)
        spans: list[Span] = []
        filled = 0
        with self._cond:
            while filled < frames and self._segments:
                segment = self._segments[0]
                take = min(frames - filled, len(segment.audio) - segment.consumed)
                out[filled:filled + take] = segment.audio[segment.consumed:segment.consumed + take]
                spans.append(Span(filled, take, segment.time_at(segment.consumed),
                                  segment.time_at(segment.consumed + take)))
                segment.consumed += take
                filled += take
                self._buffered -= take
                self._position = segment.time_at(segment.consumed)
                if segment.consumed >= len(segment.audio):
                    self._segments.popleft()
            ended = filled < frames and not self._segments and self._plan_pos is None
            if filled < frames and not ended:
                self.underruns += 1
            self._cond.notify_all()
        return out, spans, ended

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    # -- the render thread ------------------------------------------------------------------

    def _run(self) -> None:
        ahead = int(self.AHEAD_S * self.sample_rate)
        while True:
            with self._cond:
                while not self._closed and (self._plan_pos is None or self._buffered >= ahead):
                    self._cond.wait()
                if self._closed:
                    return
                generation, start, first = self._generation, self._plan_pos, self._first
                end = min(start + int((self.FIRST_CHUNK_S if first else self.CHUNK_S) * self.sample_rate),
                          self._planner.limit(start))
                following = self._planner.after(end)
            try:
                audio, tail = self._render(start, end)
            except Exception as error:  # noqa: BLE001 - reported to the user, playback stops cleanly
                with self._cond:
                    self.error = f"time-stretch failed: {error}"
                    self._plan_pos = None
                    self._cond.notify_all()
                return
            with self._cond:
                if generation != self._generation:
                    continue
                if self._tail is not None:
                    n = min(len(self._tail), len(audio))
                    fade = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
                    audio[:n] = audio[:n] * fade + self._tail[:n] * (1.0 - fade)
                self._tail = tail
                sr = self.sample_rate
                self._segments.append(_Segment(start / sr, end / sr, audio))
                self._buffered += len(audio)
                self._plan_pos = following
                self._first = False

    def _render(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """The stretched audio of [start, end) and of the crossfade overlap just after it."""
        sr = self.sample_rate
        context = int(self.CONTEXT_S * sr)
        overlap = int(self.CROSSFADE_S * sr)
        lo = max(start - context, 0)
        hi = min(end + overlap + context, len(self.samples))
        processed = self.stretcher.process(self.samples[lo:hi], sr, self.speed, self.semitones)
        ratio = len(processed) / max(hi - lo, 1)
        a = int(round((start - lo) * ratio))
        b = int(round((end - lo) * ratio))
        c = int(round((min(end + overlap, hi) - lo) * ratio))
        return processed[a:b].copy(), processed[b:c].copy()
