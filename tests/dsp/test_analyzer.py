"""The DspAnalyzer contract: tasks, progress, cancel, odd inputs, JAMS output, and staying light."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from moss_music.analysis import AnalysisCancelled, get_analyzer_class
from moss_music.analysis.dsp import DspAnalyzer
from moss_music.annotations.jams_io import load_jams, save_jams
from moss_music.audio import AudioData
from tests.dsp.synth import song


@pytest.fixture(scope="module")
def band():
    audio, truth = song([("G", 4), ("E:min", 4), ("C", 4), ("D", 4)], bpm=104.0,
                        sections=[("A", 8, 0.5), ("B", 8, 1.0)], melody_seed=7)
    return audio, truth


def test_registry_resolves_the_dsp_backend():
    cls = get_analyzer_class("dsp")
    assert cls is DspAnalyzer
    analyzer = cls.from_options({"device": "cuda", "model_dir": "/nowhere"})
    assert analyzer.backend == "dsp" and analyzer.model_id == "dsp" and analyzer.model_revision


def test_every_task_fills_its_layers(run, band):
    result = run(band[0])
    assert result.beats and result.tempo and result.time_signature
    assert result.key and result.key.runner_up
    assert result.chords and result.sections
    assert result.loudness and result.energy and result.energy.values
    assert result.duration == pytest.approx(len(band[0]) / 22050)


def test_only_requested_tasks_are_filled(run, band):
    result = run(band[0], ["key"])
    assert result.key is not None
    assert not result.beats and not result.chords and not result.sections and result.loudness is None


def test_unknown_task_is_refused_with_the_list_of_known_ones(run, band):
    with pytest.raises(ValueError, match="lyrics.*beats"):
        run(band[0], ["lyrics"])


def test_progress_rises_to_one_with_readable_stages(run, band):
    seen: list[tuple[float, str]] = []
    run(band[0], progress=lambda f, s: seen.append((f, s)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert all(stage for _, stage in seen)


def test_cancel_raises_and_returns_nothing(run, band):
    calls = []

    def should_cancel() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(AnalysisCancelled):
        run(band[0], should_cancel=should_cancel)


@pytest.mark.parametrize("seconds", [0.0, 0.01, 0.5, 3.0])
def test_short_and_silent_inputs_give_a_clean_answer(run, seconds):
    result = run(np.zeros(int(seconds * 22050), dtype=np.float32))
    assert result.beats == [] and result.key is None
    assert all(c.label == "N" for c in result.chords)
    assert result.loudness.integrated_lufs == -70.0


def test_half_second_of_music_does_not_fail(run, band):
    result = run(band[0][22050 * 2: 22050 * 2 + 11025])
    assert result.duration == pytest.approx(0.5)
    assert result.chords and result.chords[-1].end == pytest.approx(0.5, abs=1e-3)


def test_result_survives_a_jams_round_trip(run, band, tmp_path):
    result = run(band[0])
    path = tmp_path / "band.jams"
    save_jams(result, path, title="band", source="dsp")
    back = load_jams(path)
    assert [b.position for b in back.beats] == [b.position for b in result.beats]
    assert [c.label for c in back.chords] == [c.label for c in result.chords]
    assert [s.function for s in back.sections] == [s.function for s in result.sections]
    assert (back.key.tonic, back.key.mode) == (result.key.tonic, result.key.mode)


def test_importing_the_dsp_backend_does_not_import_torch():
    code = ("import sys, numpy as np; from moss_music.analysis.dsp import DspAnalyzer; "
            "from moss_music.audio import AudioData; "
            "DspAnalyzer().analyze(AudioData(np.zeros(22050, np.float32), 22050), DspAnalyzer.tasks); "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize("seconds", [0.5, 1.0, 2.0])
def test_short_tones_raise_no_numpy_warnings(analyzer, seconds):
    # the tempo autocorrelation once divided by zero frames at its longest lag on very short files
    t = np.arange(int(seconds * analyzer.sample_rate)) / analyzer.sample_rate
    samples = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        analyzer.analyze(AudioData(samples, analyzer.sample_rate), DspAnalyzer.tasks)
