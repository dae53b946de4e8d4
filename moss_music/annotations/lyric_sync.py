"""Untimed lyrics, and timing them by hand: tap along while the song plays.

Lyrics typed or pasted as plain text, or read from an unsynced tag, carry no
times. They are kept as *untimed* lines — ``start == end == 0`` — and never
given invented times: a view lists them as text, a sheet leaves them out, an
export can refuse or warn. ``TapSync`` turns them into timed lines: each tap
stamps the next line (or word) at the playback position, with nudges for a
late or early tap and undo; ``result`` gives the timed lines every export uses.
No Qt here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from moss_music.annotations.model import LyricLine, Word

LONGEST_LINE_S = 10.0
"""A line's end when the next line starts much later (an instrumental in between)."""
SECONDS_PER_WORD = 0.9
MIN_GAP_S = 0.05


def is_timed(line: LyricLine) -> bool:
    return line.end > line.start


def untimed_lines(texts: Sequence[str]) -> list[LyricLine]:
    """Plain lines kept without times (blank lines dropped)."""
    return [LyricLine(0.0, 0.0, " ".join(text.split())) for text in texts if text.strip()]


def untimed_count(lines: Sequence[LyricLine]) -> int:
    return sum(1 for line in lines if not is_timed(line))


def timed_in_order(lines: Sequence[LyricLine]) -> list[LyricLine]:
    """The timed lines by start time: all a timed format (LRC, subtitles, SYLT, MIDI lyrics) may carry."""
    return sorted((line for line in lines if is_timed(line)), key=lambda line: line.start)


def reading_order(lines: Sequence[LyricLine]) -> list[LyricLine]:
    """Every line as it is read: the timed ones by time, then the untimed ones in their stored order.

    (Sorting by start alone would put untimed lines, all at 0, before the song's first timed line.)
    """
    return timed_in_order(lines) + [line for line in lines if not is_timed(line)]


@dataclass
class TapSync:
    """Stamps lines (or words) one tap at a time; all state is plain data so undo is exact."""

    texts: list[str]
    words: bool = False
    """Word mode: every tap stamps the next word; a line starts at its first word."""
    duration: float = 0.0
    stamps: list[float] = field(default_factory=list)
    """One time per tap so far, in order."""

    @classmethod
    def for_lines(cls, lines: Sequence[LyricLine], words: bool = False, duration: float = 0.0) -> TapSync:
        return cls([line.text for line in lines], words, duration)

    # -- what a tap stamps ------------------------------------------------------------------------

    @property
    def targets(self) -> list[tuple[int, int]]:
        """(line, word) per tap: word -1 in line mode."""
        if not self.words:
            return [(i, -1) for i in range(len(self.texts))]
        return [(i, k) for i, text in enumerate(self.texts) for k in range(len(text.split()))]

    @property
    def done(self) -> bool:
        return len(self.stamps) >= len(self.targets)

    @property
    def next_target(self) -> tuple[int, int] | None:
        targets = self.targets
        return targets[len(self.stamps)] if len(self.stamps) < len(targets) else None

    @property
    def current_line(self) -> int:
        """The line being sung: the last one stamped (-1 before the first tap)."""
        return self.targets[len(self.stamps) - 1][0] if self.stamps else -1

    # -- taps -----------------------------------------------------------------------------------

    def tap(self, t: float) -> bool:
        """Stamp the next line/word at ``t``; False when everything is stamped already.

        A tap earlier than the previous one (the song was sought back) is moved just after it.
        """
        if self.done:
            return False
        if self.stamps and t <= self.stamps[-1]:
            t = self.stamps[-1] + MIN_GAP_S
        self.stamps.append(max(float(t), 0.0))
        return True

    def nudge(self, seconds: float) -> None:
        """Move the last stamp (a late or early tap), never past its neighbours."""
        if not self.stamps:
            return
        lower = self.stamps[-2] + MIN_GAP_S if len(self.stamps) > 1 else 0.0
        self.stamps[-1] = max(self.stamps[-1] + seconds, lower)

    def undo(self) -> None:
        if self.stamps:
            self.stamps.pop()

    # -- result --------------------------------------------------------------------------------------

    def result(self) -> list[LyricLine]:
        """Timed lines for what is stamped so far; lines not reached stay untimed at the end."""
        starts: dict[int, list[tuple[int, float]]] = {}
        for (line, word), t in zip(self.targets, self.stamps, strict=False):
            starts.setdefault(line, []).append((word, t))
        timed_lines = sorted(starts)
        out: list[LyricLine] = []
        for n, i in enumerate(timed_lines):
            stamps = starts[i]
            start = stamps[0][1]
            following = starts[timed_lines[n + 1]][0][1] if n + 1 < len(timed_lines) else None
            text = self.texts[i]
            natural = max(len(text.split()), 1) * SECONDS_PER_WORD
            if following is not None and following - start <= LONGEST_LINE_S:
                end = following
            else:
                end = start + min(LONGEST_LINE_S, max(natural, 1.0))
                end = min(end, following) if following is not None else end
            if self.duration:
                end = min(end, self.duration)
            end = max(end, start + MIN_GAP_S)
            words: list[Word] = []
            if self.words:
                tokens = text.split()
                times = [t for _k, t in stamps]
                for k, token in enumerate(tokens[:len(times)]):
                    word_end = times[k + 1] if k + 1 < len(times) else end
                    words.append(Word(round(times[k], 3), round(max(word_end, times[k] + MIN_GAP_S), 3), token))
                if len(times) < len(tokens):
                    end = max(end, times[-1] + MIN_GAP_S)
            out.append(LyricLine(round(start, 3), round(end, 3), text, words))
        reached = set(starts)
        out.extend(LyricLine(0.0, 0.0, text) for i, text in enumerate(self.texts) if i not in reached)
        return out
