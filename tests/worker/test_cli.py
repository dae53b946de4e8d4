"""`moss-music analyze --queue`, `moss-music worker` and `moss-music jobs` used as a person would in a terminal."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from moss_music.cli import main
from tests.audio_fixtures import write_song
from worker.launcher import PACKAGE_ROOT, ConsumerLauncher


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow
def test_queue_files_run_a_worker_and_watch_the_jobs_finish(data_dir, library, tmp_path, rms_backend, capsys):
    paths = [str(write_song(tmp_path / f"{name}.wav", seconds=2.0, bpm=bpm)) for name, bpm in (("a", 100), ("b", 130))]
    code, out, err = run_cli(capsys, "analyze", *paths, str(tmp_path / "missing.wav"), "--queue",
                             "--backend", rms_backend, "--json")
    assert code == 1 and "failed: " in err and "missing.wav" in err
    assert "no cpu worker is running: start one with `moss-music worker --lanes cpu`" in err
    queued = json.loads(out)
    assert [row["path"] for row in queued] == paths
    first, second = (row["job_id"] for row in queued)

    assert run_cli(capsys, "jobs", "cancel", str(first))[1] == f"job {first}: cancelled\n"
    assert run_cli(capsys, "jobs", "retry", str(first))[1] == f"job {first}: queued again\n"
    code, _, err = run_cli(capsys, "jobs", "cancel", "999")
    assert code == 1 and "job 999: no job 999" in err
    code, out, _ = run_cli(capsys, "jobs", "--json")
    assert [(row["id"], row["state"]) for row in json.loads(out)] == [(first, "queued"), (second, "queued")]

    worker = subprocess.Popen([sys.executable, "-m", "moss_music.cli", "worker", "--cpu-workers", "1"],
                              cwd=PACKAGE_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        code, out, _ = run_cli(capsys, "jobs", "--watch", "--json")
        assert code == 0
        final = json.loads(out.strip().splitlines()[-1])
        assert {row["id"]: row["state"] for row in final} == {first: "done", second: "done"}
        code, out, _ = run_cli(capsys, "jobs")
        assert "2 done" in out and "b" in out
    finally:
        worker.send_signal(signal.SIGINT)
        output = worker.communicate(timeout=30)[0]
    assert worker.returncode == 0, output
    assert "moss-music worker: lanes cpu×1" in output and "stopping consumers" in output
    assert not ConsumerLauncher(data_dir).running()


def test_queue_with_jams_is_refused_with_a_reason(data_dir, library, tmp_path, rms_backend, capsys):
    song = str(write_song(tmp_path / "a.wav", seconds=1.0))
    code, _, err = run_cli(capsys, "analyze", song, "--queue", "--backend", rms_backend, "--jams", str(tmp_path))
    assert code == 2 and "--jams needs the results now" in err


def test_pause_and_resume_from_the_command_line(data_dir, capsys):
    assert run_cli(capsys, "jobs", "pause")[0] == 0
    code, out, _ = run_cli(capsys, "jobs")
    assert out.strip() == "no jobs  (queue paused)"
    assert run_cli(capsys, "jobs", "resume")[1] == "queue resumed\n"
    assert run_cli(capsys, "jobs", "pause", "3")[0] == 2


def test_worker_and_desktop_commands_come_from_entry_points():
    import moss_music.cli as cli

    commands = cli.build_parser()._subparsers._group_actions[0].choices
    assert {"worker", "jobs", "gui"} <= set(commands)
    assert "--queue" in commands["analyze"].format_help()


def test_the_core_cli_stands_alone_without_the_worker_or_the_app(monkeypatch):
    import moss_music.cli as cli

    monkeypatch.setattr(cli, "entry_points", lambda group: [])
    commands = cli.build_parser()._subparsers._group_actions[0].choices
    assert {"scan", "tracks", "analyze", "export"} <= set(commands)
    assert not {"worker", "jobs", "gui"} & set(commands)
    assert "--queue" not in commands["analyze"].format_help()
