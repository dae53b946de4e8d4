"""Print the hostile corpus table for docs/reliability.md: what each entry point did with each file.

    python -m tests.hostile.report [--out docs/hostile_table.md]

It runs the same code as tests/hostile/test_corpus.py (scan, DSP analysis, peaks, export,
tag, lyrics import) on a fresh corpus and prints one Markdown row per file, so the table in the
docs is measured, never typed in.
"""

from __future__ import annotations

import argparse
import collections
import os
import tempfile
import time
from pathlib import Path

from moss_music.audio import AudioError, compute_peaks, content_hash
from moss_music.export.batch import export_tracks, tag_tracks
from moss_music.export.lyrics import lyrics_from_tags
from moss_music.export.registry import FORMATS
from moss_music.library.scanner import display_path
from tests.hostile.corpus import KINDS
from tests.hostile.test_corpus import Corpus


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split()).replace("|", "/").replace(_FOLDER[0], "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


_FOLDER = [""]
"""The corpus folder, cut out of the reasons shown (they name the file, which the row already does)."""


def build_rows(root: Path) -> tuple[list[str], dict[str, float]]:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    corpus = Corpus(root)
    _FOLDER[0] = str(corpus.folder) + os.sep
    timings["build + scan"] = time.perf_counter() - started
    started = time.perf_counter()
    corpus.analyse_all()
    timings["DSP analysis"] = time.perf_counter() - started
    failed = {os.path.basename(display_path(path)): reason for path, reason in corpus.report.failed}
    skipped = {os.path.basename(path): reason for path, reason in corpus.report.folder_errors}

    started = time.perf_counter()
    peaks = {}
    for name, path in corpus.paths.items():
        if not path.is_file():
            continue
        try:
            compute_peaks(path)
            peaks[name] = "ok"
        except AudioError as error:
            peaks[name] = "refused"
            del error
    timings["peaks"] = time.perf_counter() - started

    started = time.perf_counter()
    report = export_tracks(corpus.library, [t.id for t in corpus.tracks.values()], list(FORMATS), root / "out")
    exports: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    for item in report.items:
        exports[item.track_id][item.status] += 1
    timings["export"] = time.perf_counter() - started

    started = time.perf_counter()
    lyrics = {name: len(lyrics_from_tags(track.path, track.duration)) for name, track in corpus.tracks.items()
              if track.status == "ok"}
    timings["lyrics import"] = time.perf_counter() - started

    started = time.perf_counter()
    tags = {}
    for outcome in tag_tracks(corpus.library, [t.id for t in corpus.tracks.values()]):
        name = os.path.basename(outcome.path)
        intact = Path(outcome.path).is_file() and content_hash(outcome.path) == corpus.hashes_before.get(name)
        if outcome.written:
            tags[name] = "written, audio intact" if intact else "written, AUDIO CHANGED"
        else:
            tags[name] = f"refused: {_short(outcome.error, 60)}" if outcome.error else "nothing to change"
    timings["tag"] = time.perf_counter() - started

    rows = ["| file | trigger | scan | DSP analysis | peaks | export (written/skipped/failed) | tag | lyrics |",
            "|---|---|---|---|---|---|---|---|"]
    for kind in KINDS:
        name = kind.name
        shown = _short(display_path(name).replace("\n", "\\n").replace("\x1b", "\\x1b"), 40)
        track = corpus.tracks.get(name)
        if track is None:
            reason = failed.get(os.path.basename(display_path(name))) or skipped.get(name) or "not a regular file"
            scan = f"not stored: {_short(reason, 45)}"
            rows.append(f"| `{shown}` | {kind.trigger} | {scan} | – | – | – | – | – |")
            continue
        scan = "ok" if track.status == "ok" else f"unreadable: {_short(track.error or '', 45)}"
        if name in corpus.analysed:
            analysis = "ok (stored)" if not corpus.analysed[name].cached else "ok (same audio: stored result)"
        else:
            reason = corpus.refused.get(name, "")
            analysis = f"refused: {_short(reason.split(': ', 1)[-1] if reason.startswith('cannot') else reason, 50)}"
        counts = exports.get(track.id, collections.Counter())
        export = f"{counts['written']}/{counts['skipped']}/{counts['failed']}"
        lyric = f"{lyrics[name]} lines" if lyrics.get(name) else "–"
        rows.append(f"| `{shown}` | {kind.trigger} | {scan} | {analysis} | {peaks.get(name, '–')} | {export} | "
                    f"{tags.get(name, '–')} | {lyric} |")
    corpus.library.close()
    return rows, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", help="also write the table to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="moss-hostile-") as work:
        rows, timings = build_rows(Path(work))
    text = "\n".join(rows) + "\n\n" + "Timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
