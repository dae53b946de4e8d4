"""Untimed lyrics (start == end == 0) never get made-up times: timed formats skip or leave them out."""

from __future__ import annotations

import mido
from mutagen.id3 import ID3, USLT

from moss_music.annotations import LyricLine, TrackAnnotations
from moss_music.annotations.lyric_sync import is_timed, untimed_lines
from moss_music.export import ExportOptions, TrackInfo, export_tracks, get_writer, lyrics_from_tags, parse_lrc
from moss_music.export.base import UNTIMED_LYRICS, NothingToExport
from moss_music.export.lyrics import lyrics_from_text
from moss_music.export.tags import TagOptions, tag_values, write_tags
from tests.audio_fixtures import write_song
from tests.export.conftest import make_annotations

INFO = TrackInfo(title="My Song", artist="The Testers", duration=24.0)
WORDS = ["Only words here", "No times at all", "Still no times"]
TIMED_FORMATS = ("lrc", "elrc", "srt", "vtt", "kar")


def untimed_song() -> TrackAnnotations:
    """The fixture song (beats, chords, sections …) with lyrics typed in as plain text."""
    song = make_annotations()
    song.lyrics = untimed_lines(WORDS)
    return song


def test_every_timed_format_skips_untimed_lyrics_with_the_reason():
    song = untimed_song()
    for name in TIMED_FORMATS:
        writer = get_writer(name)
        try:
            writer.check(song)
        except NothingToExport as reason:
            assert str(reason) == UNTIMED_LYRICS, name
        else:
            raise AssertionError(f"{name} would write untimed lyrics")


def test_batch_report_says_why_and_writes_no_timed_file(library, analyzed_track, tmp_path):
    library.save_user_layer(analyzed_track.id, "lyrics", [{"start": 0.0, "end": 0.0, "text": t} for t in WORDS])
    report = export_tracks(library, [analyzed_track.id], [*TIMED_FORMATS, "chordpro", "leadsheet"], tmp_path)
    skipped = {item.format: item.message for item in report.by_status("skipped")}
    assert skipped == dict.fromkeys(TIMED_FORMATS, UNTIMED_LYRICS)
    assert {item.format for item in report.by_status("written")} == {"chordpro", "leadsheet"}
    assert sorted(p.suffix for p in tmp_path.iterdir() if p.is_file()) == [".cho", ".txt"]


def test_midi_keeps_its_music_but_writes_no_lyric_events_for_untimed_lines(tmp_path):
    writer = get_writer("midi")
    path = writer.write(untimed_song(), INFO, tmp_path / "song.mid")
    lyric_events = [m for track in mido.MidiFile(path).tracks for m in track if m.type == "lyrics"]
    assert lyric_events == []
    assert any("3 lyric line(s) left out" in w and UNTIMED_LYRICS in w for w in writer.warnings)


def test_midi_with_nothing_but_untimed_lyrics_is_skipped():
    only_words = TrackAnnotations(duration=24.0, lyrics=untimed_lines(WORDS))
    for name in ("midi", "kar"):
        try:
            get_writer(name).check(only_words)
        except NothingToExport as reason:
            assert str(reason) == UNTIMED_LYRICS
        else:
            raise AssertionError(name)


def test_partly_synced_lyrics_write_only_their_timed_lines_and_warn():
    song = TrackAnnotations(duration=24.0, lyrics=[LyricLine(2.0, 4.0, "tapped"), LyricLine(0.0, 0.0, "not yet")])
    writer = get_writer("lrc")
    writer.check(song)
    text = writer.render(song, INFO, ExportOptions())
    assert [line.text for line in parse_lrc(text).lines] == ["tapped"]
    assert "not yet" not in text and writer.warnings == [f"1 lyric line(s) left out: {UNTIMED_LYRICS}"]
    srt = get_writer("srt").render(song, INFO, ExportOptions())
    assert "not yet" not in srt and "00:00:00,000 -->" not in srt


def test_sheets_print_untimed_lines_as_text_after_the_song():
    text = get_writer("leadsheet").render(untimed_song(), INFO, ExportOptions())
    tail = text[text.index("Lyrics (not timed yet)"):]
    assert [row for row in tail.splitlines()[1:] if row.strip()] == WORDS
    cho = get_writer("chordpro").render(untimed_song(), INFO, ExportOptions())
    block = cho[cho.index("Lyrics (not timed yet)"):]
    assert all(line in block for line in WORDS) and "[" not in block.split("\n", 1)[1].split("{end_of")[0]


def test_tags_carry_untimed_text_as_uslt_but_no_sylt(tmp_path):
    song = untimed_song()
    song.lyrics = [LyricLine(5.0, 7.0, "timed first"), *song.lyrics]
    values = tag_values(song, TagOptions())
    assert values.lyrics == "\n".join(["timed first", *WORDS])
    assert values.synced_lyrics == [("timed first", 5000)]
    path = write_song(tmp_path / "s.mp3", seconds=2.0)
    write_tags(path, untimed_song(), TagOptions())
    tags = ID3(path)
    assert tags.getall("SYLT") == [] or all(f.desc == "chords" for f in tags.getall("SYLT"))
    assert tags.getall("USLT")[0].text == "\n".join(WORDS)


def test_lyrics_without_times_are_read_untimed():
    assert not any(is_timed(line) for line in lyrics_from_text("one\ntwo\n", 30.0))
    header_only = lyrics_from_text("[ti:Song]\n[ar:Someone]\nfirst row\nsecond row\n", 30.0)
    assert [(line.start, line.end, line.text) for line in header_only] == [(0, 0, "first row"), (0, 0, "second row")]


def test_unsynced_tag_reads_untimed_and_a_synced_text_tag_wins(tmp_path):
    mp3 = write_song(tmp_path / "s.mp3", seconds=6.0)
    tags = ID3()
    tags.add(USLT(encoding=3, lang="eng", desc="", text="Line one\nLine two"))
    tags.add(USLT(encoding=3, lang="eng", desc="lrc", text="[00:01.00]Line one\n[00:03.00]Line two\n"))
    tags.save(mp3)
    lines = lyrics_from_tags(mp3, 6.0)
    assert [(line.start, line.text) for line in lines] == [(1.0, "Line one"), (3.0, "Line two")]
    plain = write_song(tmp_path / "p.flac", seconds=2.0, tags={"lyrics": "la la\nla di da"})
    assert [(line.start, line.end) for line in lyrics_from_tags(plain, 2.0)] == [(0, 0), (0, 0)]


def test_tagging_says_untimed_lines_got_no_synced_tag(library, data_dir, tmp_path, capsys):
    from moss_music.cli import main
    from moss_music.export import tag_tracks

    mp3 = library.add_file(write_song(tmp_path / "music" / "Words.mp3", seconds=2.0))
    flac = library.add_file(write_song(tmp_path / "music" / "Words.flac", seconds=2.0))
    for track in (mp3, flac):
        library.save_user_layer(track.id, "lyrics", [{"start": 0.0, "end": 0.0, "text": t} for t in WORDS])
    preview, flac_preview = tag_tracks(library, [mp3.id, flac.id], TagOptions(), dry_run=True)
    assert preview.notes == [f"no synced lyrics (SYLT): {UNTIMED_LYRICS}"]
    assert flac_preview.notes == [], "FLAC has no synced-lyrics tag to leave out"
    written = tag_tracks(library, [mp3.id], TagOptions())[0]
    assert written.written and written.notes == preview.notes
    assert ID3(mp3.path).getall("USLT")[0].text == "\n".join(WORDS)
    capsys.readouterr()
    assert main(["--home", str(data_dir.root), "tag", "--dry-run", str(mp3.id)]) == 0
    assert f"note: no synced lyrics (SYLT): {UNTIMED_LYRICS}" in capsys.readouterr().out


def test_export_dialog_counts_and_explains_the_skipped_formats(qtbot, library, analyzed_track, tmp_path):
    from desktop.export_dialog import ExportDialog

    library.save_user_layer(analyzed_track.id, "lyrics", [{"start": 0.0, "end": 0.0, "text": t} for t in WORDS])
    dialog = ExportDialog(library, [analyzed_track.id])
    qtbot.addWidget(dialog)
    dialog.folder_edit.setText(str(tmp_path / "out"))
    dialog.set_formats(["lrc", "srt", "chordpro"])
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000):
        dialog.export_button.click()
    assert dialog.status.text().startswith("1 file(s) written; 2 skipped")
    assert f"skipped: Synced lyrics (LRC): {UNTIMED_LYRICS}" in dialog.results.toPlainText()
    dialog.runner.wait_idle()
