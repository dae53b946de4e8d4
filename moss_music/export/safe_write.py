"""Changing a user's audio file without ever risking it.

The edit happens on a copy next to the original; the copy is re-read and
checked (the tags say what we meant, the decoded audio is bit-identical to the
original's), and only then renamed over the original in one atomic step. A
crash or a kill at any moment leaves either the old file or the new one, never
a mix; a leftover copy from a killed run is removed by the next run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from moss_music.processes import pid_alive

TEMP_MARK = ".moss-tagging-"


class TagWriteError(Exception):
    """The write was refused or could not be verified; the original file is untouched."""


def audio_digest(path: str | os.PathLike[str]) -> str:
    """A hash of every decoded sample (and the stream's shape): equal digests = identical audio."""
    import av  # FFmpeg bindings load on first use

    digest = hashlib.blake2b(digest_size=20)
    try:
        with av.open(os.fspath(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise TagWriteError(f"{path}: no audio stream to verify")
            stream = container.streams.audio[0]
            digest.update(f"{stream.codec_context.name}/{stream.codec_context.sample_rate}".encode())
            for frame in container.decode(stream):
                digest.update(f"{frame.format.name}/{frame.layout.name}/{frame.samples}".encode())
                digest.update(frame.to_ndarray().tobytes())
    except av.error.FFmpegError as error:
        raise TagWriteError(f"{path}: cannot decode the audio to verify it: {error}") from error
    return digest.hexdigest()


NAME_MAX_BYTES = 255
_PID_ROOM = len(".4294967295.tmp")


def _temp_prefix(path: Path) -> str:
    """'.NAME.moss-tagging-' — with NAME cut and made unique by a hash when the whole would pass NAME_MAX
    (a legal 251-byte file name otherwise cannot be tagged at all)."""
    prefix = f".{path.name}{TEMP_MARK}"
    if len(os.fsencode(prefix)) + _PID_ROOM <= NAME_MAX_BYTES:
        return prefix
    tag = hashlib.blake2b(os.fsencode(path.name), digest_size=6).hexdigest()
    room = NAME_MAX_BYTES - _PID_ROOM - len(f".~{tag}{TEMP_MARK}")
    short = os.fsencode(path.name)[:room].decode("utf-8", "ignore") if os.name == "posix" else path.name[:room // 4]
    return f".{short}~{tag}{TEMP_MARK}"


def temp_path_for(path: Path) -> Path:
    return path.with_name(f"{_temp_prefix(path)}{os.getpid()}.tmp")


def remove_stale_temps(path: Path) -> list[Path]:
    """Copies left by a run that was killed (its process is gone) are deleted; live ones are left alone."""
    removed = []
    prefix = _temp_prefix(path)
    for candidate in path.parent.glob(f"{glob_escape(prefix)}*.tmp"):
        pid_text = candidate.name[len(prefix):-len(".tmp")]
        if pid_text.isdigit() and not pid_alive(int(pid_text)):
            with contextlib.suppress(OSError):
                candidate.unlink()
                removed.append(candidate)
    return removed


def glob_escape(name: str) -> str:
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in name)


def backup_path_for(path: Path) -> Path:
    candidate = path.with_name(path.name + ".bak")
    number = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak{number}")
        number += 1
    return candidate


def rewrite_safely(path: str | os.PathLike[str], edit: Callable[[Path], None], check: Callable[[Path], None],
                   *, backup: bool = False) -> Path | None:
    """Run ``edit`` on a copy, ``check`` the copy, verify its audio, then atomically replace the original.

    Returns the backup's path when one was made. Raises TagWriteError (original
    untouched) when the check or the audio verification fails.
    """
    original = Path(path)
    if not original.is_file():
        raise TagWriteError(f"{original}: the file does not exist")
    if not os.access(original, os.W_OK) or not os.access(original.parent, os.W_OK):
        raise TagWriteError(f"{original}: no permission to change the file or its folder")
    remove_stale_temps(original)
    before_stat = original.stat()
    before_audio = audio_digest(original)
    temp = temp_path_for(original)
    made_backup = None
    try:
        shutil.copy2(original, temp)
        edit(temp)
        _fsync(temp)
        check(temp)
        if audio_digest(temp) != before_audio:
            raise TagWriteError(f"{original}: the tagged copy decodes to different audio; nothing was changed")
        after_stat = original.stat()
        if (after_stat.st_size, after_stat.st_mtime_ns) != (before_stat.st_size, before_stat.st_mtime_ns):
            raise TagWriteError(f"{original}: the file changed on disk while it was being tagged; try again")
        if backup:
            made_backup = backup_path_for(original)
            shutil.copy2(original, made_backup)
        os.replace(temp, original)
        _fsync_dir(original.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return made_backup


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
