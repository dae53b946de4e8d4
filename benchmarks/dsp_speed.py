"""Speed and memory of the dsp backend: warm real-time factor on one core, cold start, peak RSS.

    .venv/bin/python benchmarks/dsp_speed.py [--out benchmarks/out] [--long-minutes 0]

Material is synthetic (tests/dsp/synth.py: a band with drums, bass, chords and melody), written as
44.1 kHz WAV files in a temporary folder, so the figures do not depend on the evaluation songs.
Each measurement that needs a fresh process runs one, pinned to one CPU core with one BLAS thread.
Targets (issues 4, 12, 16): warm <= 1 s per minute of audio, cold <= 10 s, peak RSS <= 500 MB at 10 min
and for a two-hour file (``--long-minutes 120``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_CORE_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "NUMBA_NUM_THREADS": "1"}

CHILD = r"""
import json, os, resource, sys, time
t0 = time.perf_counter()
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from moss_music.audio import load
from moss_music.analysis.dsp import DspAnalyzer
t_import = time.perf_counter()
audio = load(sys.argv[1], DspAnalyzer.sample_rate)  # as the pipeline and worker decode
t_load = time.perf_counter()
analyzer = DspAnalyzer.from_options({})
analyzer.analyze(audio, DspAnalyzer.tasks)
t_first = time.perf_counter()
warm = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    analyzer.analyze(audio, DspAnalyzer.tasks)
    warm.append(time.perf_counter() - t)
print(json.dumps({"duration": audio.duration, "import_s": t_import - t0, "load_s": t_load - t_import,
                  "first_analysis_s": t_first - t_load, "cold_total_s": t_first - t0, "warm_s": warm,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_song(path: Path, minutes: float) -> None:
    """A synthetic pop song of about ``minutes`` length at 44.1 kHz (a 1-minute render, tiled)."""
    import numpy as np
    import soundfile as sf
    import soxr

    sys.path.insert(0, str(ROOT))
    from tests.dsp.synth import SR, song

    prog = [("C", 4), ("A:min", 4), ("F", 4), ("G", 4), ("E:min", 4), ("F", 4), ("D:min", 4), ("G:7", 4)]
    audio, _ = song(prog, bpm=112.0, sections=[("A", 8, 0.5), ("B", 8, 1.0), ("C", 8, 0.7), ("B", 4, 1.0)],
                    melody_seed=11)
    audio = soxr.resample(audio, SR, 44100).astype(np.float32)
    total = int(minutes * 60 * 44100)
    with sf.SoundFile(path, "w", 44100, 1, subtype="PCM_16") as out:  # tiled block by block: no 2-hour array here
        written = 0
        while written < total:
            part = audio[: total - written]
            out.write(part)
            written += len(part)


def child(path: Path, warm_runs: int) -> dict:
    env = {**os.environ, **ONE_CORE_ENV, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(warm_runs)], env=env, check=True,
                         capture_output=True, text=True, timeout=1800)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--long-minutes", type=float, default=0.0,
                        help="also analyse a track this long (e.g. 120) and report its peak RSS")
    args = parser.parse_args()
    from moss_music.analysis.dsp import ALGORITHM_VERSION

    results: dict = {"algorithm": ALGORITHM_VERSION, "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
                     "cpu": _cpu_name()}
    with tempfile.TemporaryDirectory() as tmp:
        four, ten = Path(tmp) / "four.wav", Path(tmp) / "ten.wav"
        write_song(four, 4.0)
        write_song(ten, 10.0)
        results["four_minutes"] = run4 = child(four, warm_runs=3)
        results["ten_minutes"] = child(ten, warm_runs=0)
        if args.long_minutes:
            long = Path(tmp) / "long.wav"
            write_song(long, args.long_minutes)
            results["long"] = child(long, warm_runs=0)
    warm = sorted(run4["warm_s"])[len(run4["warm_s"]) // 2]
    summary = {
        "warm_s_per_4min": warm,
        "warm_realtime_factor": run4["duration"] / warm,
        "cold_total_s": run4["cold_total_s"],
        "peak_rss_mb_10min": results["ten_minutes"]["peak_rss_mb"],
    }
    if "long" in results:
        summary["peak_rss_mb_long"] = results["long"]["peak_rss_mb"]
        summary["long_minutes"] = args.long_minutes
        summary["long_analysis_s"] = results["long"]["first_analysis_s"]
    results["summary"] = summary
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dsp_speed.json").write_text(json.dumps(results, indent=1))
    lines = [
        f"# dsp analyzer {ALGORITHM_VERSION}: speed ({results['cpu']}, one core)", "",
        "| measure | value | target |", "|---|---|---|",
        f"| warm analysis, 4-min song | {warm:.2f} s ({warm / 4:.2f} s per minute, {summary['warm_realtime_factor']:.0f}x real time) | <= 1 s per minute |",
        f"| cold first run in a new process (imports + decode + analysis) | {run4['cold_total_s']:.2f} s "
        f"(imports {run4['import_s']:.2f}, decode {run4['load_s']:.2f}, analysis {run4['first_analysis_s']:.2f}) | <= 10 s |",
        f"| peak RSS, 10-min track (decode + analysis) | {summary['peak_rss_mb_10min']:.0f} MB | <= 500 MB |",
    ]
    if "long" in results:
        lines.append(f"| peak RSS, {args.long_minutes:g}-min track (decode + analysis) | {summary['peak_rss_mb_long']:.0f} MB "
                     f"(analysis {summary['long_analysis_s']:.1f} s) | <= 500 MB |")
    table = "\n".join(lines)
    (args.out / "dsp_speed.md").write_text(table + "\n")
    print(table)
    return 0


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


if __name__ == "__main__":
    raise SystemExit(main())
