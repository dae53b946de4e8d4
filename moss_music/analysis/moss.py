"""Backend "moss": MOSS-Music / MOSS-Audio in this process, from a local checkpoint folder.

The model is loaded on first use and stays resident (one copy per folder,
dtype, device and quantization); each track is encoded and prefilled once and
all its tasks decode from that shared prefix. Tasks are validated before
anything is loaded. The audio window is chosen from free accelerator memory,
and an out-of-memory steps down (one task at a time, then shorter windows)
until it fits, so the CLI and the worker recover alike.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from moss_music.analysis.base import CancelCheck, ProgressCallback
from moss_music.analysis.tasks.definitions import DEFAULT_TASKS, TASK_NAMES
from moss_music.analysis.tasks.runner import Cancelled, build_requests, run_tasks, validate_tasks
from moss_music.annotations import TrackAnnotations
from moss_music.audio import MODEL_SAMPLE_RATE, AudioData
from moss_music.model.checkpoint import checkpoint_name, folder_revision
from moss_music.model.options import TaskOutput, TaskRequest

MIN_OOM_WINDOW_SECONDS = 60.0
"""Below a minute per window the overlaps cost more than the memory saved."""


class MossAnalyzer:
    backend: ClassVar[str] = "moss"
    sample_rate: ClassVar[int] = MODEL_SAMPLE_RATE
    tasks: ClassVar[tuple[str, ...]] = TASK_NAMES
    default_tasks: ClassVar[tuple[str, ...]] = DEFAULT_TASKS

    def __init__(self, model_dir: str | Path, *, device: str | None = None, dtype: str | None = None,
                 quantization: str | None = None, max_batch: int = 8, seed: int = 0,
                 window_seconds: float = 600.0, overlap_seconds: float = 30.0,
                 prompts_dir: str | None = None, thinking: bool | None = None) -> None:
        self.model_dir = Path(model_dir).expanduser()
        if not (self.model_dir / "config.json").is_file():
            raise ValueError(f"{self.model_dir}: not a model folder (no config.json)")
        self.device, self.dtype, self.quantization = device, dtype, quantization
        self.max_batch, self.seed = max_batch, seed
        self.window_seconds, self.overlap_seconds = window_seconds, overlap_seconds
        self.prompts_dir = prompts_dir
        self.thinking = thinking

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> MossAnalyzer:
        model_dir = options.get("model_dir")
        if not model_dir:
            raise ValueError("the moss backend needs a model folder (option model_dir / --model DIR)")
        known = ("device", "dtype", "quantization", "max_batch", "seed", "window_seconds", "overlap_seconds",
                 "prompts_dir", "thinking")
        return cls(model_dir, **{k: options[k] for k in known if options.get(k) is not None})

    @property
    def model_id(self) -> str:
        return checkpoint_name(self.model_dir)

    @property
    def model_revision(self) -> str:
        return folder_revision(self.model_dir)

    def oom_fallback(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """Lighter settings to retry with after a GPU out-of-memory (the worker calls this once per step down):
        first decode the tasks one at a time (a KV cache per task instead of a batch), then halve the audio
        window (encoder activations and the prefix grow with it). None when nothing lighter is left."""
        if int(params.get("max_batch", self.max_batch)) > 1:
            return {**params, "max_batch": 1}
        window = float(params.get("window_seconds", self.window_seconds))
        if window > MIN_OOM_WINDOW_SECONDS:
            return {**params, "window_seconds": max(window / 2, MIN_OOM_WINDOW_SECONDS)}
        return None

    def validate(self, tasks: Sequence[str], params: dict[str, Any] | None = None) -> None:
        """ValueError for a request that cannot run (unknown task, "ask" without a question): checked before
        the model is loaded, so a mistake costs nothing."""
        unknown = sorted(set(tasks) - set(self.tasks))
        if unknown:
            raise ValueError(f"the moss backend has no task {', '.join(unknown)} (it offers: {', '.join(self.tasks)})")
        validate_tasks(tasks, params, self.prompts_dir)

    def analyze(self, audio: AudioData, tasks: Sequence[str], *, params: dict[str, Any] | None = None,
                progress: ProgressCallback | None = None,
                should_cancel: CancelCheck | None = None) -> TrackAnnotations:
        from moss_music.model.device import free_accelerator_memory, is_out_of_memory
        from moss_music.model.loader import get_resident

        params = dict(params or {})
        self.validate(tasks, params)
        if progress:
            progress(0.0, "loading model")
        loaded = get_resident(self.model_dir, device=self.device, dtype=self.dtype, quantization=self.quantization)
        while True:
            try:
                return self._analyze_loaded(loaded, audio, tasks, params, progress, should_cancel)
            except Exception as error:  # only out-of-memory is handled, the rest re-raised
                lighter = self.oom_fallback(params) if is_out_of_memory(error) else None
                if lighter is None:
                    raise
                free_accelerator_memory(loaded.device)
                params = lighter
                if progress:
                    progress(0.0, "out of memory: retrying with lighter settings")

    def _analyze_loaded(self, loaded: Any, audio: AudioData, tasks: Sequence[str], params: dict[str, Any],
                        progress: ProgressCallback | None, should_cancel: CancelCheck | None) -> TrackAnnotations:
        from moss_music.model.engine import GenerationCancelled, SharedPrefixEngine

        thinking = self.thinking if self.thinking is not None else loaded.info.variant == "thinking"
        engine = SharedPrefixEngine(loaded.model, loaded.processor,
                                    max_batch=int(params.get("max_batch", self.max_batch)),
                                    seed=int(params.get("seed", self.seed)), thinking=thinking)
        cap = generation_token_cap(self.model_dir)
        window = self.window_for_memory(engine, float(params.get("window_seconds", self.window_seconds)),
                                        build_requests(tasks, params, self.prompts_dir, cap))

        def generate(samples: np.ndarray, requests: Sequence[TaskRequest], on_token, cancel) -> list[TaskOutput]:
            try:
                return engine.run(samples, requests, token_callback=on_token, should_cancel=cancel)
            except GenerationCancelled as error:
                raise Cancelled() from error

        return run_tasks(generate, audio, tasks, params=params, progress=progress, should_cancel=should_cancel,
                         window_seconds=window,
                         overlap_seconds=float(params.get("overlap_seconds", self.overlap_seconds)),
                         prompts_dir=self.prompts_dir, max_new_tokens_cap=cap)

    @staticmethod
    def window_for_memory(engine: Any, requested: float, requests: Sequence[TaskRequest]) -> float:
        """The requested window, shortened to what free accelerator memory holds (memory.plan_window_seconds)."""
        from moss_music.model.memory import ModelShape, plan_window_seconds

        free = engine.free_memory()
        if free is None or not requests:
            return requested
        model = engine.model
        shape = ModelShape.from_config(model.config.language_config, model.dtype.itemsize)
        suffix = max(len(engine.suffix_ids(r.question)) for r in requests)
        new_tokens = max(engine.token_limit(r) for r in requests)
        return plan_window_seconds(free, shape, requested, suffix, new_tokens, min(requested, MIN_OOM_WINDOW_SECONDS))


def generation_token_cap(folder: Path) -> int | None:
    """``max_new_tokens`` of the folder's generation_config.json, when the checkpoint sets one."""
    try:
        value = json.loads((folder / "generation_config.json").read_text(encoding="utf-8")).get("max_new_tokens")
    except (OSError, ValueError, AttributeError):
        return None
    return int(value) if isinstance(value, int) and value > 0 else None
