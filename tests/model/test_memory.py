"""Memory policy as arithmetic: batch size and window from made-up free-memory figures; OOM step-down."""

from __future__ import annotations

import pytest
import torch

from moss_music.model.engine import SharedPrefixEngine
from moss_music.model.memory import (
    ModelShape,
    batch_bytes,
    plan_batch,
    plan_window_seconds,
    prefix_tokens,
    weight_bytes,
)
from moss_music.model.options import SamplingOptions, TaskRequest
from tests.model.conftest import noise

GB = 10**9
QWEN3_8B = ModelShape(num_layers=36, num_kv_heads=8, head_dim=128, hidden_size=4096, intermediate_size=12288,
                      vocab_size=151936, dtype_bytes=2)


def test_the_documented_figures():
    assert QWEN3_8B.kv_bytes_per_token == 147_456
    ten_minutes = prefix_tokens(600.0)
    assert 7_500 < ten_minutes < 8_400  # 7,500 audio tokens + markers + prompt text
    assert ten_minutes * QWEN3_8B.kv_bytes_per_token == pytest.approx(1.15 * 2**30, rel=0.02)  # "~1.15 GB" is GiB
    assert weight_bytes(9_100_000_000, 6_950_000_000, 8) == pytest.approx(11.25 * GB, rel=0.01)
    assert weight_bytes(9_100_000_000, 6_950_000_000, 4) == pytest.approx(7.78 * GB, rel=0.01)


def test_six_tasks_share_one_prefix_on_a_24_gb_card():
    """18 GB of weights leave ~5 GB: with a shared prefix six tasks fit; copying the prefix per task would not."""
    prefix = prefix_tokens(600.0)
    free = 5 * GB - prefix * QWEN3_8B.kv_bytes_per_token
    assert plan_batch(free, QWEN3_8B, prefix, 40, 2048 + 1024, max_batch=6) == 6
    copied = 6 * prefix * QWEN3_8B.kv_bytes_per_token
    assert copied > free


def test_batch_size_falls_with_free_memory_and_never_below_one():
    prefix = prefix_tokens(240.0)
    sizes = [plan_batch(free, QWEN3_8B, prefix, 40, 3000, max_batch=8) for free in (8 * GB, 2 * GB, GB // 2, 0)]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] == 8 and sizes[-1] == 1
    for free, rows in zip((8 * GB, 2 * GB, GB // 2), sizes):
        assert rows == 1 or batch_bytes(QWEN3_8B, rows, prefix, 40, 3000) <= free


def test_window_shrinks_to_what_fits():
    assert plan_window_seconds(20 * GB, QWEN3_8B, 600.0, 40, 2048) == 600.0
    smaller = plan_window_seconds(int(0.9 * GB), QWEN3_8B, 600.0, 40, 2048)
    assert 60.0 <= smaller < 600.0
    assert plan_window_seconds(0, QWEN3_8B, 600.0, 40, 2048) == 60.0


def test_engine_batch_follows_reported_free_memory(tiny):
    requests = [TaskRequest(f"t{i}", "Describe.", SamplingOptions(max_new_tokens=4, do_sample=False))
                for i in range(4)]
    plenty = SharedPrefixEngine(tiny.model, tiny.processor, max_batch=8, free_memory=lambda: 10 * GB)
    tight = SharedPrefixEngine(tiny.model, tiny.processor, max_batch=8, free_memory=lambda: 1)
    prefix = plenty.build_prefix(noise(2.0))
    assert plenty.batch_size(prefix, requests) == 4 and tight.batch_size(prefix, requests) == 1
    assert [o.token_ids for o in plenty.run_from_prefix(prefix, requests)] == \
        [o.token_ids for o in tight.run_from_prefix(prefix, requests)]


def test_prefix_build_steps_down_after_out_of_memory_and_gives_the_same_logits(tiny, monkeypatch):
    """A fake OOM (no GPU here) while encoding big chunk batches and prefilling long pieces: the engine halves
    both until they fit, and the result equals the one-pass prefix."""
    long_wav = noise(30.0)  # 8 encoder chunks, ~420 prefix tokens: one pass is "too big", 256-token pieces fit
    engine = SharedPrefixEngine(tiny.model, tiny.processor)
    reference = engine.suffix_logits(engine.build_prefix(long_wav), ["Key?"])[0]
    real_encode, real_decoder = tiny.model.encode_audio, tiny.model.language_model.forward
    calls = {"encode": [], "prefill": []}

    def encode(mel, lengths, chunk_batch=None):
        calls["encode"].append(chunk_batch)
        if chunk_batch is None or chunk_batch > 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_encode(mel, lengths, chunk_batch=chunk_batch)

    def decoder(*args, **kwargs):
        embeds = kwargs.get("inputs_embeds")
        if embeds is not None and embeds.shape[1] > 300:
            calls["prefill"].append(embeds.shape[1])
            raise RuntimeError("MPS backend out of memory")
        return real_decoder(*args, **kwargs)

    monkeypatch.setattr(tiny.model, "encode_audio", encode)
    monkeypatch.setattr(tiny.model.language_model, "forward", decoder)
    small = SharedPrefixEngine(tiny.model, tiny.processor)
    prefix = small.build_prefix(long_wav)  # the audio spans both prefill pieces: DeepStack is split with it
    assert calls["encode"][:2] == [None, 32] and small.encode_batch == 1
    assert small.prefill_chunk == 256 and calls["prefill"]
    logits = small.suffix_logits(prefix, ["Key?"])[0]
    assert torch.allclose(logits, reference, atol=1e-4)


def test_gpu_capacity_per_precision_with_its_arithmetic():
    from moss_music.model.memory import gpu_capacity

    plans = {p.mode: p for p in gpu_capacity(24 * 2**30, QWEN3_8B)}
    assert plans["bf16"].fits and 600 <= plans["bf16"].max_window_seconds < 900  # a 10-minute window fits
    assert "9.10 B params x 2 bytes = 18.2 GB" in plans["bf16"].arithmetic
    assert "6.95 B x 8/8 bytes = 11.2 GB" in plans["8-bit"].arithmetic
    small = {p.mode: p for p in gpu_capacity(12 * 2**30, QWEN3_8B)}
    assert not small["bf16"].fits and not small["8-bit"].fits and small["4-bit"].fits
    assert small["bf16"].max_window_seconds == 0.0


def test_doctor_reports_libraries_and_what_the_gpu_holds(tiny_dir, tmp_path, capsys, monkeypatch):
    import json

    from moss_music.cli import main

    monkeypatch.setenv("MOSS_MUSIC_MODEL", str(tiny_dir))
    assert main(["--home", str(tmp_path / "home"), "doctor", "--json"]) == 0
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert {"transformers", "accelerate", "bitsandbytes", "flash-attn", "gpu capacity"} <= set(checks)
    assert checks["transformers"]["status"] == "ok"
    if not torch.cuda.is_available():
        assert checks["accelerate"]["status"] in ("ok", "warn")
        capacity = checks["gpu capacity"]["detail"]
        assert "a 24 GiB GPU (MOSS-Music-tiny-Instruct)" in capacity and "bf16" in capacity
        assert "x 2 bytes" in capacity and "windows up to 60 min" in capacity  # a tiny model fits anything
