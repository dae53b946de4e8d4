"""Analyse one library track and store the result: the one path the CLI, the demo and the worker's jobs take.

Check the track, reuse a stored result with the same cache key (content hash,
backend, model, revision, tasks, parameters) unless ``force``, decode once at
the backend's rate, analyse (stepping down to lighter settings after a GPU
out-of-memory), fill in the duration and store everything in one transaction.
Front ends differ only in the hooks they pass: the CLI prints progress, the
worker writes it to the job row and checks the job's cancel flag.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from moss_music.analysis.base import AnalysisCancelled, CancelCheck, ProgressCallback
from moss_music.annotations import TrackAnnotations
from moss_music.audio import load
from moss_music.library import Library, Track
from moss_music.library.status import unusable_reason
from moss_music.library.store import annotations_of

log = logging.getLogger(__name__)

MAX_OOM_STEPS = 4
"""Lighter settings tried after a GPU out-of-memory before the track fails (each halves what it can)."""
GPU_OOM_ADVICE = ("the GPU ran out of memory on this track; close other programs using the GPU, choose a lower "
                  "precision or 4/8-bit quantization in Settings, or run it on the CPU")


class TrackNotAnalysable(Exception):
    """The library knows the track but its file cannot be analysed (missing, unreadable, never read)."""


class GpuOutOfMemory(Exception):
    """Out of GPU memory even with the lightest settings the backend offers; the message says what to do."""


@dataclass
class TrackResult:
    track: Track
    analysis_id: int
    annotations: TrackAnnotations
    cached: bool
    elapsed_s: float
    note: str = ""
    """How the result came about when that is worth telling (' (lighter settings after GPU out of memory)')."""


def check_analysable(track: Track) -> None:
    """Raise TrackNotAnalysable with a sentence naming the file, unless the track can be analysed."""
    reason = unusable_reason(track) or ("" if track.content_hash else "the file has not been read yet (scan it)")
    if reason:
        raise TrackNotAnalysable(f"cannot analyse {track.path}: {reason}")


def analyze_track(library: Library, analyzer: Any, track: Track, tasks: Sequence[str] | None = None, *,
                  params: dict[str, Any] | None = None, force: bool = False,
                  progress: ProgressCallback | None = None, should_cancel: CancelCheck | None = None,
                  cancel_before_save: CancelCheck | None = None) -> TrackResult:
    """Analyse ``track`` with ``analyzer`` (its default tasks when ``tasks`` is empty) and store the result.

    ``should_cancel`` is asked between steps and often inside the analyzer (keep it cheap);
    ``cancel_before_save`` is asked once before storing and may be slow (the worker reads the job row),
    so a cancel that came in during the last second still stores nothing.
    Raises TrackNotAnalysable, AudioError (unusable audio), AnalysisCancelled, GpuOutOfMemory, TrackNotFound
    (the track was removed meanwhile); nothing is stored then.
    """
    check_analysable(track)
    params = dict(params or {})
    tasks = list(tasks or getattr(type(analyzer), "default_tasks", type(analyzer).tasks))
    backend = type(analyzer).backend
    if not force:
        cached = library.find_analysis(track.content_hash, backend, analyzer.model_id, analyzer.model_revision,
                                       tasks, params)
        if cached is not None:
            return TrackResult(track, cached.id, annotations_of(cached), True, 0.0, " (stored result)")
    if progress:
        progress(0.0, "decoding audio")
    audio = load(track.path, getattr(type(analyzer), "sample_rate", None))
    if should_cancel and should_cancel():
        raise AnalysisCancelled()
    started = time.perf_counter()
    annotations, note = _analyze_stepping_down(analyzer, audio, tasks, params, progress, should_cancel)
    elapsed = time.perf_counter() - started
    if (cancel_before_save or should_cancel or _never)():
        raise AnalysisCancelled()
    annotations.duration = annotations.duration or audio.duration
    analysis_id = library.save_analysis(track.id, backend=backend, model_id=analyzer.model_id,
                                        model_revision=analyzer.model_revision, tasks=tasks, params=params,
                                        annotations=annotations, elapsed_s=elapsed)
    return TrackResult(track, analysis_id, annotations, False, elapsed, note)


def _never() -> bool:
    return False


def _analyze_stepping_down(analyzer: Any, audio, tasks: list[str], params: dict[str, Any],
                           progress: ProgressCallback | None,
                           should_cancel: CancelCheck | None) -> tuple[TrackAnnotations, str]:
    """Run the analyzer; after a GPU out-of-memory retry with what the backend offers as lighter settings
    (``oom_fallback(params) -> params | None``: one task at a time, a shorter audio window), step by step."""
    fallback = getattr(analyzer, "oom_fallback", None)
    attempt, note = params, ""
    for _ in range(MAX_OOM_STEPS + 1):
        try:
            result = analyzer.analyze(audio, tasks, params=attempt, progress=progress, should_cancel=should_cancel)
            return result, note
        except Exception as error:
            if not is_gpu_oom(error):
                raise
            free_gpu_memory()
            lighter = fallback(dict(attempt)) if fallback is not None else None
            if lighter is None or lighter == attempt:
                raise GpuOutOfMemory(GPU_OOM_ADVICE) from error
            log.warning("GPU out of memory; retrying with %s", lighter)
            if progress:
                progress(0.0, "retrying with lighter settings after GPU out of memory")
            attempt, note = lighter, " (lighter settings after GPU out of memory)"
    raise GpuOutOfMemory(GPU_OOM_ADVICE)


def is_gpu_oom(error: BaseException) -> bool:
    """torch's out-of-memory error (looked up only if torch is already imported: the DSP path never imports it)."""
    torch = sys.modules.get("torch")
    oom_type = getattr(torch, "OutOfMemoryError", None) or getattr(getattr(torch, "cuda", None), "OutOfMemoryError",
                                                                  None)
    if oom_type is not None and isinstance(error, oom_type):
        return True
    return isinstance(error, RuntimeError) and "CUDA out of memory" in str(error)


def free_gpu_memory() -> None:
    """Drop cached blocks so the next attempt starts from a clean allocator (the model itself stays loaded)."""
    torch = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:  # only housekeeping
        log.warning("could not empty the CUDA cache", exc_info=True)
