"""Where rendered audio goes: a sound card through sounddevice, or a fake for tests.

An output knows nothing about songs: it asks a render callback to fill float32
blocks of shape (frames, channels) and stops when the callback says the song
has ended. ``open_default_output`` turns "no PortAudio" or "no output device"
into a readable reason instead of an exception, so a view can still open.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

RenderCallback = Callable[[np.ndarray], bool]
"""Fills the block in place; returns True once the song has ended (the output then stops)."""


class OutputError(RuntimeError):
    """An output that cannot play: no sound card, device gone, format refused."""


@dataclass(frozen=True)
class OutputDevice:
    index: int
    name: str
    host_api: str
    default_sample_rate: int
    is_default: bool = False

    def __str__(self) -> str:
        return f"{self.name} ({self.host_api})"


class Output(Protocol):
    channels: int
    audible: bool
    """False for the clock-only output used when there is no sound card."""

    @property
    def latency(self) -> float:
        """Seconds between handing a block over and hearing it."""

    def supported_rate(self, wanted: int) -> int:
        """``wanted`` if the device takes it, else the rate the device prefers."""

    def start(self, sample_rate: int, render: RenderCallback) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


def _sounddevice():
    """Import lazily: importing sounddevice loads PortAudio, which may be missing."""
    try:
        import sounddevice
    except OSError as error:  # PortAudio library not found
        raise OutputError(f"the PortAudio library is not installed ({error})") from error
    return sounddevice


def list_output_devices() -> list[OutputDevice]:
    """Devices that can play; empty when there is no sound card or no PortAudio."""
    try:
        sd = _sounddevice()
        devices = sd.query_devices()
        host_apis = sd.query_hostapis()
        default_out = sd.default.device[1]
    except Exception:  # noqa: BLE001 - any PortAudio failure means "nothing to choose from"
        return []
    result = []
    for index, info in enumerate(devices):
        if info["max_output_channels"] > 0:
            result.append(OutputDevice(index, info["name"], host_apis[info["hostapi"]]["name"],
                                       int(info["default_samplerate"]), index == default_out))
    return result


class SoundDeviceOutput:
    """PortAudio output stream, opened on start and closed on stop (no idle callbacks)."""

    channels = 2
    audible = True

    def __init__(self, device: int | None = None, block_frames: int = 1024) -> None:
        self._sd = _sounddevice()
        self.device = device
        self.block_frames = block_frames
        self._stream = None
        self._latency = 0.05
        try:
            info = self._sd.query_devices(device, "output")
        except Exception as error:
            raise OutputError(f"no audio output device available ({error})") from error
        if not info or info["max_output_channels"] < 1:
            raise OutputError("no audio output device available")
        self.channels = min(2, int(info["max_output_channels"]))
        self._default_rate = int(info["default_samplerate"])

    @property
    def latency(self) -> float:
        return self._latency

    def supported_rate(self, wanted: int) -> int:
        try:
            self._sd.check_output_settings(self.device, channels=self.channels, samplerate=wanted, dtype="float32")
            return wanted
        except Exception:  # noqa: BLE001 - PortAudioError or ValueError: the device wants another rate
            return self._default_rate

    def start(self, sample_rate: int, render: RenderCallback) -> None:
        self.stop()
        sd = self._sd

        def callback(out, frames, time_info, status):  # PortAudio's signature
            if render(out):
                raise sd.CallbackStop

        try:
            self._stream = sd.OutputStream(samplerate=sample_rate, channels=self.channels, dtype="float32",
                                           device=self.device, blocksize=self.block_frames, callback=callback)
            self._latency = float(self._stream.latency)
            self._stream.start()
        except Exception as error:
            self._stream = None
            raise OutputError(f"the audio device refused to play: {error}") from error

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception:  # noqa: BLE001 - a device that vanished is already stopped
                pass

    def close(self) -> None:
        self.stop()


class SilentOutput:
    """No sound card: pulls blocks at the pace a sound card would and throws them away.

    The player's clock, loops, count-in and metronome all run off the render
    callback, so with this "clock-only" output everything but the sound works:
    the playhead moves, loops wrap, the practice panel follows.
    """

    channels = 2
    audible = False

    def __init__(self, block_frames: int = 1024) -> None:
        self.block_frames = block_frames
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def latency(self) -> float:
        return 0.0

    def supported_rate(self, wanted: int) -> int:
        return wanted

    def start(self, sample_rate: int, render: RenderCallback) -> None:
        self.stop()
        stop = threading.Event()
        self._stop = stop
        period = self.block_frames / sample_rate

        def run() -> None:
            block = np.zeros((self.block_frames, self.channels), dtype=np.float32)
            deadline = time.monotonic()
            while not stop.is_set():
                block.fill(0.0)
                if render(block):
                    return
                deadline += period
                # Wait like a sound card would; a late wake-up catches up instead of drifting.
                stop.wait(max(deadline - time.monotonic(), 0.0))

        self._thread = threading.Thread(target=run, name="player-silent-output", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)

    def close(self) -> None:
        self.stop()


class FakeOutput:
    """A sound card the test pulls blocks from by hand; records everything it was given."""

    audible = True

    def __init__(self, channels: int = 2, latency: float = 0.0, rates: tuple[int, ...] | None = None) -> None:
        self.channels = channels
        self._latency = latency
        self.rates = rates
        self.sample_rate: int | None = None
        self._render: RenderCallback | None = None
        self.blocks: list[np.ndarray] = []

    @property
    def latency(self) -> float:
        return self._latency

    @property
    def running(self) -> bool:
        return self._render is not None

    def supported_rate(self, wanted: int) -> int:
        if self.rates is None or wanted in self.rates:
            return wanted
        return self.rates[0]

    def start(self, sample_rate: int, render: RenderCallback) -> None:
        self.sample_rate = sample_rate
        self._render = render

    def stop(self) -> None:
        self._render = None

    def close(self) -> None:
        self.stop()

    def pull(self, frames: int) -> np.ndarray:
        """One audio callback: what the sound card would receive (zeros when not running)."""
        block = np.zeros((frames, self.channels), dtype=np.float32)
        render = self._render
        if render is not None:
            if render(block):
                self._render = None
            self.blocks.append(block.copy())
        return block


def open_default_output(device: int | None = None) -> tuple[Output | None, str]:
    """(output, "") or (None, reason the user can read)."""
    try:
        return SoundDeviceOutput(device), ""
    except OutputError as error:
        return None, f"Playback unavailable: {error}."
