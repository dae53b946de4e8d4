"""``moss-music tracks``: list the library, optionally filtered by a search.

The ``--json`` shape is stable: a list of objects with the keys in ``TRACK_JSON_KEYS``
(missing values are null), so scripts can rely on it.
"""

from __future__ import annotations

import argparse

from moss_music.cli.context import EXIT_OK, printable

TRACK_JSON_KEYS = (
    "id", "path", "status", "error", "title", "artist", "album", "album_artist", "genre", "year", "track_number",
    "duration", "sample_rate", "channels", "bitrate", "format", "codec", "content_hash", "key", "bpm",
    "time_signature", "tags",
)


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("tracks", parents=[common], help="list tracks in the library")
    parser.add_argument("--search", "-s", metavar="Q", help="full-text search over tags, captions and lyrics")
    parser.add_argument("--status", choices=("ok", "missing", "unreadable"), help="only tracks with this status")
    parser.add_argument("--limit", type=_positive_int, metavar="N", help="at most this many tracks (N >= 1)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (stable keys)")
    parser.set_defaults(handler=run, read_only=True)  # still lists the library on a full or read-only disk


def _positive_int(text: str) -> int:
    """argparse type for --limit: a count of tracks, so 0 and negatives are refused rather than misread."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more (leave --limit out for all tracks), not {value}")
    return value


def track_to_json(track) -> dict:
    return {
        "id": track.id, "path": track.path, "status": track.status, "error": track.error, "title": track.title,
        "artist": track.artist, "album": track.album, "album_artist": track.album_artist, "genre": track.genre,
        "year": track.year, "track_number": track.track_number, "duration": track.duration,
        "sample_rate": track.sample_rate, "channels": track.channels, "bitrate": track.bitrate,
        "format": track.format, "codec": track.codec, "content_hash": track.content_hash, "key": track.key.name() if track.key else None,
        "bpm": track.bpm, "time_signature": track.time_signature,
        "tags": [t.strip() for t in track.caption_tags.split(",")] if track.caption_tags else [],
    }


def run(args, ctx) -> int:
    tracks = ctx.library.list_tracks(search=args.search, status=args.status, limit=args.limit)
    if args.json:
        ctx.print_json([track_to_json(track) for track in tracks])
        return EXIT_OK
    for track in tracks:
        duration = f"{int(track.duration // 60)}:{int(track.duration % 60):02d}" if track.duration else "--:--"
        extra = f"  [{track.status}: {track.error}]" if track.status != "ok" else ""
        details = "  ".join(x for x in (track.key.name() if track.key else "", f"{track.bpm:.0f} BPM" if track.bpm else "") if x)
        artist = f"{track.artist} – " if track.artist else ""
        # Tags and file names are anyone's bytes: never let them drive the terminal.
        print(printable(f"{track.id:>6}  {duration:>6}  {artist}{track.display_title}  {details}{extra}"))
    return EXIT_OK
