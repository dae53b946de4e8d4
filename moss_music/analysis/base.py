"""The contract every analysis backend keeps, so the worker and CLI treat them alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Protocol

from moss_music.annotations import TrackAnnotations
from moss_music.audio import AudioData

ProgressCallback = Callable[[float, str], None]
"""(fraction 0..1, stage text a user can read)."""
CancelCheck = Callable[[], bool]
"""Returns True when the user asked to stop; analyzers check it between steps and per generated token."""


class AnalysisCancelled(Exception):
    """Raised by an analyzer that noticed a cancel request; the job then stores nothing."""


class Analyzer(Protocol):
    backend: ClassVar[str]
    tasks: ClassVar[tuple[str, ...]]
    """Task names this backend understands (e.g. 'beats', 'chords', 'caption', 'lyrics'); a backend may also
    name ``default_tasks``, run when a job names none (``tasks`` otherwise)."""
    sample_rate: ClassVar[int | None]
    """The rate to decode to before ``analyze`` (None: the file's own rate)."""

    @property
    def model_id(self) -> str: ...

    @property
    def model_revision(self) -> str: ...

    def analyze(
        self,
        audio: AudioData,
        tasks: Sequence[str],
        *,
        params: dict[str, Any] | None = None,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> TrackAnnotations: ...
