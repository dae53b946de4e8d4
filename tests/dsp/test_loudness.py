"""BS.1770 integrated loudness and the energy lane."""

from __future__ import annotations

import numpy as np
import pytest

from moss_music.analysis.dsp.loudness import LoudnessMeter


def sine(freq: float, amplitude: float, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("rate", [22050, 44100, 48000])
def test_a_minus_20_dbfs_1khz_tone_reads_minus_23_lufs_at_any_rate(rate):
    # BS.1770: a 0 dBFS 1 kHz sine in one channel is -3.01 LKFS
    meter = LoudnessMeter(rate)
    meter.push(sine(1000.0, 0.1, 10.0, rate))
    loud = meter.loudness()
    assert loud.integrated_lufs == pytest.approx(-23.0, abs=0.1)
    assert loud.peak_dbfs == pytest.approx(-20.0, abs=0.05)


def test_block_size_does_not_change_the_result():
    signal = sine(440.0, 0.3, 7.3, 44100) * np.linspace(0.2, 1.0, int(7.3 * 44100), dtype=np.float32)
    whole, pieces = LoudnessMeter(44100), LoudnessMeter(44100)
    whole.push(signal)
    for start in range(0, len(signal), 12345):
        pieces.push(signal[start: start + 12345])
    assert whole.loudness() == pieces.loudness()
    assert whole.energy().values == pytest.approx(pieces.energy().values, abs=1e-6)


def test_silence_reads_as_the_absolute_gate_with_no_peak():
    meter = LoudnessMeter(44100)
    meter.push(np.zeros(44100 * 3, dtype=np.float32))
    assert meter.loudness().integrated_lufs == -70.0
    assert meter.loudness().peak_dbfs is None


def test_gating_ignores_a_long_silent_stretch():
    rate = 44100
    tone = sine(1000.0, 0.1, 5.0, rate)
    with_silence = np.concatenate([tone, np.zeros(rate * 20, dtype=np.float32)])
    a, b = LoudnessMeter(rate), LoudnessMeter(rate)
    a.push(tone)
    b.push(with_silence)
    assert b.loudness().integrated_lufs == pytest.approx(a.loudness().integrated_lufs, abs=0.2)


def test_energy_curve_is_normalised_and_follows_the_level():
    rate = 22050
    quiet, loud = sine(500.0, 0.01, 3.0, rate), sine(500.0, 0.5, 3.0, rate)
    meter = LoudnessMeter(rate)
    meter.push(np.concatenate([quiet, loud]))
    energy = meter.energy()
    values = np.array(energy.values)
    assert energy.hop_seconds == 0.1
    assert len(values) == 60
    assert values.min() >= 0.0 and values.max() <= 1.0
    assert values[5:25].mean() < values[35:55].mean() - 0.5
