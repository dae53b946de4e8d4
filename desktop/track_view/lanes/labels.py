"""Which block labels to draw when not all fit: by priority, without overlaps, never cut to '…'.

At Fit zoom a 4-minute song has a hundred chords in a thousand pixels: most
blocks are narrower than their name. Each block offers its label in a few
fonts/forms (long to short); a label that fits inside its block is always
drawn; the rest are placed by priority (the chord or section that started off
screen first, then changes on a downbeat, then longer blocks) as small labels
that may run over the following blocks, as long as they overlap no other label.
Pure geometry: no Qt painting here, so it is tested directly.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    key: int
    """The caller's block id."""
    x0: float
    x1: float
    """The block's pixel span (visible part)."""
    widths: tuple[float, ...]
    """Pixel width of each form of the label, preferred first."""
    priority: float = 0.0
    """Lower is placed first."""


@dataclass(frozen=True)
class Placed:
    key: int
    form: int
    """Which of the candidate's forms is drawn."""
    x0: float
    x1: float
    inside: bool
    """True when it fits in its own block (no backdrop needed)."""


@dataclass
class _Occupied:
    starts: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)

    def free(self, x0: float, x1: float) -> bool:
        i = bisect.bisect_left(self.starts, x1)
        return i == 0 or self.ends[i - 1] <= x0

    def add(self, x0: float, x1: float) -> None:
        i = bisect.bisect_left(self.starts, x0)
        self.starts.insert(i, x0)
        self.ends.insert(i, x1)


def place_labels(candidates: list[Candidate], padding: float = 8.0, gap: float = 3.0,
                 right_limit: float | None = None) -> list[Placed]:
    placed: list[Placed] = []
    occupied = _Occupied()
    overflow: list[Candidate] = []
    for c in candidates:
        room = c.x1 - c.x0
        form = next((k for k, w in enumerate(c.widths) if w + padding <= room), None)
        if form is None:
            overflow.append(c)
            continue
        placed.append(Placed(c.key, form, c.x0, c.x1, True))
        occupied.add(c.x0, c.x1)
    for c in sorted(overflow, key=lambda c: (c.priority, c.x0)):
        width = c.widths[-1] + padding
        x1 = c.x0 + width
        if right_limit is not None and x1 > right_limit:
            continue
        if occupied.free(c.x0 - gap, x1 + gap):
            placed.append(Placed(c.key, len(c.widths) - 1, c.x0, x1, False))
            occupied.add(c.x0, x1)
    return placed
