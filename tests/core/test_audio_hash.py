"""Issue 16 items 3 and 4: a track is identified by all of its audio and by nothing else.

A tag edit by any program keeps the hash (so a rescan keeps every analysis), and
recordings that differ anywhere in their audio get different hashes (so no track is
given another's results).
"""

from __future__ import annotations

import os
import shutil

import mutagen
import numpy as np
import pytest
import soundfile as sf
from mutagen.id3 import TIT2

from moss_music.annotations import Key, Tempo, TrackAnnotations
from moss_music.audio import content_hash, probe
from moss_music.audio.hashing import HASH_SCHEME, legacy_content_hash
from moss_music.library.schema import Analysis, Track
from tests.audio_fixtures import write_song

FORMATS = (".wav", ".flac", ".ogg", ".opus", ".mp3", ".m4a", ".aiff", ".wma", ".alac")


def _retag(path, text: str) -> None:
    """Edit tags the way another tagger would: mutagen, with a value long enough to move the audio."""
    audio = mutagen.File(path)
    if audio.tags is None:
        audio.add_tags()
    suffix = os.path.splitext(path)[1]
    if suffix in (".wav", ".aiff", ".mp3"):
        audio.tags.add(TIT2(encoding=3, text=[text]))
    elif suffix in (".m4a", ".alac"):
        audio.tags["\xa9nam"] = [text]
    elif suffix == ".wma":
        audio.tags["Title"] = [text]
    else:
        audio.tags["title"] = [text]
    audio.save()


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_tag_edit_by_another_program_keeps_the_hash(tmp_path, suffix):
    path = write_song(tmp_path / f"song{suffix}", seconds=2.0)
    before, size_before = content_hash(path), path.stat().st_size
    _retag(path, "A much longer title " * 2000)
    assert path.stat().st_size != size_before
    assert content_hash(path) == before
    _retag(path, "short")
    assert content_hash(path) == before


@pytest.mark.parametrize("suffix", (".wav", ".flac", ".ogg", ".mp3"))
def test_different_audio_in_the_same_format_gets_another_hash(tmp_path, suffix):
    first = write_song(tmp_path / f"a{suffix}", seconds=2.0)
    second = write_song(tmp_path / f"b{suffix}", seconds=2.0, bpm=90)
    assert content_hash(first) != content_hash(second)


def test_three_same_size_wavs_that_differ_only_mid_file_get_three_hashes(tmp_path):
    rng = np.random.default_rng(7)
    base = (rng.standard_normal((44_100 * 20, 2)) * 0.1).astype(np.float32)
    silenced = base.copy()
    silenced[100_000:300_000] = 0  # an edit with a stretch silenced, away from start, middle and end samples
    other_middle = base.copy()
    other_middle[200_000:200_100] *= -1
    paths = []
    for name, data in (("base", base), ("silenced", silenced), ("flipped", other_middle)):
        paths.append(tmp_path / f"{name}.wav")
        sf.write(paths[-1], data, 44_100, subtype="PCM_16")
    assert len({p.stat().st_size for p in paths}) == 1
    # The old sampled hash could not tell them apart; the audio hash can.
    assert len({legacy_content_hash(p) for p in paths}) == 1
    assert len({content_hash(p) for p in paths}) == 3


def test_one_flipped_byte_anywhere_in_the_audio_changes_the_hash(tmp_path):
    path = write_song(tmp_path / "song.flac", seconds=3.0)
    before = content_hash(path)
    data = bytearray(path.read_bytes())
    data[len(data) * 2 // 5] ^= 0x01
    path.write_bytes(bytes(data))
    assert content_hash(path) != before


def test_id3v1_and_ape_tags_appended_to_an_mp3_are_left_out(tmp_path):
    path = write_song(tmp_path / "song.mp3", seconds=2.0)
    before = content_hash(path)
    with open(path, "ab") as handle:
        handle.write(b"APETAGEX" + (2000).to_bytes(4, "little") + (32 + 5).to_bytes(4, "little")
                     + (1).to_bytes(4, "little") + (0).to_bytes(4, "little") + b"\0" * 8)
    # The APE footer above claims a body of 5 bytes in front of it: put them there.
    raw = path.read_bytes()
    path.write_bytes(raw[:-32] + b"abcde" + raw[-32:])
    with open(path, "ab") as handle:
        handle.write(b"TAG" + b"Title".ljust(30, b"\0") + b"\0" * 94 + bytes([3]))
    assert content_hash(path) == before


def test_a_hostile_header_never_raises_anything_but_oserror(tmp_path):
    cases = {
        "huge_id3.mp3": b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + b"\xff" * 100,
        "flac_block_past_end.flac": b"fLaC\x00\xff\xff\xff" + b"\0" * 50,
        "riff_no_data.wav": b"RIFF\x10\x00\x00\x00WAVEfmt \xff\xff\xff\xff",
        "ogg_garbage.ogg": b"OggS" + b"\xff" * 200,
        "mp4_zero_box.m4a": b"\0\0\0\0ftypM4A " + b"\0" * 40,
        "asf_tiny.wma": bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c"),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert len(content_hash(tmp_path / name)) == 40


def _analyse(library, track, bpm: float) -> None:
    library.save_analysis(track.id, backend="dsp", model_id="dsp", tasks=["key", "beats"],
                          annotations=TrackAnnotations(duration=2.0, key=Key("B", "major", 0.9), tempo=Tempo(bpm)))


def test_a_rescan_after_another_program_edits_tags_keeps_every_analysis(library, tmp_path):
    music = tmp_path / "music"
    paths = [write_song(music / f"song{suffix}", seconds=1.0) for suffix in (".flac", ".mp3", ".ogg", ".m4a", ".wav")]
    library.scan([music])
    for index, path in enumerate(paths):
        _analyse(library, library.resolve_track(str(path)), 100 + index)
    for path in paths:
        _retag(path, "Edited elsewhere")
    report = library.scan([music])
    assert report.updated == len(paths) and report.failed == []
    for index, path in enumerate(paths):
        track = library.resolve_track(str(path))
        assert track.title == "Edited elsewhere"
        annotations = library.annotations_for(track.id)
        assert annotations.tempo is not None and annotations.tempo.bpm == 100 + index, path.name


def test_tracks_with_different_audio_never_share_results(library, tmp_path):
    rng = np.random.default_rng(1)
    base = (rng.standard_normal((44_100 * 10, 1)) * 0.1).astype(np.float32)
    edit = base.copy()
    edit[100_000:250_000] = 0
    sf.write(tmp_path / "original.wav", base, 44_100, subtype="PCM_16")
    sf.write(tmp_path / "edit.wav", edit, 44_100, subtype="PCM_16")
    library.scan([tmp_path])
    original = library.resolve_track(str(tmp_path / "original.wav"))
    edited = library.resolve_track(str(tmp_path / "edit.wav"))
    assert original.content_hash != edited.content_hash
    _analyse(library, original, 120.0)
    assert library.annotations_for(edited.id).tempo is None


def test_the_tag_command_path_keeps_analyzes_even_if_the_library_update_never_ran(library, tmp_path):
    """``tag`` killed between replacing the file and recording it: the next scan finishes the job."""
    path = write_song(tmp_path / "song.flac", seconds=1.0)
    library.scan([tmp_path])
    track = library.resolve_track(str(path))
    _analyse(library, track, 96.0)
    _retag(path, "written by tag, library never told")
    library.scan([tmp_path])
    again = library.resolve_track(str(path))
    assert again.id == track.id and again.content_hash == track.content_hash
    assert library.annotations_for(track.id).tempo.bpm == 96.0
    _retag(path, "written by tag, recorded")
    library.record_rewrite(track.id)
    assert library.resolve_track(str(path)).title == "written by tag, recorded"
    assert library.annotations_for(track.id).tempo.bpm == 96.0


def _make_legacy(library) -> None:
    """Turn every track and analysis back into what a library from before the audio hash held."""
    with library.write() as session:
        for track in session.query(Track).all():
            old = legacy_content_hash(track.path)
            for analysis in session.query(Analysis).filter(Analysis.content_hash == track.content_hash):
                analysis.content_hash = old
            track.content_hash, track.hash_scheme = old, None


def test_an_old_library_is_rehashed_on_the_next_scan_and_keeps_its_analyzes(library, tmp_path):
    music = tmp_path / "music"
    kept = write_song(music / "kept.flac", seconds=1.0)
    moved = write_song(music / "moved.wav", seconds=1.0, bpm=90)
    library.scan([music])
    _analyse(library, library.resolve_track(str(kept)), 101.0)
    moved_id = library.resolve_track(str(moved)).id
    _analyse(library, library.resolve_track(str(moved)), 102.0)
    _make_legacy(library)
    os.makedirs(music / "sub")
    shutil.move(moved, music / "sub" / "moved.wav")
    report = library.scan([music])
    assert report.failed == [] and report.moved == 1
    for name, bpm in (("kept.flac", 101.0), ("sub/moved.wav", 102.0)):
        track = library.resolve_track(str(music / name))
        assert track.hash_scheme == HASH_SCHEME and track.content_hash == content_hash(music / name)
        assert library.annotations_for(track.id).tempo.bpm == bpm
    assert library.resolve_track(str(music / "sub" / "moved.wav")).id == moved_id
    assert library.scan([music]).unchanged == 2


def test_legacy_hash_collisions_are_split_when_rehashed(library, tmp_path):
    """Two recordings that shared a sampled hash: each keeps only the analysis that was run for it."""
    rng = np.random.default_rng(3)
    base = (rng.standard_normal((44_100 * 20, 1)) * 0.1).astype(np.float32)
    edit = base.copy()
    edit[150_000:300_000] = 0
    sf.write(tmp_path / "a.wav", base, 44_100, subtype="PCM_16")
    sf.write(tmp_path / "b.wav", edit, 44_100, subtype="PCM_16")
    library.scan([tmp_path])
    first, second = (library.resolve_track(str(tmp_path / n)) for n in ("a.wav", "b.wav"))
    _analyse(library, first, 120.0)
    _make_legacy(library)
    assert library.resolve_track(first.id).content_hash == library.resolve_track(second.id).content_hash
    library.scan([tmp_path])
    assert library.annotations_for(first.id).tempo.bpm == 120.0
    assert library.annotations_for(second.id).tempo is None


def test_migration_0003_keeps_existing_rows_as_legacy(data_dir):
    from sqlalchemy import text

    from moss_music.library import Library
    from moss_music.library.db import make_engine, migrate

    engine = make_engine(data_dir.library_url)
    migrate(engine, "0002")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO tracks (path, size, mtime, content_hash, status, added_at, updated_at) VALUES "
                                "('/old.flac', 1, 0, 'ad90df3165f8ff6b2824f92841c7b71a', 'ok', "
                                "'2026-01-01', '2026-01-01')"))
    engine.dispose()
    library = Library.open(data_dir)
    try:
        track = library.resolve_track("/old.flac")
        assert track.content_hash == "ad90df3165f8ff6b2824f92841c7b71a" and track.hash_scheme is None
    finally:
        library.close()


def test_a_track_missing_since_before_the_upgrade_is_found_again_by_its_old_hash(library, tmp_path):
    music = tmp_path / "music"
    song = write_song(music / "song.flac", seconds=1.0)
    library.scan([music])
    track_id = library.resolve_track(str(song)).id
    _analyse(library, library.get_track(track_id), 77.0)
    _make_legacy(library)
    parked = tmp_path / "parked.flac"
    shutil.move(song, parked)
    assert library.scan([music]).missing == 1
    (music / "back").mkdir()
    shutil.move(parked, music / "back" / "song.flac")
    report = library.scan([music])
    assert report.moved == 1 and report.added == 0
    track = library.get_track(track_id)
    assert track.path.endswith("back/song.flac") and track.hash_scheme == HASH_SCHEME
    assert library.annotations_for(track_id).tempo.bpm == 77.0


@pytest.mark.slow
def test_tag_racing_an_in_process_rescan_keeps_every_analysis(library, tmp_path):
    """Issue 16 item 3: 12 of 48 analyses were orphaned when `tag` raced a rescan; now none may be."""
    import threading

    from moss_music.export.batch import tag_tracks
    from moss_music.export.tags import TagOptions

    music = tmp_path / "music"
    paths = [write_song(music / f"song{i}{suffix}", seconds=1.0, bpm=80 + 7 * i)
             for i, suffix in enumerate((".flac", ".mp3", ".ogg", ".m4a") * 3)]
    library.scan([music])
    ids = [library.resolve_track(str(p)).id for p in paths]
    for index, track_id in enumerate(ids):
        _analyse(library, library.get_track(track_id), 60.0 + index)
    hashes = {track_id: library.get_track(track_id).content_hash for track_id in ids}
    stop = threading.Event()
    errors: list[BaseException] = []

    def rescan() -> None:
        try:
            while not stop.is_set():
                library.scan([music])
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    scanner = threading.Thread(target=rescan)
    scanner.start()
    try:
        for notation in ("standard", "openkey", "camelot", "standard"):  # each round rewrites every file
            outcomes = tag_tracks(library, ids, TagOptions(key_notation=notation))
            assert all(not o.error for o in outcomes), [o.error for o in outcomes if o.error]
            assert all(o.written for o in outcomes)
    finally:
        stop.set()
        scanner.join(60)
    assert not errors
    library.scan([music])
    for index, track_id in enumerate(ids):
        assert library.get_track(track_id).content_hash == hashes[track_id]
        assert library.annotations_for(track_id).tempo.bpm == 60.0 + index


@pytest.mark.slow
def test_tag_killed_at_any_moment_loses_no_analysis(library, data_dir, tmp_path):
    """Issue 16 item 3: `tag` killed between replacing the file and recording it (6 of 6 lost before)."""
    import random
    import signal
    import subprocess
    import sys
    import time

    from tests.core.test_cli import REPO_ROOT

    music = tmp_path / "music"
    paths = [write_song(music / f"song{i}{suffix}", seconds=1.0, bpm=90 + 5 * i)
             for i, suffix in enumerate((".flac", ".mp3", ".ogg", ".m4a"))]
    library.scan([music])
    ids = [library.resolve_track(str(p)).id for p in paths]
    for index, track_id in enumerate(ids):
        _analyse(library, library.get_track(track_id), 100.0 + index)
    rng = random.Random(3)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "MOSS_MUSIC_HOME": str(data_dir.root)}
    for _ in range(6):
        process = subprocess.Popen([sys.executable, "-m", "moss_music.cli", "tag", "--all"], env=env, cwd=REPO_ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.0, 4.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        library.scan([music])
        for index, track_id in enumerate(ids):
            assert library.annotations_for(track_id).tempo.bpm == 100.0 + index
            probe(library.get_track(track_id).path)
