"""A 60-second soak: the desktop app, a worker with two consumers and the command line, all at once, with
consumers killed at random — the way a real machine treats the app.

Running together on one data dir for ``MOSS_SOAK_SECONDS`` (default 60):

- the desktop app (offscreen), which starts its own consumer;
- ``moss-music worker --cpu-workers 2``;
- four CLI loops: ``scan``, ``analyze --queue --force`` (plus ``jobs``-free progress checks in the library),
  ``export`` and ``tag``, plus ``tracks --json``;
- every few seconds a ``kill -9`` of a random live consumer.

Then the queue is left to drain, the app and the worker are terminated, and the test checks:
0 surfaced errors (no traceback, no "database is locked", no failure line but the expected
per-file ones), every queued job done exactly once (the damaged file's jobs failed with their
reason), 0 processes of this data dir left within 5 s, and every original's audio intact.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from moss_music.audio import content_hash, probe
from tests.audio_fixtures import write_song
from tests.hostile.corpus import _pcm_wav, _set_nan, _with_samples

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name == "nt", reason="POSIX signals and /proc")]

REPO_ROOT = Path(__file__).resolve().parents[2]
SOAK_SECONDS = float(os.environ.get("MOSS_SOAK_SECONDS", "60"))
KILL_EVERY_S = 7.0
DRAIN_TIMEOUT_S = 150.0
GONE_WITHIN_S = 5.0
EXPECTED_FAILURES = {"format_0x1234.wav": "scan", "damaged.wav": "analysis"}
"""Files whose failure is the right answer, and where it is reported."""


@dataclass
class Soak:
    home: Path
    music: Path
    out: Path
    errors: list[str] = field(default_factory=list)
    jobs: set[int] = field(default_factory=set)
    runs: dict[str, int] = field(default_factory=dict)
    consumer_pids: set[int] = field(default_factory=set)
    kills: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def env(self) -> dict[str, str]:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "MOSS_MUSIC_HOME": str(self.home),
               "QT_QPA_PLATFORM": "offscreen"}
        env.pop("MOSS_MUSIC_MODEL", None)
        return env

    def cli(self, name: str, *args: str, allowed_rc: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "moss_music.cli", *args], capture_output=True, text=True,
                                env=self.env(), cwd=REPO_ROOT, timeout=300)
        with self.lock:
            self.runs[name] = self.runs.get(name, 0) + 1
        problems = surfaced_errors(result.stderr)
        if result.returncode not in allowed_rc:
            problems.append(f"exit code {result.returncode}")
        if problems:
            with self.lock:
                self.errors.append(f"{name} {' '.join(args)[:120]}: {problems}\n{result.stderr[-2000:]}")
        return result


def surfaced_errors(stderr: str) -> list[str]:
    """Lines a user would read as something going wrong, other than the expected per-file failures."""
    problems = []
    for line in stderr.splitlines():
        if "Traceback" in line or "database is locked" in line.lower():
            problems.append(line)
        elif line.startswith("failed:") and not any(name in line for name in EXPECTED_FAILURES):
            problems.append(line)
        elif line.startswith("moss-music") and "error" in line.lower():
            problems.append(line)
    return problems


def make_music(folder: Path) -> dict[str, Path]:
    files = {}
    for index, suffix in enumerate((".wav", ".flac", ".mp3", ".ogg", ".m4a", ".wav")):
        tags = None if suffix == ".wav" else {"title": f"Song {index}", "artist": "Soak"}
        path = write_song(folder / f"song{index}{suffix}", seconds=2.0, bpm=84 + 9 * index, tags=tags)
        files[path.name] = path
    files["control_chars.flac"] = write_song(folder / "control_chars.flac", seconds=1.5, bpm=140,
                                             tags={"title": "Bell\x07 and \x1b[2J", "artist": "Esc"})
    _pcm_wav(folder / "format_0x1234.wav", format_tag=0x1234)
    files["format_0x1234.wav"] = folder / "format_0x1234.wav"
    _with_samples(_set_nan)(folder / "damaged.wav")
    files["damaged.wav"] = folder / "damaged.wav"
    return files


def data_dir_processes(home: Path) -> list[int]:
    """Every process on this machine whose command line names the data dir, other than this one."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if str(home) in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def live_consumer_pids(soak: Soak) -> list[int]:
    from moss_music.paths import DataDir
    from worker import slots

    pids = [record.pid for record in slots.live_consumers(DataDir.resolve(soak.home))]
    with soak.lock:
        soak.consumer_pids.update(pids)
    return pids


def loop(soak: Soak, until: float, step) -> None:
    while time.monotonic() < until:
        try:
            step()
        except Exception as error:  # noqa: BLE001 - a test-side failure is recorded, and the soak goes on
            with soak.lock:
                soak.errors.append(f"{step.__name__}: {type(error).__name__}: {error}")
        time.sleep(0.2)


def test_sixty_seconds_of_everything_at_once(tmp_path):
    soak = Soak(home=tmp_path / "home", music=tmp_path / "music", out=tmp_path / "exports")
    files = make_music(soak.music)
    originals = {name: content_hash(path) for name, path in files.items()}
    soak.cli("scan", "scan", "-q", str(soak.music), allowed_rc=(1,))
    logs = tmp_path / "logs"
    logs.mkdir()
    gui_log = open(logs / "gui.log", "w")  # closed at the end
    worker_log = open(logs / "worker.log", "w")
    gui = subprocess.Popen([sys.executable, "-m", "desktop.app", "--home", str(soak.home)], env=soak.env(),
                           cwd=REPO_ROOT, stdout=gui_log, stderr=subprocess.STDOUT, start_new_session=True)
    worker = subprocess.Popen([sys.executable, "-m", "moss_music.cli", "worker", "--cpu-workers", "2"],
                              env=soak.env(), cwd=REPO_ROOT, stdout=worker_log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while len(live_consumer_pids(soak)) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(live_consumer_pids(soak)) >= 2, "the worker's consumers did not start"
        run_loops(soak, files)
        drain(soak)
    finally:
        for process in (gui, worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        for process in (gui, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        gui_log.close()
        worker_log.close()
    leftover = wait_until_gone(soak, stopped_at)

    print(f"soak: {SOAK_SECONDS:.0f} s, runs {soak.runs}, {len(soak.jobs)} jobs, {soak.kills} consumers killed, "
          f"{len(soak.consumer_pids)} consumer pids seen")
    assert not soak.errors, "\n\n".join(soak.errors[:10])
    for name in ("gui.log", "worker.log"):
        text = (logs / name).read_text(errors="replace")
        assert "Traceback" not in text and "database is locked" not in text.lower(), f"{name}:\n{text[-3000:]}"
    assert soak.kills >= 1 and all(soak.runs.get(loop_name, 0) >= 2
                                   for loop_name in ("scan", "analyze", "export", "tag", "tracks")), soak.runs
    check_jobs(soak)
    assert leftover == [], f"processes of the data dir still running {GONE_WITHIN_S} s after stopping: {leftover}"
    for name, path in files.items():
        assert content_hash(path) == originals[name], f"{name}: the audio changed"
        if name not in EXPECTED_FAILURES:
            probe(path)


def run_loops(soak: Soak, files: dict[str, Path]) -> None:
    good = [str(path) for name, path in files.items() if name != "format_0x1234.wav"]
    until = time.monotonic() + SOAK_SECONDS
    rng = random.Random(16)

    def scan() -> None:
        soak.cli("scan", "scan", "-q", str(soak.music), allowed_rc=(1,))

    def analyze() -> None:
        chosen = rng.sample(good, 3)
        result = soak.cli("analyze", "analyze", "--queue", "--force", "--json", *chosen, allowed_rc=(0,))
        if result.returncode == 0:
            with soak.lock:
                soak.jobs.update(item["job_id"] for item in json.loads(result.stdout))
        time.sleep(1.0)

    def export() -> None:
        soak.cli("export", "export", "--all", "-f", "lrc", "-f", "jams", "-f", "midi", "-f", "chordpro",
                 "--out", str(soak.out), "--force", allowed_rc=(0, 1))

    def tag() -> None:
        soak.cli("tag", "tag", "--all", allowed_rc=(0, 1))

    def tracks() -> None:
        result = soak.cli("tracks", "tracks", "--json")
        if result.returncode == 0:
            json.loads(result.stdout, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        listed = soak.cli("tracks", "tracks")
        if "\x1b" in listed.stdout or "\x07" in listed.stdout:
            with soak.lock:
                soak.errors.append("tracks printed a raw control character")

    def chaos() -> None:
        time.sleep(KILL_EVERY_S * rng.uniform(0.6, 1.4))
        pids = live_consumer_pids(soak)
        if pids and time.monotonic() < until - 5:
            victim = rng.choice(pids)
            try:
                os.kill(victim, signal.SIGKILL)
                with soak.lock:
                    soak.kills += 1
            except ProcessLookupError:
                pass

    threads = [threading.Thread(target=loop, args=(soak, until, step), name=step.__name__)
               for step in (scan, analyze, export, tag, tracks, chaos)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SOAK_SECONDS + 400)


def drain(soak: Soak) -> None:
    """Wait for every queued job to end (a killed consumer's job comes back once its lease expires)."""
    from moss_music.library import Library

    library = Library.open(soak.home)
    try:
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while time.monotonic() < deadline:
            live_consumer_pids(soak)
            states = _job_states(library, soak.jobs)
            if all(state in ("done", "failed", "cancelled") for state, _ in states.values()):
                return
            time.sleep(1.0)
    finally:
        library.close()


def _job_states(library, job_ids) -> dict[int, tuple[str, str]]:
    from moss_music.library.schema import Job, Track

    with library.session() as session:
        rows = session.query(Job.id, Job.state, Job.error, Track.path).join(Track, Track.id == Job.track_id) \
            .filter(Job.id.in_(list(job_ids))).all()
    return {row.id: (row.state, f"{os.path.basename(row.path)}: {row.error or ''}") for row in rows}


def check_jobs(soak: Soak) -> None:
    from sqlalchemy import func, select

    from moss_music.library import Library
    from moss_music.library.schema import Analysis

    library = Library.open(soak.home)
    try:
        states = _job_states(library, soak.jobs)
        assert set(states) == soak.jobs and soak.jobs, "every queued job is in the library"
        for job_id, (state, detail) in states.items():
            if detail.startswith("damaged.wav"):
                assert state == "failed" and "damaged" in detail, (job_id, state, detail)
            else:
                assert state == "done", f"job {job_id} ({detail}) is {state}\n{_diagnose(soak, library, job_id)}"
        with library.session() as session:
            duplicates = session.execute(select(Analysis.content_hash, Analysis.cache_key, func.count())
                                         .group_by(Analysis.content_hash, Analysis.cache_key)
                                         .having(func.count() > 1)).all()
        assert duplicates == [], "one stored result per audio and question"
        analysed = {detail.split(": ", 1)[0] for state, detail in states.values() if state == "done"}
        for track in library.list_tracks(status="ok"):
            if os.path.basename(track.path) in analysed:  # every track a job finished for still has its result
                assert library.analyses(track.id), f"{track.path} kept no analysis"
    finally:
        library.close()


def _diagnose(soak: Soak, library, job_id: int) -> str:
    """The job's row, the live consumers and the consumer logs' last lines, for a failure message."""
    from moss_music.library.schema import Job

    with library.session() as session:
        job = session.get(Job, job_id)
        row = {name: getattr(job, name) for name in ("state", "stage", "attempts", "huey_task_id", "worker_id",
                                                      "created_at", "updated_at", "error")}
    logs = "\n".join(f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-15:])
                     for path in sorted((soak.home / "logs").glob("*.log")))
    return f"row {row}\nlive consumers {live_consumer_pids(soak)}\n{logs}"


def wait_until_gone(soak: Soak, since: float) -> list[int]:
    """Pids still running GONE_WITHIN_S after the app and the worker were told to stop."""
    while time.monotonic() - since < GONE_WITHIN_S:
        left = [pid for pid in soak.consumer_pids if _running(pid)] + data_dir_processes(soak.home)
        if not left:
            return []
        time.sleep(0.1)
    left = sorted(set([pid for pid in soak.consumer_pids if _running(pid)] + data_dir_processes(soak.home)))
    for pid in left:  # do not leave them to the next test
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False
