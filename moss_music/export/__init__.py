"""How results leave the app: lyrics files, MIDI, DAW region lists, analysis formats, sheets and tags.

Writers render ``TrackAnnotations`` (no library, no Qt); ``batch`` runs them
over library tracks for the CLI and the desktop dialog; ``tags`` writes into
the audio files themselves, safely. Names below load their module on first
use, so `moss-music --help` does not pay for SQLAlchemy, PyAV or JAMS.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ExportOptions": "base", "IncompleteExport": "base", "NothingToExport": "base", "TrackInfo": "base", "Writer": "base",
    "ExportItem": "batch", "ExportReport": "batch", "TagOutcome": "batch", "export_tracks": "batch",
    "tag_tracks": "batch", "planned_targets": "batch",
    "KEY_NOTATIONS": "moss_music.annotations.keys",
    "import_lyrics": "lyrics", "lyrics_from_tags": "lyrics", "parse_lrc": "lyrics", "read_lyrics_file": "lyrics",
    "FORMATS": "registry", "WRITERS": "registry", "get_writer": "registry",
    "TagWriteError": "safe_write",
    "DESCRIPTOR_FIELDS": "tags", "ID3_VERSIONS": "tags", "TagChange": "tags", "TagOptions": "tags", "preview_tags": "tags",
    "write_tags": "tags",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'moss_music.export' has no attribute {name!r}")
    module = _EXPORTS[name]
    value = getattr(importlib.import_module(module if "." in module else f"moss_music.export.{module}"), name)
    globals()[name] = value
    return value
