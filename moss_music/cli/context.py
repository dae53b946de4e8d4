"""What every subcommand needs: the data dir, the library, and consistent output."""

from __future__ import annotations

import json
import math
import os
import re
import sys
from functools import cached_property
from pathlib import Path
from typing import Any

from moss_music.paths import DataDir
from moss_music.storage import describe_storage_error, open_library_read_only

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad arguments that argparse could not catch (unknown track, conflicting options)."""


class DataDirError(UsageError):
    """The data folder or its library database cannot be used; the message says what is wrong and where.

    A UsageError, so every command prints it as one line and exits 2 instead of a traceback.
    """


# C0/C1 controls, DEL, and the invisible bidi/line controls that can rearrange or hide what a terminal shows.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` safe to print to a terminal: control characters from tags or file names shown as escapes.

    A title holding ESC could recolor or clear the user's terminal, BEL rings it, and a newline
    forges another line of output; each is shown as ``\\x1b``, ``\\x07``, ``\\n`` instead.
    """
    return _UNPRINTABLE.sub(lambda m: _NAMED_ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"
                                                         if ord(m.group()) > 0xff else f"\\x{ord(m.group()):02x}"), text)


def output_target(path: str, option: str, *, folder: bool) -> Path:
    """Check an output path before any work is done: a folder is created, a file's folder must exist.

    Raises UsageError with one line naming the option, the path and what is wrong, so a typo in
    ``--jams`` is found before minutes of analysis rather than as a traceback after them.
    """
    if not path.strip():
        raise UsageError(f"{option} is empty: give a {'folder' if folder else 'file'} to write to")
    target = Path(path).expanduser()
    where = target if folder else target.parent
    try:
        where.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (where, *where.parents) if p.exists() and not p.is_dir()), where)
        raise UsageError(f"cannot write {option} {printable(path)}: {printable(str(blocker))} is a file, "
                         f"not a folder") from None
    except OSError as error:
        raise UsageError(f"cannot write {option} {printable(path)}: {error.strerror or error}") from None
    if folder and not target.is_dir() or not folder and target.is_dir():
        raise UsageError(f"cannot write {option} {printable(path)}: it is a {'file' if folder else 'folder'}")
    if not os.access(where, os.W_OK):
        raise UsageError(f"cannot write {option} {printable(path)}: {printable(str(where))} is not writable")
    return target


def finite_json(data: Any) -> Any:
    """``data`` with every NaN or infinite float replaced by None, for output that must parse anywhere."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: finite_json(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite_json(value) for value in data]
    return data


class CliContext:
    def __init__(self, home: str | None = None, read_only: bool = False) -> None:
        self._home = home
        self.read_only = read_only
        """The command only reads the library: on a full or read-only data dir it reads it as it is."""

    @cached_property
    def data_dir(self) -> DataDir:
        if self._home is not None and not self._home.strip():
            raise UsageError("--home is empty: give the data folder to use (leave --home out for the default)")
        try:
            return DataDir.resolve(self._home)
        except OSError as error:
            where = error.filename or self._home or "the default data folder"
            reason = "a file is in the way (it must be a folder)" if isinstance(
                error, (FileExistsError, NotADirectoryError)) else error.strerror or str(error)
            raise DataDirError(f"cannot use the data folder {printable(str(where))}: {reason}") from None

    @cached_property
    def library(self):  # -> moss_music.library.Library; imported late to keep `--help` fast
        from alembic.util import CommandError
        from sqlalchemy.exc import SQLAlchemyError

        from moss_music.library import Library

        data_dir = self.data_dir
        try:
            return Library.open(data_dir)
        except CommandError as error:
            raise DataDirError(f"the library database {data_dir.library_db} was made by another version of "
                               f"the app ({error}); use that version or another --home") from None
        except (SQLAlchemyError, OSError) as error:
            problem = describe_storage_error(error, data_dir.root)
            library = open_library_read_only(data_dir.library_db) if problem and self.read_only else None
            if library is not None:
                self.error(f"{problem}; showing the library as it is (read-only)")
                return library
            if problem:
                raise DataDirError(problem) from None
            reason = getattr(error, "orig", None) or error
            raise DataDirError(f"the library database {data_dir.library_db} cannot be opened ({reason}); "
                               f"move it away to start a new library, or restore a backup") from None

    @staticmethod
    def print_json(data: Any) -> None:
        """Strict JSON: a non-finite number anywhere becomes null (bare NaN breaks every JSON parser)."""
        json.dump(finite_json(data), sys.stdout, indent=2, ensure_ascii=False, sort_keys=True, allow_nan=False)
        sys.stdout.write("\n")

    @staticmethod
    def error(message: str) -> None:
        print(message, file=sys.stderr)
