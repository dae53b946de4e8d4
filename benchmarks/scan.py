"""Scanner throughput: first scan and unchanged rescan of 2,000 short files in mixed formats,
plus the audio hash's speed on full-length files (it reads all of the audio, so it must run at
disk speed: compared here with reading the same bytes, warm cache, and with the old sampled hash).

Targets (2-core machine): first scan >= 200 files/s, rescan >= 3,000 files/s, audio hash
>= 500 MB/s per core (faster than SATA SSDs and hard disks; the scan hashes four files at once).
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

from moss_music.library import Library
from tests.audio_fixtures import write_song

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


def hash_speed(folder: Path) -> dict:
    """MB/s of content_hash, of reading the file, and of the legacy sampled hash, on ~100 MB files."""
    import numpy as np

    from moss_music.audio.hashing import content_hash, legacy_content_hash

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal((44_100 * 60 * 10, 2)) * 0.1).astype(np.float32)  # 10 minutes
    files = {".wav": folder / "long.wav", ".flac": folder / "long.flac"}
    sf.write(files[".wav"], noise, 44_100, subtype="PCM_24")  # ~151 MB
    sf.write(files[".flac"], noise[: len(noise) // 2], 44_100, subtype="PCM_16")  # 5 min of noise, ~100 MB
    figures = {}
    for suffix, path in files.items():
        size_mb = path.stat().st_size / 1e6
        runs = {}
        for name, function in (("read", _read_all), ("audio_hash", content_hash), ("legacy_hash", legacy_content_hash)):
            function(path)  # warm the page cache
            started = time.perf_counter()
            function(path)
            runs[name] = time.perf_counter() - started
        figures[suffix] = {"size_mb": round(size_mb, 1),
                           **{f"{name}_mb_per_s": round(size_mb / seconds, 1) for name, seconds in runs.items()}}
    return figures


def long_files_scan(folder: Path, home: Path, count: int = 12, minutes: float = 4.0) -> dict:
    """First scan of full-length songs (4-minute WAV and FLAC, distinct audio): MB/s and files/s, warm cache."""
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    frames = int(44_100 * 60 * minutes)
    for i in range(count):
        noise = (rng.standard_normal((frames, 2)) * 0.05).astype(np.float32)
        sf.write(folder / f"long{i:02d}{'.wav' if i % 2 else '.flac'}", noise, 44_100, subtype="PCM_16")
    size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    shutil.rmtree(home, ignore_errors=True)
    library = Library.open(home)
    report = library.scan([folder])
    library.close()
    return {"files": count, "minutes_each": minutes, "total_mb": round(size_mb, 1),
            "first_scan_s": round(report.elapsed_s, 2), "mb_per_s": round(size_mb / report.elapsed_s, 1),
            "files_per_s": round(count / report.elapsed_s, 2)}


def _read_all(path: Path) -> None:
    with open(path, "rb") as handle:
        while handle.read(1 << 20):
            pass


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
    hashing = hash_speed(work / "long")
    long_scan = long_files_scan(work / "long_songs", work / "home_long")
    files = first.added + len(first.failed)
    result = {
        "files": files,
        "first_scan_s": round(first.elapsed_s, 3),
        "first_scan_files_per_s": round(files / first.elapsed_s, 1),
        "rescan_s": round(rescan.elapsed_s, 3),
        "rescan_files_per_s": round(rescan.unchanged / rescan.elapsed_s, 1),
        "failed": len(first.failed),
        "audio_hash": hashing,
        "long_files_first_scan": long_scan,
        "targets": {"first_scan_files_per_s": 200, "rescan_files_per_s": 3000,
                    "audio_hash_mb_per_s": 500},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(json.dumps(result, indent=2))
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "scan.json").write_text(json.dumps(result, indent=2))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
