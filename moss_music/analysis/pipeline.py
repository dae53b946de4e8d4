"""Analyse one library track and store the result: the path shared by the CLI and the demo.

The stored result is reused when the same backend, model and parameters were
already run on the same audio content, unless ``force``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from moss_music.analysis.base import CancelCheck, ProgressCallback
from moss_music.annotations import TrackAnnotations
from moss_music.audio import load
from moss_music.library import Library, Track
from moss_music.library.store import annotations_of


@dataclass
class TrackResult:
    track: Track
    analysis_id: int
    annotations: TrackAnnotations
    cached: bool
    elapsed_s: float


def analyze_track(library: Library, analyzer: Any, track: Track, tasks: Sequence[str], *,
                  params: dict[str, Any] | None = None, force: bool = False,
                  progress: ProgressCallback | None = None, should_cancel: CancelCheck | None = None) -> TrackResult:
    """Raises AudioError for unusable audio and AnalysisCancelled when cancelled; stores nothing then."""
    params = params or {}
    backend = type(analyzer).backend
    if not force:
        cached = library.find_analysis(track.content_hash or "", backend, analyzer.model_id,
                                       analyzer.model_revision, tasks, params)
        if cached is not None:
            return TrackResult(track, cached.id, annotations_of(cached), True, 0.0)
    audio = load(track.path, getattr(type(analyzer), "sample_rate", None))
    started = time.perf_counter()
    annotations = analyzer.analyze(audio, list(tasks), params=params, progress=progress, should_cancel=should_cancel)
    elapsed = time.perf_counter() - started
    annotations.duration = annotations.duration or audio.duration
    analysis_id = library.save_analysis(track, backend=backend, model_id=analyzer.model_id,
                                        model_revision=analyzer.model_revision, tasks=tasks, params=params,
                                        annotations=annotations, elapsed_s=elapsed)
    return TrackResult(track, analysis_id, annotations, False, elapsed)
