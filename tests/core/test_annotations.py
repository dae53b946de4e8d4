"""The annotation model, chord names and JAMS interchange."""

from __future__ import annotations

import jams
import pytest

from moss_music.annotations import (
    Answer,
    Beat,
    Caption,
    Chord,
    EnergyCurve,
    Key,
    Loudness,
    LyricLine,
    Section,
    Tempo,
    TempoPoint,
    TimeSignature,
    TrackAnnotations,
    Word,
    display_name,
    parse_chord,
    to_harte,
    transpose_harte,
)
from moss_music.annotations.jams_io import from_jams, load_jams, save_jams, to_jams


def full_annotations() -> TrackAnnotations:
    return TrackAnnotations(
        duration=30.0,
        beats=[Beat(0.5, 1), Beat(1.0, 2), Beat(1.5, 3), Beat(2.0, 1)],
        tempo=Tempo(120.0, 0.8, [TempoPoint(0.0, 119.5), TempoPoint(10.0, 120.5)]),
        time_signature=TimeSignature(3, 4, 0.9),
        key=Key("F#", "minor", 0.7, runner_up=Key("A", "major", 0.2)),
        chords=[Chord(0.0, 2.0, "A:min", 0.9), Chord(2.0, 4.0, "N", 1.0), Chord(4.0, 6.0, "D:maj7/3", 0.5)],
        sections=[Section(0.0, 10.0, "A", "verse"), Section(10.0, 30.0, "Chorus 1", "chorus", 0.6)],
        lyrics=[LyricLine(1.0, 3.0, "hello world", [Word(1.0, 2.0, "hello"), Word(2.0, 3.0, "world")]),
                LyricLine(4.0, 5.0, "no words here")],
        caption=Caption("a mellow song", {"genre": "folk", "mood": "calm"}, ["folk", "mellow"], "I listened"),
        instruments=["acoustic guitar", "female voice"],
        loudness=Loudness(-14.2, -1.0),
        energy=EnergyCurve(0.5, [0.1, 0.5, 1.0]),
        answers=[Answer("what key?", "F# minor", "thinking…")],
        raw={"chords": "0.0 - 2.0: Am\n???", "caption": "a mellow song"},
        unparsed=["structure"],
    )


def test_dict_round_trip_keeps_every_layer():
    annotations = full_annotations()
    assert TrackAnnotations.from_dict(annotations.to_dict()) == annotations


def test_present_layers_lists_only_filled_layers():
    annotations = TrackAnnotations(beats=[Beat(1.0)], key=Key("C"))
    assert annotations.present_layers() == ["beats", "key"]
    assert annotations.downbeats == [1.0]


def test_overlay_replaces_only_the_layers_the_user_edited():
    machine = full_annotations()
    edits = TrackAnnotations(sections=[Section(0.0, 30.0, "Whole song", "other")])
    merged = machine.overlay(edits)
    assert merged.sections == edits.sections
    assert merged.chords == machine.chords
    assert machine.sections[0].label == "A"  # the machine result is untouched


def test_jams_round_trip_keeps_every_layer(tmp_path):
    annotations = full_annotations()
    save_jams(annotations, tmp_path / "song.jams", title="Song", artist="Me", source="dsp")
    assert load_jams(tmp_path / "song.jams") == annotations


def test_jams_output_uses_standard_namespaces_and_validates():
    doc = to_jams(full_annotations(), title="Song")
    namespaces = {ann.namespace for ann in doc.annotations}
    assert {"beat", "chord", "key_mode", "tempo", "segment_open", "lyrics"} <= namespaces
    doc.validate()
    beat = doc.search(namespace="beat")[0]
    assert [obs.value for obs in beat.data] == [1, 2, 3, 1]
    key = doc.search(namespace="key_mode")[0]
    assert key.data[0].value == "F#:minor"
    sections = doc.search(namespace="segment_open")[0]
    assert [obs.value for obs in sections.data] == ["verse", "chorus"]


def test_foreign_jams_files_give_their_standard_layers():
    doc = jams.JAMS()
    doc.file_metadata.duration = 10.0
    chords = jams.Annotation(namespace="chord", time=0, duration=10.0)
    chords.append(time=0.0, duration=5.0, value="G:7", confidence=1.0)
    chords.append(time=5.0, duration=5.0, value="C", confidence=1.0)
    doc.annotations.append(chords)
    result = from_jams(doc)
    assert [(c.start, c.end, c.label) for c in result.chords] == [(0.0, 5.0, "G:7"), (5.0, 10.0, "C")]


@pytest.mark.parametrize(("text", "harte"), [
    ("C", "C"), ("Am", "A:min"), ("G7", "G:7"), ("Bbmaj7", "Bb:maj7"), ("F#m7b5", "F#:hdim7"), ("C/E", "C/3"),
    ("Gm7/F", "G:min7/b7"), ("Csus4", "C:sus4"), ("Dsus2", "D:sus2"), ("E+", "E:aug"), ("Bdim", "B:dim"),
    ("Bdim7", "B:dim7"), ("A:min7", "A:min7"), ("C:maj7/3", "C:maj7/3"), ("N", "N"), ("N.C.", "N"),
    ("Am(maj7)", "A:minmaj7"), ("C6", "C:maj6"), ("Ebm", "Eb:min"), ("C#m", "C#:min"), ("A7sus4", "A:(4,5,b7)"),
    ("C＃m", "C#:min"), ("Db", "Db"), ("B♭m", "Bb:min"),
])
def test_pop_and_harte_spellings_normalise_to_harte(text, harte):
    assert to_harte(text) == harte


@pytest.mark.parametrize("text", ["H7", "hello", "Cxyz", "123", "C/Q"])
def test_non_chords_are_refused(text):
    with pytest.raises(ValueError):
        to_harte(text)


def test_display_names_follow_transposition_and_accidental_preference():
    assert display_name("A:min7/b7") == "Am7/G"
    assert display_name("A:min", transpose=1) == "A#m"
    assert display_name("A:min", transpose=1, prefer_flats=True) == "Bbm"
    assert display_name("Bb:maj7") == "Bbmaj7"
    assert display_name("N") == "N.C."
    assert transpose_harte("C/3", 2) == "D/3"
    assert display_name("C/3", transpose=2) == "D/F#"


def test_chord_pitch_classes_include_the_bass():
    chord = parse_chord("D:maj7/3")
    assert chord.pitch_classes() == [1, 2, 6, 9]
    assert chord.bass_pitch_class() == 6
