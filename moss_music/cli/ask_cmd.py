"""``moss-music ask FILE "question" --model DIR``: one free question about one file, answered in-process."""

from __future__ import annotations

import sys

from moss_music.analysis import AnalysisCancelled
from moss_music.audio import MODEL_SAMPLE_RATE, AudioError, load
from moss_music.cli.context import EXIT_FAILURES, EXIT_OK, UsageError


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("ask", parents=[common], help="ask MOSS-Music a question about an audio file",
                                   description="Ask the model a free question about one audio file.")
    parser.add_argument("path", metavar="FILE", help="audio file")
    parser.add_argument("question", help="the question, e.g. \"What instruments open the song?\"")
    parser.add_argument("--model", metavar="DIR", required=True, help="MOSS-Music / MOSS-Audio checkpoint folder")
    parser.add_argument("--device", help="cuda, cuda:1, mps or cpu (default: best available)")
    parser.add_argument("--dtype", choices=("bf16", "fp16", "fp32"), help="weights precision")
    parser.add_argument("--quantization", choices=("8bit", "4bit"), help="bitsandbytes quantization")
    parser.add_argument("--max-tokens", type=int, default=1024, help="longest answer in tokens (default 1024)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (same seed, same answer)")
    parser.add_argument("--temperature", type=float, help="sampling temperature (default 1.0)")
    parser.add_argument("--thinking-budget", type=int, help="most reasoning tokens for Thinking checkpoints")
    parser.add_argument("--show-reasoning", action="store_true", help="print a Thinking model's reasoning too")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    parser.set_defaults(handler=run)


def run(args, ctx) -> int:
    from moss_music.analysis.moss import MossAnalyzer

    if not args.question.strip():
        raise UsageError("the question is empty")
    try:
        analyzer = MossAnalyzer.from_options({"model_dir": args.model, "device": args.device, "dtype": args.dtype,
                                              "quantization": args.quantization})
    except ValueError as error:
        raise UsageError(str(error)) from error
    try:
        audio = load(args.path, MODEL_SAMPLE_RATE)
    except AudioError as error:
        ctx.error(f"failed: {args.path}: {error.reason}")
        return EXIT_FAILURES
    params = {"question": args.question, "max_new_tokens": args.max_tokens, "seed": args.seed,
              "temperature": args.temperature, "thinking_budget": args.thinking_budget}
    try:
        result = analyzer.analyze(audio, ["ask"], params={k: v for k, v in params.items() if v is not None},
                                  progress=_progress(args))
    except AnalysisCancelled:
        return 130
    except (OSError, RuntimeError, ValueError) as error:  # a folder we refuse, a device we lack: one line each
        ctx.error(f"failed: {args.model}: {error}")
        return EXIT_FAILURES
    answer = result.answers[0] if result.answers else None
    if args.json:
        ctx.print_json({"path": args.path, "question": args.question, "model": analyzer.model_id,
                        "answer": answer.answer if answer else "", "reasoning": answer.reasoning if answer else ""})
    else:
        if args.show_reasoning and answer and answer.reasoning:
            print(f"[reasoning]\n{answer.reasoning}\n[answer]")
        print(answer.answer if answer else "")
    return EXIT_OK if answer and answer.answer else EXIT_FAILURES


def _progress(args):
    if args.json or not sys.stderr.isatty():
        return None

    def report(fraction: float, stage: str) -> None:
        print(f"\r  {fraction:4.0%} {stage[:60]:<60}", end="" if fraction < 1 else "\n", file=sys.stderr, flush=True)

    return report
