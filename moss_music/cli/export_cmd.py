"""`moss-music export`: write lyrics, MIDI, DAW region lists, analysis files and sheets for tracks."""

from __future__ import annotations

import argparse
import sys

from moss_music.cli.context import EXIT_FAILURES, EXIT_OK, UsageError


def register(subparsers, common) -> None:
    from moss_music.export.registry import FORMATS, WRITERS

    formats = "\n".join(f"  {name:<14}{WRITERS[name].label:<52}*{WRITERS[name].extension}" for name in FORMATS)
    p = subparsers.add_parser(
        "export", parents=[common], help="export analyses as LRC, MIDI, DAW markers, JAMS, ChordPro …",
        description="Write one file per track and format into --out, named after the audio file. "
                    "Existing files are kept unless --force.",
        epilog=f"formats (or 'all'):\n{formats}", formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("tracks", nargs="*", metavar="TRACK", help="library id or file path of a scanned track")
    p.add_argument("--all", action="store_true", help="every track in the library")
    p.add_argument("--format", "-f", action="append", required=True, metavar="F",
                   help="format name; repeat or separate with commas")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="folder for the exported files")
    p.add_argument("--force", action="store_true", help="overwrite files that already exist")
    p.add_argument("--lrc-offset", type=int, default=0, metavar="MS",
                   help="milliseconds added to lyric time stamps (negative: earlier)")
    p.add_argument("--lrc-ms", action="store_true", help="LRC stamps with milliseconds [mm:ss.xxx]")
    p.add_argument("--no-block-chords", action="store_true", help="MIDI: name chords without playing them")
    p.add_argument("--chord-markers", action="store_true", help="MIDI/RPP: also a marker at every chord change")
    p.add_argument("--lyrics-per-line", action="store_true", help="MIDI: one lyric event per line, not per word")
    p.add_argument("--lyric-marks", action="store_true",
                   help="MIDI: karaoke '/' and '\\' line marks in .mid lyric events too (.kar always has them)")
    p.add_argument("--no-lyric-notes", action="store_true",
                   help="MIDI: no quiet guide note under each word (notation programs then show fewer lyrics)")
    p.add_argument("--midi-encoding", choices=("utf-8", "latin-1"), default="utf-8",
                   help="text encoding of .mid files (default utf-8; .kar files use Latin-1 when the text fits)")
    p.add_argument("--transpose", type=int, default=0, metavar="N", help="semitones added to chord and key names")
    spelling = p.add_mutually_exclusive_group()
    spelling.add_argument("--flats", action="store_true", help="spell chords with flats")
    spelling.add_argument("--sharps", action="store_true", help="spell chords with sharps")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=run, read_only=True)  # reads the library only: works from a full or read-only data dir


def parse_formats(values: list[str]) -> list[str]:
    from moss_music.export.registry import FORMATS

    names: list[str] = []
    for value in values:
        for name in value.split(","):
            name = name.strip().lower()
            if not name:
                continue
            if name == "all":
                names += [f for f in FORMATS if f not in names]
            elif name not in FORMATS:
                raise UsageError(f"unknown format {name!r}; choose from {', '.join(FORMATS)} or 'all'")
            elif name not in names:
                names.append(name)
    if not names:
        raise UsageError("no format given")
    return names


def resolve_track_ids(ctx, refs: list[str], all_tracks: bool, status: str | None = None) -> list[int]:
    """Track ids from TRACK arguments or --all (shared with `moss-music tag`)."""
    from moss_music.library import TrackNotFound

    if all_tracks and refs:
        raise UsageError("give TRACK arguments or --all, not both")
    if all_tracks:
        return [track.id for track in ctx.library.list_tracks(status=status)]
    if not refs:
        raise UsageError("name at least one TRACK (library id or file path) or use --all")
    ids = []
    for ref in refs:
        try:
            ids.append(ctx.library.resolve_track(ref).id)
        except TrackNotFound as error:
            raise UsageError(str(error)) from None
    return ids


def run(args: argparse.Namespace, ctx) -> int:
    from moss_music.export import ExportOptions, export_tracks

    formats = parse_formats(args.format)
    ids = resolve_track_ids(ctx, args.tracks, args.all)
    options = ExportOptions(
        lrc_offset_ms=args.lrc_offset, lrc_milliseconds=args.lrc_ms, midi_block_chords=not args.no_block_chords,
        chord_markers=args.chord_markers, midi_lyrics_per_word=not args.lyrics_per_line,
        midi_lyric_marks=args.lyric_marks, midi_lyric_notes=not args.no_lyric_notes,
        midi_text_encoding=args.midi_encoding, transpose=args.transpose,
        prefer_flats=True if args.flats else False if args.sharps else None,
    )
    try:
        report = export_tracks(ctx.library, ids, formats, args.out, options=options, force=args.force)
    except OSError as error:
        raise UsageError(f"cannot write into --out {args.out}: {error.strerror or error}") from None
    if args.json:
        ctx.print_json(report.to_json())
    else:
        for item in report.items:
            if item.status == "written":
                print(f"wrote {item.path}")
                for warning in item.warnings:
                    print(f"warning: {item.format} {item.path}: {warning}", file=sys.stderr)
            else:
                where = item.path or f"track {item.track_id}"
                print(f"{item.status}: {item.format} for {where}: {item.message}", file=sys.stderr)
        written = len(report.by_status("written"))
        print(f"{written} file(s) written, {len(report.by_status('skipped'))} skipped, "
              f"{len(report.by_status('exists'))} not overwritten, {len(report.by_status('failed'))} failed",
              file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILURES
