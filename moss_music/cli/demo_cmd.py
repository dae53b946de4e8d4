"""``moss-music demo``: build the synthesised demo library, analyse it with the DSP backend, show results.

The first thing a new user runs: no GPU, no model download, a minute on a laptop.
"""

from __future__ import annotations

from pathlib import Path

from moss_music.analysis import get_analyzer_class
from moss_music.analysis.pipeline import analyze_track
from moss_music.cli.analyze_cmd import summary_text
from moss_music.cli.context import EXIT_FAILURES, EXIT_OK
from moss_music.demo import write_demo_library


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("demo", parents=[common], help="make and analyse a small demo library",
                                   description="Synthesise a few demo songs, add them to the library and analyse "
                                               "them with the DSP backend (CPU only, nothing downloaded).")
    parser.add_argument("--folder", metavar="DIR", help="where to write the demo songs (default: DATA_DIR/demo)")
    parser.add_argument("--jams", metavar="DIR", help="also write one JAMS file per song here")
    parser.set_defaults(handler=run)


def run(args, ctx) -> int:
    folder = Path(args.folder) if args.folder else ctx.data_dir.root / "demo"
    print(f"Writing demo songs to {folder} …")
    write_demo_library(folder)
    library = ctx.library
    report = library.scan([folder])
    print(f"Library: {report.added} added, {report.unchanged} unchanged ({ctx.data_dir.library_db})")
    analyzer_class = get_analyzer_class("dsp")
    analyzer = analyzer_class.from_options({})
    failures = 0
    for track in library.list_tracks(search=None, status="ok"):
        if not track.path.startswith(str(folder.resolve())):
            continue
        try:
            result = analyze_track(library, analyzer, track, analyzer_class.tasks)
        except Exception as error:  # noqa: BLE001 - report every song, keep going
            ctx.error(f"failed: {track.path}: {error}")
            failures += 1
            continue
        print(summary_text(track.path, result.annotations, result.cached))
        if args.jams:
            from moss_music.annotations.jams_io import save_jams

            Path(args.jams).mkdir(parents=True, exist_ok=True)
            save_jams(result.annotations, Path(args.jams) / f"{Path(track.path).stem}.jams",
                      title=track.display_title, artist=track.artist or "", source="dsp")
    print("\nNext: `moss-music tracks`, `moss-music export --format lrc,midi --all --out exports/`, "
          "or open the app with `moss-music gui`.")
    return EXIT_FAILURES if failures else EXIT_OK
