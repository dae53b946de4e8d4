"""The MIDI and .kar files opened by readers nobody here wrote: pretty_midi, mido, music21 and MuseScore 3."""

from __future__ import annotations

import io
import re

import mido
import pytest

from moss_music.annotations import Key, TrackAnnotations
from moss_music.export import ExportOptions, TrackInfo, get_writer
from tests.export.tools import require, run

INFO = TrackInfo(title="Café Song", artist="The Testers", duration=24.0)
WORDS = ["Hello", "my", "old", "friend", "Ça", "va,", "señor?", "Sing it loud"]


def render(fmt: str, annotations: TrackAnnotations, **options) -> bytes:
    return get_writer(fmt).render(annotations, INFO, ExportOptions(**options))


def in_a_major(annotations: TrackAnnotations) -> TrackAnnotations:
    """The fixture song with its key stated as A major: chords alone would make MuseScore guess C/Am."""
    annotations.key = Key("A", "major")
    return annotations


def strip_kar(text: str) -> str:
    return text.lstrip("/\\ ")


@pytest.mark.filterwarnings("ignore:Tempo, Key or Time signature change events found on non-zero tracks")
def test_pretty_midi_reads_downbeats_key_and_utf8_lyrics(annotations):
    pretty_midi = pytest.importorskip("pretty_midi")
    midi = pretty_midi.PrettyMIDI(io.BytesIO(render("midi", annotations)), charset="utf-8")
    assert [strip_kar(lyric.text) for lyric in midi.lyrics] == WORDS
    downbeats = midi.get_downbeats()
    for downbeat in annotations.downbeats:
        assert min(abs(downbeat - t) for t in downbeats) < 0.001
    assert [k.key_number for k in midi.key_signature_changes][:1] == [pretty_midi.key_name_to_key_number("A minor")]
    assert midi.instruments and midi.instruments[0].notes


@pytest.mark.filterwarnings("ignore:Tempo, Key or Time signature change events found on non-zero tracks")
def test_kar_text_reads_right_with_the_default_latin1_of_mido_and_pretty_midi(annotations):
    """Issue 14.3: the file said UTF-8 but readers decoded Latin-1 ('CafÃ©')."""
    pretty_midi = pytest.importorskip("pretty_midi")
    data = render("kar", annotations)
    midi = mido.MidiFile(file=io.BytesIO(data))  # mido's default charset, as karaoke players read it
    words_track = next(track for track in midi.tracks if track.name == "Words")
    texts = [m.text for m in words_track if m.type == "text"]
    assert texts[:2] == ["@TCafé Song", "@TThe Testers"]
    assert texts[2:] == ["\\Hello", " my", " old", " friend", "/Ça", " va,", " señor?", "\\Sing it loud"]
    assert midi.tracks[1].name == "Soft Karaoke" and "@KMIDI KARAOKE FILE" in [m.text for m in midi.tracks[1]
                                                                                 if m.type == "text"]
    pm = pretty_midi.PrettyMIDI(io.BytesIO(data))
    assert "señor?" in [strip_kar(event.text) for event in pm.text_events]


def test_kar_falls_back_to_utf8_with_a_warning_when_text_does_not_fit_latin1(annotations):
    annotations.lyrics[2].text = "歌を歌う"
    writer = get_writer("kar")
    data = writer.render(annotations, INFO, ExportOptions())
    assert writer.warnings and "UTF-8" in writer.warnings[0]
    midi = mido.MidiFile(file=io.BytesIO(data), charset="utf-8")
    assert "\\歌を歌う" in [m.text for track in midi.tracks for m in track if m.type == "text"]


def test_mid_text_can_be_latin1_for_readers_that_assume_it(annotations):
    data = render("midi", annotations, midi_text_encoding="latin-1")
    lyrics = [m.text for track in mido.MidiFile(file=io.BytesIO(data)).tracks for m in track if m.type == "lyrics"]
    assert " señor?" in lyrics


def test_music21_reads_the_key_and_the_meter(annotations):
    music21 = pytest.importorskip("music21")
    score = music21.converter.parse(render("midi", in_a_major(annotations)), format="midi")
    keys = list(score.recurse().getElementsByClass(music21.key.KeySignature))
    assert keys and {k.sharps for k in keys} == {3}
    meters = {ts.ratioString for ts in score.recurse().getElementsByClass(music21.meter.TimeSignature)}
    assert "4/4" in meters


@pytest.mark.slow
def test_musescore_reads_the_key_and_takes_no_chord_names_for_lyrics(annotations, tmp_path):
    """Issue 14.2/14.3: MuseScore 3 read A major as 4 sharps and showed the 131 chord names as lyrics."""
    mscore = require("mscore3")
    mid = tmp_path / "song.mid"
    mid.write_bytes(render("midi", in_a_major(annotations)))
    out = tmp_path / "song.musicxml"
    result = run([mscore, "-o", str(out), str(mid)], timeout=180, QT_QPA_PLATFORM="offscreen")
    assert out.exists(), result.stderr
    xml = out.read_text(encoding="utf-8")
    assert set(re.findall(r"<fifths>(-?\d+)</fifths>", xml)) == {"3"}
    lyrics = [t.strip() for t in re.findall(r"<lyric[^>]*>.*?<text>(.*?)</text>", xml, re.S)]
    assert lyrics == WORDS  # every sung word once, never a chord name ('Am', 'Fmaj7', …)


@pytest.mark.slow
def test_timidity_shows_kar_lyrics_as_separate_words_on_their_lines(annotations, tmp_path):
    """Issue 14.3: TiMidity's karaoke line ran words together ('Hello(Verse 2)littleworld')."""
    timidity = require("timidity")
    kar = tmp_path / "song.kar"
    kar.write_bytes(render("kar", annotations))
    result = run([timidity, "-idt", "-Ov", "-o", "/dev/null", str(kar)], timeout=120)
    shown = result.stdout.encode("utf-8", "replace").decode("utf-8")
    assert "Hello my" in shown and "old friend" in shown and "Sing it loud" in shown, shown[-2000:]
    assert "(Verse" not in shown and "(Chorus" not in shown  # no section markers inside the lyric line
    assert "\\Hello" not in shown and "/" not in shown.split("Hello", 1)[1].split("Sing it loud", 1)[0]
