"""Untimed lyrics stay untimed; tap-to-sync turns them into timed lines (and words)."""

from __future__ import annotations

import pytest

from moss_music.annotations import LyricLine
from moss_music.annotations.lyric_sync import (
    TapSync,
    is_timed,
    reading_order,
    timed_in_order,
    untimed_count,
    untimed_lines,
)

TEXTS = ["first line here", "second line", "third and last line"]


def test_untimed_lines_have_no_times_and_blank_lines_are_dropped():
    lines = untimed_lines(["  first   line ", "", "second"])
    assert [line.text for line in lines] == ["first line", "second"]
    assert not any(is_timed(line) for line in lines)
    assert untimed_count(lines + [LyricLine(1.0, 2.0, "x")]) == 2


def test_timed_formats_get_only_timed_lines_and_reading_order_keeps_untimed_ones_last():
    lines = [LyricLine(21.0, 25.0, "second"), LyricLine(0.0, 0.0, "not reached"), LyricLine(17.6, 21.0, "first"),
             LyricLine(0.0, 0.0, "also not reached")]
    assert [line.text for line in timed_in_order(lines)] == ["first", "second"]
    assert [line.text for line in reading_order(lines)] == ["first", "second", "not reached", "also not reached"]
    untimed = untimed_lines(["b line", "a line"])
    assert timed_in_order(untimed) == [] and [line.text for line in reading_order(untimed)] == ["b line", "a line"]


def test_each_tap_stamps_the_next_line_and_lines_end_where_the_next_begins():
    sync = TapSync(TEXTS, duration=60.0)
    assert sync.next_target == (0, -1)
    for t in (17.6, 21.0, 25.5):
        assert sync.tap(t)
    assert sync.done and not sync.tap(30.0)
    lines = sync.result()
    assert [(line.start, line.end) for line in lines[:2]] == [(17.6, 21.0), (21.0, 25.5)]
    assert lines[2].start == 25.5 and 25.5 < lines[2].end <= 25.5 + 10.0


def test_a_long_gap_ends_the_line_before_the_instrumental():
    sync = TapSync(TEXTS[:2], duration=120.0)
    sync.tap(10.0)
    sync.tap(60.0)
    first = sync.result()[0]
    assert first.end < 20.0, "the line does not stretch over a 50 s solo"


def test_nudge_and_undo_fix_a_late_tap():
    sync = TapSync(TEXTS)
    sync.tap(5.0)
    sync.tap(9.4)
    sync.nudge(-0.2)
    assert sync.stamps == [5.0, pytest.approx(9.2)]
    sync.nudge(-60.0)
    assert sync.stamps[-1] == pytest.approx(5.05), "never before the previous tap"
    sync.undo()
    assert sync.stamps == [5.0] and sync.next_target == (1, -1)
    assert sync.current_line == 0


def test_lines_not_reached_yet_stay_untimed():
    sync = TapSync(TEXTS)
    sync.tap(3.0)
    lines = sync.result()
    assert is_timed(lines[0]) and not is_timed(lines[1]) and not is_timed(lines[2])


def test_word_mode_times_every_word():
    sync = TapSync(["hello there", "friend"], words=True, duration=30.0)
    for t in (1.0, 1.5, 4.0):
        sync.tap(t)
    first, second = sync.result()
    assert [(w.text, w.start, w.end) for w in first.words] == [("hello", 1.0, 1.5), ("there", 1.5, 4.0)]
    assert first.start == 1.0 and first.end == 4.0
    assert second.words[0].start == 4.0


def test_a_tap_before_the_previous_one_is_kept_in_order():
    sync = TapSync(TEXTS)
    sync.tap(10.0)
    sync.tap(8.0)  # the user sought back
    assert sync.stamps[1] > sync.stamps[0]
