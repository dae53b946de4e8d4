"""full-text search over tracks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

An FTS5 index (rowid = track id) over the words a user types to find a song:
tags from the file, and what analyses said (caption, lyrics, caption tags).
Only SQLite has FTS5; on other databases search falls back to LIKE.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS track_search USING fts5("
        "title, artist, album, genre, caption, lyrics, tags, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    op.execute(
        "INSERT INTO track_search (rowid, title, artist, album, genre, caption, lyrics, tags) "
        "SELECT id, coalesce(title, ''), coalesce(artist, ''), coalesce(album, ''), coalesce(genre, ''), "
        "'', '', coalesce(caption_tags, '') FROM tracks"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS track_search")
