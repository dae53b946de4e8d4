"""The demo library's songs read as written: the first thing a new user sees (issue 12 named two of them)."""

from __future__ import annotations

import numpy as np
import pytest

from moss_music import demo
from moss_music.analysis.dsp import DspAnalyzer
from moss_music.audio import AudioData


@pytest.mark.parametrize("song", demo.DEMO_SONGS, ids=lambda s: s.title)
def test_demo_song_reads_its_tempo_metre_and_key(song):
    samples = demo.synthesise_song(song)
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    result = DspAnalyzer().analyze(AudioData(np.asarray(mono, dtype=np.float32), demo.SAMPLE_RATE),
                                   ["beats", "key", "sections"])
    assert result.tempo.bpm == pytest.approx(song.bpm, rel=0.04)
    assert result.time_signature.numerator == song.beats_per_bar
    tonic, mode = song.key.split()
    assert (result.key.tonic, result.key.mode) == (tonic, mode)
    assert all(len(s.label) > 1 for s in result.sections)
