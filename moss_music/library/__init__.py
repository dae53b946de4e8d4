"""The music library: SQLite (or PostgreSQL) through SQLAlchemy, alembic migrations, scanner, search."""

from moss_music.library.core import Library, TrackNotFound
from moss_music.library.scanner import ScanReport
from moss_music.library.schema import Analysis, AnnotationLayer, Job, LibraryFolder, Track, UserLayer

__all__ = ["Analysis", "AnnotationLayer", "Job", "Library", "LibraryFolder", "ScanReport", "Track", "TrackNotFound",
           "UserLayer"]
