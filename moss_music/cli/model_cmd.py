"""``moss-music model check DIR``: can this folder be loaded, what is it, and does it generate?"""

from __future__ import annotations

import time

import numpy as np

from moss_music.cli.context import EXIT_FAILURES, EXIT_OK


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("model", parents=[common], help="inspect MOSS-Music checkpoints",
                                   description="Inspect and test MOSS-Music / MOSS-Audio checkpoint folders.")
    actions = parser.add_subparsers(dest="model_action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="load a folder, report what it is, run a 1-token generation")
    check.add_argument("folder", metavar="DIR", help="checkpoint folder")
    check.add_argument("--device", help="cuda, cuda:1, mps or cpu (default: best available)")
    check.add_argument("--dtype", choices=("bf16", "fp16", "fp32"), help="weights precision")
    check.add_argument("--quantization", choices=("8bit", "4bit"), help="bitsandbytes quantization")
    check.add_argument("--no-load", action="store_true", help="only check the files, do not load the weights")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=run)


def run(args, ctx) -> int:
    from moss_music.model.checkpoint import CheckpointError, inspect_checkpoint

    report: dict = {"folder": args.folder}
    try:
        info = inspect_checkpoint(args.folder)
        report.update(model_type=info.model_type, variant=info.variant, revision=info.revision,
                      weight_files=len(info.weight_files), tensors=len(info.weight_names),
                      size_gb=round(info.total_bytes / 1e9, 3), stored_dtypes=info.stored_dtypes)
        if not args.no_load:
            report.update(_load_and_generate(args))
    except (CheckpointError, RuntimeError, ValueError, OSError) as error:
        report["ok"] = False
        report["error"] = str(error)
        _print(ctx, args, report)
        return EXIT_FAILURES
    report["ok"] = True
    _print(ctx, args, report)
    return EXIT_OK


def _load_and_generate(args) -> dict:
    import torch

    from moss_music.model.engine import SharedPrefixEngine
    from moss_music.model.loader import get_resident
    from moss_music.model.options import SamplingOptions, TaskRequest

    started = time.perf_counter()
    loaded = get_resident(args.folder, device=args.device, dtype=args.dtype, quantization=args.quantization)
    load_seconds = time.perf_counter() - started
    engine = SharedPrefixEngine(loaded.model, loaded.processor)
    one_second = (0.01 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.float32)
    started = time.perf_counter()
    output = engine.run(one_second, [TaskRequest("smoke", "Describe this audio.",
                                                 SamplingOptions(do_sample=False, max_new_tokens=1))])[0]
    result = {"parameters": loaded.parameter_count, "device": loaded.device, "dtype": str(loaded.dtype).split(".")[-1],
              "quantization": loaded.quantization, "attention": loaded.attention,
              "load_seconds": round(load_seconds, 2), "smoke_seconds": round(time.perf_counter() - started, 3),
              "smoke_token_ids": output.token_ids, "smoke_finish": output.finish_reason}
    if torch.cuda.is_available() and loaded.device.startswith("cuda"):
        result["gpu_memory_gb"] = round(torch.cuda.max_memory_allocated() / 1e9, 2)
    return result


def _print(ctx, args, report: dict) -> None:
    if args.json:
        ctx.print_json(report)
        return
    if not report.get("ok"):
        ctx.error(f"model check failed: {report['folder']}\n{report.get('error', '')}")
        return
    print(f"{report['folder']}: OK")
    for key in ("model_type", "variant", "revision", "weight_files", "tensors", "size_gb", "stored_dtypes",
                "parameters", "device", "dtype", "quantization", "attention", "load_seconds", "smoke_seconds",
                "smoke_token_ids", "gpu_memory_gb"):
        if key in report:
            print(f"  {key:16} {report[key]}")
