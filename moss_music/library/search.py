"""Full-text search: what a user types ("mellow acoustic D minor") to the FTS5 index.

Each word must match some column (title, artist, caption, lyrics, tags …) as a
prefix, so results narrow as the user types. Punctuation is dropped rather than
passed to FTS5, where it would be query syntax.
"""

from __future__ import annotations

import re

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from moss_music.annotations import TrackAnnotations
from moss_music.annotations.keys import parse_key
from moss_music.library.key_queries import key_in
from moss_music.library.schema import Track

_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(user_text: str) -> str | None:
    words = _WORD.findall(user_text)
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)


def uses_fts(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def search_track_ids(session: Session, user_text: str, limit: int | None = None) -> list[int]:
    """Track ids matching every word, best match first."""
    query = fts_query(user_text)
    if query is None:
        return []
    if uses_fts(session):
        sql = "SELECT rowid FROM track_search WHERE track_search MATCH :q ORDER BY rank"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [row[0] for row in session.execute(text(sql), {"q": query})]
    conditions = []
    for word in _WORD.findall(user_text):
        pattern = f"%{word}%"
        conditions.append(or_(Track.title.ilike(pattern), Track.artist.ilike(pattern), Track.album.ilike(pattern),
                              Track.genre.ilike(pattern), Track.caption_tags.ilike(pattern),
                              Track.key_mode.ilike(pattern), key_in(filter(None, [parse_key(word)]))))
    stmt = select(Track.id).where(*conditions).order_by(Track.id)
    if limit:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def index_track(session: Session, track: Track, annotations: TrackAnnotations | None = None) -> None:
    """(Re)write one track's search row from its tags and effective annotations."""
    if not uses_fts(session):
        return
    caption = lyrics = ""
    tags: list[str] = [track.caption_tags or "", track.key.name() if track.key else ""]
    if annotations is not None:
        if annotations.caption:
            caption = " ".join([annotations.caption.text, *annotations.caption.aspects.values()])
        lyrics = "\n".join(line.text for line in annotations.lyrics)
        tags += annotations.instruments
        if annotations.key:
            tags.append(f"{annotations.key.tonic} {annotations.key.mode}")
    session.execute(text("DELETE FROM track_search WHERE rowid = :id"), {"id": track.id})
    session.execute(
        text("INSERT INTO track_search (rowid, title, artist, album, genre, caption, lyrics, tags) "
             "VALUES (:id, :title, :artist, :album, :genre, :caption, :lyrics, :tags)"),
        {"id": track.id, "title": track.display_title, "artist": track.artist or "", "album": track.album or "",
         "genre": track.genre or "", "caption": caption, "lyrics": lyrics, "tags": " ".join(t for t in tags if t)},
    )


def unindex_track(session: Session, track_id: int) -> None:
    if uses_fts(session):
        session.execute(text("DELETE FROM track_search WHERE rowid = :id"), {"id": track_id})
