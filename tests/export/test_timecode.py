"""Time stamps round once and carry: 59.999 s never prints as a 60th second."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moss_music.export.timecode import (
    clock_stamp,
    cue_stamp,
    lrc_stamp,
    parse_clock,
    parse_cue_stamp,
    parse_lrc_stamp,
    short_clock_stamp,
)


def test_rounding_carries_into_the_next_unit():
    assert lrc_stamp(59.999) == "01:00.00"
    assert lrc_stamp(59.9994, milliseconds=True) == "00:59.999"
    assert clock_stamp(3599.9996, ",") == "01:00:00,000"
    assert cue_stamp(59.9999) == "01:00:00"
    assert short_clock_stamp(61.5) == "0:01:01.500"


def test_negative_times_clamp_to_zero():
    assert lrc_stamp(-1.0) == "00:00.00" and cue_stamp(-0.2) == "00:00:00"


def test_bad_stamps_are_rejected():
    for text in ("1:2:3:4", "ab:cd", ""):
        with pytest.raises(ValueError):
            parse_lrc_stamp(text)
    with pytest.raises(ValueError):
        parse_cue_stamp("00:00:75")


@given(st.floats(min_value=0, max_value=20_000, allow_nan=False))
def test_every_format_round_trips_within_its_resolution(seconds):
    assert parse_lrc_stamp(lrc_stamp(seconds)) == pytest.approx(seconds, abs=0.005 + 1e-9)
    assert parse_lrc_stamp(lrc_stamp(seconds, True)) == pytest.approx(seconds, abs=0.0005 + 1e-9)
    assert parse_clock(clock_stamp(seconds)) == pytest.approx(seconds, abs=0.0005 + 1e-9)
    assert parse_clock(clock_stamp(seconds, ",")) == pytest.approx(seconds, abs=0.0005 + 1e-9)
    assert parse_clock(short_clock_stamp(seconds)) == pytest.approx(seconds, abs=0.0005 + 1e-9)
    assert parse_cue_stamp(cue_stamp(seconds)) == pytest.approx(seconds, abs=0.5 / 75 + 1e-9)
