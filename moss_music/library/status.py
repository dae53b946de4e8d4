"""Whether a library track's file can be used now, read from ``Track.status`` in one place.

The scanner sets the status ("ok", "missing", "unreadable" with ``error``); the
analysis pipeline, the worker, ``analyze --queue`` and tag writing all ask here
before touching the file, so they agree on what a user is told.
"""

from __future__ import annotations

import os

from moss_music.library.schema import Track


def unusable_reason(track: Track, *, check_file: bool = False) -> str:
    """Why the track's file cannot be used now ('' when it can); ``check_file`` also looks at the disk."""
    if track.status == "missing" or (check_file and track.status == "ok" and not os.path.isfile(track.path)):
        return "the file is missing"
    if track.status != "ok":
        return f"the file is unreadable ({track.error})" if track.error else "the file is unreadable"
    return ""
