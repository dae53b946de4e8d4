"""Guitar shapes and piano voicings: every shape sounds exactly the chord's notes, capo included."""

from __future__ import annotations

import pytest

from moss_music.annotations import parse_chord
from moss_music.annotations.chords import QUALITIES, SHARP_NAMES
from moss_music.annotations.fretboard import guitar_shape, piano_voicing

SHAPED = ("maj", "min", "7", "min7", "maj7", "sus2", "sus4", "dim", "aug", "hdim7", "dim7", "maj6", "min6")


@pytest.mark.parametrize("quality", SHAPED)
@pytest.mark.parametrize("root", range(12))
def test_every_shape_plays_the_chord_and_nothing_else(root, quality):
    harte = SHARP_NAMES[root] + ("" if quality == "maj" else f":{quality}")
    chord = set(parse_chord(harte).pitch_classes())
    shape = guitar_shape(harte)
    assert shape is not None and not shape.simplified
    sounding = shape.sounding_pitch_classes()
    assert sounding <= chord
    assert root in sounding
    third = {(root + 3) % 12, (root + 4) % 12, (root + 2) % 12, (root + 5) % 12} & chord
    assert sounding & third
    played = [f for f in shape.frets if f > 0]
    assert not played or max(played) - min(played) <= 4  # a hand can reach it


def test_open_shapes_come_first():
    assert guitar_shape("C").frets == (-1, 3, 2, 0, 1, 0)
    assert guitar_shape("E:min").frets == (0, 2, 2, 0, 0, 0)


def test_a_capo_gives_the_shape_of_the_chord_below_it():
    shape = guitar_shape("D#:min", capo=6)  # Eb minor with the capo at 6: play an A minor shape
    assert shape.name_harte == "A:min"
    assert shape.frets == (-1, 0, 2, 2, 1, 0)
    assert shape.sounding_pitch_classes(capo=6) == set(parse_chord("D#:min").pitch_classes())


def test_barre_chords_high_on_the_neck_say_where_they_are():
    shape = guitar_shape("F#:min")
    assert shape.barre == 2 and shape.base_fret == 1
    high = guitar_shape("C#:min7")
    assert high.base_fret >= 2


def test_qualities_without_a_common_shape_fall_back_to_their_triad():
    shape = guitar_shape("D:9")
    assert shape.simplified and shape.name_harte == "D"
    assert guitar_shape("N") is None and guitar_shape("rubbish!!") is None


def test_piano_voicing_in_root_position_with_the_slash_bass_below():
    assert piano_voicing("C") == [48, 52, 55]
    assert piano_voicing("A:min7") == [57, 60, 64, 67]
    assert piano_voicing("C/3")[0] == 40
    assert piano_voicing("N") == []
    assert set(QUALITIES) >= set(SHAPED)
