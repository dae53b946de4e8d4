"""SQL over the tracks' key columns: Camelot-wheel sort order and "in one of these keys" filters.

The key is stored as a pitch class and a mode (``Track.key_pitch_class``, ``Track.key_mode``), so both are
arithmetic on integers that SQLite and PostgreSQL evaluate themselves; the formulas mirror
``MusicalKey.camelot_order`` (tests/core/test_key_columns.py checks all 24 keys against it).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, case, false, or_
from sqlalchemy.sql.elements import ColumnElement

from moss_music.annotations.keys import MusicalKey
from moss_music.library.schema import Track

NO_KEY_RANK = 99
"""Where tracks without a key sort: after the 24 keys (ranks 0..23)."""


def camelot_rank() -> ColumnElement[int]:
    """0..23 along the Camelot wheel (1A, 1B, 2A, …, 12B); ``NO_KEY_RANK`` for tracks without a key."""
    minor = Track.key_mode == "minor"
    relative_major = case((minor, (Track.key_pitch_class + 3) % 12), else_=Track.key_pitch_class)
    rank = ((relative_major * 7 + 7) % 12) * 2 + case((minor, 0), else_=1)
    return case((Track.key_pitch_class.is_(None) | Track.key_mode.is_(None), NO_KEY_RANK), else_=rank)


def key_in(keys: Iterable[MusicalKey]) -> ColumnElement[bool]:
    """Tracks whose key is one of ``keys`` (enharmonic spellings are one pitch class, so one test each)."""
    terms = [and_(Track.key_pitch_class == key.pitch_class, Track.key_mode == key.mode) for key in set(keys)]
    return or_(*terms) if terms else false()
