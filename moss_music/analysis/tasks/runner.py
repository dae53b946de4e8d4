"""The flow both model backends share: tasks -> prompts -> windows -> generate -> parse -> merge.

A backend only supplies ``generate(samples, requests, on_token, should_cancel)``;
the in-process engine and the HTTP client plug into the same runner, so the
two backends give the same annotations for the same model text.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from moss_music.analysis.base import AnalysisCancelled, CancelCheck, ProgressCallback
from moss_music.analysis.tasks.apply import apply_output
from moss_music.analysis.tasks.definitions import get_task
from moss_music.analysis.tasks.prompts import load_prompt
from moss_music.analysis.tasks.windows import Window, merge_windows, plan_windows, shift
from moss_music.annotations import TrackAnnotations
from moss_music.audio import MODEL_SAMPLE_RATE, AudioData, AudioError
from moss_music.model.options import SamplingOptions, TaskOutput, TaskRequest

SAMPLING_PARAM_KEYS = ("temperature", "top_p", "top_k", "do_sample", "repetition_penalty", "max_new_tokens",
                       "thinking_budget")


class Cancelled(Exception):
    """Raised by a backend's generate() when should_cancel() fired mid-generation."""


class GenerateFn(Protocol):
    def __call__(self, samples: np.ndarray, requests: Sequence[TaskRequest],
                 on_token: Callable[[str, int, int], None], should_cancel: CancelCheck) -> list[TaskOutput]: ...


def build_requests(tasks: Sequence[str], params: dict[str, Any] | None,
                   prompts_dir: str | os.PathLike[str] | None = None,
                   max_new_tokens_cap: int | None = None) -> list[TaskRequest]:
    """One request per task. params: global sampling keys, ``seed``, ``question``, and per-task dicts
    under ``params["task_options"][task]`` (e.g. {"lyrics": {"max_new_tokens": 4096}}).
    ``max_new_tokens_cap`` (a checkpoint's generation_config max_new_tokens) bounds every task."""
    params = params or {}
    base = SamplingOptions().merged({k: params.get(k) for k in SAMPLING_PARAM_KEYS})
    per_task = params.get("task_options") or {}
    requests = []
    for name in dict.fromkeys(tasks):
        spec = get_task(name)
        options = base.merged({"max_new_tokens": params.get("max_new_tokens") or spec.max_new_tokens,
                               "thinking_budget": params.get("thinking_budget") or spec.thinking_budget})
        options = options.merged(spec.sampling).merged(per_task.get(name))
        if max_new_tokens_cap:
            options = options.merged({"max_new_tokens": min(options.max_new_tokens, int(max_new_tokens_cap))})
        requests.append(TaskRequest(name, load_prompt(name, params, prompts_dir), options))
    return requests


def validate_tasks(tasks: Sequence[str], params: dict[str, Any] | None,
                   prompts_dir: str | os.PathLike[str] | None = None) -> None:
    """Raise ValueError now for what would fail later (unknown task, "ask" without a question, missing
    prompt file): backends call this before loading a model, so a bad request costs nothing."""
    if not tasks:
        raise ValueError("no tasks to run")
    try:
        build_requests(tasks, params, prompts_dir)
    except FileNotFoundError as error:
        raise ValueError(str(error)) from error


def to_model_rate(audio: AudioData) -> np.ndarray:
    samples = np.asarray(audio.samples, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=0 if samples.shape[0] < samples.shape[1] else 1)
    if audio.sample_rate != MODEL_SAMPLE_RATE:
        import soxr

        samples = soxr.resample(samples, audio.sample_rate, MODEL_SAMPLE_RATE, quality="HQ").astype(np.float32)
    return samples


def run_tasks(generate: GenerateFn, audio: AudioData, tasks: Sequence[str], *, params: dict[str, Any] | None = None,
              progress: ProgressCallback | None = None, should_cancel: CancelCheck | None = None,
              window_seconds: float = 600.0, overlap_seconds: float = 30.0,
              prompts_dir: str | os.PathLike[str] | None = None,
              max_new_tokens_cap: int | None = None) -> TrackAnnotations:
    requests = build_requests(tasks, params, prompts_dir, max_new_tokens_cap)
    samples = to_model_rate(audio)
    duration = len(samples) / MODEL_SAMPLE_RATE
    if duration < 0.02:
        # An AudioError, like every other property of the file that rules it out: reported per file, not a crash.
        raise AudioError(audio.path or "audio", "empty",
                         f"too short for the model ({duration:.3f} s; it needs at least 0.02 s)")
    cancel = should_cancel or (lambda: False)
    report = progress or (lambda fraction, stage: None)
    windows = plan_windows(duration, window_seconds, overlap_seconds)
    parts: list[tuple[Window, TrackAnnotations]] = []
    for index, window in enumerate(windows):
        if cancel():
            raise AnalysisCancelled()
        label = f"window {index + 1}/{len(windows)}: " if len(windows) > 1 else ""
        report(index / len(windows), f"{label}encoding audio")
        counts = {r.name: 0 for r in requests}

        def on_token(task: str, generated: int, budget: int, index: int = index, label: str = label,
                     counts: dict[str, int] = counts) -> None:
            counts[task] = generated
            done = sum(min(1.0, counts[r.name] / max(1, r.options.max_new_tokens)) for r in requests) / len(requests)
            report((index + 0.05 + 0.95 * done) / len(windows),
                   f"{label}generating {', '.join(counts)} ({sum(counts.values())} tokens)")

        piece = samples[int(window.start * MODEL_SAMPLE_RATE): int(window.end * MODEL_SAMPLE_RATE)]
        try:
            outputs = generate(piece, requests, on_token, cancel)
        except Cancelled as error:
            raise AnalysisCancelled() from error
        part = TrackAnnotations(duration=window.end - window.start)
        for request, output in zip(requests, outputs):
            apply_output(part, request.name, output.answer, output.reasoning, output.raw_text,
                         window.end - window.start, params)
        shift(part, window.start)
        parts.append((window, part))
    report(1.0, "done")
    return merge_windows(parts, duration)
