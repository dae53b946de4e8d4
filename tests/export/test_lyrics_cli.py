"""`moss-music lyrics import/show/clear`: lyrics reach exports without the GUI (issue 14.9)."""

from __future__ import annotations

import json

import pytest

from moss_music.cli import main
from moss_music.export.lyrics import parse_lrc
from tests.audio_fixtures import write_song


def cli(data_dir, *args: str) -> int:
    return main(["--home", str(data_dir.root), *args])


@pytest.fixture
def plain_track(library, tmp_path):
    """A scanned track nobody has analysed."""
    return library.add_file(write_song(tmp_path / "music" / "Plain.flac", seconds=10.0))


LRC = "[ti:Plain]\n[00:01.00]First line here\n[00:04.50]Second <00:05.00>line <00:05.60>sung\n[00:08.00]\n"


@pytest.mark.parametrize("name, text, first", [
    ("song.lrc", LRC, "First line here"),
    ("song.srt", "1\n00:00:01,000 --> 00:00:03,000\nFirst <i>cue</i>\n\n2\n00:00:04,000 --> 00:00:06,000\nNext\n",
     "First cue"),
    ("song.vtt", "WEBVTT\n\n00:01.000 --> 00:03.000\nFirst cue\n\n00:04.000 --> 00:06.000\nNext\n", "First cue"),
    ("song.txt", "First plain line\nSecond plain line\n", "First plain line"),
])
def test_import_each_file_kind_then_show(data_dir, plain_track, tmp_path, capsys, name, text, first):
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    assert cli(data_dir, "lyrics", "import", str(plain_track.id), str(source)) == 0
    assert "imported 2 line(s)" in capsys.readouterr().out
    assert cli(data_dir, "lyrics", "show", str(plain_track.id), "--json") == 0
    lines = json.loads(capsys.readouterr().out)
    assert [line["text"] for line in lines][0] == first and len(lines) == 2
    if name.endswith(".txt"):  # plain text has no times and gets none made up
        assert all(line["start"] == line["end"] == 0 for line in lines)
    else:
        assert all(0 <= line["start"] < line["end"] <= 10.0 for line in lines)


def test_imported_lyrics_reach_the_lrc_export(data_dir, plain_track, tmp_path, capsys):
    source = tmp_path / "song.lrc"
    source.write_text(LRC, encoding="utf-8")
    assert cli(data_dir, "lyrics", "import", plain_track.path, str(source)) == 0
    out = tmp_path / "out"
    assert cli(data_dir, "export", "-f", "lrc,elrc", "-o", str(out), str(plain_track.id)) == 0
    doc = parse_lrc((out / "Plain.lrc").read_text(encoding="utf-8"))
    assert [line.text for line in doc.lines] == ["First line here", "Second line sung"]
    enhanced = parse_lrc((out / "Plain.enhanced.lrc").read_text(encoding="utf-8"))
    assert [w.text for w in enhanced.lines[1].words] == ["Second", "line", "sung"]


def test_import_from_the_files_own_tags(data_dir, library, tmp_path, capsys):
    song = write_song(tmp_path / "music" / "Tagged.mp3", seconds=6.0)
    from mutagen.id3 import ID3, USLT

    tags = ID3()
    tags.add(USLT(encoding=3, lang="eng", desc="", text="Line one\nLine two"))
    tags.save(song)
    track = library.add_file(song)
    assert cli(data_dir, "lyrics", "import", str(track.id), "--from-tags") == 0
    capsys.readouterr()
    assert cli(data_dir, "lyrics", "show", str(track.id)) == 0
    shown = capsys.readouterr().out.splitlines()
    assert [row.split("] ", 1)[1] for row in shown] == ["Line one", "Line two"]
    assert all(row.startswith("[  --:--  ]") for row in shown), "an unsynced tag is shown without times"


def test_plain_text_import_says_untimed_and_timed_exports_skip_it(data_dir, plain_track, tmp_path, capsys):
    source = tmp_path / "words.txt"
    source.write_text("Only words\nNo times at all\n", encoding="utf-8")
    assert cli(data_dir, "lyrics", "import", str(plain_track.id), str(source)) == 0
    assert "without times" in capsys.readouterr().out
    out = tmp_path / "out"
    cli(data_dir, "export", "-f", "lrc,srt,vtt,kar", "-o", str(out), str(plain_track.id))
    printed = capsys.readouterr()
    assert "not timed yet" in printed.out + printed.err
    assert not out.exists() or not any(out.iterdir()), "no timed file with made-up times"


def test_clear_goes_back_to_the_analysis(data_dir, analyzed_track, tmp_path, capsys):
    source = tmp_path / "mine.txt"
    source.write_text("My own words\n", encoding="utf-8")
    assert cli(data_dir, "lyrics", "import", str(analyzed_track.id), str(source)) == 0
    assert cli(data_dir, "lyrics", "clear", str(analyzed_track.id)) == 0
    capsys.readouterr()
    cli(data_dir, "lyrics", "show", str(analyzed_track.id), "--json")
    assert json.loads(capsys.readouterr().out)[0]["text"] == "Hello my old friend"


def test_bad_input_is_one_line_not_a_traceback(data_dir, plain_track, tmp_path, capsys):
    assert cli(data_dir, "lyrics", "import", str(plain_track.id), str(tmp_path / "nope.lrc")) == 1
    assert "cannot read" in capsys.readouterr().err
    empty = tmp_path / "empty.lrc"
    empty.write_text("[ti:nothing]\n", encoding="utf-8")
    assert cli(data_dir, "lyrics", "import", str(plain_track.id), str(empty)) == 1
    assert "no lyrics in" in capsys.readouterr().err
    assert cli(data_dir, "lyrics", "import", str(plain_track.id)) == 2  # neither FILE nor --from-tags
    assert cli(data_dir, "lyrics", "show", "9999") == 2
