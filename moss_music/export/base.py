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
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from moss_music.annotations import TrackAnnotations

APP_CREDIT = "MOSS-Music Studio"


class NothingToExport(Exception):
    """The track lacks the layers a format needs (e.g. LRC without lyrics): skipped, not failed."""


@dataclass(frozen=True)
class TrackInfo:
    """What exporters need from the library row besides the annotations."""

    title: str = ""
    artist: str = ""
    album: str = ""
    duration: float | None = None
    path: str = ""
    """The audio file (cue sheets and Reaper projects point at it)."""

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
    transpose: int = 0
    """Semitones added to every chord name and the key in sheets."""
    prefer_flats: bool | None = None
    """None keeps the spelling of the source; True/False forces flats/sharps."""
    bars_per_line: int = 4
    """Lead sheets and ChordPro chord grids: bars on one printed line."""


class Writer:
    """One export format: a name, a file extension, the layers it needs and how to render them."""

    name: ClassVar[str] = ""
    extension: ClassVar[str] = ""
    """Appended to the audio file's stem: 'song' + '.lrc'."""
    description: ClassVar[str] = ""
    needs: ClassVar[tuple[str, ...]] = ()
    """Layers of which at least one must be present; empty = always writable."""
    binary: ClassVar[bool] = False

    def check(self, annotations: TrackAnnotations) -> None:
        if self.needs and not set(self.needs) & set(annotations.present_layers()):
            raise NothingToExport(f"{self.name}: the track has no {' or '.join(self.needs)} yet (analyse it first)")

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> str | bytes:
        raise NotImplementedError

    def write(self, annotations: TrackAnnotations, info: TrackInfo, path: str | os.PathLike[str],
              options: ExportOptions | None = None) -> Path:
        """Render and write atomically; raises NothingToExport when there is nothing to say."""
        self.check(annotations)
        data = self.render(annotations, info, options or ExportOptions())
        payload = data if isinstance(data, bytes) else data.encode("utf-8")
        return atomic_write_bytes(path, payload)


def atomic_write_bytes(path: str | os.PathLike[str], payload: bytes) -> Path:
    """Write next to the target and rename over it, so readers see the old file or the new one, never half."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
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

