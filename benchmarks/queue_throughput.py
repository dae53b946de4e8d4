"""Queue figures: DSP tracks/minute through the queue vs in-process, per-job overhead, idle pickup latency.

1. DSP throughput: the songs in ../shared/eval (real music, about 16 minutes), analysed
   ``--rounds`` times, sequentially in this process and then through ``--cpu-workers``
   queue consumers (each round asks with different params, so nothing is served from
   a stored result).
2. Per-job overhead: ``--overhead-jobs`` jobs of a near-zero-work analyzer on a 0.5 s
   file, through one consumer vs the same steps in-process.
3. Pickup latency of an idle consumer: enqueue one job, time until it is claimed
   (``--latency-samples`` times, idle 0.2-0.6 s in between); with ``--redis`` also
   for a RedisHuey queue on a temporary redis-server.

Prints the figures and writes benchmarks/out/queue.json.

    python benchmarks/queue_throughput.py [--rounds 2] [--cpu-workers 2] [--redis] [--generated N]
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import timezone  # noqa: E402

from moss_music.analysis import get_analyzer_class, register_backend  # noqa: E402
from moss_music.analysis.pipeline import analyze_track  # noqa: E402
from moss_music.audio import probe  # noqa: E402
from moss_music.library import Library  # noqa: E402
from moss_music.paths import HOME_ENV, DataDir  # noqa: E402
from tests.audio_fixtures import write_song  # noqa: E402
from tests.worker.rms_backend import BACKEND_NAME as NOOP_BACKEND  # noqa: E402
from tests.worker.rms_backend import ENV_VALUE, TARGET  # noqa: E402
from worker import client  # noqa: E402
from worker.launcher import ConsumerLauncher  # noqa: E402
from worker.runner import AnalyzerCache, warm_up  # noqa: E402
from worker.settings import EXTRA_BACKENDS_ENV, REDIS_URL_ENV  # noqa: E402
from worker.states import FINISHED_STATES, JobState  # noqa: E402

OUT_DIR = HERE / "out"
EVAL_DIR = HERE.parent.parent / "shared" / "eval"
AUDIO_SUFFIXES = {".mp3", ".ogg", ".wav", ".flac"}
NOOP_PARAMS = {"steps": 1}


def eval_songs() -> list[Path]:
    return sorted(p for p in EVAL_DIR.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)


def generated_songs(folder: Path, count: int) -> list[Path]:
    return [write_song(folder / f"gen{i:03d}.wav", seconds=30.0, bpm=80 + 3 * i) for i in range(count)]


def wait_all(library, ids, timeout=3600.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(job.state in FINISHED_STATES for job in client.list_jobs(library, states=None)
               if job.id in ids):
            return
        time.sleep(0.02)
    raise TimeoutError("jobs did not finish")


def epoch(value) -> float:
    return value.replace(tzinfo=timezone.utc).timestamp()


def wait_warm(data_dir: DataDir, count: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = "".join(p.read_text(errors="replace") for p in data_dir.logs_dir.glob("worker-*.log"))
        if text.count("backend warmed up") + text.count("warming up the") >= count:
            return
        time.sleep(0.1)


def in_process(library, data_dir, track_ids, backend, params_list) -> float:
    """What a job does, without the queue: the same ``analyze_track`` call, one after another. Returns seconds."""
    analyzer = AnalyzerCache(data_dir).get(backend, {})
    started = time.perf_counter()
    for params in params_list:
        for track_id in track_ids:
            analyze_track(library, analyzer, library.get_track(track_id), params=params)
    return time.perf_counter() - started


def through_queue(library, track_ids, backend, params_list) -> tuple[float, float, list]:
    """Enqueue every (params, track) job and wait: (seconds until all done, seconds to enqueue, jobs)."""
    started = time.perf_counter()
    ids = []
    for params in params_list:
        ids += client.enqueue_analysis(library, track_ids, backend=backend, params=params)
    enqueued = time.perf_counter() - started
    wait_all(library, set(ids))
    jobs = [client.get_job(library, i) for i in ids]
    failed = [j for j in jobs if j.state != JobState.DONE]
    if failed:
        raise RuntimeError(f"{len(failed)} jobs failed, e.g. {failed[0].error}")
    return time.perf_counter() - started, enqueued, jobs


def dsp_throughput(library, data_dir, songs, rounds, cpu_workers) -> dict:
    track_ids = [library.add_file(p).id for p in songs]
    audio_s = sum(probe(p).duration for p in songs) * rounds
    warm_up(AnalyzerCache(data_dir), "dsp")
    sequential = in_process(library, data_dir, track_ids, "dsp", [{"round": r} for r in range(rounds)])
    launcher = ConsumerLauncher(data_dir, ("cpu",), cpu_workers, warm_up=True)
    launcher.start()
    try:
        wait_warm(data_dir, cpu_workers)
        queued, _, jobs = through_queue(library, track_ids, "dsp", [{"round": f"q{r}"} for r in range(rounds)])
    finally:
        launcher.stop()
    n = len(track_ids) * rounds
    return {
        "tracks": n, "audio_minutes": round(audio_s / 60, 2),
        "sequential_in_process_s": round(sequential, 2),
        "sequential_tracks_per_min": round(n / sequential * 60, 1),
        "queue_s": round(queued, 2), "queue_cpu_workers": cpu_workers,
        "queue_tracks_per_min": round(n / queued * 60, 1),
        "speedup": round(sequential / queued, 2),
        "queue_x_realtime": round(audio_s / queued, 1),
        "workers_used": len({j.worker_id for j in jobs}),
    }


def queue_overhead(library, data_dir, folder, count) -> dict:
    """Distinct tiny tracks (one analysis each, as in real use), in-process vs through one consumer."""
    made = [0]

    def tracks(tag: str) -> list[int]:
        """Each file a few samples longer than the last, so every one has its own content hash."""
        ids = []
        for _ in range(count):
            made[0] += 1
            path = write_song(folder / f"tiny-{tag}{made[0]:04d}.wav", seconds=0.5 + made[0] / 22_050)
            ids.append(library.add_file(path).id)
        return ids

    in_process(library, data_dir, tracks("warm")[:10], NOOP_BACKEND, [NOOP_PARAMS])  # imports, first queries
    base = in_process(library, data_dir, tracks("a"), NOOP_BACKEND, [NOOP_PARAMS])
    queued_tracks = tracks("b")
    launcher = ConsumerLauncher(data_dir, ("cpu",), 1, warm_up=False)
    launcher.start()
    try:
        client.enqueue_analysis(library, queued_tracks[:1], backend=NOOP_BACKEND, params={**NOOP_PARAMS, "warm": 1})
        time.sleep(1.0)
        queued, enqueue_s, _ = through_queue(library, queued_tracks, NOOP_BACKEND, [NOOP_PARAMS])
    finally:
        launcher.stop()
    return {
        "jobs": count, "in_process_ms_per_job": round(base / count * 1000, 2),
        "queue_ms_per_job": round(queued / count * 1000, 2),
        "overhead_ms_per_job": round((queued - base) / count * 1000, 2),
        "enqueue_ms_per_job_in_one_call": round(enqueue_s / count * 1000, 2),
    }


def pickup_latency(library, data_dir, folder, samples, label) -> dict:
    """Idle consumer: enqueue one job, time until it is claimed (enqueue call + wait for pickup)."""
    [track_id] = [library.add_file(write_song(folder / f"latency-{label}.wav", seconds=0.5, bpm=77)).id]
    launcher = ConsumerLauncher(data_dir, ("cpu",), 1, warm_up=False)
    launcher.start()
    totals, enqueues, pickups = [], [], []
    try:
        for i in range(samples + 1):
            time.sleep(random.uniform(0.2, 0.6))
            sent = time.time()
            [job_id] = client.enqueue_analysis(library, [track_id], backend=NOOP_BACKEND,
                                               params={**NOOP_PARAMS, "latency": f"{label}{i}"})
            queued = time.time()
            deadline = time.monotonic() + 30
            while (job := client.get_job(library, job_id)).started_at is None and time.monotonic() < deadline:
                time.sleep(0.002)
            if i:  # the first one also pays for the consumer's first queries
                claimed = epoch(job.started_at)
                totals.append((claimed - sent) * 1000)
                enqueues.append((queued - sent) * 1000)
                pickups.append((claimed - queued) * 1000)
    finally:
        launcher.stop()

    def summary(values: list[float]) -> dict:
        values = sorted(values)
        return {"median_ms": round(statistics.median(values), 1),
                "p95_ms": round(values[int(0.95 * (len(values) - 1))], 1), "max_ms": round(values[-1], 1)}

    return {"queue": label, "samples": samples, "enqueue_to_claim": summary(totals),
            "enqueue_call": summary(enqueues), "queued_to_claim": summary(pickups)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cpu-workers", type=int, default=2)
    parser.add_argument("--overhead-jobs", type=int, default=200)
    parser.add_argument("--latency-samples", type=int, default=30)
    parser.add_argument("--generated", type=int, default=0, help="use N generated 30 s songs instead of ../shared/eval")
    parser.add_argument("--redis", action="store_true", help="also measure pickup latency with a Redis queue")
    parser.add_argument("--skip-dsp", action="store_true", help="only the overhead and latency figures")
    args = parser.parse_args()

    register_backend(NOOP_BACKEND, TARGET)
    os.environ[EXTRA_BACKENDS_ENV] = ENV_VALUE
    get_analyzer_class("dsp")
    result: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}
    with tempfile.TemporaryDirectory(prefix="moss-queue-bench-") as tmp:
        work = Path(tmp)
        songs = generated_songs(work / "songs", args.generated) if args.generated else eval_songs()
        if not songs:
            raise SystemExit(f"no songs in {EVAL_DIR}; use --generated N")
        os.environ[HOME_ENV] = str(work / "home")
        data_dir = DataDir.resolve(work / "home")
        library = Library.open(data_dir)
        if not args.skip_dsp:
            result["dsp"] = dsp_throughput(library, data_dir, songs, args.rounds, args.cpu_workers)
            print(json.dumps(result["dsp"]), flush=True)
        result["overhead"] = queue_overhead(library, data_dir, work, args.overhead_jobs)
        print(json.dumps(result["overhead"]), flush=True)
        result["pickup_latency"] = [pickup_latency(library, data_dir, work, args.latency_samples, "sqlite")]
        print(json.dumps(result["pickup_latency"][0]), flush=True)
        library.close()
        if args.redis:
            result["pickup_latency"].append(redis_latency(work, args.latency_samples))
            print(json.dumps(result["pickup_latency"][1]), flush=True)
    print(json.dumps(result, indent=2))
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "queue.json").write_text(json.dumps(result, indent=2))


def redis_latency(work: Path, samples: int) -> dict:
    from tests.worker.servers import redis_server

    with redis_server() as url:
        os.environ[REDIS_URL_ENV] = url
        os.environ[HOME_ENV] = str(work / "home-redis")
        data_dir = DataDir.resolve(work / "home-redis")
        library = Library.open(data_dir)
        try:
            return pickup_latency(library, data_dir, work, samples, "redis")
        finally:
            library.close()
            del os.environ[REDIS_URL_ENV]


if __name__ == "__main__":
    main()
