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
    row: int = -1
    """For a label outside its block: which of the lane's label rows it sits in (-1: inside, full height)."""


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
                 right_limit: float | None = None, rows: int = 1, left_limit: float = 0.0) -> list[Placed]:
    """Labels to draw. With ``rows`` > 1 a label that does not fit its block may sit in any of that many
    stacked rows (a tall lane at Fit zoom: every other chord in the top row, the rest below)."""
    placed: list[Placed] = []
    occupied = [_Occupied() for _ in range(max(rows, 1))]
    overflow: list[Candidate] = []
    for c in candidates:
        room = c.x1 - c.x0
        form = next((k for k, w in enumerate(c.widths) if w + padding <= room), None)
        if form is None:
            overflow.append(c)
            continue
        extent = c.x0 + c.widths[form] + padding  # only the text's extent: a neighbour's label may use the rest
        placed.append(Placed(c.key, form, c.x0, extent, True))
        for row in occupied:
            row.add(c.x0, extent)
    for c in sorted(overflow, key=lambda c: (c.priority, c.x0)):
        width = c.widths[-1] + padding
        # From the block's start rightwards, else ending at its end, else centred on it.
        for x0 in (c.x0, c.x1 - width - gap, (c.x0 + c.x1 - width) / 2):
            x1 = x0 + width
            if (right_limit is not None and x1 > right_limit) or x0 < left_limit:
                continue
            row = next((r for r, taken in enumerate(occupied) if taken.free(x0 - gap, x1 + gap)), None)
            if row is not None:
                placed.append(Placed(c.key, len(c.widths) - 1, x0, x1, False, row))
                occupied[row].add(x0, x1)
                break
    return placed
