"""The one interface every export format implements, and the options they share.

Each format is a tiny ``Writer`` subclass (as whisper's output writers are):
``render`` turns annotations into the file's text or bytes and knows nothing
about the library or the disk; ``write`` puts that on disk atomically so a
crash never leaves half a file where a good one was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from moss_music.annotations import LyricLine, TrackAnnotations
from moss_music.annotations.lyric_sync import timed_in_order, untimed_count

APP_CREDIT = "MOSS-Music Studio"
UNTIMED_LYRICS = "lyrics are not timed yet — sync them in the track view's Lyrics tab (tap-to-sync)"
"""Why a timed lyrics format skips a track whose lyric lines have no times (plain text, unsynced tags)."""


class NothingToExport(Exception):
    """The track lacks the layers a format needs (e.g. LRC without lyrics): skipped, not failed."""


class IncompleteExport(Exception):
    """The file would lack what its format promises (a Reaper project without its audio): failed, not written."""


@dataclass(frozen=True)
class TrackInfo:
    """What exporters need from the library row besides the annotations."""

    title: str = ""
    artist: str = ""
    album: str = ""
    duration: float | None = None
    path: str = ""
    """The audio file (cue sheets and Reaper projects point at it)."""
    output_path: str = ""
    """Where the export is being written ('' when only rendered): cue sheets name the audio relative to it."""

    @classmethod
    def from_track(cls, track) -> TrackInfo:
        """From a ``moss_music.library.schema.Track`` row."""
        return cls(title=track.title or Path(track.path).stem, artist=track.artist or "", album=track.album or "",
                   duration=track.duration, path=track.path)


@dataclass(frozen=True)
class ExportOptions:
    """Choices a user makes once for a batch; every writer reads only the ones it cares about."""

    lrc_offset_ms: int = 0
    """Added to every lyric time stamp (negative: lyrics show earlier), for players that lag."""
    lrc_milliseconds: bool = False
    """Write [mm:ss.xxx] instead of the standard [mm:ss.xx] (many players read both)."""
    midi_block_chords: bool = True
    """Play the chords as notes on the chord track, not only name them."""
    chord_markers: bool = False
    """Also put a marker at every chord change (MIDI and Reaper project; DAWs that hide text events)."""
    midi_lyrics_per_word: bool = True
    """One lyric event per word when word times are known (karaoke), else per line."""
    midi_lyric_marks: bool = False
    """Karaoke marks in .mid lyric events ('/' new line, '\\' new paragraph); .kar files always have them.
    Off by default: MuseScore and TiMidity print them as text in a .mid."""
    midi_lyric_notes: bool = True
    """A quiet guide note under every lyric event, so notation programs (MuseScore) show all the words."""
    midi_text_encoding: str = "utf-8"
    """Text events in .mid files: 'utf-8' (MuseScore, DAWs) or 'latin-1' (the SMF default mido and
    pretty_midi decode with). .kar files are always Latin-1 when the text fits (karaoke players)."""
    transpose: int = 0
    """Semitones added to every chord name and the key in sheets."""
    prefer_flats: bool | None = None
    """None keeps the spelling of the source; True/False forces flats/sharps."""
    bars_per_line: int = 4
    """Lead sheets and ChordPro chord grids: bars on one printed line."""


class Writer:
    """One export format: a name, a file extension, the layers it needs and how to render them.

    ``render`` may call ``warn`` for something the user should know although the
    file is usable (a PDF missing glyphs for some script); ``write`` returns the
    warnings with the path so batch reports can show them.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    """What the format is for, in a few words, for menus ('Synced lyrics (LRC)')."""
    group: ClassVar[str] = ""
    """Who reads it, to group formats in menus: 'Lyrics', 'Music software', 'Sheets', 'Analysis data'."""
    extension: ClassVar[str] = ""
    """Appended to the audio file's stem: 'song' + '.lrc'."""
    description: ClassVar[str] = ""
    needs: ClassVar[tuple[str, ...]] = ()
    """Layers of which at least one must be present; empty = always writable."""
    binary: ClassVar[bool] = False
    timed_lyrics_only: ClassVar[bool] = False
    """The format stamps lyrics with times (LRC, subtitles, MIDI): untimed lines are never given made-up
    ones — they are left out, and lyrics with no timed line at all do not count as present."""
    warnings: list[str]

    def __init__(self) -> None:
        self.warnings = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def check(self, annotations: TrackAnnotations) -> None:
        """NothingToExport with a reason a user can act on, when no layer the format needs is there."""
        present = set(annotations.present_layers())
        untimed_only = (self.timed_lyrics_only and "lyrics" in present
                        and not timed_in_order(annotations.lyrics))
        if untimed_only:
            present.discard("lyrics")
        if not self.needs or set(self.needs) & present:
            return
        if untimed_only:
            raise NothingToExport(UNTIMED_LYRICS)
        if not present - {"raw"}:
            raise NothingToExport("the track has not been analysed yet (analyse it first)")
        wanted = " or ".join(self.needs)
        hint = " (add them with `moss-music lyrics import TRACK FILE`)" if "lyrics" in self.needs else ""
        raise NothingToExport(f"the analysis has no {wanted}{hint}")

    def timed_lyrics(self, annotations: TrackAnnotations) -> list[LyricLine]:
        """The lyric lines that have times, in order; untimed ones are left out with a warning."""
        left_out = untimed_count(annotations.lyrics)
        if left_out:
            self.warn(f"{left_out} lyric line(s) left out: {UNTIMED_LYRICS}")
        return timed_in_order(annotations.lyrics)

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> str | bytes:
        raise NotImplementedError

    def write(self, annotations: TrackAnnotations, info: TrackInfo, path: str | os.PathLike[str],
              options: ExportOptions | None = None) -> Path:
        """Render and write atomically; raises NothingToExport when there is nothing to say.

        Warnings from the render are left in ``self.warnings``.
        """
        self.warnings = []
        self.check(annotations)
        if not info.output_path:
            info = replace(info, output_path=os.fspath(path))
        data = self.render(annotations, info, options or ExportOptions())
        payload = data if isinstance(data, bytes) else data.encode("utf-8")
        return atomic_write_bytes(path, payload)


_UMASK_LOCK = threading.Lock()


def _current_umask() -> int:
    """The process umask (read by setting and restoring it: the only portable way)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike[str], payload: bytes) -> Path:
    """Write next to the target and rename over it, so readers see the old file or the new one, never half."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A short temp name: the target's own may already be as long as the file system allows.
    handle, temp_name = tempfile.mkstemp(prefix=".moss-export-", suffix=".part", dir=target.parent)
    try:
        if os.name == "posix":  # mkstemp makes 0600; an export is an ordinary file, as the umask says
            os.fchmod(handle, 0o666 & ~_current_umask())
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    return target

