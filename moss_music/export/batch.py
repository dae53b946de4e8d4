"""Many tracks, many formats: the loops the CLI and the desktop dialog share.

Both take library track ids, never overwrite an existing file unless told to,
carry on past a track that fails (its reason is reported), and can be
cancelled between files.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moss_music.export.base import ExportOptions, IncompleteExport, NothingToExport, TrackInfo
from moss_music.export.registry import get_writer
from moss_music.export.safe_write import TagWriteError
from moss_music.export.tags import TagChange, TagOptions, TagResult, preview_tag_result, write_tags
from moss_music.library.status import unusable_reason

Progress = Callable[[int, int, str], None]
"""(steps done, steps in all, what is being done)."""

_UNSAFE_NAME_CHARS = '<>:"/\\|?*\0'
NAME_MAX_BYTES = 255
"""The longest file name (in UTF-8 bytes) ext4, XFS, Btrfs, APFS and NTFS all accept."""


@dataclass
class ExportItem:
    track_id: int
    format: str
    path: str | None
    status: str
    """'written', 'skipped' (nothing to export), 'exists' (not overwritten) or 'failed'."""
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    """Written, but the user should know (e.g. a PDF without glyphs for some script)."""


@dataclass
class ExportReport:
    items: list[ExportItem] = field(default_factory=list)
    cancelled: bool = False

    def by_status(self, status: str) -> list[ExportItem]:
        return [item for item in self.items if item.status == status]

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing was left unwritten because it existed."""
        return not self.by_status("failed") and not self.by_status("exists")

    def to_json(self) -> dict[str, Any]:
        return {"cancelled": self.cancelled, "items": [dict(item.__dict__) for item in self.items]}


def safe_file_stem(name: str) -> str:
    cleaned = "".join("_" if ch in _UNSAFE_NAME_CHARS or ord(ch) < 32 else ch for ch in name).strip(" .")
    return cleaned or "track"


def output_stems(tracks: Sequence) -> dict[int, str]:
    """File name stem per track: the audio file's, with the track id added when two tracks share one."""
    stems: dict[int, str] = {}
    used: set[str] = set()
    for track in tracks:
        stem = safe_file_stem(Path(track.path).stem)
        if stem in used:
            stem = f"{stem} ({track.id})"
        used.add(stem)
        stems[track.id] = stem
    return stems


def output_name(stem: str, extension: str, limit: int = NAME_MAX_BYTES) -> str:
    """'<stem><extension>' within ``limit`` UTF-8 bytes.

    A stem that does not fit is cut at a character boundary and given a short
    hash of the whole stem, so two long names sharing a beginning stay apart.
    """
    name = stem + extension
    if len(name.encode("utf-8")) <= limit:
        return name
    tag = "~" + hashlib.blake2b(stem.encode("utf-8"), digest_size=4).hexdigest()
    budget = limit - len(extension.encode("utf-8")) - len(tag)
    cut = stem.encode("utf-8")[:max(budget, 1)].decode("utf-8", "ignore").rstrip(" .")
    return f"{cut}{tag}{extension}"


def planned_targets(library, track_ids: Iterable[int], formats: Sequence[str],
                    out_dir: str | os.PathLike[str]) -> list[Path]:
    """Every file an export would write (so a dialog can ask before overwriting any of them)."""
    writers = [get_writer(name) for name in formats]
    tracks = [t for t in (library.get_track(i) for i in track_ids) if t is not None]
    stems = output_stems(tracks)
    return [Path(out_dir) / output_name(stems[t.id], w.extension) for t in tracks for w in writers]


def export_tracks(library, track_ids: Iterable[int], formats: Sequence[str], out_dir: str | os.PathLike[str], *,
                  options: ExportOptions | None = None, force: bool = False, progress: Progress | None = None,
                  should_cancel: Callable[[], bool] | None = None) -> ExportReport:
    """Write every format for every track into ``out_dir`` as '<audio file stem><format extension>'."""
    writers = [get_writer(name) for name in formats]  # unknown names fail before anything is written
    options = options or ExportOptions()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ids = list(track_ids)
    tracks = {track_id: library.get_track(track_id) for track_id in ids}
    stems = output_stems([t for t in tracks.values() if t is not None])
    report = ExportReport()
    total, done = len(ids) * len(writers), 0
    for track_id in ids:
        track = tracks[track_id]
        if track is None:
            report.items += [ExportItem(track_id, w.name, None, "failed", "no such track in the library")
                             for w in writers]
            done += len(writers)
            continue
        try:
            annotations = library.annotations_for(track_id)
            info = TrackInfo.from_track(track)
        except Exception as error:  # noqa: BLE001 - one unreadable analysis must not stop the batch
            report.items += [ExportItem(track_id, w.name, None, "failed", f"cannot read the analysis: {error}")
                             for w in writers]
            done += len(writers)
            continue
        for writer in writers:
            if should_cancel and should_cancel():
                report.cancelled = True
                return report
            target = out / output_name(stems[track_id], writer.extension)
            if progress:
                progress(done, total, f"{writer.name}: {target.name}")
            report.items.append(_export_one(writer, annotations, info, target, options, force, track_id))
            done += 1
    if progress:
        progress(done, total, "done")
    return report


def _export_one(writer, annotations, info, target: Path, options, force: bool, track_id: int) -> ExportItem:
    try:
        if target.exists() and not force:
            return ExportItem(track_id, writer.name, str(target), "exists", "already exists (overwrite with --force)")
        writer.write(annotations, info, target, options)
    except NothingToExport as reason:
        return ExportItem(track_id, writer.name, None, "skipped", str(reason))
    except IncompleteExport as reason:
        return ExportItem(track_id, writer.name, str(target), "failed", str(reason))
    except OSError as error:
        return ExportItem(track_id, writer.name, str(target), "failed", error.strerror or str(error))
    except Exception as error:  # noqa: BLE001 - one bad track must not stop a batch; the reason is reported
        return ExportItem(track_id, writer.name, str(target), "failed", f"{type(error).__name__}: {error}")
    warnings = list(writer.warnings)
    return ExportItem(track_id, writer.name, str(target), "written", "; ".join(warnings), warnings)


# -- tags ------------------------------------------------------------------------------------


@dataclass
class TagOutcome:
    track_id: int
    path: str
    changes: list[TagChange] = field(default_factory=list)
    written: bool = False
    backup: str | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    """Nothing failed, but something was left out (untimed lyrics get no synced tag)."""

    def to_json(self) -> dict[str, Any]:
        return {"track_id": self.track_id, "path": self.path, "written": self.written, "backup": self.backup,
                "error": self.error, "notes": self.notes, "changes": [c.__dict__ for c in self.changes]}


def tag_tracks(library, track_ids: Iterable[int], options: TagOptions | None = None, *, dry_run: bool = False,
               progress: Progress | None = None, should_cancel: Callable[[], bool] | None = None) -> list[TagOutcome]:
    """Preview (dry run) or write tags for each track; the library keeps its analyses for rewritten files."""
    options = options or TagOptions()
    ids = list(track_ids)
    outcomes = []
    for done, track_id in enumerate(ids):
        if should_cancel and should_cancel():
            break
        track = library.get_track(track_id)
        if track is None:
            outcomes.append(TagOutcome(track_id, "", error="no such track in the library"))
            continue
        if progress:
            progress(done, len(ids), track.path)
        outcome = TagOutcome(track_id, track.path)
        outcomes.append(outcome)
        reason = unusable_reason(track, check_file=True)
        if reason:
            outcome.error = f"{reason}: {track.path}"
            continue
        annotations = library.annotations_for(track_id)
        try:
            if dry_run:
                preview = preview_tag_result(track.path, annotations, options)
                outcome.changes, outcome.notes = preview.changes, preview.notes
                continue
            result: TagResult = write_tags(track.path, annotations, options)
        except (TagWriteError, OSError) as error:
            outcome.error = str(error)
            continue
        outcome.changes, outcome.written, outcome.backup = result.changes, result.written, result.backup
        outcome.notes = result.notes
        if result.written:
            library.record_rewrite(track_id)
    if progress:
        progress(len(ids), len(ids), "done")
    return outcomes
