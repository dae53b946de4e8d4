"""What the library table shows, as SQL: filters, smart lists, search, sort, and one page at a time.

The table asks for a count, then for pages of rows by offset; every page is a
small ``LIMIT`` query with a stable order (the track id breaks ties), so the
window can jump anywhere in a 100,000-track library without loading it.
Analysis status per backend is read for the rows of one page only.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import Float, Integer, and_, case, exists, false, func, literal, not_, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from moss_music.analysis import available_backends
from moss_music.annotations.keys import MusicalKey, parse_key
from moss_music.library.key_queries import camelot_rank, key_in
from moss_music.library.schema import Analysis, Job, LibraryFolder, Track
from moss_music.library.search import fts_query, search_track_ids, uses_fts
from worker.states import ACTIVE_STATES, JobState

SMART_LISTS: dict[str, str] = {
    "all": "All tracks",
    "not_analyzed": "Not analysed",
    "analyzed": "Analysed",
    "failed": "Failed",
    "missing": "Missing files",
}
BACKENDS = tuple(available_backends())
"""Every registered analysis backend (one status column each), in the registry's display order."""


@dataclass(frozen=True)
class TrackFilter:
    """Everything that decides which tracks the table lists and in what order."""

    smart_list: str = "all"
    folder_id: int | None = None
    key: str = ""
    """A key as the user picked or typed it ('A minor', 'Am', '8A'); every spelling matches."""
    compatible_keys: bool = False
    """With ``key``: also the keys a DJ mixes into (Camelot ±1 and the relative key)."""
    bpm_min: float | None = None
    bpm_max: float | None = None
    time_signature: str = ""
    tags: tuple[str, ...] = ()
    search: str = ""
    sort_column: str | None = None
    """A ``SORT_EXPRESSIONS`` key; None sorts by search rank, or artist/album/track number."""
    descending: bool = False

    def with_(self, **changes) -> TrackFilter:
        return replace(self, **changes)

    @property
    def has_filters(self) -> bool:
        return bool(self.key or self.bpm_min is not None or self.bpm_max is not None or self.time_signature
                    or self.tags or self.search.strip())


@dataclass
class BackendStatus:
    state: str
    """A ``JobState`` value ('done', 'queued', …) or '' (never analysed)."""
    progress: float = 0.0
    error: str | None = None


@dataclass
class TrackRow:
    id: int
    title: str
    artist: str
    album: str
    duration: float | None
    key: MusicalKey | None
    bpm: float | None
    time_signature: str | None
    caption_tags: str | None
    status: str
    error: str | None
    path: str
    backends: dict[str, BackendStatus] = field(default_factory=dict)
    cells: tuple = ()
    """Display text per table column, prepared off the UI thread (painting asks for it many times)."""
    colors: tuple = ()
    """Text color per table column (None = the theme's)."""


def _nocase(column):
    return column.collate("NOCASE")


SORT_EXPRESSIONS = {
    "title": lambda: [_nocase(func.coalesce(Track.title, Track.path))],
    "artist": lambda: [Track.artist.is_(None), _nocase(Track.artist), _nocase(Track.album), Track.track_number],
    "album": lambda: [Track.album.is_(None), _nocase(Track.album), Track.track_number],
    "duration": lambda: [Track.duration],
    "key": lambda: [camelot_rank()],
    "bpm": lambda: [Track.bpm.is_(None), Track.bpm],
    "time_signature": lambda: [Track.time_signature],
    "tags": lambda: [Track.caption_tags.is_(None), _nocase(Track.caption_tags)],
    **{backend: (lambda b=backend: [not_(_analyzed(b))]) for backend in BACKENDS},
}


def key_condition(text_or_key: str, compatible: bool = False):
    """Tracks in the key the user named (any spelling or code), or in any key compatible with it."""
    key = parse_key(text_or_key)
    if key is None:
        return false()
    return key_in(key.compatible() if compatible else (key,))


def _analyzed(backend: str | None = None):
    condition = Analysis.content_hash == Track.content_hash
    if backend:
        condition = and_(condition, Analysis.backend == backend)
    return exists().where(condition)


def _latest_job_state():
    return (select(Job.state).where(Job.track_id == Track.id).order_by(Job.id.desc()).limit(1)
            .correlate(Track).scalar_subquery())


def smart_list_condition(name: str):
    if name == "all":
        return None
    if name == "missing":
        return Track.status == "missing"
    if name == "analyzed":
        return _analyzed()
    if name == "not_analyzed":
        return and_(Track.status == "ok", not_(_analyzed()))
    if name == "failed":
        return or_(Track.status == "unreadable", _latest_job_state() == JobState.FAILED.value)
    raise ValueError(f"unknown smart list {name!r}")


def filter_conditions(session: Session, flt: TrackFilter) -> list:
    conditions = []
    smart = smart_list_condition(flt.smart_list)
    if smart is not None:
        conditions.append(smart)
    if flt.folder_id is not None:
        conditions.append(Track.folder_id == flt.folder_id)
    if flt.key:
        conditions.append(key_condition(flt.key, flt.compatible_keys))
    if flt.bpm_min is not None:
        conditions.append(Track.bpm >= flt.bpm_min)
    if flt.bpm_max is not None:
        conditions.append(Track.bpm <= flt.bpm_max)
    if flt.time_signature:
        conditions.append(Track.time_signature == flt.time_signature)
    for tag in flt.tags:
        # caption_tags is "a, b, c": pad it so a tag matches whole, not as part of a longer one.
        padded = literal(", ") + func.coalesce(Track.caption_tags, "") + literal(", ")
        conditions.append(padded.ilike(f"%, {_escape_like(tag)}, %", escape="\\"))
    if flt.search.strip() and not uses_fts(session):
        conditions.append(Track.id.in_(search_track_ids(session, flt.search)))
    return conditions


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_subquery(session: Session, flt: TrackFilter):
    """The FTS5 matches with their rank, or None when there is no search (or no FTS5 on this database)."""
    match = fts_query(flt.search)
    if not flt.search.strip() or not uses_fts(session):
        return None
    if match is None:  # only punctuation typed: nothing can match
        match = '"\u0000"'
    return (text("SELECT rowid AS rid, rank AS rank FROM track_search WHERE track_search MATCH :q")
            .bindparams(q=match).columns(rid=Integer, rank=Float).subquery("fts"))


def _base(session: Session, flt: TrackFilter, *columns) -> tuple[Select, object]:
    stmt = select(*columns).select_from(Track)
    fts = _fts_subquery(session, flt)
    if fts is not None:
        stmt = stmt.join(fts, fts.c.rid == Track.id)
    conditions = filter_conditions(session, flt)
    if conditions:
        stmt = stmt.where(*conditions)
    return stmt, fts


def count_tracks(session: Session, flt: TrackFilter) -> int:
    stmt, _ = _base(session, flt, func.count(Track.id))
    return int(session.scalar(stmt) or 0)


def order_by(flt: TrackFilter, fts) -> list:
    if flt.sort_column is None:
        if fts is not None:
            return [fts.c.rank, Track.id]
        terms = SORT_EXPRESSIONS["artist"]()
    else:
        terms = SORT_EXPRESSIONS[flt.sort_column]()
    if flt.descending:
        terms = [term.desc() for term in terms]
    return [*terms, Track.id.desc() if flt.descending else Track.id]


ROW_COLUMNS = (Track.id, Track.title, Track.artist, Track.album, Track.duration, Track.key_pitch_class, Track.bpm,
               Track.time_signature, Track.caption_tags, Track.status, Track.error, Track.path, Track.key_mode)


def fetch_ids(session: Session, flt: TrackFilter, offset: int, limit: int) -> list[int]:
    """Track ids in display order, one window of them.

    Only the sort keys and ids go through SQLite's sorter, which is what makes a
    window deep into a 100,000-row sort affordable; the rows are read by id after.
    """
    stmt, fts = _base(session, flt, Track.id)
    return list(session.scalars(stmt.order_by(*order_by(flt, fts)).offset(offset).limit(limit)))


def fetch_rows(session: Session, track_ids: Sequence[int]) -> list[TrackRow]:
    """The rows for ``track_ids`` in that order, with per-backend status (ids that vanished are skipped)."""
    if not track_ids:
        return []
    found = {}
    for r in session.execute(select(*ROW_COLUMNS).where(Track.id.in_(list(track_ids)))).all():
        found[r.id] = TrackRow(id=r.id, title=r.title or Path(r.path).stem, artist=r.artist or "",
                               album=r.album or "", duration=r.duration, bpm=r.bpm,
                               key=MusicalKey(r.key_pitch_class, r.key_mode) if r.key_mode else None,
                               time_signature=r.time_signature, caption_tags=r.caption_tags, status=r.status,
                               error=r.error, path=r.path)
    rows = [found[track_id] for track_id in track_ids if track_id in found]
    attach_statuses(session, rows)
    return rows


def attach_statuses(session: Session, rows: list[TrackRow]) -> None:
    """Per-backend status of each row, from two queries over this page's ids only.

    An active job shows first (the user is waiting on it), then a stored analysis,
    then the last job's failure or cancellation.
    """
    if not rows:
        return
    ids = [row.id for row in rows]
    done = session.execute(
        select(Track.id, Analysis.backend).join(Analysis, Analysis.content_hash == Track.content_hash)
        .where(Track.id.in_(ids)).group_by(Track.id, Analysis.backend)
    ).all()
    latest = select(func.max(Job.id)).where(Job.track_id.in_(ids)).group_by(Job.track_id, Job.backend)
    jobs = session.execute(
        select(Job.track_id, Job.backend, Job.state, Job.progress, Job.error).where(Job.id.in_(latest))
    ).all()
    analyzed = {(track_id, backend) for track_id, backend in done}
    latest_jobs = {(j.track_id, j.backend): j for j in jobs}
    for row in rows:
        for backend in BACKENDS:
            job = latest_jobs.get((row.id, backend))
            if job is not None and job.state in ACTIVE_STATES:
                row.backends[backend] = BackendStatus(job.state, job.progress or 0.0)
            elif (row.id, backend) in analyzed:
                row.backends[backend] = BackendStatus(JobState.DONE, 1.0)
            elif job is not None:
                row.backends[backend] = BackendStatus(job.state, job.progress or 0.0, job.error)
            else:
                row.backends[backend] = BackendStatus("")


def smart_list_counts(session: Session) -> dict[str, int]:
    stmt = select(*[
        func.count(Track.id) if cond is None else func.coalesce(func.sum(case((cond, 1), else_=0)), 0)
        for cond in (smart_list_condition(name) for name in SMART_LISTS)
    ]).select_from(Track)
    values = session.execute(stmt).one()
    return {name: int(value) for name, value in zip(SMART_LISTS, values, strict=True)}


def folder_counts(session: Session) -> list[tuple[int, str, int]]:
    """(folder id, path, tracks) for the sidebar."""
    counts = dict(session.execute(select(Track.folder_id, func.count(Track.id)).group_by(Track.folder_id)).all())
    folders = session.execute(select(LibraryFolder.id, LibraryFolder.path).order_by(LibraryFolder.path)).all()
    return [(folder_id, path, int(counts.get(folder_id, 0))) for folder_id, path in folders]


_TAG_COUNTS_SQL = text("""
WITH RECURSIVE split(tag, rest) AS (
    SELECT '', caption_tags || ',' FROM tracks WHERE caption_tags IS NOT NULL AND caption_tags <> ''
    UNION ALL
    SELECT lower(trim(substr(rest, 1, instr(rest, ',') - 1))), substr(rest, instr(rest, ',') + 1)
    FROM split WHERE rest <> ''
)
SELECT tag, count(*) AS n FROM split WHERE tag <> '' GROUP BY tag ORDER BY n DESC, tag LIMIT :limit
""")


def filter_choices(session: Session, max_tags: int = 60) -> tuple[list[str], list[tuple[str, int]]]:
    """Time signatures present, and the most common caption tags with their counts.

    The tags are split and counted inside SQLite (a recursive CTE), so a large
    library costs no Python loop — which would hold the GIL and stutter the UI.
    """
    signatures = [value for (value,) in session.execute(
        select(Track.time_signature).where(Track.time_signature.is_not(None)).group_by(Track.time_signature)
        .order_by(func.count(Track.id).desc())
    )]
    if uses_fts(session):
        tags = [(tag, int(n)) for tag, n in session.execute(_TAG_COUNTS_SQL, {"limit": max_tags})]
        return signatures, tags
    counter: Counter[str] = Counter()
    for (value,) in session.execute(select(Track.caption_tags).where(Track.caption_tags.is_not(None))):
        counter.update(tag.strip().lower() for tag in value.split(",") if tag.strip())
    return signatures, counter.most_common(max_tags)


def job_watermark(session: Session) -> tuple:
    """A cheap fingerprint of the jobs and tracks tables: it changes whenever a row is added or updated."""
    return tuple(session.execute(text(
        "SELECT (SELECT max(updated_at) FROM jobs), (SELECT count(*) FROM jobs), "
        "(SELECT max(updated_at) FROM tracks), (SELECT max(id) FROM tracks), (SELECT count(*) FROM tracks), "
        "(SELECT max(id) FROM analyses), (SELECT count(*) FROM library_folders)"
    )).one())


def _under(paths: Sequence[str]):
    """Tracks at one of ``paths`` (files) or below it (folders), as the scanner stores paths (absolute)."""
    conditions = []
    for raw in dict.fromkeys(os.path.abspath(p) for p in paths):
        conditions.append(Track.path == raw)
        folder = raw.rstrip("/\\")
        conditions.append(Track.path.like(f"{_escape_like(folder)}/%", escape="\\"))
        conditions.append(Track.path.like(f"{_escape_like(folder)}\\\\%", escape="\\"))
    return or_(*conditions) if conditions else literal(False)


def tracks_to_analyze(session: Session, paths: Sequence[str], backend: str,
                      since: datetime | None = None) -> list[int]:
    """Readable tracks under ``paths`` with no ``backend`` analysis that never had a ``backend`` job.

    What a scan hands to automatic analysis. ``since``: only tracks the scan added or changed (their
    row was written after it), so turning the option on never queues a whole existing library; a file
    that failed (or was cancelled) once is not queued again by every rescan — the user retries it
    from the queue.
    """
    had_job = exists().where(Job.track_id == Track.id, Job.backend == backend)
    stmt = select(Track.id).where(_under(paths), Track.status == "ok", not_(_analyzed(backend)), not_(had_job))
    if since is not None:
        stmt = stmt.where(Track.updated_at >= since)
    return list(session.scalars(stmt.order_by(Track.path)))
