"""The track's key as pitch class + mode: migration 0004 from the old text, Camelot sort and key filters in SQL."""

from __future__ import annotations

from sqlalchemy import select, text

from moss_music.annotations import Key, TrackAnnotations
from moss_music.annotations.keys import MusicalKey, all_keys, parse_key
from moss_music.library import Library
from moss_music.library.db import downgrade, make_engine, migrate
from moss_music.library.key_queries import NO_KEY_RANK, camelot_rank, key_in
from moss_music.library.schema import Track
from tests.audio_fixtures import write_song

OLD_TEXTS = ["C# major", "Db major", "A minor", "Bb minor", "F dorian", None]


def _library_at_0003_with_key_texts(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    migrate(engine, "0003")
    with engine.begin() as connection:
        for number, key_name in enumerate(OLD_TEXTS):
            connection.execute(text("INSERT INTO tracks (path, size, mtime, status, key_name, added_at, updated_at) "
                                    "VALUES (:path, 1, 1.0, 'ok', :key, '2024-01-01', '2024-01-01')"),
                               {"path": f"/music/{number}.flac", "key": key_name})
    engine.dispose()
    return url


def test_the_migration_turns_key_texts_into_pitch_class_and_mode(tmp_path):
    library = Library.open_url(_library_at_0003_with_key_texts(tmp_path))
    with library.session() as session:
        keys = {track.path: track.key for track in session.scalars(select(Track))}
    library.close()
    assert [keys[f"/music/{number}.flac"] for number in range(len(OLD_TEXTS))] == [
        MusicalKey(1, "major"), MusicalKey(1, "major"), MusicalKey(9, "minor"), MusicalKey(10, "minor"), None, None]


def test_the_migration_downgrades_to_one_spelling_per_key(tmp_path):
    url = _library_at_0003_with_key_texts(tmp_path)
    Library.open_url(url).close()
    engine = make_engine(url)
    downgrade(engine, "0003")
    with engine.connect() as connection:
        texts = [row[0] for row in connection.execute(text("SELECT key_name FROM tracks ORDER BY id"))]
    engine.dispose()
    assert texts == ["Db major", "Db major", "A minor", "Bb minor", None, None]


def test_sql_camelot_rank_walks_the_wheel_like_musical_key(library):
    with library.write() as session:
        for pitch_class, mode in [(key.pitch_class, key.mode) for key in all_keys()] + [(None, None)]:
            session.add(Track(path=f"/music/{pitch_class}-{mode}.flac", key_pitch_class=pitch_class, key_mode=mode))
    with library.session() as session:
        ranked = session.execute(select(Track.key_pitch_class, Track.key_mode, camelot_rank())).all()
    for pitch_class, mode, rank in ranked:
        if pitch_class is None:
            assert rank == NO_KEY_RANK
        else:
            number, letter = MusicalKey(pitch_class, mode).camelot_order
            assert rank == (number - 1) * 2 + letter, (pitch_class, mode)
    assert sorted(rank for *_, rank in ranked) == [*range(24), NO_KEY_RANK]


def test_key_in_matches_every_spelling_and_the_compatible_keys(library):
    with library.write() as session:
        for name in ("Db major", "C# major", "Ab major", "Bb minor", "D major"):
            session.add(Track(path=f"/music/{name}.flac", key=parse_key(name)))
    with library.session() as session:
        db_major = parse_key("C# major")
        same = session.scalars(select(Track.path).where(key_in([db_major]))).all()
        compatible = session.scalars(select(Track.path).where(key_in(db_major.compatible()))).all()
        none = session.scalars(select(Track.path).where(key_in([]))).all()
    assert sorted(same) == ["/music/C# major.flac", "/music/Db major.flac"]
    assert sorted(compatible) == ["/music/Ab major.flac", "/music/Bb minor.flac", "/music/C# major.flac",
                                  "/music/Db major.flac"]
    assert none == []


def test_an_analysis_writes_the_key_columns_and_search_finds_the_key(library, tmp_path):
    track = library.add_file(write_song(tmp_path / "song.flac", seconds=1.0))
    library.save_analysis(track, backend="dsp", tasks=["key"],
                          annotations=TrackAnnotations(key=Key("C#", "major", 0.9)))
    summary = library.get_track(track.id)
    assert (summary.key_pitch_class, summary.key_mode, summary.key.name()) == (1, "major", "Db major")
    library.save_user_layer(track.id, "key", {"tonic": "E", "mode": "dorian"})
    assert library.get_track(track.id).key is None  # not a major/minor key: no column value, layer keeps it
    library.clear_user_layer(track.id, "key")
    assert library.search("Db") == [track.id]
