"""A full or read-only disk: jobs fail with a reason and the consumer backs off; commands say what and where in
one line, and ``tracks`` still lists the library.

Two ways in: a full-disk error injected at the write layer (``Library.save_analysis`` / ``jobs.finish`` raise
what SQLite raises), and real small file systems (a 3 MiB tmpfs, full or remounted read-only) where mounting is
permitted (root on Linux); those skip cleanly elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from moss_music.cli import main
from moss_music.library import Library
from moss_music.paths import DataDir
from moss_music.storage import describe_storage_error, is_storage_error, storage_problem
from tests.audio_fixtures import write_song
from tests.worker.conftest import wait_for
from tests.worker.test_jobs import drain, job, runner, slot  # noqa: F401 - fixtures
from worker import client, jobs
from worker.backoff import STORAGE, StorageBackoff
from worker.launcher import PACKAGE_ROOT

DISK_FULL = OperationalError("INSERT INTO analyses ...", {}, sqlite3.OperationalError("database or disk is full"))


@pytest.fixture(autouse=True)
def fresh_backoff():
    STORAGE.succeeded()
    yield
    STORAGE.succeeded()


def test_storage_errors_are_told_from_other_errors(tmp_path):
    assert is_storage_error(DISK_FULL)
    assert is_storage_error(OSError(28, "No space left on device"))
    assert not is_storage_error(ValueError("database or disk is full"))
    assert not is_storage_error(OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x")))
    assert storage_problem(tmp_path) == ""
    assert describe_storage_error(DISK_FULL, tmp_path) == f"cannot write to {tmp_path}: database or disk is full"
    assert describe_storage_error(KeyError("x"), tmp_path) is None


def test_backoff_grows_logs_once_per_problem_and_resets(caplog):
    backoff = StorageBackoff(first_pause_s=1.0, max_pause_s=4.0)
    for _ in range(50):
        backoff.failed("the disk holding /data is full: free some space")
    assert 3.5 < backoff.remaining() <= 4.0
    assert len([r for r in caplog.records if r.name == "worker.backoff"]) == 1
    backoff.succeeded()
    assert backoff.remaining() == 0 and backoff.problem == ""
    assert "writing works again" in caplog.records[-1].getMessage()


def test_disk_full_while_storing_fails_the_job_with_the_reason_and_backs_off(
        library, runner, make_tracks, rms_backend, monkeypatch, caplog):  # noqa: F811 - fixture
    [first, second] = client.enqueue_analysis(library, make_tracks(2), backend=rms_backend)
    monkeypatch.setattr(Library, "save_analysis", lambda *a, **k: (_ for _ in ()).throw(DISK_FULL))
    drain(runner)
    for job_id in (first, second):
        failed = job(library, job_id)
        assert (failed.state, failed.stage) == ("failed", "failed")
        assert failed.error == f"the result could not be stored: cannot write to {runner.data_dir.root}: " \
                               "database or disk is full"
    assert STORAGE.remaining() > 0
    assert not any(record.exc_info for record in caplog.records)  # no traceback per job
    assert len([r for r in caplog.records if r.name == "worker.backoff"]) == 1


def test_a_finish_that_hits_a_full_disk_is_retried_until_it_is_recorded(
        library, runner, make_tracks, rms_backend, monkeypatch):  # noqa: F811 - fixture
    [job_id] = client.enqueue_analysis(library, make_tracks(1), backend=rms_backend)
    real_finish, failures = jobs.finish, []

    def finish_on_third_try(*args, **kwargs):
        if len(failures) < 2:
            failures.append(1)
            raise DISK_FULL
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(jobs, "finish", finish_on_third_try)
    monkeypatch.setattr(STORAGE, "first_pause_s", 0.05)
    drain(runner)
    assert len(failures) == 2 and job(library, job_id).state == "done"


def test_a_command_that_hits_a_full_disk_says_so_in_one_line(data_dir, library, tmp_path, monkeypatch, capsys):
    song = write_song(tmp_path / "song.wav", seconds=1.0)
    monkeypatch.setattr(Library, "save_analysis", lambda *a, **k: (_ for _ in ()).throw(DISK_FULL))
    assert main(["analyze", str(song)]) == 1
    err = capsys.readouterr().err
    assert err == f"moss-music analyze: cannot write to {data_dir.root}: database or disk is full\n"


# -- real small file systems ------------------------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(folder: Path, size: str = "3m"):
    folder.mkdir(parents=True, exist_ok=True)
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"mounting is not permitted here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(folder: Path) -> None:
    with open(folder / f"filler-{uuid.uuid4().hex}", "wb") as filler:
        with contextlib.suppress(OSError):
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()


def last_line(outcome: subprocess.CompletedProcess) -> str:
    """The command's own message (a library warning from a too-short test song may come before it)."""
    return outcome.stderr.strip().splitlines()[-1]


def cli(home: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moss_music.cli", "--home", str(home), *argv], cwd=PACKAGE_ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_full_and_read_only_data_dirs_list_tracks_and_refuse_writes_in_one_line(tmp_path):
    songs = [write_song(tmp_path / "songs" / f"s{i}.wav", seconds=1.0, bpm=90 + i) for i in range(2)]
    with tmpfs(tmp_path / "home") as home:
        assert cli(home, "scan", str(tmp_path / "songs")).returncode == 0
        assert cli(home, "analyze", str(songs[1])).returncode == 0
        fill(home)
        exported = cli(home, "export", "--all", "--format", "jams", "--out", str(tmp_path / "out"))
        assert exported.returncode == 0 and (tmp_path / "out" / "s1.jams").is_file()
        for outcome in (cli(home, "tracks"), cli(home, "tracks", "--json")):
            assert outcome.returncode == 0 and "s0" in outcome.stdout and "s1" in outcome.stdout
            assert outcome.stderr.strip().endswith("showing the library as it is (read-only)")
        for argv in (("analyze", str(songs[0])), ("scan", str(tmp_path / "songs"))):
            outcome = cli(home, *argv)
            assert outcome.returncode != 0 and "Traceback" not in outcome.stderr
            assert last_line(outcome) == f"moss-music {argv[0]}: the disk holding {home} is full: free some space"
        subprocess.run(["mount", "-o", "remount,ro", str(home)], check=True)
        outcome = cli(home, "analyze", str(songs[0]))
        assert last_line(outcome) == (f"moss-music analyze: {home} is on a read-only file system: remount it "
                                      "writable or use another --home")
        assert cli(home, "tracks").returncode == 0


@pytest.mark.slow
def test_disk_full_mid_job_fails_the_job_backs_off_and_recovers(tmp_path, rms_backend):
    songs = [write_song(tmp_path / "songs" / f"s{i}.wav", seconds=2.0, bpm=90 + i) for i in range(2)]
    with tmpfs(tmp_path / "home", size="4m") as home:
        data_dir = DataDir.resolve(home)
        library = Library.open(data_dir)
        tracks = [library.add_file(song).id for song in songs]
        consumer = subprocess.Popen([sys.executable, "-m", "worker.consumer", "--home", str(home), "--lane", "cpu"],
                                    cwd=PACKAGE_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            [running] = client.enqueue_analysis(library, tracks[:1], backend=rms_backend,
                                                params={"steps": 20, "step_s": 0.1})
            wait_for(lambda: client.get_job(library, running).progress > 0, timeout=60, what="the job to run")
            fill(home)  # the analysis ends on a full disk: nothing can be written, not even the job's outcome
            time.sleep(5)
            assert client.get_job(library, running).state == "running"
            for filler in home.glob("filler-*"):
                filler.unlink()
            # Space again: the outcome the consumer kept trying to record arrives, with the reason.
            wait_for(lambda: client.get_job(library, running).state != "running", timeout=30, what="the outcome")
            ended = client.get_job(library, running)
            assert (ended.state, ended.error) == ("failed", "the result could not be stored: the disk holding "
                                                            f"{home} is full: free some space")
            [later] = client.enqueue_analysis(library, tracks[1:], backend=rms_backend)
            wait_for(lambda: client.get_job(library, later).state == "done", timeout=90, what="a job after space")
        finally:
            consumer.terminate()
            output = consumer.communicate(timeout=30)[0]
            library.close()
        assert "Traceback" not in output, output[-3000:]
        assert output.count("is full") <= 2, output[-3000:]  # when it started, and when it was over
