"""A song's worth of annotations (pickup beat, tempo drift, sections, chords, word-timed lyrics) and a
library track that carries them."""

from __future__ import annotations

import pytest

from moss_music.annotations import (
    Beat,
    Caption,
    Chord,
    Key,
    LyricLine,
    Section,
    Tempo,
    TimeSignature,
    TrackAnnotations,
    Word,
)
from tests.audio_fixtures import write_song

DURATION = 24.0


def make_annotations() -> TrackAnnotations:
    """4/4 with one pickup beat at 0.9 s and a tempo that drifts from 120 to ~126 BPM."""
    beats, time, period = [], 0.9, 0.5
    position = 4
    while time < DURATION - 0.3:
        beats.append(Beat(round(time, 6), position))
        position = position % 4 + 1
        time += period
        period = max(0.47, period - 0.0012)
    downbeats = [b.time for b in beats if b.position == 1]
    sections = [
        Section(0.0, downbeats[1], "A", "intro"),
        Section(downbeats[1], downbeats[4], "B", "verse"),
        Section(downbeats[4], downbeats[6], "C", "chorus"),
        Section(downbeats[6], downbeats[8], "B", "verse"),
        Section(downbeats[8], DURATION, "Chorus 2", "chorus"),
    ]
    labels = ["A:min", "F", "C/3", "G:7", "A:min", "D:min7", "E:7", "A:min", "F:maj7", "G", "C"]
    chords = [Chord(0.0, downbeats[0], "N")]
    for i, start in enumerate(downbeats):
        end = downbeats[i + 1] if i + 1 < len(downbeats) else DURATION
        chords.append(Chord(start, end, labels[i % len(labels)]))
    v1 = downbeats[1]
    lyrics = [
        LyricLine(v1 + 0.05, v1 + 1.9, "Hello my old friend", [
            Word(v1 + 0.05, v1 + 0.5, "Hello"), Word(v1 + 0.5, v1 + 0.8, "my"),
            Word(v1 + 0.8, v1 + 1.2, "old"), Word(v1 + 1.2, v1 + 1.9, "friend")]),
        LyricLine(v1 + 2.1, v1 + 3.6, "Ça va, señor?", [
            Word(v1 + 2.1, v1 + 2.6, "Ça"), Word(v1 + 2.6, v1 + 3.0, "va,"), Word(v1 + 3.0, v1 + 3.6, "señor?")]),
        LyricLine(downbeats[4] + 0.013, downbeats[4] + 1.777, "Sing it loud"),
    ]
    return TrackAnnotations(
        duration=DURATION, beats=beats, tempo=Tempo(123.4567), time_signature=TimeSignature(4, 4),
        key=Key("A", "minor", 0.8), chords=chords, sections=sections, lyrics=lyrics,
        caption=Caption("A bright pop song with piano and strings.", tags=["pop", "uplifting"]),
        instruments=["piano", "strings"],
    )


@pytest.fixture
def annotations() -> TrackAnnotations:
    return make_annotations()


@pytest.fixture
def analyzed_track(library, tmp_path):
    """A scanned FLAC file in the library with a stored 'dsp' analysis."""
    path = write_song(tmp_path / "music" / "My Song.flac", seconds=DURATION,
                      tags={"title": "My Song", "artist": "The Testers", "album": "Fixtures"})
    track = library.add_file(path)
    library.save_analysis(track, backend="dsp", model_id="dsp", model_revision="test",
                          tasks=["beats", "key", "chords", "sections", "lyrics", "caption"],
                          annotations=make_annotations())
    return library.resolve_track(track.id)
