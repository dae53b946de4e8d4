"""The library database: migrations, SQLite settings, analyses, the user layer, search."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import inspect, text

from moss_music.annotations import Caption, Chord, Key, LyricLine, Tempo, TrackAnnotations
from moss_music.annotations.keys import MusicalKey
from moss_music.library import Library, TrackNotFound
from moss_music.library.db import HEAD_REVISION, make_engine, migrate
from tests.audio_fixtures import write_song


def test_a_fresh_database_is_migrated_to_head(data_dir):
    library = Library.open(data_dir)
    tables = set(inspect(library.engine).get_table_names())
    assert {"library_folders", "tracks", "analyses", "annotation_layers", "user_layers", "jobs",
            "track_search", "alembic_version"} <= tables
    with library.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD_REVISION
    library.close()


def test_an_existing_database_is_upgraded_and_keeps_its_tracks(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    migrate(engine, "0001")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO tracks (path, size, mtime, status, title, artist, added_at, updated_at) "
                                "VALUES ('/music/old.flac', 1, 1.0, 'ok', 'Yesterday Once More', 'Carpenters', "
                                "'2024-01-01', '2024-01-01')"))
    engine.dispose()
    library = Library.open_url(url)
    assert [t.title for t in library.list_tracks()] == ["Yesterday Once More"]
    assert library.search("carpenter") == [1]
    library.close()


def test_opening_twice_is_harmless(data_dir, tmp_path, monkeypatch):
    """The second open finds the schema at head: no migration runs again and what the first stored is kept."""
    first = Library.open(data_dir)
    track = first.add_file(write_song(tmp_path / "song.flac", seconds=1.0))
    first.close()

    def upgrade_again(*_args, **_kwargs):
        raise AssertionError("an up-to-date library was migrated again")

    monkeypatch.setattr("moss_music.library.db.command.upgrade", upgrade_again)
    second = Library.open(data_dir)
    try:
        assert second.get_track(track.id).content_hash == track.content_hash
        with second.engine.connect() as connection:
            versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
        assert versions == [HEAD_REVISION]
    finally:
        second.close()


def test_sqlite_runs_in_wal_mode_with_a_long_busy_timeout(library):
    with library.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_writer_waits_for_another_process_lock_instead_of_failing(library, data_dir):
    other = sqlite3.connect(data_dir.library_db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    released = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    released.start()
    folder_id = library.ensure_folder("/music")  # blocks until the other writer commits
    released.join()
    other.close()
    assert folder_id == 1


@pytest.fixture
def track(library, tmp_path):
    return library.add_file(write_song(tmp_path / "song.flac", seconds=1.0, tags={"title": "Lullaby"}))


def test_a_saved_analysis_is_found_by_its_cache_key(library, track):
    annotations = TrackAnnotations(duration=1.0, key=Key("D", "minor", 0.8), tempo=Tempo(96.0))
    analysis_id = library.save_analysis(track, backend="dsp", model_id="dsp", model_revision="1",
                                        tasks=["key", "beats"], params={"window": 10}, annotations=annotations)
    found = library.find_analysis(track.content_hash, "dsp", "dsp", "1", ["beats", "key"], {"window": 10})
    assert found is not None and found.id == analysis_id
    assert library.find_analysis(track.content_hash, "dsp", "dsp", "2", ["beats", "key"], {"window": 10}) is None
    assert library.machine_annotations(track.id).key == Key("D", "minor", 0.8)
    summary = library.get_track(track.id)
    assert (summary.key, summary.bpm) == (MusicalKey(2, "minor"), 96.0)


def test_a_forced_rerun_replaces_the_stored_result(library, track):
    for bpm in (90.0, 91.0):
        library.save_analysis(track, backend="dsp", tasks=["beats"], annotations=TrackAnnotations(tempo=Tempo(bpm)))
    assert len(library.analyses(track.id)) == 1
    assert library.machine_annotations(track.id).tempo.bpm == 91.0


def test_layers_come_from_the_newest_analysis_that_has_them(library, track):
    library.save_analysis(track, backend="dsp", tasks=["chords"], annotations=TrackAnnotations(
        chords=[Chord(0, 1, "C")], key=Key("C")))
    library.save_analysis(track, backend="moss", model_id="MOSS-Music-8B-Instruct", tasks=["lyrics"],
                          annotations=TrackAnnotations(lyrics=[LyricLine(0, 1, "la la")]))
    merged = library.machine_annotations(track.id)
    assert merged.chords[0].label == "C" and merged.lyrics[0].text == "la la"
    assert library.machine_annotations(track.id, backend="moss").chords == []


def test_user_edits_sit_on_top_and_revert_cleanly(library, track):
    library.save_analysis(track, backend="dsp", tasks=["key"], annotations=TrackAnnotations(key=Key("C")))
    library.save_user_layer(track.id, "key", {"tonic": "A", "mode": "minor"})
    assert library.annotations_for(track.id).key.tonic == "A"
    assert library.machine_annotations(track.id).key.tonic == "C"
    assert library.get_track(track.id).key == MusicalKey(9, "minor")
    library.clear_user_layer(track.id, "key")
    assert library.annotations_for(track.id).key.tonic == "C"


def test_search_finds_tracks_by_caption_tags_and_lyrics(library, tmp_path):
    first = library.add_file(write_song(tmp_path / "a.flac", seconds=1.0, tags={"title": "Morning", "artist": "Ana"}))
    second = library.add_file(write_song(tmp_path / "b.flac", seconds=1.0, bpm=90, tags={"title": "Evening"}))
    library.save_analysis(first, backend="moss", tasks=["caption", "lyrics"], annotations=TrackAnnotations(
        caption=Caption("A mellow acoustic ballad", tags=["acoustic", "mellow"]), key=Key("D", "minor"),
        lyrics=[LyricLine(0, 1, "sunrise over the water")]))
    assert library.search("mellow acoustic D minor") == [first.id]
    assert library.search("sunrise") == [first.id]
    assert library.search("even") == [second.id]
    assert library.search("ana") == [first.id]
    assert library.search("\"*)(") == []
    assert [t.id for t in library.list_tracks(search="morning")] == [first.id]


def test_unknown_track_references_raise_track_not_found(library):
    with pytest.raises(TrackNotFound):
        library.resolve_track("42")
    with pytest.raises(TrackNotFound):
        library.resolve_track("/no/such/file.mp3")
