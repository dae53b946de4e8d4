"""LRC / enhanced LRC / SRT / WebVTT out, and lyrics back in from files and tags."""

from __future__ import annotations

import re

import pytest

from moss_music.annotations import LyricLine, Tempo, TrackAnnotations, Word
from moss_music.export import ExportOptions, TrackInfo, get_writer, import_lyrics, lyrics_from_tags, parse_lrc
from moss_music.export.lyrics import parse_subtitles, read_lyrics_file
from moss_music.export.tags import TagOptions, write_tags
from tests.audio_fixtures import write_song

INFO = TrackInfo(title="My Song", artist="The Testers", album="Fixtures", duration=24.0)


def render(fmt: str, annotations: TrackAnnotations, **options) -> str:
    return get_writer(fmt).render(annotations, INFO, ExportOptions(**options))


def test_lrc_has_headers_and_round_trips_within_half_a_centisecond(annotations):
    text = render("lrc", annotations)
    doc = parse_lrc(text)
    assert doc.tags["ti"] == "My Song" and doc.tags["ar"] == "The Testers" and doc.tags["al"] == "Fixtures"
    assert doc.tags["length"] == "00:24" and doc.tags["by"]
    assert [line.text for line in doc.lines] == [line.text for line in annotations.lyrics]
    for read, original in zip(doc.lines, annotations.lyrics):
        assert read.start == pytest.approx(original.start, abs=0.005)


def test_lrc_with_milliseconds_round_trips_within_1ms(annotations):
    doc = parse_lrc(render("lrc", annotations, lrc_milliseconds=True))
    for read, original in zip(doc.lines, annotations.lyrics):
        assert read.start == pytest.approx(original.start, abs=0.001)
    # a line followed by a gap gets a clearing stamp, so its end survives too
    assert doc.lines[-1].end == pytest.approx(annotations.lyrics[-1].end, abs=0.001)


def test_lrc_offset_shifts_every_stamp(annotations):
    plain = parse_lrc(render("lrc", annotations, lrc_milliseconds=True)).lines
    shifted = parse_lrc(render("lrc", annotations, lrc_milliseconds=True, lrc_offset_ms=-250)).lines
    for a, b in zip(plain, shifted):
        assert b.start == pytest.approx(a.start - 0.25, abs=0.001)


def test_enhanced_lrc_carries_word_times(annotations):
    text = render("elrc", annotations, lrc_milliseconds=True)
    assert "<" in text
    doc = parse_lrc(text)
    first = doc.lines[0]
    assert [w.text for w in first.words] == ["Hello", "my", "old", "friend"]
    for read, original in zip(first.words, annotations.lyrics[0].words):
        assert read.start == pytest.approx(original.start, abs=0.001)
    assert first.words[-1].end == pytest.approx(annotations.lyrics[0].words[-1].end, abs=0.001)
    assert doc.lines[2].words == []  # a line without word times stays a plain line


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_subtitles_round_trip_within_1ms(annotations, fmt):
    text = render(fmt, annotations)
    if fmt == "vtt":
        assert text.startswith("WEBVTT")
    lines = parse_subtitles(text)
    assert [line.text for line in lines] == [line.text for line in annotations.lyrics]
    for read, original in zip(lines, annotations.lyrics):
        assert read.start == pytest.approx(original.start, abs=0.001)
        assert read.end == pytest.approx(original.end, abs=0.001)


def test_vtt_escapes_markup_characters():
    ann = TrackAnnotations(lyrics=[LyricLine(1.0, 2.0, "rock & roll <3 --> forever")])
    text = render("vtt", ann)
    assert "&amp;" in text and "&lt;3" in text
    assert parse_subtitles(text)[0].text == "rock & roll <3 --> forever"


def test_lrc_writer_skips_tracks_without_lyrics():
    from moss_music.export import NothingToExport

    with pytest.raises(NothingToExport, match="analyse it first"):
        get_writer("lrc").check(TrackAnnotations(duration=3.0))
    with pytest.raises(NothingToExport, match="^the analysis has no lyrics"):
        get_writer("lrc").check(TrackAnnotations(duration=3.0, tempo=Tempo(120.0)))


def test_parser_reads_real_world_lrc_variants():
    text = ("\ufeff[ti:Odd File]\n[offset:+500]\n[00:10.00][00:40.00]Repeated chorus line\n"
            "[00:05:50]colon centiseconds\n[00:20.123]<00:20.123>word <00:20.600>stamps <00:21.000>\n[00:25.00]\n")
    doc = parse_lrc(text)
    # offset +500 ms means the lyrics show half a second sooner
    assert [round(line.start, 3) for line in doc.lines] == [5.0, 9.5, 19.623, 39.5]
    assert doc.lines[1].text == doc.lines[3].text == "Repeated chorus line"
    assert [w.text for w in doc.lines[2].words] == ["word", "stamps"]
    assert doc.lines[2].end == pytest.approx(24.5)


def test_lyrics_file_import_becomes_the_user_layer(library, tmp_path, analyzed_track):
    lrc = tmp_path / "new.lrc"
    lrc.write_text("[00:01.00]First imported\n[00:03.50]Second imported\n[00:06.00]\n", encoding="utf-8")
    import_lyrics(library, analyzed_track.id, read_lyrics_file(lrc))
    lyrics = library.annotations_for(analyzed_track.id).lyrics
    assert [line.text for line in lyrics] == ["First imported", "Second imported"]
    assert lyrics[1].end == pytest.approx(6.0)
    library.clear_user_layer(analyzed_track.id, "lyrics")  # the machine lyrics are still underneath
    assert library.annotations_for(analyzed_track.id).lyrics[0].text == "Hello my old friend"


def test_plain_text_lyrics_are_read_untimed(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("one\n\ntwo\nthree\n", encoding="utf-8")
    lines = read_lyrics_file(path, duration=30.0)
    assert [(line.text, line.start, line.end) for line in lines] == [("one", 0, 0), ("two", 0, 0), ("three", 0, 0)]


def test_empty_lyrics_file_is_a_clear_error(tmp_path):
    path = tmp_path / "empty.lrc"
    path.write_text("[ti:nothing]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no lyric lines"):
        read_lyrics_file(path)


def test_synced_lyrics_come_back_from_id3_tags(tmp_path, annotations):
    path = write_song(tmp_path / "s.mp3", seconds=2.0)
    write_tags(path, annotations, TagOptions())
    lines = lyrics_from_tags(path, duration=24.0)
    assert [line.text for line in lines] == [line.text for line in annotations.lyrics]
    for read, original in zip(lines, annotations.lyrics):
        assert read.start == pytest.approx(original.start, abs=0.001)


def test_lrc_text_in_vorbis_lyrics_is_read_as_synced(tmp_path):
    path = write_song(tmp_path / "s.flac", seconds=2.0,
                      tags={"lyrics": "[00:00.50]la la\n[00:01.25]la di da\n"})
    lines = lyrics_from_tags(path, duration=2.0)
    assert [(line.start, line.text) for line in lines] == [(0.5, "la la"), (1.25, "la di da")]


def test_file_without_lyric_tags_gives_nothing(tmp_path):
    assert lyrics_from_tags(write_song(tmp_path / "s.ogg", seconds=1.0)) == []


def test_word_only_lines_are_written_from_their_words():
    ann = TrackAnnotations(lyrics=[LyricLine(1.0, 2.0, "", [Word(1.0, 1.5, "just"), Word(1.5, 2.0, "words")])])
    assert parse_lrc(render("lrc", ann)).lines[0].text == "just words"


def test_enhanced_lrc_uses_the_a2_form(annotations):
    """Issue 14.5: a space after the line stamp, the first word not stamped twice, an end stamp."""
    text = render("elrc", annotations)
    first = next(row for row in text.splitlines() if "Hello" in row)
    stamp = r"\d\d:\d\d\.\d\d"
    assert re.fullmatch(rf"\[{stamp}\] Hello <{stamp}>my <{stamp}>old <{stamp}>friend <{stamp}>", first), first


def test_kid3_imports_each_enhanced_lrc_word_once(annotations, tmp_path):
    """kid3-cli turns the enhanced LRC into ID3 SYLT entries: one per word plus each line's end."""
    from mutagen.id3 import ID3

    from tests.export.tools import require, run

    kid3 = require("kid3-cli")
    lrc = tmp_path / "song.lrc"
    lrc.write_text(render("elrc", annotations), encoding="utf-8")
    mp3 = write_song(tmp_path / "song.mp3", seconds=24.0)
    result = run([kid3, "-c", f"set SYLT:'{lrc}' ''", str(mp3)])
    assert result.returncode == 0, result.stderr
    entries = ID3(mp3).getall("SYLT")[0].text
    words = [w for line in annotations.lyrics for w in line.words]
    texts = [text.strip() for text, _ in entries if text.strip()]
    assert texts == [w.text for w in words] + ["Sing it loud"]
    for (_text, ms), word in zip([e for e in entries if e[0].strip()], words):
        assert ms == pytest.approx(word.start * 1000, abs=5)


def test_srt_shows_markup_like_lyrics_as_written(tmp_path):
    """Issue 14.8: '<b>' in a lyric was rendered bold; FFmpeg (what mpv and many players use) is the reader."""
    from tests.export.tools import require, run

    ffmpeg = require("ffmpeg")
    line = "I said <b>no</b> and {\\i1}maybe{\\i0} <3"
    song = TrackAnnotations(duration=4.0, lyrics=[LyricLine(1.0, 2.0, line)])
    srt = tmp_path / "song.srt"
    srt.write_text(render("srt", song), encoding="utf-8")
    result = run([ffmpeg, "-loglevel", "error", "-y", "-i", str(srt), str(tmp_path / "song.ass")])
    assert result.returncode == 0, result.stderr
    dialogue = next(row for row in (tmp_path / "song.ass").read_text(encoding="utf-8").splitlines()
                    if row.startswith("Dialogue:"))
    shown = dialogue.split(",,", 1)[1].split(",", 4)[-1].replace("\u2060", "")
    assert shown == line and "{\\b1}" not in dialogue
    assert [cue.text for cue in parse_subtitles(srt.read_text(encoding="utf-8"))] == [line]
