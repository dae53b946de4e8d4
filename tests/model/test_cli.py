"""The command line on the tiny checkpoint, in real subprocesses: model check, ask, analyze --backend moss."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from moss_music.annotations.jams_io import load_jams
from moss_music.cli import main
from tests.audio_fixtures import write_song

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MOSS_MUSIC_HOME": str(home), "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "moss_music.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def test_model_check_reports_and_generates_one_token(tiny_dir, tmp_path):
    done = cli("model", "check", str(tiny_dir), "--device", "cpu", "--json", home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and report["model_type"] == "moss_music" and report["variant"] == "instruct"
    assert report["weight_files"] == 4 and report["dtype"] == "float32" and len(report["smoke_token_ids"]) <= 1


def test_model_check_explains_a_bad_folder(tmp_path, capsys):
    assert main(["--home", str(tmp_path / "home"), "model", "check", str(tmp_path), "--json"]) == 1
    assert "no config.json" in json.loads(capsys.readouterr().out)["error"]


def test_ask_prints_an_answer(tiny_dir, tiny, tmp_path, capsys):
    song = write_song(tmp_path / "song.wav")
    code = main(["--home", str(tmp_path / "home"), "ask", str(song), "What instrument is this?", "--model",
                 str(tiny_dir), "--device", "cpu", "--dtype", "fp32", "--max-tokens", "6", "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert code == (0 if answer["answer"] else 1)
    assert answer["question"] == "What instrument is this?" and answer["model"] == "MOSS-Music-tiny-Instruct"


def test_ask_refuses_an_empty_question(tiny_dir, tmp_path, capsys):
    song = write_song(tmp_path / "song.wav")
    assert main(["--home", str(tmp_path / "home"), "ask", str(song), " ", "--model", str(tiny_dir)]) == 2
    assert "question is empty" in capsys.readouterr().err


@pytest.mark.slow
def test_analyze_with_the_moss_backend_writes_jams(tiny_dir, tmp_path):
    if not (REPO / "moss_music" / "cli" / "analyze_cmd.py").exists():
        pytest.skip("the analyze command is not part of this checkout")
    song = write_song(tmp_path / "song.wav")
    out = tmp_path / "song.jams"
    done = cli("analyze", str(song), "--backend", "moss", "--model", str(tiny_dir), "--device", "cpu",
               "--tasks", "caption,chords,structure,key", "--jams", str(out), home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    annotations = load_jams(out)
    assert set(annotations.raw) == {"caption", "chords", "structure", "key"}
