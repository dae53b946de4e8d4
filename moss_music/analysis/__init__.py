"""Analyzers: one interface, several backends (``dsp`` on the CPU, ``moss`` in-process, ``server`` remote).

``registry`` describes the backends; ``pipeline.analyze_track`` is the one way to analyse a library track and store
the result (the CLI, the demo and the worker all call it).
"""

from moss_music.analysis.base import AnalysisCancelled, Analyzer, CancelCheck, ProgressCallback
from moss_music.analysis.registry import (
    BackendOption,
    BackendSpec,
    available_backends,
    backend_options,
    backend_specs,
    backend_unavailable_reason,
    get_analyzer_class,
    get_backend,
    lane_for_backend,
    register_backend,
)

__all__ = [
    "AnalysisCancelled", "Analyzer", "BackendOption", "BackendSpec", "CancelCheck", "ProgressCallback",
    "available_backends", "backend_options", "backend_specs", "backend_unavailable_reason", "get_analyzer_class",
    "get_backend", "lane_for_backend", "register_backend",
]
