"""The shared-prefix engine: exact logits, batching, seeds, cancellation, loop guard, thinking."""

from __future__ import annotations

import pytest
import torch

from moss_music.model.engine import THINK_FORCE_TEXT, GenerationCancelled, SharedPrefixEngine
from moss_music.model.generation import CancelCriteria, LoopGuard
from moss_music.model.options import SamplingOptions, TaskRequest
from moss_music.model.thinking import split_thinking
from tests.model.conftest import noise

QUESTIONS = ["Describe this piece of music.", "Transcribe the lyrics.", "What key is it in?"]


@pytest.fixture(scope="module")
def engine(tiny):
    return SharedPrefixEngine(tiny.model, tiny.processor, seed=3)


def test_shared_prefix_logits_equal_a_full_forward(engine, tiny):
    wav = noise(6.0)
    prefix = engine.build_prefix(wav)
    for question, logits in zip(QUESTIONS, engine.suffix_logits(prefix, QUESTIONS)):
        with torch.inference_mode():
            full = tiny.model(**tiny.processor(text=question, audio=wav)).logits[0]
        assert torch.allclose(logits, full[-logits.shape[0]:], atol=1e-4)


def test_prefill_counts_the_prefix_once(tiny):
    engine = SharedPrefixEngine(tiny.model, tiny.processor)
    requests = [TaskRequest(str(i), q, SamplingOptions(max_new_tokens=2)) for i, q in enumerate(QUESTIONS)]
    engine.run(noise(3.0), requests)
    suffixes = sum(len(engine.suffix_ids(q)) for q in QUESTIONS)
    assert engine.stats.suffix_tokens == suffixes
    assert engine.stats.prefill_tokens == engine.stats.prefix_tokens + suffixes
    assert engine.stats.audio_tokens == 38


def test_batched_tasks_decode_like_single_tasks(tiny):
    wav = noise(3.0)
    requests = [TaskRequest(f"t{i}", q, SamplingOptions(max_new_tokens=6, do_sample=False))
                for i, q in enumerate(QUESTIONS)]
    batched = SharedPrefixEngine(tiny.model, tiny.processor, max_batch=8).run(wav, requests)
    single = SharedPrefixEngine(tiny.model, tiny.processor, max_batch=1).run(wav, requests)
    assert [o.token_ids for o in batched] == [o.token_ids for o in single]
    assert [o.name for o in batched] == ["t0", "t1", "t2"]


def test_seeded_sampling_repeats_and_seeds_differ(tiny):
    wav = noise(2.0)
    request = [TaskRequest("caption", QUESTIONS[0], SamplingOptions(max_new_tokens=12, top_p=1.0, top_k=0))]
    a = SharedPrefixEngine(tiny.model, tiny.processor, seed=1).run(wav, request)[0].token_ids
    b = SharedPrefixEngine(tiny.model, tiny.processor, seed=1).run(wav, request)[0].token_ids
    c = SharedPrefixEngine(tiny.model, tiny.processor, seed=2).run(wav, request)[0].token_ids
    assert a == b
    assert a != c


def test_per_task_token_limits_and_callback(engine):
    calls: list[tuple[str, int, int]] = []
    requests = [TaskRequest("short", QUESTIONS[0], SamplingOptions(max_new_tokens=2, do_sample=False)),
                TaskRequest("long", QUESTIONS[1], SamplingOptions(max_new_tokens=5, do_sample=False))]
    outputs = engine.run(noise(2.0), requests, token_callback=lambda *call: calls.append(call))
    assert [(o.name, len(o.token_ids), o.finish_reason) for o in outputs] == [("short", 2, "length"),
                                                                               ("long", 5, "length")]
    assert [c for c in calls if c[0] == "long"] == [("long", n, 5) for n in range(1, 6)]


def test_cancel_callback_stops_generation(engine):
    checks = []

    def should_cancel() -> bool:
        checks.append(1)
        return len(checks) >= 2

    with pytest.raises(GenerationCancelled):
        engine.run(noise(2.0), [TaskRequest("a", QUESTIONS[0], SamplingOptions(max_new_tokens=50))],
                   should_cancel=should_cancel)
    assert len(checks) == 2


def test_cancel_criteria_works_with_generate(tiny):
    inputs = tiny.processor(text="Describe this.", audio=noise(1.0))
    out = tiny.model.generate(**inputs, max_new_tokens=20, do_sample=False,
                              stopping_criteria=[CancelCriteria(lambda: True)])
    assert out.shape[1] == inputs["input_ids"].shape[1] + 1


def test_loop_guard_fires_on_repeated_blocks_only():
    guard = LoopGuard(window=32, min_repeats=4)
    assert guard.is_looping([1, 2, 3, 4] * 10)
    assert not guard.is_looping(list(range(40)))
    assert not guard.is_looping([1, 2, 3] * 5)  # shorter than the window


def test_thinking_split_keeps_reasoning_and_answer():
    split = split_thinking("<think>\nIt is slow and sad.\n</think>\n\nA sad ballad.")
    assert (split.reasoning, split.answer, split.finished_thinking) == ("It is slow and sad.", "A sad ballad.", True)
    unfinished = split_thinking("<think>still thinking")
    assert unfinished.reasoning == "still thinking" and unfinished.answer == "" and not unfinished.finished_thinking
    assert split_thinking("Just an answer.").answer == "Just an answer."


def test_thinking_budget_is_its_own_and_ends_with_the_recommended_sentence(tiny):
    engine = SharedPrefixEngine(tiny.model, tiny.processor, thinking=True, seed=5)
    close = engine.think_close_id
    forced = tiny.processor.encode_text(THINK_FORCE_TEXT)
    options = SamplingOptions(max_new_tokens=12, thinking_budget=3, do_sample=False)
    output = engine.run(noise(1.0), [TaskRequest("ask", "Why?", options)])[0]
    # three reasoning tokens, then the transition sentence with </think>, then up to 12 answer tokens
    assert output.token_ids[3 : 3 + len(forced)] == forced
    assert output.token_ids.index(close) == 3 + forced.index(close)
    answer_tokens = len(output.token_ids) - output.token_ids.index(close) - 1
    assert answer_tokens == 12 or output.finish_reason == "stop"
    assert output.reasoning.endswith("directly now.") and output.answer
    assert output.raw_text.startswith("<think>")


def test_short_answer_budgets_do_not_eat_into_reasoning(tiny):
    """A 4-token answer budget still leaves the 20-token reasoning budget whole (issue: key tasks ended in <think>)."""
    engine = SharedPrefixEngine(tiny.model, tiny.processor, thinking=True, seed=5)
    options = SamplingOptions(max_new_tokens=4, thinking_budget=20, do_sample=False)
    output = engine.run(noise(1.0), [TaskRequest("key", "Key?", options)])[0]
    assert engine.think_close_id in output.token_ids
    assert output.token_ids.index(engine.think_close_id) >= 20


def test_tasks_share_the_prefix_cache_by_reference(engine):
    """Item 9 of issue 11: the prefix's keys/values exist once, whatever the number of tasks."""
    from moss_music.model.engine import shared_prefix_cache

    prefix = engine.build_prefix(noise(4.0))
    suffixes = [engine.suffix_ids(q) for q in QUESTIONS]
    _, cache, _ = engine._prefill_suffixes(prefix, suffixes)
    for shared, original in zip(cache.layers, prefix.cache.layers):
        assert shared.prefix_keys.data_ptr() == original.keys.data_ptr()  # the same storage, not a copy
        assert shared.keys.shape[0] == len(QUESTIONS) and shared.keys.shape[-2] == max(map(len, suffixes))
        assert shared.get_seq_length() == prefix.length + max(map(len, suffixes))
    fresh = shared_prefix_cache(prefix, engine.model.config.language_config)
    assert fresh.get_seq_length() == prefix.length
