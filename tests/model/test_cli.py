"""The command line on tiny checkpoints in every released layout, in real subprocesses where it matters.

For each layout (release MOSS-Music, MOSS-Audio, PreTrainedTokenizerFast + tokenizer.json, no tokenizer
class): ``model check``, ``analyze --backend moss`` with the DEFAULT tasks, and ``ask``. A hostile folder
(AutoTokenizer + auto_map + a .py) runs no code whatever is typed on stdin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from moss_music.analysis.tasks.definitions import DEFAULT_TASKS
from moss_music.cli import main
from tests.audio_fixtures import write_song
from tests.model.tiny_checkpoint import LAYOUTS, REMOTE_CODE, SENTINEL, build_tiny_checkpoint

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "MOSS_MUSIC_HOME": str(home), "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "moss_music.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, input=stdin)


@pytest.fixture(scope="module", params=LAYOUTS)
def layout_dir(request, tmp_path_factory):
    """One folder per layout; the release one has a generation_config without sampling fields, like the hub's."""
    layout = request.param
    cap = None if layout == "release" else 16
    return build_tiny_checkpoint(tmp_path_factory.mktemp(layout) / f"tiny-{layout}", layout=layout,
                                 max_new_tokens=cap)


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    return write_song(tmp_path_factory.mktemp("song") / "song.wav", seconds=6.0)


def test_model_check_reports_and_generates_one_token(layout_dir, tmp_path, capsys):
    code = main(["--home", str(tmp_path / "home"), "model", "check", str(layout_dir), "--device", "cpu", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report.get("error")
    assert report["ok"] and report["variant"] == "instruct" and len(report["smoke_token_ids"]) <= 1
    assert report["model_type"] == ("moss_audio" if "moss_audio" in layout_dir.name else "moss_music")
    assert report["attention"] == "sdpa" and report["device"] == "cpu"
    assert not (layout_dir / SENTINEL).exists()


def test_ask_answers_in_every_layout(layout_dir, song, tmp_path, capsys):
    code = main(["--home", str(tmp_path / "home"), "ask", str(song), "What instrument is this?", "--model",
                 str(layout_dir), "--device", "cpu", "--dtype", "fp32", "--max-tokens", "6", "--json"])
    captured = capsys.readouterr()
    answer = json.loads(captured.out)
    assert code == (0 if answer["answer"] else 1), captured.err
    assert answer["question"] == "What instrument is this?" and answer["model"] == layout_dir.name
    assert "failed" not in captured.err


@pytest.mark.slow
def test_analyze_with_default_tasks_exits_0(layout_dir, song, tmp_path):
    out = tmp_path / "song.jams"
    done = cli("analyze", str(song), "--backend", "moss", "--model", str(layout_dir), "--device", "cpu",
               "--jams", str(out), "--json", home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)[0]
    assert set(result["annotations"]["raw"]["raw"]) == set(DEFAULT_TASKS)
    assert out.is_file() and not (layout_dir / SENTINEL).exists()


def test_ask_refuses_an_empty_question(tiny_dir, tmp_path, capsys):
    song = write_song(tmp_path / "song.wav")
    assert main(["--home", str(tmp_path / "home"), "ask", str(song), " ", "--model", str(tiny_dir)]) == 2
    assert "question is empty" in capsys.readouterr().err


def test_model_check_explains_a_bad_folder(tmp_path, capsys):
    assert main(["--home", str(tmp_path / "home"), "model", "check", str(tmp_path), "--json"]) == 1
    assert "no config.json" in json.loads(capsys.readouterr().out)["error"]


def test_ask_task_without_a_question_is_refused_before_loading(tiny_dir, tmp_path, capsys):
    song = write_song(tmp_path / "song.wav")
    code = main(["--home", str(tmp_path / "home"), "analyze", str(song), "--backend", "moss", "--model",
                 str(tiny_dir), "--device", "cpu", "--tasks", "key,ask"])
    assert code == 2 and "needs a question" in capsys.readouterr().err


def hostile_folder(tmp_path: Path) -> Path:
    """A release-layout folder whose tokenizer is 'AutoTokenizer' with auto_map entries pointing at a .py."""
    folder = build_tiny_checkpoint(tmp_path / "hostile", layout="release")
    (folder / "tokenization_evil.py").write_text(REMOTE_CODE, encoding="utf-8")
    tokenizer_config = json.loads((folder / "tokenizer_config.json").read_text())
    tokenizer_config.update(tokenizer_class="AutoTokenizer",
                            auto_map={"AutoTokenizer": ["tokenization_evil.EvilTokenizer", None]})
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"]["AutoTokenizer"] = ["tokenization_evil.EvilTokenizer", None]
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.slow
def test_a_folder_with_autotokenizer_and_auto_map_runs_no_code_even_when_stdin_says_yes(tmp_path):
    folder = hostile_folder(tmp_path)
    song = write_song(tmp_path / "song.wav")
    commands = [
        ("model", "check", str(folder), "--device", "cpu"),
        ("ask", str(song), "What is it?", "--model", str(folder), "--device", "cpu"),
        ("analyze", str(song), "--backend", "moss", "--model", str(folder), "--device", "cpu", "--tasks", "key"),
    ]
    for command in commands:
        done = cli(*command, home=tmp_path / "home", stdin="y\n" * 20)
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert "tokenizer_class 'AutoTokenizer' is not one we load" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and "[y/N]" not in done.stdout + done.stderr
        assert not (folder / SENTINEL).exists(), command
