"""Analyzers: one interface, several backends (``dsp`` on the CPU, ``moss`` in-process, ``server`` remote)."""

from moss_music.analysis.base import (
    AnalysisCancelled,
    Analyzer,
    CancelCheck,
    ProgressCallback,
    available_backends,
    get_analyzer_class,
    register_backend,
)

__all__ = [
    "AnalysisCancelled", "Analyzer", "CancelCheck", "ProgressCallback", "available_backends",
    "get_analyzer_class", "register_backend",
]
