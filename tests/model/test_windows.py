"""Long audio: overlapping windows, times shifted by the window start, overlaps kept once."""

from __future__ import annotations

import numpy as np

from moss_music.analysis.tasks.runner import build_requests, run_tasks
from moss_music.analysis.tasks.windows import plan_windows
from moss_music.audio import AudioData
from moss_music.model.options import TaskOutput


def test_short_audio_is_one_window():
    assert [(w.start, w.end) for w in plan_windows(300.0, 600.0, 30.0)] == [(0.0, 300.0)]


def test_windows_cover_the_track_with_at_least_the_overlap():
    windows = plan_windows(1500.0, 600.0, 30.0)
    assert windows[0].start == 0.0 and windows[-1].end == 1500.0
    assert all(w.end - w.start == 600.0 for w in windows)
    assert all(a.end - b.start >= 30.0 for a, b in zip(windows, windows[1:]))
    assert all(a.own_end == b.own_start for a, b in zip(windows, windows[1:]))


def test_runner_shifts_and_merges_window_results():
    calls = []

    def generate(samples, requests, on_token, should_cancel):
        calls.append(len(samples) / 16000)
        outputs = []
        for request in requests:
            on_token(request.name, 1, request.options.max_new_tokens)
            text = {"chords": "0 - 5: C\n5 - 10: G", "key": "Key: D major\nTempo: 100 BPM",
                    "caption": "Genre: folk\nTags: folk"}[request.name]
            outputs.append(TaskOutput(request.name, text, "", text, [], "stop", 10))
        return outputs

    audio = AudioData(np.zeros(16000 * 25, dtype=np.float32), 16000, "long.wav")
    progress = []
    result = run_tasks(generate, audio, ["chords", "key", "caption"], progress=lambda f, s: progress.append(f),
                       window_seconds=10.0, overlap_seconds=2.0)
    assert calls == [10.0, 10.0, 10.0]
    starts = [c.start for c in result.chords]
    assert starts == sorted(starts) and starts[0] == 0.0
    assert [c.label for c in result.chords][:2] == ["C", "G"]
    assert result.chords[-1].end == 25.0
    assert str(result.key) == "D major" and result.tempo.bpm == 100.0
    assert result.caption.tags == ["folk"] and result.unparsed == []
    assert "[window 0.0-10.0 s]" in result.raw["chords"]
    assert progress[-1] == 1.0 and progress == sorted(progress)


def test_requests_take_per_task_overrides_and_prompt_files(tmp_path):
    (tmp_path / "chords.txt").write_text("My own chord prompt.")
    requests = build_requests(["chords", "ask", "chords"], {
        "question": "Is it live?", "temperature": 0.7, "task_options": {"ask": {"max_new_tokens": 10}}},
        prompts_dir=tmp_path)
    assert [r.name for r in requests] == ["chords", "ask"]
    assert requests[0].question == "My own chord prompt." and requests[0].options.temperature == 0.7
    assert requests[1].question == "Is it live?" and requests[1].options.max_new_tokens == 10
    assert requests[0].options.top_p == 0.8 and requests[0].options.top_k == 50
