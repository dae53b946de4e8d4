"""Issue 16 item 2: one odd file never costs a scan or a rescan; each failure stays with its file."""

from __future__ import annotations

import os
import struct

import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TRCK

from moss_music.library.schema import Track
from tests.audio_fixtures import write_song

BAD_TRACK_NUMBERS = ("inf", "1e400", "99999999999999999999999", "-inf", "nan", "3.5e10")


def write_pcm_wav(path, format_tag: int, bits: int, channels: int = 1, rate: int = 44_100,
                  data: bytes = b"\0" * 4096) -> None:
    """A WAV with whatever header fields a test wants, however impossible."""
    block = max(1, channels * bits // 8)
    fmt = struct.pack("<HHIIHH", format_tag, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    with open(path, "wb") as handle:
        handle.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def _write_odd_files(folder) -> dict[str, str]:
    """name -> 'ok' or 'unreadable': what the scan must record for each."""
    expected = {}
    for index, value in enumerate(BAD_TRACK_NUMBERS):
        mp3 = write_song(folder / f"trck_{index}.mp3", seconds=0.5)
        tag = ID3()
        tag.add(TRCK(encoding=3, text=value))
        tag.save(mp3)
        flac = write_song(folder / f"vorbis_{index}.flac", seconds=0.5)
        comments = FLAC(flac)
        comments["tracknumber"] = value
        comments.save()
        expected[mp3.name] = expected[flac.name] = "ok"
    write_pcm_wav(folder / "bits_1024.wav", 1, 1024, data=b"\0" * 128 * 64)
    write_pcm_wav(folder / "format_0x1234.wav", 0x1234, 16)
    write_pcm_wav(folder / "zero_channels.wav", 1, 16, channels=0)
    write_pcm_wav(folder / "zero_rate.wav", 1, 16, rate=0)
    expected.update({"bits_1024.wav": "unreadable", "format_0x1234.wav": "unreadable",
                     "zero_channels.wav": "unreadable", "zero_rate.wav": "unreadable"})
    return expected


def test_odd_files_are_recorded_one_by_one_and_the_rest_of_the_batch_is_kept(library, tmp_path):
    music = tmp_path / "music"
    good = [write_song(music / f"good_{i}.wav", seconds=0.5) for i in range(3)]
    expected = _write_odd_files(music)
    report = library.scan([music])
    tracks = {os.path.basename(t.path): t for t in library.list_tracks()}
    assert {name: tracks[name].status for name in expected} == expected
    for name, status in expected.items():
        if status == "ok":
            assert tracks[name].track_number is None, name
        else:
            assert tracks[name].error and "Error" not in tracks[name].error, tracks[name].error
    assert all(tracks[p.name].status == "ok" for p in good)
    assert {os.path.basename(p) for p, _ in report.failed} == {n for n, s in expected.items() if s != "ok"}
    assert report.added == len(good) + sum(s == "ok" for s in expected.values())


def test_a_rescan_after_an_odd_file_still_adds_new_files_and_marks_deleted_ones(library, tmp_path):
    music = tmp_path / "music"
    write_song(music / "keep.wav", seconds=0.5)
    doomed = write_song(music / "doomed.wav", seconds=0.5)
    library.scan([music])
    _write_odd_files(music)
    doomed.unlink()
    write_song(music / "new.flac", seconds=0.5)
    report = library.scan([music])
    assert report.missing == 1
    tracks = {os.path.basename(t.path): t for t in library.list_tracks()}
    assert tracks["new.flac"].status == "ok" and tracks["doomed.wav"].status == "missing"
    again = library.scan([music])
    assert again.added == 0 and again.missing == 0


def test_a_row_the_database_refuses_fails_alone(library, tmp_path, monkeypatch):
    """Whatever slips past the tag reader (here: a track number SQLite cannot hold) stays per-file."""
    from moss_music.library import scanner

    music = tmp_path / "music"
    for i in range(3):
        write_song(music / f"song_{i}.wav", seconds=0.5)
    real_apply = scanner._apply_tags

    def apply_with_overflow(track: Track, tags) -> None:
        real_apply(track, tags)
        if track.path.endswith("song_1.wav"):
            track.track_number = 10**30

    monkeypatch.setattr(scanner, "_apply_tags", apply_with_overflow)
    report = library.scan([music])
    tracks = {os.path.basename(t.path): t for t in library.list_tracks()}
    assert tracks["song_0.wav"].status == tracks["song_2.wav"].status == "ok"
    assert tracks["song_1.wav"].status == "unreadable" and "could not be stored" in tracks["song_1.wav"].error
    assert [os.path.basename(p) for p, _ in report.failed] == ["song_1.wav"]


@pytest.mark.parametrize("value, expected", [("3", 3), ("03/12", 3), (" 7 ", 7), ("1e400", None),
                                             ("inf", None), ("99999999999999999999999", None), ("", None),
                                             ("two", None), ("-1", None)])
def test_track_numbers_are_parsed_strictly(value, expected):
    from moss_music.library.tags import _track_number

    assert _track_number(value) == expected


def test_a_cancel_mid_batch_keeps_what_was_read_and_the_next_scan_finishes(library, tmp_path):
    for i in range(8):
        write_song(tmp_path / f"song_{i}.wav", seconds=0.3)
    asked = []

    def cancel_after_three_files() -> bool:
        asked.append(1)
        return len(asked) > 4  # once before the batch, then once before each file

    seen = []
    report = library.scan([tmp_path], progress=lambda done, total, path: seen.append((done, total)),
                          should_cancel=cancel_after_three_files)
    assert report.added == 3 and len(library.list_tracks()) == 3
    assert seen and seen[-1][0] <= 3 and seen[-1][1] == 8
    assert library.scan([tmp_path]).added == 5
