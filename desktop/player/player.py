"""``Player``: play one song with its own clock, loops, speed, transposition and a metronome.

It knows nothing about Qt: the track view polls ``position()`` at display
refresh and listens for events (``loaded``, ``state``, ``error``, ``ended``)
through plain callbacks, which may arrive on the audio or loader thread.
Without an output (no sound card) it plays on a clock-only ``SilentOutput``:
the playhead, loops, count-in and metronome timing all run, nothing is heard,
and ``unavailable_reason`` says why (the view shows it on the transport).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from desktop.player.click import Metronome
from desktop.player.clock import PlaybackClock
from desktop.player.feeds import DirectFeed, Feed, Loop, ProcessedFeed
from desktop.player.outputs import Output, OutputError, SilentOutput
from desktop.player.stretch import Stretcher, clamp_speed, clamp_transpose, default_stretcher

Listener = Callable[[str], None]

EMPTY, LOADING, STOPPED, PAUSED, COUNT_IN, PLAYING = "empty", "loading", "stopped", "paused", "count-in", "playing"


class Player:
    def __init__(self, output: Output | None = None, *, unavailable_reason: str = "",
                 stretcher: Stretcher | None = None, time_fn: Callable[[], float] = time.monotonic) -> None:
        self.output = output
        self.unavailable_reason = unavailable_reason if output is None else ""
        if output is None and not self.unavailable_reason:
            self.unavailable_reason = "Playback unavailable: no audio output."
        self._stretcher = stretcher
        self.clock = PlaybackClock(time_fn)
        self.samples = np.zeros((0, 1), dtype=np.float32)
        """(frames, channels): 2 for a stereo song, 1 for mono."""
        self.sample_rate = 44_100
        self.state = EMPTY
        self.error = ""
        self.speed = 1.0
        self.transpose = 0
        self.loop: Loop | None = None
        self.metronome_on = False
        self.count_in_beats = 0
        self._metronome = Metronome(self.sample_rate)
        self._beats = (np.zeros(0), np.zeros(0, bool))
        self._feed: Feed = DirectFeed(self.samples, self.sample_rate)
        self._count_in: np.ndarray | None = None
        self._count_in_pos = 0
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._load_generation = 0
        self._silent: SilentOutput | None = None

    # -- listeners ----------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, event: str) -> None:
        for listener in list(self._listeners):
            listener(event)

    @property
    def available(self) -> bool:
        """A sound device is attached (False: playback runs silently on the clock)."""
        return self.output is not None and getattr(self.output, "audible", True)

    @property
    def sink(self) -> Output:
        """Where blocks go: the sound device, or the clock-only output when there is none."""
        if self.output is not None:
            return self.output
        if self._silent is None:
            self._silent = SilentOutput()
        return self._silent

    @property
    def stretcher(self) -> Stretcher:
        if self._stretcher is None:
            self._stretcher = default_stretcher()
        return self._stretcher

    # -- loading --------------------------------------------------------------------------------

    def preferred_rate(self, native_rate: int) -> int:
        """The rate to decode at: the file's own when the output takes it."""
        return self.output.supported_rate(native_rate) if self.output is not None else native_rate

    def set_audio(self, samples: np.ndarray, sample_rate: int) -> None:
        with self._lock:
            self._stop_output()
            pending = self.clock.position()  # a seek made while the file was still decoding
            samples = np.asarray(samples, dtype=np.float32)
            self.samples = np.ascontiguousarray(samples[:, None] if samples.ndim == 1 else samples)
            self.sample_rate = int(sample_rate)
            self._metronome = Metronome(self.sample_rate, *self._beats)
            self._rebuild_feed(min(max(pending, 0.0), self.duration))
            self.state = STOPPED
            self.error = ""
        self._emit("loaded")
        self._emit("state")

    def load_file(self, path: str, native_rate: int | None = None) -> threading.Thread:
        """Decode in a background thread; ``loaded`` or ``error`` is emitted when done."""
        from desktop.player.decode import load_stereo
        from moss_music.audio import AudioError

        self._load_generation += 1
        generation = self._load_generation
        self.state = LOADING
        self._emit("state")
        rate = self.preferred_rate(native_rate) if native_rate else None

        def work() -> None:
            try:
                samples, sample_rate = load_stereo(path, rate)
            except AudioError as error:
                if generation == self._load_generation:
                    self._fail(f"Cannot play this file: {error.reason}")
                return
            except Exception as error:  # noqa: BLE001
                if generation == self._load_generation:
                    self._fail(f"Cannot play this file: {error}")
                return
            with self._lock:
                current = generation == self._load_generation
            if current:
                self.set_audio(samples, sample_rate)

        thread = threading.Thread(target=work, name="player-load", daemon=True)
        thread.start()
        return thread

    def _fail(self, message: str) -> None:
        self.error = message
        self.state = EMPTY if not len(self.samples) else STOPPED
        self._emit("error")
        self._emit("state")

    @property
    def duration(self) -> float:
        return self.samples.shape[0] / self.sample_rate if self.sample_rate else 0.0

    @property
    def channels(self) -> int:
        return self.samples.shape[1]

    # -- transport --------------------------------------------------------------------------------

    def position(self) -> float:
        return self.clock.position()

    def play(self) -> bool:
        """Start playing; False (with ``error`` set) when it cannot."""
        with self._lock:
            if self.state in (PLAYING, COUNT_IN):
                return True
            if self.state in (EMPTY, LOADING):
                return False
            if self._feed.position >= self.duration - 1e-3:
                self._feed.seek(self.loop.start if self.loop else 0.0)
            self._metronome.reset()
            self._prepare_count_in()
            self.state = COUNT_IN if self._count_in is not None else PLAYING
            try:
                self.sink.start(self.sample_rate, self._render)
            except OutputError as error:
                self.state = PAUSED
                self.error = str(error)
                self._emit("error")
                self._emit("state")
                return False
        self._emit("state")
        return True

    def pause(self) -> None:
        with self._lock:
            if self.state not in (PLAYING, COUNT_IN):
                return
            heard = self.clock.position()
            self._stop_output()
            self.state = PAUSED
            self._feed.seek(heard)
            self.clock.hold(heard)
        self._emit("state")

    def toggle(self) -> None:
        if self.state in (PLAYING, COUNT_IN):
            self.pause()
        else:
            self.play()

    def stop(self) -> None:
        """Stop and go back to the start (of the loop, when one is set)."""
        with self._lock:
            self._stop_output()
            if self.state not in (EMPTY, LOADING):
                self.state = STOPPED
            self._seek_locked(self.loop.start if self.loop else 0.0)
        self._emit("state")

    def seek(self, seconds: float) -> None:
        with self._lock:
            self._seek_locked(seconds)

    def _seek_locked(self, seconds: float) -> None:
        # Before the audio is decoded the position is kept as asked and applied once it is.
        seconds = float(np.clip(seconds, 0.0, self.duration if len(self.samples) else np.inf))
        self._feed.seek(seconds)
        self._metronome.reset()
        self.clock.hold(seconds)

    def _stop_output(self) -> None:
        if self.output is not None:
            self.output.stop()
        if self._silent is not None:
            self._silent.stop()
        self._count_in = None

    # -- loop, speed, transposition ---------------------------------------------------------------

    def set_loop(self, start: float | None, end: float | None = None) -> None:
        """Loop [start, end); ``None`` clears it. A playhead outside the new loop jumps to its start."""
        with self._lock:
            if start is None or end is None:
                self.loop = None
            else:
                lo, hi = sorted((float(start), float(end)))
                self.loop = Loop(max(lo, 0.0), min(hi, self.duration) if self.duration else hi)
            self._feed.set_loop(self.loop)
            if self.loop is not None:
                now = self.clock.position()
                if not self.loop.start <= now < self.loop.end:
                    self._seek_locked(self.loop.start)
        self._emit("loop")

    def set_speed(self, speed: float) -> None:
        with self._lock:
            self.speed = clamp_speed(speed)
            self._rebuild_feed(self.clock.position())
        self._emit("settings")

    def set_transpose(self, semitones: int) -> None:
        with self._lock:
            self.transpose = clamp_transpose(semitones)
            self._rebuild_feed(self.clock.position())
        self._emit("settings")

    def _rebuild_feed(self, position: float) -> None:
        self._feed.close()
        if self.speed == 1.0 and self.transpose == 0:
            self._feed = DirectFeed(self.samples, self.sample_rate)
        else:
            self._feed = ProcessedFeed(self.samples, self.sample_rate, self.speed, self.transpose, self.stretcher)
        self._feed.set_loop(self.loop)
        self._feed.seek(position)
        self.clock.hold(position)

    @property
    def buffering(self) -> bool:
        """True while a stretched chunk at the playhead is still being rendered."""
        feed = self._feed
        return isinstance(feed, ProcessedFeed) and not feed.ready

    # -- metronome and count-in ------------------------------------------------------------------

    def set_beats(self, times: list[float] | np.ndarray, downbeats: list[bool] | np.ndarray) -> None:
        with self._lock:
            self._beats = (np.asarray(times, dtype=np.float64), np.asarray(downbeats, dtype=bool))
            self._metronome = Metronome(self.sample_rate, *self._beats)

    def set_metronome(self, on: bool, volume: float = 1.0) -> None:
        self.metronome_on = bool(on)
        self._metronome.volume = float(volume)

    def set_count_in(self, beats: int) -> None:
        self.count_in_beats = max(0, int(beats))

    def _prepare_count_in(self) -> None:
        self._count_in = None
        self._count_in_pos = 0
        if self.count_in_beats <= 0:
            return
        period = self._metronome.beat_period_at(self._feed.position) / self.speed
        self._count_in = self._metronome.count_in(self.count_in_beats, period)

    def count_in_remaining(self) -> int:
        """Clicks still to come before the music starts (0 when not counting in)."""
        buffer = self._count_in
        if buffer is None or self.state != COUNT_IN:
            return 0
        step = len(buffer) // max(self.count_in_beats, 1)
        return max(self.count_in_beats - self._count_in_pos // max(step, 1), 0)

    # -- the audio callback ---------------------------------------------------------------------

    def _render(self, out: np.ndarray) -> bool:
        """Fill one output block; runs on the audio thread, so it only copies and mixes."""
        frames = len(out)
        heard_at = self.clock.time_fn() + self.sink.latency
        with self._lock:
            offset = 0
            if self._count_in is not None:
                take = min(frames, len(self._count_in) - self._count_in_pos)
                out[:take] = self._count_in[self._count_in_pos:self._count_in_pos + take, None]
                self._count_in_pos += take
                offset = take
                self.clock.hold(self._feed.position)
                if self._count_in_pos >= len(self._count_in):
                    self._count_in = None
                    self.state = PLAYING
                if offset == frames:
                    return False
            block, spans, ended = self._feed.read(frames - offset)
            if block.shape[1] == out.shape[1] or block.shape[1] == 1:
                out[offset:] = block  # same layout, or mono to every channel
            else:
                out[offset:] = block.mean(axis=1, keepdims=True)  # stereo song, mono device
            if offset:
                spans = [type(s)(s.offset + offset, s.frames, s.start, s.end) for s in spans]
            if self.metronome_on:
                self._metronome.mix(out, spans)
            if spans:
                last = spans[-1]
                rate = (last.end - last.start) / last.frames * self.sample_rate if last.frames else self.speed
                self.clock.anchor(last.start, heard_at + last.offset / self.sample_rate, rate, last.end)
            if ended:
                self.state = STOPPED
                self.clock.hold(self.duration)
        if ended:
            self._emit("ended")
            self._emit("state")
        error = getattr(self._feed, "error", None)
        if error:
            self.error = error
            self._emit("error")
            return True
        return ended

    def set_output(self, output: Output | None, unavailable_reason: str = "") -> None:
        """Switch the sound device; a song at a rate the new device refuses is resampled."""
        with self._lock:
            was_playing = self.state in (PLAYING, COUNT_IN)
            position = self.clock.position()
            self._stop_output()
            if self.state == COUNT_IN:
                self.state = PAUSED
            if self.output is not None and self.output is not output:
                self.output.close()
            self.output = output
            self.unavailable_reason = "" if output is not None else (unavailable_reason or "no audio output")
            if output is not None and len(self.samples):
                rate = output.supported_rate(self.sample_rate)
                if rate != self.sample_rate:
                    import soxr

                    self.samples = soxr.resample(self.samples, self.sample_rate, rate).astype(np.float32)
                    self.sample_rate = rate
                    self._metronome = Metronome(rate, *self._beats)
                    self._rebuild_feed(position)
            if was_playing:
                self.state = PAUSED
        if was_playing:
            self.play()
        self._emit("state")

    def close(self) -> None:
        """Stop for good: no more events reach listeners (their widgets may be gone)."""
        self._load_generation += 1
        self._listeners.clear()
        with self._lock:
            self._stop_output()
            self._feed.close()
            if self.output is not None:
                self.output.close()
