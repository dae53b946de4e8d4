"""Batch export and tagging over library tracks: naming, no silent overwrites, failures reported."""

from __future__ import annotations

import pytest

from moss_music.annotations import Key, TrackAnnotations
from moss_music.export import FORMATS, ExportOptions, export_tracks, get_writer, tag_tracks
from moss_music.export.tags import TagOptions
from tests.audio_fixtures import write_song


def test_every_format_is_written_for_an_analyzed_track(library, analyzed_track, tmp_path):
    out = tmp_path / "out"
    report = export_tracks(library, [analyzed_track.id], FORMATS, out)
    assert [item.status for item in report.items] == ["written"] * len(FORMATS), report.items
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"My Song{get_writer(f).extension}" for f in FORMATS)
    assert report.ok


def test_existing_files_are_kept_unless_forced(library, analyzed_track, tmp_path):
    out = tmp_path / "out"
    (out).mkdir()
    target = out / "My Song.lrc"
    target.write_text("my own careful edit")
    report = export_tracks(library, [analyzed_track.id], ["lrc"], out)
    assert report.items[0].status == "exists" and not report.ok
    assert target.read_text() == "my own careful edit"
    report = export_tracks(library, [analyzed_track.id], ["lrc"], out, force=True)
    assert report.items[0].status == "written" and target.read_text().startswith("[ti:My Song]")


def test_user_edits_are_what_gets_exported(library, analyzed_track, tmp_path):
    library.save_user_layer(analyzed_track.id, "sections", [
        {"start": 0.0, "end": 24.0, "label": "Whole Song", "function": "other", "confidence": 1.0}])
    export_tracks(library, [analyzed_track.id], ["audacity"], tmp_path)
    assert (tmp_path / "My Song.labels.txt").read_text() == "0.000000\t24.000000\tWhole Song\n"


def test_tracks_without_the_layer_are_skipped_not_failed(library, tmp_path):
    track = library.add_file(write_song(tmp_path / "plain.flac", seconds=1.0))
    report = export_tracks(library, [track.id], ["lrc", "midi"], tmp_path / "out")
    assert [item.status for item in report.items] == ["skipped", "skipped"]
    assert "analyse it first" in report.items[0].message
    assert report.ok and not list((tmp_path / "out").iterdir())


def test_same_file_names_in_different_folders_do_not_collide(library, tmp_path):
    ids = []
    for folder in ("a", "b"):
        track = library.add_file(write_song(tmp_path / folder / "01 Intro.ogg", seconds=1.0))
        library.save_analysis(track, backend="dsp", model_id="dsp", model_revision="test", tasks=["key"],
                              annotations=TrackAnnotations(duration=1.0, key=Key("C")))
        ids.append(track.id)
    report = export_tracks(library, ids, ["jams"], tmp_path / "out")
    paths = [item.path for item in report.items]
    assert len(set(paths)) == 2 and all(item.status == "written" for item in report.items)


def test_unknown_format_fails_before_writing(library, analyzed_track, tmp_path):
    with pytest.raises(ValueError, match="unknown export format"):
        export_tracks(library, [analyzed_track.id], ["lrc", "mp5"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cancel_stops_between_files(library, analyzed_track, tmp_path):
    calls = []
    report = export_tracks(library, [analyzed_track.id], ["lrc", "srt", "vtt"], tmp_path,
                           should_cancel=lambda: len(calls) >= 1, progress=lambda *a: calls.append(a))
    assert report.cancelled and len(report.items) == 1


def test_export_options_reach_the_writers(library, analyzed_track, tmp_path):
    export_tracks(library, [analyzed_track.id], ["chordpro"], tmp_path, options=ExportOptions(transpose=2))
    assert "{key: Bm}" in (tmp_path / "My Song.cho").read_text()


def test_tagging_keeps_the_track_and_its_analyzes(library, analyzed_track):
    outcomes = tag_tracks(library, [analyzed_track.id], TagOptions())
    assert outcomes[0].written and outcomes[0].error is None
    track = library.get_track(analyzed_track.id)
    assert library.annotations_for(track.id).chords  # analyses followed the new content hash
    report = library.scan([track.path])
    assert report.unchanged == 1 and report.added == 0  # the rescan sees nothing new
    assert library.annotations_for(track.id).key.tonic == "A"


def test_tagging_a_copy_leaves_the_other_copy_its_analyzes(library, analyzed_track, tmp_path):
    copy = tmp_path / "copy" / "My Song.flac"
    copy.parent.mkdir()
    copy.write_bytes(open(analyzed_track.path, "rb").read())
    twin = library.add_file(copy)
    tag_tracks(library, [analyzed_track.id], TagOptions())
    assert library.annotations_for(twin.id).chords and library.annotations_for(analyzed_track.id).chords


def test_dry_run_reports_changes_and_writes_nothing(library, analyzed_track):
    before = open(analyzed_track.path, "rb").read()
    outcomes = tag_tracks(library, [analyzed_track.id], TagOptions(), dry_run=True)
    assert outcomes[0].changes and not outcomes[0].written
    assert open(analyzed_track.path, "rb").read() == before


def test_missing_file_is_reported_and_the_batch_goes_on(library, analyzed_track, tmp_path):
    other = library.add_file(write_song(tmp_path / "gone.flac", seconds=1.0))
    (tmp_path / "gone.flac").unlink()
    outcomes = tag_tracks(library, [other.id, analyzed_track.id], TagOptions())
    assert "missing" in outcomes[0].error
    assert outcomes[1].written


def test_a_legal_251_byte_file_name_exports_every_format(library, tmp_path):
    """Issue 16.10: '<251-byte stem>.leadsheet.pdf' is over NAME_MAX; names are shortened, nothing fails."""
    from tests.export.conftest import make_annotations

    stem = "é" * 100 + "x" * 47  # 247 bytes of UTF-8, 251 with '.wav'
    track = library.add_file(write_song(tmp_path / "music" / f"{stem}.wav", seconds=2.0))
    library.save_analysis(track, backend="dsp", model_id="dsp", model_revision="test",
                          tasks=["beats", "key", "chords", "sections", "lyrics"], annotations=make_annotations())
    report = export_tracks(library, [track.id], FORMATS, tmp_path / "out")
    assert [item.status for item in report.items] == ["written"] * len(FORMATS), report.items
    names = [p.name for p in (tmp_path / "out").iterdir()]
    assert len(names) == len(FORMATS) and all(len(n.encode()) <= 255 for n in names)
    assert all(n.startswith("é" * 100) for n in names)


def test_shortened_names_keep_long_names_apart():
    from moss_music.export.batch import output_name

    a, b = output_name("a" * 300 + "1", ".mid"), output_name("a" * 300 + "2", ".mid")
    assert a != b and len(a.encode()) == len(b.encode()) == 255 and a.endswith(".mid")
    assert output_name("song", ".mid") == "song.mid"


def test_exported_files_follow_the_umask(library, analyzed_track, tmp_path):
    import os

    old = os.umask(0o022)
    try:
        export_tracks(library, [analyzed_track.id], ["lrc", "midi"], tmp_path / "out")
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "out").iterdir()}
    assert set(modes.values()) == {0o644}, modes


def test_an_analyzed_track_without_lyrics_says_so_once(library, tmp_path):
    """Not 'lrc: lrc: … (analyse it first)' for a track that has been analysed."""
    track = library.add_file(write_song(tmp_path / "plain.flac", seconds=1.0))
    library.save_analysis(track, backend="dsp", model_id="dsp", model_revision="test", tasks=["key"],
                          annotations=TrackAnnotations(duration=1.0, key=Key("C")))
    item = export_tracks(library, [track.id], ["lrc"], tmp_path / "out").items[0]
    assert item.status == "skipped"
    assert item.message == "the analysis has no lyrics (add them with `moss-music lyrics import TRACK FILE`)"


def test_every_format_says_what_it_is_for_and_who_reads_it():
    from moss_music.export.registry import GROUPS, WRITERS

    for name, writer in WRITERS.items():
        assert writer.label and writer.label != name and writer.group in GROUPS, name
        assert writer.description, name
