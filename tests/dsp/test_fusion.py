"""Snapping model boundaries to the DSP grid and reporting disagreements."""

from __future__ import annotations

from moss_music.analysis.fusion import (
    fuse,
    key_relation,
    snap_chords,
    snap_sections,
    snap_time,
    tempo_relation,
)
from moss_music.annotations import Beat, Chord, Key, Section, Tempo, TimeSignature, TrackAnnotations

BEATS = [0.5 * i for i in range(1, 41)]  # 120 BPM, downbeat every 4th beat from 0.5 s
DOWNBEATS = BEATS[::4]


def dsp_result() -> TrackAnnotations:
    return TrackAnnotations(
        duration=21.0,
        beats=[Beat(t, i % 4 + 1) for i, t in enumerate(BEATS)],
        tempo=Tempo(120.0), time_signature=TimeSignature(4, 4), key=Key("C", "major"))


def test_snap_time_moves_only_within_tolerance():
    assert snap_time(1.08, BEATS, 0.1) == 1.0
    assert snap_time(1.2, BEATS, 0.1) == 1.2
    assert snap_time(3.0, [], 0.1) == 3.0


def test_chord_boundaries_land_on_beats_and_stay_contiguous():
    chords = [Chord(0.45, 2.1, "C"), Chord(2.1, 3.93, "A:min"), Chord(3.93, 4.4, "F")]
    snapped = snap_chords(chords, BEATS, 0.15)
    # inner boundaries move to beats; the outer edges of the annotated stretch stay where they were
    assert [(c.start, c.end) for c in snapped] == [(0.45, 2.0), (2.0, 4.0), (4.0, 4.4)]


def test_a_chord_that_collapses_onto_one_beat_is_dropped():
    snapped = snap_chords([Chord(1.0, 1.95, "C"), Chord(1.95, 2.05, "G"), Chord(2.05, 3.0, "F")], BEATS, 0.1)
    assert [c.label for c in snapped] == ["C", "F"]
    assert snapped[0].end == snapped[1].start == 2.0


def test_sections_prefer_downbeats_then_beats():
    sections = [Section(0.0, 8.8, "A", "verse"), Section(8.8, 12.6, "B", "chorus"), Section(12.6, 21.0, "C")]
    snapped = snap_sections(sections, DOWNBEATS, BEATS, tolerance=1.0, beat_tolerance=0.2)
    assert [s.start for s in snapped] == [0.0, 8.5, 12.5]


def test_relations_name_common_confusions():
    assert key_relation(Key("C", "major"), Key("A", "minor")) == "relative"
    assert key_relation(Key("C", "major"), Key("C", "minor")) == "parallel"
    assert key_relation(Key("C", "major"), Key("G", "major")) == "fifth"
    assert key_relation(Key("Db", "major"), Key("C#", "major")) == "same"
    assert tempo_relation(70.0, 140.5) == "double"
    assert tempo_relation(120.0, 121.0) == "same"


def test_fuse_snaps_model_layers_fills_missing_ones_and_reports_disagreements():
    model = TrackAnnotations(duration=21.0, key=Key("A", "minor"), tempo=Tempo(240.0),
                             chords=[Chord(0.52, 2.04, "C"), Chord(2.04, 4.0, "G")])
    dsp = dsp_result()
    fused, issues = fuse(model, dsp)
    assert [(c.start, c.end) for c in fused.chords] == [(0.52, 2.0), (2.0, 4.0)]
    assert fused.beats == dsp.beats and str(fused.time_signature) == "4/4"
    assert fused.key.tonic == "A"  # the model's answer is kept, the difference reported
    assert {(d.layer, d.relation) for d in issues} == {("key", "relative"), ("tempo", "double")}
    assert model.beats == [] and model.chords[0].start == 0.52  # inputs untouched
