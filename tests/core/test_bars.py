"""Bar layout for chord sheets: beat-snapped chords, slivers dropped, sections and lyrics per bar."""

from __future__ import annotations

import pytest

from moss_music.annotations import Beat, Chord, LyricLine, Section, Tempo, Word
from moss_music.annotations.bars import layout_bars, simplify_chord


def grid(bars: int, bpm: float = 120.0, start: float = 0.5, pickup: int = 0) -> list[Beat]:
    step = 60.0 / bpm
    beats = [Beat(start + i * step, 4 - pickup + i + 1) for i in range(pickup)]
    t0 = start + pickup * step
    beats += [Beat(round(t0 + i * step, 6), i % 4 + 1) for i in range(bars * 4)]
    return beats


def test_one_bar_per_downbeat_with_a_chord_per_beat():
    beats = grid(2)
    chords = [Chord(0.5, 2.5, "C"), Chord(2.5, 3.5, "A:min"), Chord(3.5, 4.5, "F")]
    sheet = layout_bars(beats, chords, duration=5.0)
    assert [bar.number for bar in sheet.bars] == [1, 2]
    assert sheet.bars[0].slots == ("C",) * 4
    assert sheet.bars[1].slots == ("A:min", "A:min", "F", "F")
    assert sheet.bars[1].changes == [(0, "A:min"), (2, "F")]
    assert sheet.bars[0].start == pytest.approx(0.5) and sheet.bars[0].end == pytest.approx(2.5)


def test_a_chord_shorter_than_a_beat_is_ignored_and_the_one_before_carries_on():
    beats = grid(1)
    # 0.12 s of "G" between C and F: analysis noise, not a change a player makes.
    chords = [Chord(0.5, 1.44, "C"), Chord(1.44, 1.56, "G"), Chord(1.56, 2.5, "F")]
    sheet = layout_bars(beats, chords, duration=3.0)
    assert "G" not in sheet.bars[0].slots
    assert sheet.bars[0].slots == ("C", "C", "F", "F")


def test_chords_off_the_grid_snap_to_the_nearest_beat():
    beats = grid(1)
    chords = [Chord(0.47, 1.58, "C"), Chord(1.58, 2.5, "G:7")]
    assert layout_bars(beats, chords).bars[0].slots == ("C", "C", "G:7", "G:7")


def test_a_pickup_bar_is_numbered_zero():
    beats = grid(2, pickup=2)
    sheet = layout_bars(beats, [Chord(0.5, 5.5, "D")])
    assert [bar.number for bar in sheet.bars] == [0, 1, 2]
    assert len(sheet.bars[0].beats) == 2


def test_sections_head_the_bar_they_start_in_and_lyrics_sit_under_their_bar():
    beats = grid(4)
    sections = [Section(0.45, 4.5, "Verse 1", "verse"), Section(4.55, 8.5, "Chorus", "chorus")]
    words = [Word(0.6, 0.9, "hello"), Word(1.0, 1.3, "there"), Word(2.6, 3.0, "friend")]
    lyrics = [LyricLine(0.6, 3.0, "hello there friend", words), LyricLine(4.6, 6.0, "la la la"),
              LyricLine(0.0, 0.0, "an untimed line")]
    sheet = layout_bars(beats, [Chord(0.5, 8.5, "C")], sections, lyrics)
    assert [(i, name) for i, name in sheet.sections()] == [(0, "Verse 1"), (2, "Chorus")]
    assert sheet.bars[0].lyrics == "hello there"
    assert sheet.bars[1].lyrics == "friend"
    assert sheet.bars[2].lyrics == "la la la"
    assert all("untimed" not in bar.lyrics for bar in sheet.bars)


def test_bar_lookup_and_ranges_for_loops():
    sheet = layout_bars(grid(3), [Chord(0.5, 6.5, "C")])
    assert sheet.bar_at(0.2) is None
    assert sheet.bar_at(2.6) == 1
    assert sheet.bar_at(99.0) is None
    assert sheet.bar_range(2, 1) == (pytest.approx(2.5), pytest.approx(6.5))
    assert sheet.bars[1].beat_at(3.6) == 2


def test_without_beats_a_steady_grid_at_the_tempo_stands_in():
    sheet = layout_bars([], [Chord(0.0, 4.0, "C"), Chord(4.0, 8.0, "G")], tempo=Tempo(60.0), duration=8.0)
    assert sheet.synthetic_grid
    assert [bar.slots for bar in sheet.bars] == [("C",) * 4, ("G",) * 4]


@pytest.mark.parametrize(("harte", "triad"), [
    ("A:min7", "A:min"), ("G:7", "G"), ("C/3", "C"), ("B:hdim7", "B:dim"), ("C:maj7", "C"), ("D:sus4", "D:sus4"),
    ("E:aug", "E:aug"), ("F#:min9", "F#:min"), ("Bb:7", "Bb"), ("N", "N"), ("nonsense!", "nonsense!"),
])
def test_simplify_keeps_the_triad(harte, triad):
    assert simplify_chord(harte) == triad


def test_simplify_applies_to_the_whole_sheet():
    sheet = layout_bars(grid(1), [Chord(0.5, 2.5, "A:min7")], simplify=True)
    assert sheet.bars[0].slots == ("A:min",) * 4


def test_sections_get_readable_names_for_the_room_there_is():
    from moss_music.annotations.bars import section_titles

    assert section_titles("B", "chorus") == ["Chorus (B)", "Chorus", "Ch"]
    assert section_titles("A", "pre-chorus") == ["Pre Chorus (A)", "Pre Chorus", "PC"]
    assert section_titles("Verse 2", "verse") == ["Verse 2", "V2"]
    assert section_titles("Chorus 1b", "chorus") == ["Chorus 1b", "C1b"]
    assert section_titles("Bridge") == ["Bridge", "B"]
    assert section_titles("A", "other") == ["A"]
