"""The player's own clock: where the listener is in the song between audio callbacks.

The audio callback runs every few tens of milliseconds; the lanes redraw at
display refresh. Each callback *anchors* the clock (this source position is
heard at that moment, advancing at this rate) and the UI extrapolates from the
latest anchor, so the playhead moves smoothly instead of in callback-sized
steps. The time source is injectable so tests can drive it by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class _Anchor:
    position: float
    """Source seconds heard at ``heard_at``."""
    heard_at: float
    rate: float
    """Source seconds per wall-clock second (the playback speed); 0 while stopped."""
    limit: float
    """The clock never runs past what the output was actually given."""


class PlaybackClock:
    def __init__(self, time_fn: Callable[[], float] = time.monotonic) -> None:
        self.time_fn = time_fn
        # One tuple-like object swapped atomically: the audio thread writes, the UI thread reads.
        self._anchor = _Anchor(0.0, 0.0, 0.0, 0.0)

    def anchor(self, position: float, heard_at: float, rate: float, limit: float) -> None:
        self._anchor = _Anchor(position, heard_at, rate, limit)

    def hold(self, position: float) -> None:
        """Stopped, paused, seeking: the position stays where it is put."""
        self._anchor = _Anchor(position, self.time_fn(), 0.0, position)

    def position(self) -> float:
        anchor = self._anchor
        if anchor.rate == 0.0:
            return anchor.position
        value = anchor.position + (self.time_fn() - anchor.heard_at) * anchor.rate
        return min(value, anchor.limit)
