"""``moss-music analyze PATH...``: analyse files in this process and store the results in the library.

Results are cached by content hash, backend, model and parameters: analysing
the same file again is instant unless ``--force``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from moss_music.analysis import AnalysisCancelled, available_backends, backend_specs, get_analyzer_class
from moss_music.analysis.pipeline import GpuOutOfMemory, TrackNotAnalysable, analyze_track
from moss_music.analysis.registry import backend_options, cli_options
from moss_music.annotations import TrackAnnotations
from moss_music.annotations.chords import display_name
from moss_music.audio import AudioError
from moss_music.cli.context import EXIT_FAILURES, EXIT_OK, UsageError, output_target
from moss_music.library import TrackNotFound
from moss_music.settings import read_settings


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("analyze", parents=[common], help="analyse audio files (beats, key, chords, …)",
                                   description="Analyse files with a backend and store the results in the library.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="audio files (or library ids)")
    parser.add_argument("--backend", default="dsp", choices=available_backends(),
                        help="; ".join(f"{spec.name}: {spec.description}" for spec in backend_specs()))
    parser.add_argument("--tasks", help="comma-separated tasks (default: all the backend offers)")
    for option in cli_options():
        # Device takes 'cuda:1' too, so only closed lists (precision, quantization) become argparse choices.
        choices = option.choices if option.key in ("dtype", "quantization") else None
        parser.add_argument(option.cli_flag, dest=option.key, choices=choices, default=None, metavar=option.metavar,
                            help=f"{option.help} (backend {_backends_with(option.key)})")
    parser.add_argument("--question", help="the question for the 'ask' task")
    parser.add_argument("--jams", metavar="OUT", help="also write JAMS: a file, or a folder for several inputs")
    parser.add_argument("--force", action="store_true", help="analyse again even if a stored result exists")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.set_defaults(handler=run)


def _backends_with(key: str) -> str:
    return ", ".join(spec.name for spec in backend_specs() if any(option.key == key for option in spec.options))


def analyzer_options(args) -> dict:
    """The backend options given on the command line (the registry's flags), for ``from_options``."""
    return {option.key: getattr(args, option.key) for option in cli_options()
            if getattr(args, option.key, None) is not None}


def run(args, ctx) -> int:
    analyzer_class = get_analyzer_class(args.backend)
    defaults = getattr(analyzer_class, "default_tasks", analyzer_class.tasks)
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()] if args.tasks else list(defaults)
    unknown = sorted(set(tasks) - set(analyzer_class.tasks))
    if unknown:
        raise UsageError(f"backend {args.backend} has no task {', '.join(unknown)} "
                         f"(it offers: {', '.join(analyzer_class.tasks)})")
    if args.jams:  # checked before any analysis: a bad path is one clear line, not a late traceback
        output_target(args.jams, "--jams", folder=len(args.paths) > 1 or Path(args.jams).is_dir())
    params = {"question": args.question} if args.question else {}
    if getattr(args, "queue", False):  # the option exists when the worker is installed (worker.commands)
        return args.queue_handler(args, ctx, tasks, params, analyzer_options(args))
    try:
        # Settings first (e.g. the server timeout), the command line's flags over them.
        options = {**backend_options(args.backend, read_settings(ctx.data_dir)), **analyzer_options(args)}
        analyzer = analyzer_class.from_options(options)
        if hasattr(analyzer, "validate"):
            analyzer.validate(tasks, params)  # before any model is loaded
    except (ValueError, OSError) as error:
        raise UsageError(str(error)) from error
    failures = 0
    results = []
    for ref in args.paths:
        try:
            result = _analyze_one(ctx, analyzer, ref, tasks, params, args)
        except (AudioError, TrackNotFound, TrackNotAnalysable, GpuOutOfMemory, OSError) as error:
            ctx.error(f"failed: {ref}: {getattr(error, 'reason', None) or error}")
            failures += 1
            continue
        except AnalysisCancelled:
            ctx.error("cancelled")
            return 130
        results.append(result)
        if not args.json:
            print(summary_text(result["path"], result["annotations"], result["cached"]))
    if args.json:
        ctx.print_json([{**r, "annotations": r["annotations"].to_dict()} for r in results])
    return EXIT_FAILURES if failures else EXIT_OK


def _analyze_one(ctx, analyzer, ref: str, tasks: list[str], params: dict, args) -> dict:
    library = ctx.library
    track = library.resolve_track(ref) if ref.isdigit() else library.add_file(ref)
    result = analyze_track(library, analyzer, track, tasks, params=params, force=args.force,
                           progress=_progress_printer(args))
    backend = type(analyzer).backend
    if args.jams:
        # jams pulls in pandas and scipy: import it only when asked for
        from moss_music.annotations.jams_io import save_jams

        target = Path(args.jams)
        if target.is_dir():
            target = target / (Path(track.path).stem + ".jams")
        save_jams(result.annotations, target, title=track.display_title, artist=track.artist or "",
                  release=track.album or "", source=f"{backend}:{analyzer.model_id}")
    return {"track_id": track.id, "path": track.path, "analysis_id": result.analysis_id, "backend": backend,
            "cached": result.cached, "annotations": result.annotations}


def _progress_printer(args):
    interactive = sys.stderr.isatty() and not args.json

    def progress(fraction: float, stage: str) -> None:
        if interactive:
            print(f"\r  {fraction:4.0%} {stage[:60]:<60}", end="", file=sys.stderr, flush=True)
            if fraction >= 1.0:
                print(file=sys.stderr)

    return progress


def summary_text(path: str, annotations: TrackAnnotations, cached: bool = False) -> str:
    """A few lines a person reads to judge the result: key, tempo, sections, first chords."""
    lines = [f"{path}{'  (stored result)' if cached else ''}"]
    facts = []
    if annotations.key:
        facts.append(f"key {annotations.key.tonic} {annotations.key.mode} ({annotations.key.confidence:.2f})")
    if annotations.tempo:
        facts.append(f"{annotations.tempo.bpm:.1f} BPM")
    if annotations.time_signature:
        facts.append(str(annotations.time_signature))
    if annotations.loudness:
        facts.append(f"{annotations.loudness.integrated_lufs:.1f} LUFS")
    if annotations.beats:
        facts.append(f"{len(annotations.beats)} beats")
    if facts:
        lines.append("  " + ", ".join(facts))
    if annotations.sections:
        lines.append("  sections: " + " | ".join(
            f"{s.start:.1f}s {s.function if s.function != 'other' else s.label}" for s in annotations.sections[:10]))
    if annotations.chords:
        chords = [display_name(c.label) for c in annotations.chords if c.label != "N"][:12]
        lines.append("  chords: " + " ".join(chords))
    if annotations.caption and annotations.caption.text:
        lines.append("  caption: " + annotations.caption.text[:200])
    if annotations.lyrics:
        lines.append(f"  lyrics: {len(annotations.lyrics)} lines, first: {annotations.lyrics[0].text[:80]}")
    for answer in annotations.answers:
        lines.append(f"  Q: {answer.question}\n  A: {answer.answer[:400]}")
    if annotations.unparsed:
        lines.append("  could not parse (raw text kept): " + ", ".join(annotations.unparsed))
    return "\n".join(lines)
