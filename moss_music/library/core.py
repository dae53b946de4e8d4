"""``Library``: the one object callers use to read and change the music library.

It owns the engine and hands out short sessions: ``session()`` for reads,
``write()`` for writes that take the SQLite write lock up front.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from moss_music.annotations import TrackAnnotations
from moss_music.annotations.keys import key_from_annotation
from moss_music.audio import content_hash
from moss_music.audio.hashing import HASH_SCHEME, is_current
from moss_music.library import store
from moss_music.library.db import make_engine, migrate
from moss_music.library.scanner import Scanner, ScanProgress, ScanReport
from moss_music.library.schema import Analysis, LibraryFolder, Track
from moss_music.library.search import index_track, search_track_ids, unindex_track
from moss_music.paths import DataDir


class TrackNotFound(LookupError):
    """A track reference (library id or path) that names no track in the library."""


class Library:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(engine.execution_options(sqlite_immediate=True), expire_on_commit=False)

    @classmethod
    def open(cls, data_dir: DataDir | str | os.PathLike[str] | None = None) -> Library:
        if not isinstance(data_dir, DataDir):
            data_dir = DataDir.resolve(data_dir)
        return cls.open_url(data_dir.library_url)

    @classmethod
    def open_url(cls, url: str) -> Library:
        engine = make_engine(url)
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A read session; commits whatever little it changed on exit."""
        with self._reader() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction that holds the lock from its first statement: keep the work inside it short."""
        with self._writer() as session, session.begin():
            yield session

    # -- folders and scanning -------------------------------------------------------------

    def ensure_folder(self, path: str) -> int:
        path = os.path.abspath(path)
        with self.write() as session:
            folder = session.scalars(select(LibraryFolder).where(LibraryFolder.path == path)).first()
            if folder is None:
                folder = LibraryFolder(path=path)
                session.add(folder)
                session.flush()
            return folder.id

    def folders(self) -> list[LibraryFolder]:
        with self.session() as session:
            return list(session.scalars(select(LibraryFolder).order_by(LibraryFolder.path)))

    def remove_folder(self, folder_id: int, *, forget_tracks: bool = False) -> None:
        with self.write() as session:
            folder = session.get(LibraryFolder, folder_id)
            if folder is None:
                return
            if forget_tracks:
                for track in list(folder.tracks):
                    unindex_track(session, track.id)
                    session.delete(track)
            session.delete(folder)

    def scan(self, paths: Sequence[str | os.PathLike[str]], progress: ScanProgress | None = None,
             should_cancel=None) -> ScanReport:
        return Scanner(self, progress, should_cancel).scan(paths)

    def add_file(self, path: str | os.PathLike[str]) -> Track:
        """The track for ``path``, scanning the file first if it is new or changed."""
        self.scan([path])
        return self.resolve_track(os.path.abspath(os.fspath(path)))

    # -- tracks ---------------------------------------------------------------------------

    def resolve_track(self, ref: str | int) -> Track:
        """A track by library id or by file path (absolute or relative to the working dir)."""
        with self.session() as session:
            track = None
            if isinstance(ref, int) or str(ref).isdigit():
                track = session.get(Track, int(ref))
            if track is None:
                track = session.scalars(select(Track).where(Track.path == os.path.abspath(str(ref)))).first()
            if track is None:
                raise TrackNotFound(f"no track {ref!r} in the library (give a library id or the path of a scanned file)")
            return track

    def get_track(self, track_id: int) -> Track | None:
        with self.session() as session:
            return session.get(Track, track_id)

    def count_tracks(self) -> int:
        with self.session() as session:
            return session.scalar(select(func.count(Track.id))) or 0

    def list_tracks(self, *, search: str | None = None, status: str | None = None, limit: int | None = None,
                    offset: int = 0) -> list[Track]:
        if limit is not None and limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        with self.session() as session:
            query = select(Track)
            ranked: list[int] | None = None
            if search:
                ranked = search_track_ids(session, search)
                query = query.where(Track.id.in_(ranked))
            if status:
                query = query.where(Track.status == status)
            tracks = list(session.scalars(query.order_by(Track.artist, Track.album, Track.track_number, Track.path)))
            if ranked is not None:
                order = {track_id: i for i, track_id in enumerate(ranked)}
                tracks.sort(key=lambda t: order[t.id])
            return tracks[offset:offset + limit if limit else None]

    def record_rewrite(self, track_id: int) -> None:
        """After the app rewrote a file's tags: the same rescan any tag edit gets, in one step.

        The content hash covers only the audio, so a tag write leaves it (and the analyses) as
        they are; if the process dies before this runs, the next scan does exactly the same.
        Only a track still on the legacy whole-file hash needs its analyses carried here,
        because after the write its bytes no longer prove it is the same audio.
        """
        track = self.get_track(track_id)
        if track is None:
            raise TrackNotFound(f"track {track_id} was removed from the library")
        if track.content_hash and not is_current(track.content_hash, track.hash_scheme):
            new_hash = content_hash(track.path)
            with self.write() as session:
                row = session.get(Track, track_id)
                store.carry_analyses(session, track_id, row.content_hash, new_hash, producer_only=True)
                row.content_hash, row.hash_scheme = new_hash, HASH_SCHEME
        self.scan([track.path])

    def remove_track(self, track_id: int) -> None:
        with self.write() as session:
            track = session.get(Track, track_id)
            if track is not None:
                unindex_track(session, track_id)
                session.delete(track)

    # -- analyses and annotations -----------------------------------------------------------

    def find_analysis(self, content_hash: str, backend: str, model_id: str, model_revision: str,
                      tasks: Sequence[str], params: dict[str, Any]) -> Analysis | None:
        key = store.cache_key(backend, model_id, model_revision, tasks, params)
        with self.session() as session:
            return store.find_analysis(session, content_hash, key)

    def save_analysis(self, track: Track | int, *, backend: str, model_id: str = "", model_revision: str = "",
                      tasks: Sequence[str] = (), params: dict[str, Any] | None = None,
                      annotations: TrackAnnotations, elapsed_s: float | None = None) -> int:
        """Store one analysis with all its layers in one short transaction; returns its id."""
        track_id = track if isinstance(track, int) else track.id
        with self.write() as session:
            row = session.get(Track, track_id)
            if row is None:
                raise TrackNotFound(f"track {track_id} was removed from the library")
            analysis = store.insert_analysis(
                session, row, backend=backend, model_id=model_id, model_revision=model_revision, tasks=tasks,
                params=params or {}, annotations=annotations, elapsed_s=elapsed_s,
            )
            self._refresh_summary(session, row)
            return analysis.id

    def machine_annotations(self, track_id: int, backend: str | None = None) -> TrackAnnotations:
        with self.session() as session:
            track = session.get(Track, track_id)
            if track is None or not track.content_hash:
                return TrackAnnotations()
            return store.machine_annotations(session, track.content_hash, backend)

    def user_annotations(self, track_id: int) -> TrackAnnotations:
        with self.session() as session:
            return store.user_annotations(session, track_id)

    def annotations_for(self, track_id: int) -> TrackAnnotations:
        """What the user sees: machine results with the user's edits on top."""
        with self.session() as session:
            return self._effective(session, session.get(Track, track_id))

    def analyses(self, track_id: int) -> list[Analysis]:
        with self.session() as session:
            track = session.get(Track, track_id)
            if track is None or not track.content_hash:
                return []
            return store.analyses_for(session, track.content_hash)

    def save_user_layer(self, track_id: int, layer: str, data: Any) -> None:
        with self.write() as session:
            store.save_user_layer(session, track_id, layer, data)
            session.flush()
            self._refresh_summary(session, session.get(Track, track_id))

    def clear_user_layer(self, track_id: int, layer: str | None = None) -> None:
        """Revert to the machine result for one layer (or all of them)."""
        with self.write() as session:
            store.clear_user_layer(session, track_id, layer)
            session.flush()
            self._refresh_summary(session, session.get(Track, track_id))

    def search(self, query: str, limit: int | None = 200) -> list[int]:
        with self.session() as session:
            return search_track_ids(session, query, limit)

    @staticmethod
    def _effective(session: Session, track: Track | None) -> TrackAnnotations:
        if track is None:
            return TrackAnnotations()
        machine = store.machine_annotations(session, track.content_hash) if track.content_hash else TrackAnnotations()
        return machine.overlay(store.user_annotations(session, track.id))

    def _refresh_summary(self, session: Session, track: Track | None) -> None:
        """Keep the sortable summary columns and the search row in step with the effective annotations."""
        if track is None:
            return
        effective = self._effective(session, track)
        track.key = key_from_annotation(effective.key)
        track.bpm = round(effective.tempo.bpm, 2) if effective.tempo and effective.tempo.bpm else None
        track.time_signature = str(effective.time_signature) if effective.time_signature else None
        track.caption_tags = ", ".join(effective.caption.tags) if effective.caption and effective.caption.tags else None
        if track.duration is None and effective.duration:
            track.duration = effective.duration
        index_track(session, track, effective)
