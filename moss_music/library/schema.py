"""The library's tables.

Machine results (analyses and their layers) are keyed by the audio's content
hash, so a moved or renamed file keeps them and two copies of one file share
them; the user's edits live in their own table and are never overwritten by a
new analysis.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from moss_music.annotations.keys import MusicalKey


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class LibraryFolder(Base):
    __tablename__ = "library_folders"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(4096), unique=True)
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_scan_at: Mapped[datetime | None] = mapped_column(DateTime)
    watch: Mapped[bool] = mapped_column(Boolean, default=True)
    error: Mapped[str | None] = mapped_column(Text)

    tracks: Mapped[list[Track]] = relationship(back_populates="folder")


class Track(Base):
    __tablename__ = "tracks"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(4096), unique=True)
    folder_id: Mapped[int | None] = mapped_column(ForeignKey("library_folders.id", ondelete="SET NULL"))
    size: Mapped[int] = mapped_column(Integer, default=0)
    mtime: Mapped[float] = mapped_column(Float, default=0.0)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    hash_scheme: Mapped[int | None] = mapped_column(Integer)
    """Which ``moss_music.audio.hashing`` scheme made ``content_hash`` (None: the legacy sampled hash)."""
    status: Mapped[str] = mapped_column(String(16), default="ok", index=True)
    """'ok', 'missing' (file gone since the last scan) or 'unreadable' (see ``error``)."""
    error: Mapped[str | None] = mapped_column(Text)

    duration: Mapped[float | None] = mapped_column(Float)
    sample_rate: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[int | None] = mapped_column(Integer)
    bitrate: Mapped[int | None] = mapped_column(Integer)
    format: Mapped[str | None] = mapped_column(String(32))
    codec: Mapped[str | None] = mapped_column(String(64))

    title: Mapped[str | None] = mapped_column(Text)
    artist: Mapped[str | None] = mapped_column(Text)
    album: Mapped[str | None] = mapped_column(Text)
    album_artist: Mapped[str | None] = mapped_column(Text)
    genre: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    track_number: Mapped[int | None] = mapped_column(Integer)
    tags_json: Mapped[str | None] = mapped_column(Text)
    """All tags mutagen read, as JSON, for what has no column."""

    # Summary of the effective annotations (machine results + user edits), kept for sorting and filters.
    key_pitch_class: Mapped[int | None] = mapped_column(Integer, index=True)
    """The key's tonic as a pitch class (0 = C); with ``key_mode`` it is ``Track.key``. Stored as numbers so
    sorting and key filters never parse text back (moss_music.library.key_queries)."""
    key_mode: Mapped[str | None] = mapped_column(String(8))
    """'major' or 'minor' (other modes stay in the annotation layer only)."""
    bpm: Mapped[float | None] = mapped_column(Float, index=True)
    time_signature: Mapped[str | None] = mapped_column(String(8))
    caption_tags: Mapped[str | None] = mapped_column(Text)

    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, index=True)

    folder: Mapped[LibraryFolder | None] = relationship(back_populates="tracks")

    @property
    def key(self) -> MusicalKey | None:
        """The effective key, or None (not analysed, or a mode other than major/minor)."""
        if self.key_pitch_class is None or self.key_mode is None:
            return None
        return MusicalKey(self.key_pitch_class, self.key_mode)

    @key.setter
    def key(self, key: MusicalKey | None) -> None:
        self.key_pitch_class = key.pitch_class if key else None
        self.key_mode = key.mode if key else None

    @property
    def display_title(self) -> str:
        from pathlib import Path

        return self.title or Path(self.path).stem


class Analysis(Base):
    __tablename__ = "analyses"
    __table_args__ = (UniqueConstraint("content_hash", "cache_key", name="uq_analysis_cache"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="SET NULL"))
    """The track it was run for; results apply to every track with the same content hash."""
    backend: Mapped[str] = mapped_column(String(32))
    model_id: Mapped[str] = mapped_column(String(255), default="")
    model_revision: Mapped[str] = mapped_column(String(255), default="")
    tasks_json: Mapped[str] = mapped_column(Text, default="[]")
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    cache_key: Mapped[str] = mapped_column(String(64))
    """Hash of (backend, model id, revision, tasks, params): the same question is answered from here."""
    elapsed_s: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    layers: Mapped[list[AnnotationLayer]] = relationship(
        back_populates="analysis", cascade="all, delete-orphan", passive_deletes=True
    )


class AnnotationLayer(Base):
    __tablename__ = "annotation_layers"
    __table_args__ = (UniqueConstraint("analysis_id", "layer", name="uq_layer_per_analysis"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id", ondelete="CASCADE"), index=True)
    layer: Mapped[str] = mapped_column(String(32))
    data_json: Mapped[str] = mapped_column(Text)

    analysis: Mapped[Analysis] = relationship(back_populates="layers")


class UserLayer(Base):
    """A layer the user edited; shown over the machine result, which stays untouched."""

    __tablename__ = "user_layers"
    __table_args__ = (UniqueConstraint("track_id", "layer", name="uq_user_layer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    layer: Mapped[str] = mapped_column(String(32))
    data_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Job(Base):
    """One unit of queued work; the Huey task carries only this row's id."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_priority", "state", "priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="analyze")
    backend: Mapped[str] = mapped_column(String(32), default="dsp")
    lane: Mapped[str] = mapped_column(String(8), default="cpu")
    tasks_json: Mapped[str] = mapped_column(Text, default="[]")
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    options_json: Mapped[str] = mapped_column(Text, default="{}")
    """How to build the analyzer (model folder, device, server URL): not part of the result's cache key."""
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    """queued -> running -> done | failed | cancelled."""
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    force: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker_id: Mapped[str | None] = mapped_column(String(128))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    huey_task_id: Mapped[str | None] = mapped_column(String(64))
    analysis_id: Mapped[int | None] = mapped_column(ForeignKey("analyses.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, index=True)
