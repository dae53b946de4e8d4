"""The ``dsp`` backend: fast CPU analysis in numpy, scipy.fft and soxr (no torch, no numba JIT to wait for)."""

from moss_music.analysis.dsp.analyzer import ALGORITHM_VERSION, DspAnalyzer

__all__ = ["ALGORITHM_VERSION", "DspAnalyzer"]
