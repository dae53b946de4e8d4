"""The one error audio decoding raises, so callers can report bad files without guessing."""

from __future__ import annotations

import os


class AudioError(Exception):
    """A file that cannot be used as audio, with the path and a reason a user can act on.

    ``kind`` is one of: 'missing', 'unreadable', 'empty', 'unsupported', 'corrupt', 'truncated'.
    """

    def __init__(self, path: str | os.PathLike[str], kind: str, reason: str) -> None:
        self.path = os.fspath(path)
        self.kind = kind
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
