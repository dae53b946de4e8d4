"""Scanner throughput: first scan and unchanged rescan of 2,000 short files in mixed formats.

Targets (2-core machine): first scan >= 200 files/s, rescan >= 3,000 files/s.
Prints the figures and writes benchmarks/out/scan.json.

    python benchmarks/scan.py [--files 2000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moss_music.library import Library  # noqa: E402
from tests.audio_fixtures import write_song  # noqa: E402

FORMATS = (".flac", ".wav", ".ogg", ".mp3", ".m4a")
OUT_DIR = Path(__file__).resolve().parent / "out"


def make_files(folder: Path, count: int) -> None:
    """Half a second each, 50 per folder; each format template is encoded once, then varied by tags."""
    import mutagen

    templates = {suffix: write_song(folder / f"_template{suffix}", seconds=0.5) for suffix in FORMATS}
    for i in range(count):
        suffix = FORMATS[i % len(FORMATS)]
        target = folder / f"artist{i // 200:02d}" / f"album{i // 50:03d}" / f"track{i:05d}{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".wav":
            # distinct content so hashes differ
            data, rate = sf.read(templates[suffix])
            sf.write(target, data * (0.5 + (i % 97) / 200), rate)
            continue
        shutil.copy(templates[suffix], target)
        tags = mutagen.File(target, easy=True)
        if tags.tags is None:
            tags.add_tags()
        tags["title"] = f"Track {i}"
        tags["artist"] = f"Artist {i // 200}"
        tags["album"] = f"Album {i // 50}"
        tags.save()
    for template in templates.values():
        template.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--keep", help="use/keep this folder for the generated files")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="moss-scan-bench-"))
    music = work / "music"
    if not music.exists():
        started = time.perf_counter()
        make_files(music, args.files)
        print(f"generated {args.files} files in {time.perf_counter() - started:.1f} s")
    home = work / "home"
    shutil.rmtree(home, ignore_errors=True)
    library = Library.open(home)
    first = library.scan([music])
    rescan = library.scan([music])
    library.close()
    files = first.added + len(first.failed)
    result = {
        "files": files,
        "first_scan_s": round(first.elapsed_s, 3),
        "first_scan_files_per_s": round(files / first.elapsed_s, 1),
        "rescan_s": round(rescan.elapsed_s, 3),
        "rescan_files_per_s": round(rescan.unchanged / rescan.elapsed_s, 1),
        "failed": len(first.failed),
        "targets": {"first_scan_files_per_s": 200, "rescan_files_per_s": 3000},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(json.dumps(result, indent=2))
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "scan.json").write_text(json.dumps(result, indent=2))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
