"""The folder scanner: tags, incremental rescans, moves, missing and unreadable files."""

from __future__ import annotations

import os
import shutil
import struct

import pytest

from moss_music.library.schema import Track
from tests.audio_fixtures import write_corrupt_files, write_song


def _tracks_by_name(library) -> dict[str, Track]:
    return {os.path.basename(t.path): t for t in library.list_tracks()}


def test_a_folder_of_good_and_bad_files_adds_the_good_and_records_the_bad(library, tmp_path):
    music = tmp_path / "music"
    for suffix in (".flac", ".mp3", ".ogg", ".m4a", ".wav"):
        write_song(music / "album" / f"song{suffix}", seconds=1.0)
    bad = write_corrupt_files(music / "bad")
    (music / "cover.jpg").write_bytes(b"\xff\xd8 not audio, ignored by extension")
    report = library.scan([music])
    assert report.added == 5
    assert {os.path.basename(p) for p, _ in report.failed} == {p.name for p in bad.values()}
    assert all(reason for _, reason in report.failed)
    tracks = _tracks_by_name(library)
    assert tracks["song.m4a"].status == "ok" and tracks["song.m4a"].duration == pytest.approx(1.0, abs=0.05)
    assert tracks["empty.mp3"].status == "unreadable" and "empty" in tracks["empty.mp3"].error
    assert "cover.jpg" not in tracks


def test_tags_and_stream_properties_are_read(library, tmp_path):
    path = write_song(tmp_path / "tagged.flac", seconds=2.0, tags={
        "title": "Blue in Green", "artist": "Miles Davis", "album": "Kind of Blue", "albumartist": "Miles Davis",
        "genre": "Jazz", "date": "1959-08-17", "tracknumber": "3/5"})
    library.scan([tmp_path])
    track = _tracks_by_name(library)["tagged.flac"]
    assert (track.title, track.artist, track.album, track.album_artist, track.genre) == (
        "Blue in Green", "Miles Davis", "Kind of Blue", "Miles Davis", "Jazz")
    assert (track.year, track.track_number) == (1959, 3)
    assert (track.sample_rate, track.channels) == (44_100, 2)
    assert track.duration == pytest.approx(2.0, abs=0.01)
    assert track.content_hash and track.size == path.stat().st_size


def test_missing_tags_fall_back_to_the_file_name(library, tmp_path):
    write_song(tmp_path / "Untitled Demo.wav", seconds=1.0)
    library.scan([tmp_path])
    track = _tracks_by_name(library)["Untitled Demo.wav"]
    assert track.title is None and track.display_title == "Untitled Demo"


def test_non_utf8_tags_are_kept_readable(library, tmp_path):
    path = write_song(tmp_path / "latin1.mp3", seconds=1.0)
    audio = path.read_bytes()

    def frame(frame_id: str, encoding: int, data: bytes) -> bytes:
        return frame_id.encode() + struct.pack(">I", len(data) + 1) + b"\0\0" + bytes([encoding]) + data

    # Windows-1252 bytes in a frame that claims UTF-8: mutagen rejects the whole tag.
    frames = frame("TIT2", 3, "Café del Mar".encode("cp1252")) + frame("TPE1", 3, b"Ana")
    size = len(frames)
    synchsafe = bytes([(size >> 21) & 127, (size >> 14) & 127, (size >> 7) & 127, size & 127])
    path.write_bytes(b"ID3\x03\x00\x00" + synchsafe + frames + audio)
    v1 = write_song(tmp_path / "v1.mp3", seconds=1.0)
    with open(v1, "ab") as handle:  # an ID3v1 tag is latin-1 by definition
        handle.write(b"TAG" + "Straße".encode("cp1252").ljust(30, b"\0") + "Motörhead".encode("cp1252").ljust(30, b"\0")
                     + b"\0" * 30 + b"1999" + b"\0" * 30 + bytes([17]))
    report = library.scan([tmp_path])
    assert report.failed == []
    tracks = _tracks_by_name(library)
    assert tracks["latin1.mp3"].title == "Café del Mar" and tracks["latin1.mp3"].artist == "Ana"
    assert tracks["v1.mp3"].title == "Straße" and tracks["v1.mp3"].artist == "Motörhead"


def test_unicode_and_emoji_paths_are_scanned(library, tmp_path):
    write_song(tmp_path / "Sigur Rós 🎧" / "Hoppípolla ✨.ogg", seconds=1.0)
    report = library.scan([tmp_path])
    assert report.added == 1
    assert library.list_tracks()[0].path.endswith("Hoppípolla ✨.ogg")


def test_an_unchanged_rescan_reads_nothing(library, tmp_path, monkeypatch):
    for i in range(5):
        write_song(tmp_path / f"s{i}.flac", seconds=0.5, bpm=100 + i)
    library.scan([tmp_path])
    from moss_music.library import scanner

    def must_not_read(path):
        raise AssertionError(f"rescan read {path}")

    monkeypatch.setattr(scanner, "read_tags", must_not_read)
    monkeypatch.setattr(scanner, "content_hash", must_not_read)
    report = library.scan([tmp_path])
    assert (report.unchanged, report.added, report.updated) == (5, 0, 0)


def test_a_changed_file_is_read_again(library, tmp_path):
    path = write_song(tmp_path / "song.flac", seconds=1.0, tags={"title": "Old"})
    library.scan([tmp_path])
    write_song(path, seconds=2.0, tags={"title": "New"})
    os.utime(path, (1_700_000_000, 1_700_000_000))
    report = library.scan([tmp_path])
    assert report.updated == 1
    track = library.list_tracks()[0]
    assert track.title == "New" and track.duration == pytest.approx(2.0, abs=0.01)


def test_a_moved_file_keeps_its_track_and_analyzes(library, tmp_path):
    from moss_music.annotations import Key, TrackAnnotations

    original = write_song(tmp_path / "music" / "a" / "song.flac", seconds=1.0)
    library.scan([tmp_path / "music"])
    track = library.list_tracks()[0]
    library.save_analysis(track, backend="dsp", tasks=["key"], annotations=TrackAnnotations(key=Key("E", "minor")))
    target = tmp_path / "music" / "b" / "renamed.flac"
    target.parent.mkdir()
    shutil.move(original, target)
    report = library.scan([tmp_path / "music"])
    assert (report.moved, report.added, report.missing) == (1, 0, 0)
    moved = library.list_tracks()
    assert len(moved) == 1 and moved[0].id == track.id and moved[0].path == str(target)
    assert library.annotations_for(track.id).key.tonic == "E"


def test_a_file_moved_between_scans_of_different_folders_is_matched_later(library, tmp_path):
    original = write_song(tmp_path / "one" / "song.flac", seconds=1.0)
    library.scan([tmp_path / "one"])
    (tmp_path / "two").mkdir()
    shutil.move(original, tmp_path / "two" / "song.flac")
    assert library.scan([tmp_path / "one"]).missing == 1
    report = library.scan([tmp_path / "two"])
    assert report.moved == 1 and library.count_tracks() == 1
    assert library.list_tracks()[0].status == "ok"


def test_deleted_files_are_marked_missing_not_dropped(library, tmp_path):
    path = write_song(tmp_path / "gone.flac", seconds=1.0)
    library.scan([tmp_path])
    path.unlink()
    report = library.scan([tmp_path])
    assert report.missing == 1
    assert [t.status for t in library.list_tracks()] == ["missing"]
    write_song(path, seconds=1.0)
    library.scan([tmp_path])
    assert [t.status for t in library.list_tracks()] == ["ok"]


def test_symlink_loops_and_dangling_links_do_not_stop_a_scan(library, tmp_path):
    music = tmp_path / "music"
    write_song(music / "sub" / "song.flac", seconds=1.0)
    os.symlink(music, music / "sub" / "loop")
    os.symlink(tmp_path / "nowhere", music / "dangling")
    report = library.scan([music])
    assert report.added == 1
    assert library.count_tracks() == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder regardless of permissions")
def test_unreadable_folders_are_reported(library, tmp_path):
    locked = tmp_path / "locked"
    write_song(locked / "song.flac", seconds=1.0)
    locked.chmod(0)
    try:
        report = library.scan([tmp_path])
    finally:
        locked.chmod(0o755)
    assert report.folder_errors and "permission" in report.folder_errors[0][1]


def test_progress_is_reported(library, tmp_path):
    for i in range(3):
        write_song(tmp_path / f"{i}.wav", seconds=0.3)
    seen = []
    library.scan([tmp_path], progress=lambda done, total, path: seen.append((done, total)))
    assert seen[-1] == (3, 3)
