"""Fixtures shared by the DSP tests: the analyzer and a helper that runs it on synthetic audio."""

from __future__ import annotations

import numpy as np
import pytest

from moss_music.analysis.dsp import DspAnalyzer
from moss_music.audio import AudioData
from tests.dsp.synth import SR


@pytest.fixture(scope="session")
def analyzer() -> DspAnalyzer:
    return DspAnalyzer.from_options({})


@pytest.fixture(scope="session")
def run(analyzer):
    def _run(samples: np.ndarray, tasks=DspAnalyzer.tasks, sr: int = SR, **kwargs):
        return analyzer.analyze(AudioData(np.asarray(samples, dtype=np.float32), sr), tasks, **kwargs)

    return _run
