"""The bundled demo song, synthesised on first use so the repository ships no audio.

The song itself (tempo, key, chords, form) is ``moss_music.demo.BUNDLED_DEMO``,
shared with the `moss-music demo` command; this module only decides where it
lives in the data dir and renders it once.
"""

from __future__ import annotations

from pathlib import Path

from moss_music.demo import BUNDLED_DEMO, write_demo_song
from moss_music.paths import DataDir

DEMO_FILE_NAME = "moss-garden-demo.flac"


def demo_song_path(data_dir: DataDir) -> Path:
    return data_dir.root / "demo" / DEMO_FILE_NAME


def ensure_demo_song(data_dir: DataDir) -> Path:
    """The demo song's path, rendering it first if it is not there yet (about a second of CPU)."""
    path = demo_song_path(data_dir)
    if path.is_file() and path.stat().st_size > 0:
        return path
    return write_demo_song(path, BUNDLED_DEMO)
