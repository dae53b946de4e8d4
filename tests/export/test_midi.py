"""The MIDI file read back with mido: bars on downbeats, markers, key, chords, lyrics — times within 1 ms."""

from __future__ import annotations

import io

import mido
import pytest

from moss_music.annotations import Beat, Chord, Key, Section, Tempo, TimeSignature, TrackAnnotations
from moss_music.export import ExportOptions, TrackInfo, get_writer
from moss_music.export.midi import PPQ, block_chord_notes

INFO = TrackInfo(title="My Song", duration=24.0)
LYRICS, CHORDS = 1, 2


def midi_of(annotations: TrackAnnotations, **options) -> mido.MidiFile:
    data = get_writer("midi").render(annotations, INFO, ExportOptions(**options))
    return mido.MidiFile(file=io.BytesIO(data), charset="utf-8")


def absolute(track: mido.MidiTrack) -> list[tuple[int, mido.Message]]:
    now, result = 0, []
    for message in track:
        now += message.time
        result.append((now, message))
    return result


def seconds_converter(midi: mido.MidiFile):
    """Ticks -> seconds from the file's own set_tempo events (independent of the writer's tempo map)."""
    tempos = [(tick, m.tempo) for tick, m in absolute(midi.tracks[0]) if m.type == "set_tempo"]

    def to_seconds(tick: int) -> float:
        seconds, last_tick, tempo = 0.0, 0, 500_000
        for change_tick, change_tempo in tempos:
            if change_tick >= tick:
                break
            seconds += (change_tick - last_tick) * tempo / midi.ticks_per_beat / 1e6
            last_tick, tempo = change_tick, change_tempo
        return seconds + (tick - last_tick) * tempo / midi.ticks_per_beat / 1e6

    return to_seconds


def bar_line_ticks(midi: mido.MidiFile, end_tick: int) -> list[int]:
    signatures = [(tick, m.numerator, m.denominator) for tick, m in absolute(midi.tracks[0])
                  if m.type == "time_signature"]
    bars, tick, index = [], 0, 0
    while tick <= end_tick:
        while index + 1 < len(signatures) and signatures[index + 1][0] <= tick:
            index += 1
        _, numerator, denominator = signatures[index]
        bars.append(tick)
        tick += numerator * midi.ticks_per_beat * 4 // denominator
    return bars


def test_file_is_format_1_with_960_ppq_and_three_tracks(annotations):
    midi = midi_of(annotations)
    assert midi.type == 1 and midi.ticks_per_beat == PPQ == 960
    assert [t.name for t in midi.tracks] == ["My Song", "Lyrics", "Chords"]


def test_bar_lines_land_on_detected_downbeats(annotations):
    midi = midi_of(annotations)
    to_seconds = seconds_converter(midi)
    end_tick = sum(m.time for m in midi.tracks[0])
    bar_times = [to_seconds(t) for t in bar_line_ticks(midi, end_tick)]
    for downbeat in annotations.downbeats:
        assert min(abs(downbeat - t) for t in bar_times) < 0.001, downbeat
    # and no extra bar lines between two detected downbeats
    first, last = annotations.downbeats[0], annotations.downbeats[-1]
    inside = [t for t in bar_times if first - 0.001 <= t <= last + 0.001]
    assert len(inside) == len(annotations.downbeats)


def test_every_beat_is_a_quarter_note_of_the_tempo_map(annotations):
    midi = midi_of(annotations)
    to_seconds = seconds_converter(midi)
    beat_ticks = [t for t in range(0, 200 * PPQ, PPQ)]
    beat_times = [to_seconds(t) for t in beat_ticks]
    for beat in annotations.beats:
        assert min(abs(beat.time - t) for t in beat_times) < 0.001


def test_section_markers_are_named_and_timed(annotations):
    midi = midi_of(annotations)
    to_seconds = seconds_converter(midi)
    markers = [(to_seconds(t), m.text) for t, m in absolute(midi.tracks[0]) if m.type == "marker"]
    assert [name for _, name in markers] == ["Intro", "Verse 1", "Chorus 1", "Verse 2", "Chorus 2"]
    for (time, _), section in zip(markers, annotations.sections):
        assert time == pytest.approx(section.start, abs=0.001)


def test_key_and_time_signature(annotations):
    midi = midi_of(annotations)
    events = [m for _, m in absolute(midi.tracks[0])]
    assert [m.key for m in events if m.type == "key_signature"] == ["Am"]
    # MuseScore takes the key from the track it notates: the chord track carries it too
    assert [m.key for m in midi.tracks[CHORDS] if m.type == "key_signature"] == ["Am"]
    # two beats of lead-in (0.9 s at 0.5 s a beat) plus the pickup beat make a 3/4 bar, then 4/4
    assert [(m.numerator, m.denominator) for m in events if m.type == "time_signature"] == [(3, 4), (4, 4)]


def test_chords_are_named_and_played(annotations):
    midi = midi_of(annotations)
    to_seconds = seconds_converter(midi)
    events = absolute(midi.tracks[CHORDS])
    names = [(to_seconds(t), m.text) for t, m in events if m.type == "cue_marker"]
    assert not [m for _, m in events if m.type in ("text", "lyrics")]  # MuseScore reads those as lyrics
    played = [c for c in annotations.chords if c.label != "N"]
    pop = {"A:min": "Am", "F": "F", "C/3": "C/E", "G:7": "G7", "D:min7": "Dm7", "E:7": "E7", "F:maj7": "Fmaj7",
           "G": "G", "C": "C"}
    assert [n for _, n in names] == [pop[c.label] for c in played]
    for (time, _), chord in zip(names, played):
        assert time == pytest.approx(chord.start, abs=0.001)
    first_notes = sorted(m.note for t, m in events if m.type == "note_on" and to_seconds(t) < played[0].start + 0.001)
    assert first_notes == [45, 57, 60, 64]  # A2 bass, then A3 C4 E4


def test_block_chords_can_be_left_out(annotations):
    midi = midi_of(annotations, midi_block_chords=False)
    assert not [m for m in midi.tracks[CHORDS] if m.type == "note_on"]
    assert [m for m in midi.tracks[CHORDS] if m.type == "cue_marker"]


def test_chord_markers_are_optional(annotations):
    plain = [m for m in midi_of(annotations).tracks[0] if m.type == "marker"]
    with_chords = [m for m in midi_of(annotations, chord_markers=True).tracks[0] if m.type == "marker"]
    assert len(with_chords) == len(plain) + len([c for c in annotations.chords if c.label != "N"])


def test_lyrics_are_word_events_with_unicode(annotations):
    midi = midi_of(annotations)
    to_seconds = seconds_converter(midi)
    lyrics = [(to_seconds(t), m.text) for t, m in absolute(midi.tracks[LYRICS]) if m.type == "lyrics"]
    expected = [(w.start, w.text) for line in annotations.lyrics[:2] for w in line.words]
    expected.append((annotations.lyrics[2].start, annotations.lyrics[2].text))
    # a space before every word but a line's first, so karaoke lines do not run words together
    assert [text for _, text in lyrics] == ["Hello", " my", " old", " friend", "Ça", " va,", " señor?",
                                            "Sing it loud"]
    for (time, _), (start, _) in zip(lyrics, expected):
        assert time == pytest.approx(start, abs=0.001)


def test_lyrics_per_line_when_asked(annotations):
    midi = midi_of(annotations, midi_lyrics_per_word=False)
    assert [m.text for m in midi.tracks[LYRICS] if m.type == "lyrics"] == [
        "Hello my old friend", "Ça va, señor?", "Sing it loud"]


def test_note_offs_come_before_note_ons_at_a_chord_change():
    ann = TrackAnnotations(duration=4.0, tempo=Tempo(120), chords=[Chord(0, 2, "C"), Chord(2, 4, "C")])
    events = absolute(midi_of(ann).tracks[CHORDS])
    at_change = [m.type for t, m in events if t == 4 * PPQ and m.type.startswith("note")]
    assert at_change == ["note_off"] * 4 + ["note_on"] * 4


def test_without_beats_the_stated_tempo_is_used():
    ann = TrackAnnotations(duration=10.0, tempo=Tempo(90.0), time_signature=TimeSignature(3, 4),
                           sections=[Section(0, 5, "A", "verse"), Section(5, 10, "B", "chorus")])
    midi = midi_of(ann)
    tempos = [m.tempo for m in midi.tracks[0] if m.type == "set_tempo"]
    assert tempos == [round(60e6 / 90)]
    marker_times = [seconds_converter(midi)(t) for t, m in absolute(midi.tracks[0]) if m.type == "marker"]
    assert marker_times == pytest.approx([0.0, 5.0], abs=0.001)


def test_long_silence_before_the_first_beat_becomes_lead_in_bars():
    beats = [Beat(5.0 + 0.5 * i, i % 3 + 1) for i in range(30)]
    ann = TrackAnnotations(duration=20.0, beats=beats, time_signature=TimeSignature(3, 4))
    midi = midi_of(ann)
    to_seconds = seconds_converter(midi)
    bar_times = [to_seconds(t) for t in bar_line_ticks(midi, 100 * PPQ)]
    for downbeat in ann.downbeats:
        assert min(abs(downbeat - t) for t in bar_times) < 0.001
    tempos = [m.tempo for m in midi.tracks[0] if m.type == "set_tempo"]
    assert all(400_000 <= t <= 600_000 for t in tempos)  # lead-in beats keep the song's pace


def test_modal_key_writes_no_key_signature():
    ann = TrackAnnotations(duration=4.0, tempo=Tempo(100), key=Key("D", "dorian"))
    assert not [m for m in midi_of(ann).tracks[0] if m.type == "key_signature"]


def test_block_chord_voicing_keeps_a_sensible_register():
    assert block_chord_notes("G:7") == [43, 55, 59, 62, 65]
    assert block_chord_notes("C/3") == [40, 55, 60, 64]
    assert block_chord_notes("N") == []
    assert block_chord_notes("not a chord") == []


def test_every_lyric_event_has_a_quiet_guide_note_on_its_own_channel(annotations):
    """MuseScore shows a lyric only on a note starting with it; the guide notes give every word one."""
    events = absolute(midi_of(annotations).tracks[LYRICS])
    lyric_ticks = [t for t, m in events if m.type == "lyrics"]
    notes = [(t, m) for t, m in events if m.type == "note_on"]
    assert [t for t, _ in notes] == lyric_ticks
    assert {m.velocity for _, m in notes} == {1} and {m.channel for _, m in notes} == {1}
    assert {m.note for _, m in notes} <= set(range(60, 72))
    assert not [m for m in midi_of(annotations, midi_lyric_notes=False).tracks[LYRICS] if m.type == "note_on"]


def test_karaoke_marks_can_be_asked_for_in_the_mid(annotations):
    """.kar conventions: '\\' opens a paragraph (a section), '/' a new line."""
    lyrics = [m.text for m in midi_of(annotations, midi_lyric_marks=True).tracks[LYRICS] if m.type == "lyrics"]
    assert lyrics == ["\\Hello", " my", " old", " friend", "/Ça", " va,", " señor?", "\\Sing it loud"]
