"""Telling a full or read-only disk from other failures, and saying so in one line that names the place.

SQLite reports a full disk as "database or disk is full", "disk I/O error" or
"unable to open database file" depending on which file it could not grow, so
the error text alone does not say what to do. The file system does: this module
asks it (free blocks, read-only flag, write permission) for the folder involved.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

STORAGE_ERRNOS = frozenset(code for code in (errno.ENOSPC, errno.EROFS, getattr(errno, "EDQUOT", None),
                                             errno.EACCES, errno.EPERM, errno.EIO) if code is not None)
SQLITE_STORAGE_MESSAGES = ("database or disk is full", "attempt to write a readonly database", "disk i/o error",
                           "unable to open database file", "readonly database")


ADVICE = {"read-only": "remount it writable or use another --home", "full": "free some space",
          "not writable": "fix its permissions"}


def _diagnose(path: str | os.PathLike[str]) -> tuple[str, str]:
    """(kind, sentence) for writing under ``path``: kind is a key of ADVICE, or '' when nothing is wrong."""
    folder = Path(path)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        stats = os.statvfs(folder)
    except (OSError, AttributeError):  # no statvfs on Windows
        stats = None
    if stats is not None and stats.f_flag & getattr(os, "ST_RDONLY", 1):
        return "read-only", f"{folder} is on a read-only file system"
    if stats is not None and stats.f_bavail == 0:
        return "full", f"the disk holding {folder} is full"
    if not os.access(folder, os.W_OK):
        return "not writable", f"{folder} is not writable by this user"
    return "", ""


def storage_problem(path: str | os.PathLike[str]) -> str:
    """What is wrong with writing under ``path`` ('' when nothing is): full, read-only or not writable."""
    return _diagnose(path)[1]


def is_storage_error(error: BaseException) -> bool:
    """Is ``error`` (or what it wraps) a failure to write to disk rather than a fault in the data or the code?"""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in STORAGE_ERRNOS:
            return True
        if type(error).__name__ in ("OperationalError", "DatabaseError") and any(
                message in str(error).lower() for message in SQLITE_STORAGE_MESSAGES):
            return True
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return False


def describe_storage_error(error: BaseException, where: str | os.PathLike[str]) -> str | None:
    """One line for a storage failure while writing under ``where`` (None when ``error`` is something else).

    Names the cause the file system shows (full, read-only, permissions) and what to do, else the error
    itself; an OSError that names its own file is reported there instead of ``where``.
    """
    if not is_storage_error(error):
        return None
    where = getattr(error, "filename", None) or where
    kind, problem = _diagnose(where)
    if kind:
        return f"{problem}: {ADVICE[kind]}"
    reason = getattr(error, "strerror", None) or getattr(error, "orig", None) or error
    return f"cannot write to {where}: {reason}"


def open_library_read_only(library_db: str | os.PathLike[str]):
    """The SQLite library as it is on disk, for commands that only read it when the data dir cannot be written.

    SQLite's immutable mode needs no ``-wal``/``-shm`` files (a normal open must create them), so this works on
    a full or read-only disk. Returns None when the file is not there or its schema is not the current one.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from moss_music.library import Library
    from moss_music.library.db import HEAD_REVISION, make_engine

    path = Path(library_db)
    if not path.is_file():
        return None
    library = Library(make_engine(f"sqlite:///file:{path.as_posix()}?immutable=1&uri=true"))
    try:
        with library.session() as session:
            revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        revision = None
    if revision != HEAD_REVISION:
        library.close()
        return None
    return library
