"""`moss-music lyrics`: bring lyrics into the library without the GUI, and show what a track has.

``lyrics import TRACK FILE`` reads an .lrc (enhanced too), .srt, .vtt or plain
.txt file; ``lyrics import TRACK --from-tags`` reads the audio file's own tags
(ID3 SYLT/USLT, Vorbis LYRICS, MP4 ©lyr). Either way the lines become the
user's lyric layer: exports use them, and the analysis underneath stays
(``lyrics clear`` goes back to it). ``lyrics show`` prints the lines with their
times, or ``--json``.
"""

from __future__ import annotations

import argparse
import sys

from moss_music.cli.context import EXIT_FAILURES, EXIT_OK, UsageError, printable


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("lyrics", parents=[common], help="import lyrics from a file or tags; show them",
                                   description="Lyrics for exports and the track view, without the GUI.")
    actions = parser.add_subparsers(dest="lyrics_action", metavar="ACTION", required=True)

    imp = actions.add_parser("import", parents=[common], help="import lyrics for a track from FILE or its tags",
                             description="FILE: .lrc (enhanced LRC too), .srt, .vtt or plain .txt (kept "
                                         "untimed: sync them in the track view's Lyrics tab; timed exports "
                                         "skip them until then). Replaces earlier imports.")
    imp.add_argument("track", metavar="TRACK", help="library id or file path of a scanned track")
    imp.add_argument("file", nargs="?", metavar="FILE", help="the lyrics file")
    imp.add_argument("--from-tags", action="store_true", help="read the lyrics from the audio file's own tags")
    imp.add_argument("--json", action="store_true", help="print the imported lines as JSON")
    imp.set_defaults(handler=run_import)

    show = actions.add_parser("show", parents=[common], help="print a track's lyrics with their times")
    show.add_argument("track", metavar="TRACK", help="library id or file path of a scanned track")
    show.add_argument("--json", action="store_true", help="lines as JSON: start, end, text, words")
    show.set_defaults(handler=run_show)

    clear = actions.add_parser("clear", parents=[common], help="drop imported lyrics; the analysis's come back")
    clear.add_argument("track", metavar="TRACK", help="library id or file path of a scanned track")
    clear.set_defaults(handler=run_clear)


def _track(ctx, ref: str):
    from moss_music.library import TrackNotFound

    try:
        return ctx.library.resolve_track(ref)
    except TrackNotFound as error:
        raise UsageError(str(error)) from None


def run_import(args: argparse.Namespace, ctx) -> int:
    from moss_music.annotations.lyric_sync import untimed_count
    from moss_music.export.lyrics import import_lyrics, lyrics_from_tags, read_lyrics_file

    if bool(args.file) == bool(args.from_tags):
        raise UsageError("give a lyrics FILE or --from-tags (one of them)")
    track = _track(ctx, args.track)
    source = args.file or track.path
    try:
        if args.from_tags:
            lines = lyrics_from_tags(track.path, track.duration)
        else:
            lines = read_lyrics_file(args.file, track.duration)
    except OSError as error:
        print(f"moss-music lyrics: cannot read {printable(source)}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILURES
    except Exception as error:  # noqa: BLE001 - a damaged file or tag is one line of explanation, not a traceback
        print(f"moss-music lyrics: no lyrics in {printable(source)}: {error}", file=sys.stderr)
        return EXIT_FAILURES
    if not lines:
        print(f"moss-music lyrics: no lyrics in {printable(source)}", file=sys.stderr)
        return EXIT_FAILURES
    import_lyrics(ctx.library, track.id, lines)
    if args.json:
        ctx.print_json([_line_json(line) for line in lines])
    else:
        untimed = untimed_count(lines)
        if untimed == len(lines):
            timed = "without times (sync them in the track view's Lyrics tab; LRC/SRT/VTT/MIDI skip them until then)"
        elif untimed:
            timed = f"({untimed} without times)"
        else:
            timed = "with word times" if any(line.words for line in lines) else "line by line"
        print(f"imported {len(lines)} line(s) {timed} for {printable(track.path)} from {printable(source)}")
    return EXIT_OK


def run_show(args: argparse.Namespace, ctx) -> int:
    from moss_music.annotations.lyric_sync import is_timed, reading_order
    from moss_music.export.timecode import lrc_stamp

    track = _track(ctx, args.track)
    lines = reading_order(ctx.library.annotations_for(track.id).lyrics)
    if args.json:
        ctx.print_json([_line_json(line) for line in lines])
        return EXIT_OK
    if not lines:
        print(f"no lyrics for {printable(track.path)} (import them with `moss-music lyrics import "
              f"{track.id} FILE`)", file=sys.stderr)
        return EXIT_OK
    for line in lines:
        stamp = lrc_stamp(line.start) if is_timed(line) else "  --:--  "
        print(f"[{stamp}] {printable(line.text)}")
    return EXIT_OK


def run_clear(args: argparse.Namespace, ctx) -> int:
    track = _track(ctx, args.track)
    ctx.library.clear_user_layer(track.id, "lyrics")
    print(f"imported lyrics removed for {printable(track.path)}")
    return EXIT_OK


def _line_json(line) -> dict:
    return {"start": round(line.start, 3), "end": round(line.end, 3), "text": line.text,
            "words": [{"start": round(w.start, 3), "end": round(w.end, 3), "text": w.text} for w in line.words]}
