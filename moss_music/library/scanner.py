"""Folder scanning: find audio files, read their tags, keep the library in step with the disk.

A rescan only stats files: unchanged size and mtime means nothing is read.
New and changed files are hashed by their audio (``moss_music.audio.hashing``:
tags left out), so a tag edit by any program keeps the analyses, and a new path
whose hash matches a track that vanished is treated as a move, so the track
keeps its id, analyses and edits. Tracks hashed by the old whole-file scheme are
rehashed once and their analyses carried over. One odd file never costs the
batch: every per-file failure, even one the database refuses, is recorded on
that file alone. Files that
disappear are marked missing, never dropped; unreadable ones are recorded with
the reason.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update

from moss_music.audio import AUDIO_EXTENSIONS, AudioError, content_hash
from moss_music.audio.hashing import HASH_SCHEME, is_current, legacy_content_hash
from moss_music.library import store
from moss_music.library.schema import LibraryFolder, Track, utcnow
from moss_music.library.search import index_track
from moss_music.library.tags import FileTags, read_tags

BATCH_SIZE = 200
READ_THREADS = min(4, os.cpu_count() or 1)
PROGRESS_EVERY_S = 0.1

ScanProgress = Callable[[int, int, str], None]
"""(files processed, files to process, current path)."""


@dataclass
class ScanReport:
    added: int = 0
    updated: int = 0
    moved: int = 0
    unchanged: int = 0
    missing: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(path, reason) for files that are not usable audio."""
    folder_errors: list[tuple[str, str]] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def seen(self) -> int:
        return self.added + self.updated + self.moved + self.unchanged + len(self.failed)

    def to_json(self) -> dict:
        return {
            "added": self.added, "updated": self.updated, "moved": self.moved, "unchanged": self.unchanged,
            "missing": self.missing, "failed": [{"path": p, "reason": r} for p, r in self.failed],
            "folder_errors": [{"path": p, "reason": r} for p, r in self.folder_errors],
            "elapsed_s": round(self.elapsed_s, 3),
        }


@dataclass
class _FoundFile:
    path: str
    size: int
    mtime: float
    folder_id: int | None


@dataclass
class _ReadFile:
    found: _FoundFile
    digest: str | None
    tags: FileTags | None
    error: str | None
    legacy_digest: str | None = None
    """The pre-audio-hash scheme's hash, computed only while the library still holds such hashes."""


@dataclass
class _MatchState:
    """What a scan matches new files against: known paths, and vanished or missing tracks by hash."""

    known: dict[str, dict]
    vanished: dict[str, dict]
    vanished_by_hash: dict[str, str]
    missing_by_hash: dict[str, int]

    def take_vanished(self, digest: str | None) -> tuple[int, str] | None:
        """(track id, its stored hash) of a vanished or missing track with this hash, claimed once."""
        if not digest:
            return None
        old_path = self.vanished_by_hash.pop(digest, None)
        if old_path is not None:
            return self.vanished.pop(old_path)["id"], digest
        track_id = self.missing_by_hash.pop(digest, None)
        return (track_id, digest) if track_id is not None else None


def walk_audio_files(root: str, errors: list[tuple[str, str]]) -> Iterable[tuple[str, os.stat_result]]:
    """Audio files below ``root``, following symlinks once (loops are cut) and noting unreadable folders."""
    visited: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            folder_stat = os.stat(folder)
        except OSError as error:
            errors.append((folder, _os_reason(error)))
            continue
        identity = (folder_stat.st_dev, folder_stat.st_ino)
        if identity in visited:
            continue
        visited.add(identity)
        try:
            with os.scandir(folder) as entries:
                children = list(entries)
        except OSError as error:
            errors.append((folder, _os_reason(error)))
            continue
        for entry in children:
            try:
                if entry.is_dir(follow_symlinks=True):
                    stack.append(entry.path)
                elif Path(entry.name).suffix.lower() in AUDIO_EXTENSIONS and not entry.name.startswith("._"):
                    entry_stat = entry.stat(follow_symlinks=True)
                    if stat.S_ISREG(entry_stat.st_mode):
                        yield entry.path, entry_stat
            except OSError as error:
                errors.append((entry.path, _os_reason(error)))


class Scanner:
    """Brings the library's tracks in line with a set of folders and files."""

    def __init__(self, library, progress: ScanProgress | None = None,
                 should_cancel: Callable[[], bool] | None = None) -> None:
        self.library = library
        self.progress = progress
        self.should_cancel = should_cancel or (lambda: False)

    def scan(self, paths: Iterable[str | os.PathLike[str]]) -> ScanReport:
        started = time.perf_counter()
        report = ScanReport()
        found, roots = self._collect(paths, report)
        known = self._known_tracks()
        to_read: list[_FoundFile] = []
        for item in found.values():
            previous = known.get(item.path)
            if previous and previous["size"] == item.size and previous["mtime"] == item.mtime \
                    and previous["status"] != "missing":
                if previous["status"] == "unreadable":
                    report.failed.append((item.path, previous["error"] or "unreadable"))
                elif not is_current(previous["hash"], previous["scheme"]):
                    to_read.append(item)  # made before the audio hash: rehash once, analyses follow
                else:
                    report.unchanged += 1
            else:
                to_read.append(item)
        vanished = {path: info for path, info in known.items()
                    if path not in found and info["status"] != "missing" and _under_any(path, roots)
                    and not os.path.exists(path)}
        self._process(to_read, known, vanished, report)
        report.missing = self._mark_missing(vanished)
        self._touch_folders(roots)
        report.elapsed_s = time.perf_counter() - started
        return report

    def _collect(self, paths, report: ScanReport) -> tuple[dict[str, _FoundFile], list[str]]:
        found: dict[str, _FoundFile] = {}
        roots: list[str] = []
        for raw in paths:
            path = os.path.abspath(os.fspath(raw))
            if not _is_utf8(path):
                report.failed.append((display_path(path), NOT_UTF8))
            elif os.path.isdir(path):
                folder_id = self.library.ensure_folder(path)
                roots.append(path)
                for file_path, file_stat in walk_audio_files(path, report.folder_errors):
                    if _is_utf8(file_path):
                        found[file_path] = _FoundFile(file_path, file_stat.st_size, file_stat.st_mtime, folder_id)
                    else:
                        report.failed.append((display_path(file_path), NOT_UTF8))
            elif os.path.isfile(path):
                file_stat = os.stat(path)
                found[path] = _FoundFile(path, file_stat.st_size, file_stat.st_mtime, None)
            else:
                reason = "no such file or folder" if not os.path.lexists(path) else "not a regular file"
                report.failed.append((path, reason))
        return found, roots

    def _known_tracks(self) -> dict[str, dict]:
        with self.library.session() as session:
            rows = session.execute(select(Track.id, Track.path, Track.size, Track.mtime, Track.status,
                                          Track.content_hash, Track.hash_scheme, Track.error))
            return {row.path: {"id": row.id, "size": row.size, "mtime": row.mtime, "status": row.status,
                               "hash": row.content_hash, "scheme": row.hash_scheme, "error": row.error}
                    for row in rows}

    def _process(self, to_read: list[_FoundFile], known: dict[str, dict], vanished: dict[str, dict],
                 report: ScanReport) -> None:
        state = _MatchState(known, vanished, {info["hash"]: path for path, info in vanished.items() if info["hash"]},
                            self._missing_hashes())
        # The old hash is computed only where it can match something: a known path still on the old
        # scheme, or (for moves) any vanished or missing track still on it.
        legacy = {path for path, info in known.items() if info["hash"] and not is_current(info["hash"], info["scheme"])}
        legacy_moves = any(path in legacy for path in vanished) or any(
            known[path]["status"] == "missing" for path in legacy)
        total = len(to_read)
        # Hashing reads whole files: threads overlap the disk and blake2b (both release the GIL).
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            for start in range(0, total, BATCH_SIZE):
                if self.should_cancel():
                    break
                # Reading and hashing happen outside the write transaction, which stays short.
                batch = self._read_batch(pool, to_read[start:start + BATCH_SIZE], start, total,
                                         True if legacy_moves else legacy)
                with self.library.write() as session:
                    for read in batch:
                        self._store_one(session, read, state, report)
                if len(batch) < min(BATCH_SIZE, total - start):
                    break  # cancelled mid-batch: what was read is stored, the rest waits for the next scan

    def _read_batch(self, pool: ThreadPoolExecutor, items: list[_FoundFile], done_before: int, total: int,
                    with_legacy: bool | set[str]) -> list[_ReadFile]:
        """Read a batch in the pool, reporting progress per file (at most every PROGRESS_EVERY_S) and
        stopping early on cancel: a batch of long files can take minutes now that all the audio is read."""
        futures = [pool.submit(_read, item, with_legacy is True or item.path in with_legacy) for item in items]
        batch: list[_ReadFile] = []
        reported = 0.0
        for future in futures:
            if self.should_cancel():
                for pending in futures:
                    pending.cancel()
                break
            batch.append(future.result())
            now = time.monotonic()
            if self.progress and (now - reported >= PROGRESS_EVERY_S or len(batch) == len(futures)):
                reported = now
                self.progress(done_before + len(batch), total, batch[-1].found.path)
        return batch

    def _missing_hashes(self) -> dict[str, int]:
        with self.library.session() as session:
            rows = session.execute(select(Track.id, Track.content_hash).where(Track.status == "missing"))
            return {row.content_hash: row.id for row in rows if row.content_hash}

    def _store_one(self, session, read: _ReadFile, state: _MatchState, report: ScanReport) -> None:
        """Store one file inside a savepoint, so a row the database refuses is recorded as unreadable alone."""
        try:
            with session.begin_nested():
                outcome = self._store(session, read, state)
        except Exception as error:  # noqa: BLE001 - one odd file must never cost the batch; say what broke
            reason = f"the file's details could not be stored ({type(error).__name__}: {error})"
            read = _ReadFile(read.found, read.digest, None, reason, read.legacy_digest)
            with session.begin_nested():
                outcome = self._store(session, read, state)
        if read.error is not None:
            report.failed.append((read.found.path, read.error))
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)

    @staticmethod
    def _store(session, read: _ReadFile, state: _MatchState) -> str:
        """Write one file's row; returns which report counter it belongs to ('added', 'updated', 'moved')."""
        item = read.found
        track: Track | None = None
        outcome = "added"
        previous = state.known.get(item.path)
        if previous is not None:
            track = session.get(Track, previous["id"])
            outcome = "updated"
            if read.digest and _same_audio_as_legacy(previous, read):
                store.carry_analyses(session, track.id, previous["hash"], read.digest, producer_only=True)
        else:
            matched = state.take_vanished(read.digest) or state.take_vanished(read.legacy_digest)
            if matched is not None:
                track = session.get(Track, matched[0])
                outcome = "moved"
                if read.digest and matched[1] != read.digest:
                    store.carry_analyses(session, track.id, matched[1], read.digest, producer_only=True)
        if track is None:
            track = Track(path=item.path)
            session.add(track)
        track.path = item.path
        track.folder_id = item.folder_id if item.folder_id is not None else track.folder_id
        track.size, track.mtime = item.size, item.mtime
        track.content_hash, track.hash_scheme = read.digest, HASH_SCHEME if read.digest else None
        if read.error is not None:
            track.status, track.error = "unreadable", read.error
        else:
            track.status, track.error = "ok", None
            _apply_tags(track, read.tags)
        session.flush()
        index_track(session, track, None)
        return outcome

    def _mark_missing(self, vanished: dict[str, dict]) -> int:
        if not vanished:
            return 0
        ids = [info["id"] for info in vanished.values()]
        with self.library.write() as session:
            for start in range(0, len(ids), 500):
                session.execute(update(Track).where(Track.id.in_(ids[start:start + 500]))
                                .values(status="missing", error="file not found at its last known path",
                                        updated_at=utcnow()))
        return len(ids)

    def _touch_folders(self, roots: list[str]) -> None:
        if not roots:
            return
        with self.library.write() as session:
            session.execute(update(LibraryFolder).where(LibraryFolder.path.in_(roots)).values(last_scan_at=utcnow()))


def _read(item: _FoundFile, with_legacy: bool) -> _ReadFile:
    """Hash and tags of one file; never raises, whatever the file holds."""
    try:
        digest = content_hash(item.path)
        legacy = legacy_content_hash(item.path) if with_legacy else None
    except OSError as error:
        return _ReadFile(item, None, None, _os_reason(error))
    except Exception as error:  # noqa: BLE001 - one odd file must never cost the batch; say what broke
        return _ReadFile(item, None, None, f"the file could not be read ({type(error).__name__}: {error})")
    try:
        return _ReadFile(item, digest, read_tags(item.path), None, legacy)
    except AudioError as error:
        return _ReadFile(item, digest, None, error.reason, legacy)
    except OSError as error:
        return _ReadFile(item, digest, None, _os_reason(error), legacy)
    except Exception as error:  # noqa: BLE001
        return _ReadFile(item, digest, None, f"the file could not be read ({type(error).__name__}: {error})", legacy)


def _same_audio_as_legacy(previous: dict, read: _ReadFile) -> bool:
    """A track hashed by the old scheme whose file still has the same bytes: its analyses are this audio's."""
    return bool(previous["hash"]) and not is_current(previous["hash"], previous["scheme"]) \
        and read.legacy_digest == previous["hash"]


def _apply_tags(track: Track, tags: FileTags) -> None:
    for name in ("duration", "sample_rate", "channels", "bitrate", "format", "codec", "title", "artist", "album",
                 "album_artist", "genre", "year", "track_number"):
        setattr(track, name, getattr(tags, name))
    track.tags_json = json.dumps(tags.extra, ensure_ascii=False) if tags.extra else None


NOT_UTF8 = "the file name is not valid UTF-8 (rename it to store it in the library)"


def _is_utf8(path: str) -> bool:
    """Names with undecodable bytes reach Python as lone surrogates, which the database cannot store."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def display_path(path: str) -> str:
    """A path that prints and serialises anywhere: undecodable bytes shown as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _under_any(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _os_reason(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "permission denied"
    if error.errno == 40:  # ELOOP
        return "symbolic link loop"
    return error.strerror or str(error)
