"""Backend "moss" end to end on the tiny checkpoint: every task, raw text kept, cancel, resident model."""

from __future__ import annotations

import pytest

from moss_music.analysis import AnalysisCancelled, get_analyzer_class
from moss_music.audio import AudioData
from moss_music.model.loader import get_resident
from tests.model.conftest import noise

ALL = ["caption", "lyrics", "chords", "structure", "key", "instruments", "ask"]


@pytest.fixture(scope="module")
def analyzer(tiny_dir, tiny):
    return get_analyzer_class("moss").from_options({"model_dir": str(tiny_dir), "device": "cpu", "dtype": "float32"})


def test_every_task_leaves_raw_text_and_parsed_or_flagged_layers(analyzer):
    progress = []
    result = analyzer.analyze(AudioData(noise(5.0), 16000, "x.wav"), ALL,
                              params={"question": "Which instrument?", "max_new_tokens": 8, "seed": 1},
                              progress=lambda fraction, stage: progress.append((fraction, stage)))
    assert set(result.raw) == set(ALL)
    assert result.duration == 5.0
    assert result.answers[0].question == "Which instrument?"
    parsed = {"caption": result.caption is not None, "lyrics": bool(result.lyrics), "chords": bool(result.chords),
              "structure": bool(result.sections), "key": result.key is not None or result.tempo is not None,
              "instruments": bool(result.instruments), "ask": bool(result.answers[0].answer)}
    assert all(parsed[task] != (task in result.unparsed) for task in ALL if task != "lyrics")
    assert progress[0] == (0.0, "loading model") and progress[-1] == (1.0, "done")


def test_model_is_resident_and_identified(analyzer, tiny_dir, tiny):
    assert get_resident(tiny_dir, device="cpu", dtype="float32") is tiny
    assert analyzer.model_id == "MOSS-Music-tiny-Instruct"
    assert len(analyzer.model_revision) == 16


def test_cancel_during_generation_raises_analysis_cancelled(analyzer):
    polls = []
    with pytest.raises(AnalysisCancelled):
        analyzer.analyze(AudioData(noise(2.0), 16000), ["caption"], params={"max_new_tokens": 50},
                         should_cancel=lambda: polls.append(1) or len(polls) > 3)


def test_other_sample_rates_are_resampled(analyzer):
    result = analyzer.analyze(AudioData(noise(2.0)[::2].copy(), 8000), ["key"], params={"max_new_tokens": 4})
    assert result.duration == pytest.approx(2.0, abs=0.01)


def test_missing_model_dir_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="model folder"):
        get_analyzer_class("moss").from_options({})
    with pytest.raises(ValueError, match="no config.json"):
        get_analyzer_class("moss").from_options({"model_dir": str(tmp_path)})


def test_generation_config_caps_every_task(analyzer):
    result = analyzer.analyze(AudioData(noise(1.0), 16000), ["lyrics"], params={"temperature": 1.0})
    assert len(result.raw["lyrics"]) < 16 * 20  # 16 tokens at most, whatever they decode to


def test_out_of_memory_fallback_steps_down_to_one_task_then_shorter_windows(analyzer):
    params = {"question": "why?"}
    steps = []
    while (params := analyzer.oom_fallback(params)) is not None:
        steps.append((params["max_batch"] if "max_batch" in params else None, params.get("window_seconds")))
    assert steps[0] == (1, None)
    windows = [window for _, window in steps[1:]]
    assert windows == sorted(windows, reverse=True) and windows[-1] == 60.0
    assert len(steps) < 10


def test_the_lighter_settings_still_analyze(analyzer):
    result = analyzer.analyze(AudioData(noise(3.0), 16_000), ["key"],
                              params=analyzer.oom_fallback(analyzer.oom_fallback({})))
    assert "key" in result.raw


@pytest.mark.slow
def test_out_of_memory_in_analyze_steps_down_until_it_fits(analyzer, monkeypatch):
    """The CLI path recovers by itself: a (fake, no GPU here) OOM on windows over a minute ends with 60 s windows."""
    import torch

    from moss_music.model.engine import SharedPrefixEngine

    real = SharedPrefixEngine.build_prefix
    seen: list[tuple[int, float]] = []

    def build_prefix(self, waveform):
        seen.append((self.max_batch, len(waveform) / 16000))
        if len(waveform) > 61 * 16000:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.15 GiB")
        return real(self, waveform)

    monkeypatch.setattr(SharedPrefixEngine, "build_prefix", build_prefix)
    result = analyzer.analyze(AudioData(noise(130.0), 16000), ["key"],
                              params={"max_new_tokens": 2, "window_seconds": 120.0})
    assert seen[0] == (8, 120.0) and seen[1] == (1, 120.0)
    assert all(seconds <= 60.0 for _, seconds in seen[2:]) and len(seen) >= 5
    assert "[window" in result.raw["key"]


def test_default_tasks_need_no_question_and_bad_requests_fail_before_loading(tiny_dir, monkeypatch):
    from moss_music.analysis.moss import MossAnalyzer
    from moss_music.model import loader

    assert "ask" not in MossAnalyzer.default_tasks and set(MossAnalyzer.default_tasks) < set(MossAnalyzer.tasks)
    monkeypatch.setattr(loader, "get_resident", lambda *a, **k: pytest.fail("loaded before validating"))
    analyzer = MossAnalyzer(tiny_dir, device="cpu")
    with pytest.raises(ValueError, match="needs a question"):
        analyzer.analyze(AudioData(noise(1.0), 16000), ["key", "ask"])
    with pytest.raises(ValueError, match="no task beats"):
        analyzer.analyze(AudioData(noise(1.0), 16000), ["beats"])


def test_window_comes_from_free_memory(analyzer, monkeypatch):
    """A device reporting little free memory (faked: no GPU here) gets shorter windows, without any OOM."""
    from moss_music.model.engine import SharedPrefixEngine
    from moss_music.model.memory import ModelShape, batch_bytes, prefill_bytes, prefix_tokens

    windows: list[float] = []
    real = SharedPrefixEngine.build_prefix

    def build_prefix(self, waveform):
        windows.append(len(waveform) / 16000)
        return real(self, waveform)

    loaded = get_resident(analyzer.model_dir, device="cpu", dtype="float32")
    shape = ModelShape.from_config(loaded.model.config.language_config, 4)
    need_70s = prefill_bytes(shape, prefix_tokens(70.0), 2048) + batch_bytes(shape, 1, prefix_tokens(70.0), 200, 2)
    monkeypatch.setattr(SharedPrefixEngine, "_device_free_memory", lambda self: int(need_70s / 0.9))
    monkeypatch.setattr(SharedPrefixEngine, "build_prefix", build_prefix)
    result = analyzer.analyze(AudioData(noise(130.0), 16000), ["key"],
                              params={"max_new_tokens": 2, "window_seconds": 120.0})
    assert windows and max(windows) <= 70.0 and len(windows) >= 2
    assert "[window" in result.raw["key"]
