"""tracks.key_pitch_class + key_mode replace the key_name text

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

The library sorted and filtered keys by parsing "Db major" / "C# major" texts back
(one CASE over every spelling); the key is now two columns, a pitch class
(0 = C) and a mode, that SQL compares as numbers. Existing summaries are
converted here; texts that are not "<tonic> major|minor" (other modes) become
NULL, as the library now writes them — the annotation layers keep the full key.

The text parser below is frozen on purpose: a migration must read the rows as
the code of its time wrote them ("<tonic> <mode>", see moss_music/library/core.py).
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_KEY_TEXT = re.compile(r"^\s*([A-Ga-g])\s*(#|b|♯|♭)?\s+(major|minor)\s*$", re.IGNORECASE)
_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_FLAT_MAJOR_TONICS = {5, 10, 3, 8, 1}
_FLAT_MINOR_TONICS = {2, 7, 0, 5, 10, 3}

_tracks = sa.table(
    "tracks",
    sa.column("id", sa.Integer),
    sa.column("key_name", sa.String),
    sa.column("key_pitch_class", sa.Integer),
    sa.column("key_mode", sa.String),
)


def _parse(text: str | None) -> tuple[int, str] | None:
    match = _KEY_TEXT.match(text or "")
    if not match:
        return None
    letter, accidental, mode = match.groups()
    shift = {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(accidental or "", 0)
    return (_LETTERS[letter.upper()] + shift) % 12, mode.lower()


def _name(pitch_class: int, mode: str) -> str:
    flats = _FLAT_MINOR_TONICS if mode == "minor" else _FLAT_MAJOR_TONICS
    names = _FLAT_NAMES if pitch_class in flats else _SHARP_NAMES
    return f"{names[pitch_class]} {mode}"


def upgrade() -> None:
    with op.batch_alter_table("tracks") as batch_op:
        batch_op.add_column(sa.Column("key_pitch_class", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("key_mode", sa.String(length=8), nullable=True))
        batch_op.create_index(batch_op.f("ix_tracks_key_pitch_class"), ["key_pitch_class"], unique=False)
    bind = op.get_bind()
    # One UPDATE per distinct text (a few dozen), not per track: quick on a 100,000-track library.
    texts = bind.execute(sa.select(_tracks.c.key_name).where(_tracks.c.key_name.is_not(None)).distinct()).scalars()
    for key_name in list(texts):
        parsed = _parse(key_name)
        if parsed:
            bind.execute(_tracks.update().where(_tracks.c.key_name == key_name)
                         .values(key_pitch_class=parsed[0], key_mode=parsed[1]))
    with op.batch_alter_table("tracks") as batch_op:
        batch_op.drop_index("ix_tracks_key_name")
        batch_op.drop_column("key_name")


def downgrade() -> None:
    with op.batch_alter_table("tracks") as batch_op:
        batch_op.add_column(sa.Column("key_name", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_tracks_key_name", ["key_name"], unique=False)
    bind = op.get_bind()
    keys = bind.execute(sa.select(_tracks.c.key_pitch_class, _tracks.c.key_mode).distinct()
                        .where(_tracks.c.key_pitch_class.is_not(None), _tracks.c.key_mode.is_not(None))).all()
    for pitch_class, mode in keys:
        bind.execute(_tracks.update()
                     .where(_tracks.c.key_pitch_class == pitch_class, _tracks.c.key_mode == mode)
                     .values(key_name=_name(pitch_class, mode)))
    with op.batch_alter_table("tracks") as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracks_key_pitch_class"))
        batch_op.drop_column("key_mode")
        batch_op.drop_column("key_pitch_class")
