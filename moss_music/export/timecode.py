"""Time stamps as each format spells them, and back.

Every formatter rounds once, from float seconds to the format's unit, and
carries the remainder upward (59.999 s never prints as '0:60.00'). Negative
times clamp to zero: no format can express them and players reject them.
"""

from __future__ import annotations

import re

CUE_FRAMES_PER_SECOND = 75

_LRC_STAMP = re.compile(r"^(\d+):(\d{1,2})(?:[.:](\d{1,3}))?$")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?$")


def _units(seconds: float, per_second: int) -> int:
    return max(0, round(seconds * per_second))


def lrc_stamp(seconds: float, milliseconds: bool = False) -> str:
    """'mm:ss.xx' (centiseconds, the LRC standard) or 'mm:ss.xxx'."""
    if milliseconds:
        total = _units(seconds, 1000)
        return f"{total // 60000:02d}:{total // 1000 % 60:02d}.{total % 1000:03d}"
    total = _units(seconds, 100)
    return f"{total // 6000:02d}:{total // 100 % 60:02d}.{total % 100:02d}"


def parse_lrc_stamp(text: str) -> float:
    """'mm:ss.xx', 'mm:ss.xxx', 'mm:ss' or 'mm:ss:xx'; raises ValueError otherwise."""
    match = _LRC_STAMP.match(text.strip())
    if not match:
        raise ValueError(f"not an LRC time stamp: {text!r}")
    minutes, seconds, fraction = match.groups()
    value = int(minutes) * 60 + int(seconds)
    if fraction:
        value += int(fraction) / 10 ** len(fraction)
    return float(value)


def clock_stamp(seconds: float, separator: str = ".") -> str:
    """'hh:mm:ss.mmm' (WebVTT) or with ',' (SRT)."""
    total = _units(seconds, 1000)
    return (f"{total // 3_600_000:02d}:{total // 60_000 % 60:02d}:{total // 1000 % 60:02d}"
            f"{separator}{total % 1000:03d}")


def short_clock_stamp(seconds: float) -> str:
    """'h:mm:ss.mmm' as Reaper shows time in its Region/Marker Manager."""
    total = _units(seconds, 1000)
    return f"{total // 3_600_000}:{total // 60_000 % 60:02d}:{total // 1000 % 60:02d}.{total % 1000:03d}"


def parse_clock(text: str) -> float:
    """'hh:mm:ss.mmm', 'hh:mm:ss,mmm', 'mm:ss.mmm' or 'h:mm:ss'; raises ValueError otherwise."""
    match = _CLOCK.match(text.strip())
    if not match:
        raise ValueError(f"not a clock time: {text!r}")
    hours, minutes, seconds, fraction = match.groups()
    value = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    if fraction:
        value += int(fraction) / 10 ** len(fraction)
    return float(value)


def cue_stamp(seconds: float) -> str:
    """'mm:ss:ff' with 75 frames per second (CD frames), as cue sheet INDEX lines need."""
    total = _units(seconds, CUE_FRAMES_PER_SECOND)
    frames_per_minute = 60 * CUE_FRAMES_PER_SECOND
    return (f"{total // frames_per_minute:02d}:{total // CUE_FRAMES_PER_SECOND % 60:02d}:"
            f"{total % CUE_FRAMES_PER_SECOND:02d}")


def parse_cue_stamp(text: str) -> float:
    minutes, seconds, frames = (int(part) for part in text.strip().split(":"))
    if seconds >= 60 or frames >= CUE_FRAMES_PER_SECOND:
        raise ValueError(f"not a cue sheet time: {text!r}")
    return minutes * 60 + seconds + frames / CUE_FRAMES_PER_SECOND
