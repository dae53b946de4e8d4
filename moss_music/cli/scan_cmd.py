"""``moss-music scan PATH...``: add folders and files to the library, or rescan them."""

from __future__ import annotations

import sys

from moss_music.cli.context import EXIT_FAILURES, EXIT_OK, printable


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("scan", parents=[common], help="add folders/files to the library (or rescan)",
                                   description="Walk folders for audio files, read their tags and add them to the "
                                               "library. Unchanged files are skipped; moved files keep their analyses.")
    parser.add_argument("paths", nargs="*", metavar="PATH", help="folders or files; none = rescan library folders")
    parser.add_argument("--json", action="store_true", help="print the scan report as JSON")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    parser.set_defaults(handler=run)


def run(args, ctx) -> int:
    library = ctx.library
    paths = args.paths or [folder.path for folder in library.folders()]
    if not paths:
        ctx.error("nothing to scan: give a folder (moss-music scan ~/Music)")
        return EXIT_OK
    show_progress = not args.quiet and not args.json and sys.stderr.isatty()

    def progress(done: int, total: int, path: str) -> None:
        if show_progress:
            print(f"\r  {done}/{total} files", end="", file=sys.stderr, flush=True)

    report = library.scan(paths, progress=progress)
    if show_progress:
        print(file=sys.stderr)
    if args.json:
        ctx.print_json(report.to_json())
    else:
        print(f"{report.added} added, {report.updated} updated, {report.moved} moved, {report.unchanged} unchanged, "
              f"{report.missing} missing, {len(report.failed)} failed ({report.elapsed_s:.1f} s)")
    for path, reason in report.folder_errors:
        ctx.error(printable(f"cannot read folder {path}: {reason}"))
    for path, reason in report.failed:
        ctx.error(printable(f"failed: {path}: {reason}"))
    return EXIT_FAILURES if report.failed else EXIT_OK
