"""Playback for the track view: a player with its own clock, loops, speed/transpose and a metronome."""

from desktop.player.feeds import Loop, Span
from desktop.player.outputs import (
    FakeOutput,
    Output,
    OutputDevice,
    OutputError,
    SoundDeviceOutput,
    list_output_devices,
    open_default_output,
)
from desktop.player.player import COUNT_IN, EMPTY, LOADING, PAUSED, PLAYING, STOPPED, Player
from desktop.player.stretch import MAX_SPEED, MAX_TRANSPOSE, MIN_SPEED

__all__ = [
    "COUNT_IN", "EMPTY", "LOADING", "MAX_SPEED", "MAX_TRANSPOSE", "MIN_SPEED", "PAUSED", "PLAYING", "STOPPED",
    "FakeOutput", "Loop", "Output", "OutputDevice", "OutputError", "Player", "SoundDeviceOutput", "Span",
    "list_output_devices", "open_default_output",
]
