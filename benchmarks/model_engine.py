"""Shared-prefix engine vs one full prompt per task (the reference inference's way), on one 4-minute input.

CPU (default): the tiny test checkpoint. ``--full-size`` on a CUDA GPU: the
released architecture (Qwen3-8B decoder, 32-layer encoder) built directly in
bf16 with random weights (18.2 GB, so a 24 GB card runs it); adds encoder time,
decode tokens/s at batch 1 and batch N, seconds per song for the 5 tasks, and
peak GPU memory of each path: the shared prefix (one prefix KV cache that every
task attends to) against one prompt per task. Prints a table and writes
benchmarks/out/model_engine[_full].json.

    python benchmarks/model_engine.py                     # CPU, tiny checkpoint
    python benchmarks/model_engine.py --full-size --device cuda
    python benchmarks/model_engine.py --full-size --device cuda --seconds 600 --new-tokens 256
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from moss_music.analysis.tasks.runner import build_requests  # noqa: E402
from moss_music.model.engine import SharedPrefixEngine  # noqa: E402
from moss_music.model.options import SamplingOptions  # noqa: E402
from moss_music.model.processor import MossMusicProcessor, ProcessorSettings  # noqa: E402
from tests.model.tiny_checkpoint import build_tiny_checkpoint  # noqa: E402

TASKS = ["caption", "lyrics", "chords", "structure", "key"]


def synth_song(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    tone = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    return (0.3 * tone + 0.02 * rng.standard_normal(len(t))).astype(np.float32)


def load_model(args, folder: Path):
    if not args.full_size:
        from moss_music.model.loader import load

        loaded = load(folder, device=args.device, dtype=args.dtype)
        return loaded.model, loaded.processor
    from moss_music.model.config import MossMusicConfig
    from moss_music.model.modeling import MossMusicForConditionalGeneration

    config = MossMusicConfig(language_config={
        "vocab_size": 151936, "hidden_size": 4096, "intermediate_size": 12288, "num_hidden_layers": 36,
        "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "max_position_embeddings": 40960,
        "rope_theta": 1000000.0}, attn_implementation="sdpa")  # what the loader picks without flash-attn
    torch.manual_seed(0)
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)  # build in bf16: an fp32 copy first would need 36 GB
    try:
        with torch.device(args.device):
            model = MossMusicForConditionalGeneration(config).eval()
    finally:
        torch.set_default_dtype(default_dtype)
    processor = MossMusicProcessor(MossMusicProcessor.from_pretrained(folder).tokenizer, ProcessorSettings())
    return model, processor


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def reset_peak(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_gb(device: str) -> float | None:
    return round(torch.cuda.max_memory_allocated() / 1e9, 3) if device.startswith("cuda") else None


def run_shared(model, processor, wav, requests, max_batch, device):
    engine = SharedPrefixEngine(model, processor, max_batch=max_batch)
    engine.end_ids = set()  # same number of tokens as the per-prompt path (min_new_tokens there)
    sync(device)
    started = time.perf_counter()
    outputs = engine.run(wav, requests)
    sync(device)
    stats = engine.stats
    return {"wall_seconds": time.perf_counter() - started, "prefill_tokens": stats.prefill_tokens,
            "prefix_tokens": stats.prefix_tokens, "suffix_tokens": stats.suffix_tokens,
            "audio_tokens": stats.audio_tokens, "generated_tokens": stats.generated_tokens,
            "encode_seconds": stats.encode_seconds, "prefill_seconds": stats.prefill_seconds,
            "decode_seconds": stats.decode_seconds,
            "decode_tokens_per_second": stats.generated_tokens / max(stats.decode_seconds, 1e-9),
            "finish": [o.finish_reason for o in outputs]}


@torch.inference_mode()
def run_per_prompt(model, processor, wav, requests, device):
    """The reference way: every task builds the full prompt, re-encodes the audio and prefills everything."""
    prefill_tokens, generated = 0, 0
    sync(device)
    started = time.perf_counter()
    for request in requests:
        inputs = processor(text=request.question, audio=wav).to(device)
        prefill_tokens += int(inputs["input_ids"].shape[1])
        out = model.generate(**inputs, max_new_tokens=request.options.max_new_tokens,
                             min_new_tokens=request.options.max_new_tokens, do_sample=False)
        generated += int(out.shape[1] - inputs["input_ids"].shape[1])
    sync(device)
    return {"wall_seconds": time.perf_counter() - started, "prefill_tokens": prefill_tokens,
            "generated_tokens": generated}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=240.0)
    parser.add_argument("--new-tokens", type=int, default=32, help="tokens generated per task (forced)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--full-size", action="store_true", help="released dimensions, random bf16 weights (GPU)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        folder = build_tiny_checkpoint(Path(tmp) / "MOSS-Music-tiny-Instruct")
        model, processor = load_model(args, folder)
        wav = synth_song(args.seconds)
        options = SamplingOptions(do_sample=False, max_new_tokens=args.new_tokens)
        requests = [r.__class__(r.name, r.question, options) for r in build_requests(TASKS, {})]
        run_shared(model, processor, synth_song(4.0), requests[:1], 8, args.device)  # warm-up
        weights = peak_gb(args.device)
        reset_peak(args.device)
        shared = run_shared(model, processor, wav, requests, len(requests), args.device)
        shared["peak_gpu_memory_gb"] = peak_gb(args.device)
        reset_peak(args.device)
        batch1 = run_shared(model, processor, wav, requests[:1], 1, args.device)
        reset_peak(args.device)
        per_prompt = run_per_prompt(model, processor, wav, requests, args.device)
        per_prompt["peak_gpu_memory_gb"] = peak_gb(args.device)
        peak = max(v for v in (shared["peak_gpu_memory_gb"], per_prompt["peak_gpu_memory_gb"]) if v is not None) \
            if args.device.startswith("cuda") else None
        kv_per_token = 2 * model.config.language_config.num_hidden_layers \
            * model.config.language_config.num_key_value_heads * model.config.language_config.head_dim \
            * next(model.parameters()).element_size()

    target = 1.2 * (shared["prefix_tokens"] + shared["suffix_tokens"])
    result = {
        "machine": {"device": args.device, "cpu": platform.processor() or platform.machine(),
                    "threads": args.threads, "torch": torch.__version__,
                    "gpu": torch.cuda.get_device_name() if args.device.startswith("cuda") else None},
        "model": "full-size random bf16" if args.full_size else "tiny checkpoint (tests/model/tiny_checkpoint.py)",
        "audio_seconds": args.seconds, "tasks": TASKS, "new_tokens_per_task": args.new_tokens,
        "shared_prefix": shared, "shared_prefix_batch1_one_task": batch1, "per_prompt": per_prompt,
        "prefill_token_ratio_per_prompt_over_shared": per_prompt["prefill_tokens"] / shared["prefill_tokens"],
        "prefill_target_tokens": target, "prefill_target_met": shared["prefill_tokens"] <= target,
        "speedup_wall": per_prompt["wall_seconds"] / shared["wall_seconds"],
        "seconds_per_song_5_tasks": shared["wall_seconds"],
        "peak_gpu_memory_gb": peak, "gpu_memory_after_warmup_gb": weights,
        "kv_bytes_per_token": kv_per_token,
        "prefix_kv_gb_shared_once": shared["prefix_tokens"] * kv_per_token / 1e9,
        "prefix_kv_gb_if_copied_per_task": len(TASKS) * shared["prefix_tokens"] * kv_per_token / 1e9,
    }
    out_dir = REPO / "benchmarks" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ("model_engine_full.json" if args.full_size else "model_engine.json")
    path.write_text(json.dumps(result, indent=2))
    print(f"{args.seconds:.0f} s input, {len(TASKS)} tasks, {args.new_tokens} new tokens each, {args.device}")
    print(f"{'':22}{'prefill tokens':>16}{'wall s':>10}")
    print(f"{'shared prefix':22}{shared['prefill_tokens']:>16}{shared['wall_seconds']:>10.2f}"
          f"   (prefix {shared['prefix_tokens']} + suffixes {shared['suffix_tokens']};"
          f" encode {shared['encode_seconds']:.2f} s, prefill {shared['prefill_seconds']:.2f} s,"
          f" decode {shared['decode_seconds']:.2f} s)")
    print(f"{'one prompt per task':22}{per_prompt['prefill_tokens']:>16}{per_prompt['wall_seconds']:>10.2f}")
    print(f"decode tokens/s: batch {len(TASKS)} {shared['decode_tokens_per_second']:.1f},"
          f" batch 1 {batch1['decode_tokens_per_second']:.1f}")
    print(f"prefill target <= {target:.0f}: {'met' if result['prefill_target_met'] else 'NOT met'};"
          f" wall speed-up {result['speedup_wall']:.2f}x; {shared['wall_seconds']:.2f} s per song for {len(TASKS)} tasks")
    print(f"prefix KV {result['prefix_kv_gb_shared_once']:.3f} GB shared once "
          f"(a copy per task would be {result['prefix_kv_gb_if_copied_per_task']:.3f} GB)")
    if peak is not None:
        print(f"peak GPU memory: shared prefix {shared['peak_gpu_memory_gb']} GB, one prompt per task "
              f"{per_prompt['peak_gpu_memory_gb']} GB (after warm-up {weights} GB)")
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
