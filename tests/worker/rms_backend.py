"""A small real CPU analyzer for queue tests: RMS loudness and an energy curve, step by step.

Each step takes ``params['step_s']`` seconds (default 0), so a test can keep a job
running long enough to cancel it or kill its worker. ``params['oom']`` raises the
CUDA out-of-memory error torch raises (the class exists without a GPU).
It lives under tests/ because consumers import it by name in their own process
(``$MOSS_MUSIC_BACKENDS``).
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np

from moss_music.analysis import AnalysisCancelled
from moss_music.annotations import EnergyCurve, Loudness, TrackAnnotations

BACKEND_NAME = "test-rms"
TARGET = "tests.worker.rms_backend:RmsAnalyzer"
ENV_VALUE = f"{BACKEND_NAME}={TARGET}"


class RmsAnalyzer:
    backend: ClassVar[str] = BACKEND_NAME
    tasks: ClassVar[tuple[str, ...]] = ("loudness", "energy")
    sample_rate: ClassVar[int] = 22_050
    instances: ClassVar[int] = 0

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        type(self).instances += 1

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> RmsAnalyzer:
        if options.get("broken"):
            raise ValueError("no model folder configured")
        return cls(options)

    @property
    def model_id(self) -> str:
        return "rms-test"

    @property
    def model_revision(self) -> str:
        return "1"

    def analyze(self, audio, tasks, *, params=None, progress=None, should_cancel=None) -> TrackAnnotations:
        params = params or {}
        if params.get("oom") and not params.get("window_s"):
            import torch

            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        steps = int(params.get("steps", 4))
        blocks = np.array_split(audio.samples.astype(np.float64), steps)
        values = []
        for index, block in enumerate(blocks):
            if should_cancel and should_cancel():
                raise AnalysisCancelled()
            time.sleep(float(params.get("step_s", 0.0)))
            values.append(float(np.sqrt(np.mean(block ** 2))) if len(block) else 0.0)
            if progress:
                progress((index + 1) / steps, f"measuring loudness {index + 1}/{steps}")
        rms = float(np.sqrt(np.mean(audio.samples.astype(np.float64) ** 2))) if len(audio.samples) else 0.0
        result = TrackAnnotations(duration=audio.duration)
        if "loudness" in tasks:
            result.loudness = Loudness(integrated_lufs=20 * np.log10(max(rms, 1e-9)) - 0.691,
                                       peak_dbfs=20 * np.log10(max(float(np.max(np.abs(audio.samples))), 1e-9)))
        if "energy" in tasks:
            peak = max(values) or 1.0
            result.energy = EnergyCurve(hop_seconds=audio.duration / steps, values=[v / peak for v in values])
        return result

    def oom_fallback(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """A lighter setting after GPU out-of-memory, when the job allows it."""
        if params.get("allow_fallback"):
            return {**params, "window_s": 30}
        return None
