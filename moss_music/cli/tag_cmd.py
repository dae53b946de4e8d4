"""`moss-music tag`: write key, BPM, lyrics, caption and descriptors into the audio files' own tags."""

from __future__ import annotations

import argparse
import sys

from moss_music.cli.context import EXIT_FAILURES, EXIT_OK, UsageError


def register(subparsers, common) -> None:
    from moss_music.annotations.keys import KEY_NOTATIONS
    from moss_music.export.tags import DESCRIPTOR_FIELDS, ID3_VERSIONS

    p = subparsers.add_parser(
        "tag", parents=[common], help="write analysis results into the files' tags (safely; --dry-run first)",
        description="Writes through a verified temporary copy and an atomic replace; the audio stays "
                    "bit-identical. Use --dry-run to see the changes without writing.",
    )
    p.add_argument("tracks", nargs="*", metavar="TRACK", help="library id or file path of a scanned track")
    p.add_argument("--all", action="store_true", help="every readable track in the library")
    p.add_argument("--dry-run", "-n", action="store_true", help="show what would change; write nothing")
    p.add_argument("--key-notation", choices=KEY_NOTATIONS, default="standard",
                   help="standard (Dbm), openkey (7m) or camelot (12A)")
    p.add_argument("--tags-field", choices=DESCRIPTOR_FIELDS, default="mood",
                   help="where the caption's genre/mood tags go (default: mood)")
    p.add_argument("--language", default="eng", metavar="ISO",
                   help="ID3 language of lyrics and comment: three letters, ISO 639-2 (default eng)")
    p.add_argument("--id3-version", choices=ID3_VERSIONS, default="keep",
                   help="keep each MP3's ID3v2 version (default; new tags are v2.4), or write 2.3 / 2.4")
    p.add_argument("--backup", action="store_true", help="keep a copy of each original as FILE.bak")
    for name, what in (("key", "the key"), ("bpm", "the tempo"), ("lyrics", "lyrics"),
                       ("synced", "ID3 synced lyrics/chords (SYLT)"), ("caption", "the caption (comment)")):
        p.add_argument(f"--no-{name}", action="store_true", help=f"do not write {what}")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx) -> int:
    from moss_music.cli.export_cmd import resolve_track_ids
    from moss_music.export import TagOptions, tag_tracks

    try:
        options = TagOptions(key_notation=args.key_notation, descriptors_field=args.tags_field,
                             language=args.language, backup=args.backup, id3_version=args.id3_version, key=not args.no_key, bpm=not args.no_bpm,
                             lyrics=not args.no_lyrics, synced=not args.no_synced, caption=not args.no_caption)
    except ValueError as error:
        raise UsageError(str(error)) from None
    ids = resolve_track_ids(ctx, args.tracks, args.all, status="ok" if args.all else None)
    outcomes = tag_tracks(ctx.library, ids, options, dry_run=args.dry_run)
    if args.json:
        ctx.print_json([outcome.to_json() for outcome in outcomes])
    else:
        for outcome in outcomes:
            if outcome.error:
                print(f"failed: {outcome.path or outcome.track_id}: {outcome.error}", file=sys.stderr)
                continue
            verb = "would change" if args.dry_run else "tagged" if outcome.written else "unchanged"
            print(f"{verb}: {outcome.path}" + ("" if outcome.changes else " (tags already up to date)"))
            for change in outcome.changes:
                print(f"    {change}")
            if outcome.backup:
                print(f"    backup: {outcome.backup}")
            for note in outcome.notes:
                print(f"    note: {note}")
    return EXIT_FAILURES if any(outcome.error for outcome in outcomes) else EXIT_OK
