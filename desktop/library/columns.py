"""The library table's columns and how a value in each reads to a person."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.library.query import BackendStatus, TrackRow
from moss_music.analysis import backend_specs
from moss_music.annotations.keys import MusicalKey
from worker.states import JobState


@dataclass(frozen=True)
class Column:
    key: str
    """Also the ``SORT_EXPRESSIONS`` key the column sorts by."""
    header: str
    width: int
    numeric: bool = False
    backend: str | None = None


COLUMNS: tuple[Column, ...] = (
    Column("title", "Title", 240),
    Column("artist", "Artist", 150),
    Column("album", "Album", 150),
    Column("duration", "Time", 58, numeric=True),
    Column("key", "Key", 118),
    Column("bpm", "BPM", 52, numeric=True),
    Column("time_signature", "Meter", 58, numeric=True),
    *(Column(spec.name, spec.short_label, 74, backend=spec.name) for spec in backend_specs()),
    Column("tags", "Tags", 160),
)
COLUMN_INDEX = {column.key: i for i, column in enumerate(COLUMNS)}

BACKEND_LABELS = {spec.name: spec.label for spec in backend_specs()}
STATE_TEXT = {JobState.DONE: "✓ done", JobState.QUEUED: "queued", JobState.RUNNING: "running",
              JobState.FAILED: "✕ failed", JobState.CANCELLED: "cancelled", "": "—"}


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def key_label(key: MusicalKey) -> str:
    """How the library names a key everywhere (table cell and filter list): 'F# major · 2B'."""
    return f"{key.name()} · {key.camelot}"


def format_key(key: MusicalKey | None) -> str:
    """The table cell for a track's key ('' for none)."""
    return key_label(key) if key else ""


def format_status(status: BackendStatus | None) -> str:
    if status is None:
        return ""
    if status.state == JobState.RUNNING:
        return f"⟳ {status.progress * 100:.0f}%"
    return STATE_TEXT.get(status.state, status.state)


def display_text(column: Column, row: TrackRow) -> str:
    if column.backend:
        return format_status(row.backends.get(column.backend))
    if column.key == "title":
        return row.title
    if column.key == "artist":
        return row.artist
    if column.key == "album":
        return row.album
    if column.key == "duration":
        return format_duration(row.duration)
    if column.key == "key":
        return format_key(row.key)
    if column.key == "bpm":
        return f"{row.bpm:.0f}" if row.bpm else ""
    if column.key == "time_signature":
        return row.time_signature or ""
    if column.key == "tags":
        return row.caption_tags or ""
    raise KeyError(column.key)
