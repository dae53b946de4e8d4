"""The `moss-music` command end to end, through a real subprocess on a temp data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.audio_fixtures import write_corrupt_files, write_song

REPO_ROOT = Path(__file__).resolve().parents[2]


def moss(*args: str, home: Path | None = None, check_rc: int | None = 0) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("MOSS_MUSIC_HOME", None)
    command = [sys.executable, "-m", "moss_music.cli", *(["--home", str(home)] if home else []), *args]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, cwd=REPO_ROOT)
    if check_rc is not None:
        assert result.returncode == check_rc, result.stdout + result.stderr
    return result


@pytest.fixture
def music(tmp_path) -> Path:
    folder = tmp_path / "music"
    write_song(folder / "good one.flac", seconds=1.0, tags={"title": "Good One", "artist": "Band"})
    write_song(folder / "nested" / "good two.mp3", seconds=1.0, bpm=90, tags={"title": "Good Two"})
    write_corrupt_files(folder / "broken")
    return folder


def test_scan_adds_good_files_lists_bad_ones_and_exits_1(tmp_path, music):
    result = moss("scan", str(music), home=tmp_path / "home", check_rc=1)
    assert "2 added" in result.stdout
    failed_lines = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
    assert len(failed_lines) == 5
    assert any("empty.mp3" in line and "empty" in line for line in failed_lines)


@pytest.mark.slow
def test_tracks_json_lists_scanned_files_with_stable_keys(tmp_path, music):
    home = tmp_path / "home"
    moss("scan", str(music), home=home, check_rc=1)
    # --home after the command name works too
    result = moss("tracks", "--json", "--home", str(home))
    tracks = json.loads(result.stdout)
    from moss_music.cli.tracks_cmd import TRACK_JSON_KEYS

    assert all(set(track) == set(TRACK_JSON_KEYS) for track in tracks)
    ok = sorted(t["title"] for t in tracks if t["status"] == "ok")
    assert ok == ["Good One", "Good Two"]
    unreadable = [t for t in tracks if t["status"] == "unreadable"]
    assert len(unreadable) == 5 and all(t["error"] for t in unreadable)


def test_tracks_search_narrows_the_list(tmp_path, music):
    home = tmp_path / "home"
    moss("scan", str(music), home=home, check_rc=1)
    result = moss("tracks", "--search", "two", "--json", home=home)
    assert [t["title"] for t in json.loads(result.stdout)] == ["Good Two"]


def test_rescan_of_unchanged_folder_exits_1_only_for_the_known_bad_files(tmp_path, music):
    home = tmp_path / "home"
    moss("scan", str(music), home=home, check_rc=1)
    result = moss("scan", "--json", str(music), home=home, check_rc=1)
    report = json.loads(result.stdout)
    assert report["unchanged"] == 2 and report["added"] == 0 and len(report["failed"]) == 5


def test_a_clean_folder_scans_with_exit_0(tmp_path):
    write_song(tmp_path / "music" / "a.ogg", seconds=0.5)
    moss("scan", str(tmp_path / "music"), home=tmp_path / "home", check_rc=0)


@pytest.mark.slow
def test_usage_errors_exit_2(tmp_path):
    assert moss("no-such-command", home=tmp_path / "home", check_rc=None).returncode == 2
    assert moss(home=tmp_path / "home", check_rc=None).returncode == 2
    result = moss("analyze", "x.wav", "--tasks", "bogus", home=tmp_path / "home", check_rc=2)
    assert "bogus" in result.stderr


@pytest.mark.slow
def test_doctor_reports_each_check_with_advice(tmp_path):
    result = moss("doctor", "--json", home=tmp_path / "home")
    checks = {check["name"]: check for check in json.loads(result.stdout)}
    assert {"python", "torch/gpu", "audio decoding", "playback", "qt", "data dir", "model"} <= set(checks)
    assert checks["python"]["status"] == "ok"
    assert all(check["advice"] for check in checks.values() if check["status"] != "ok")


@pytest.mark.slow
def test_doctor_validates_a_configured_model_folder(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "moss_music"}')
    env_home = tmp_path / "home"
    env_home.mkdir()
    (env_home / "settings.json").write_text(json.dumps({"model_dir": str(model)}))
    checks = {c["name"]: c for c in json.loads(moss("doctor", "--json", home=env_home).stdout)}
    assert checks["model"]["status"] == "fail" and "safetensors" in checks["model"]["detail"]


@pytest.mark.slow
def test_analyze_dsp_writes_jams_stores_the_result_and_reuses_it(tmp_path):
    import jams

    song = write_song(tmp_path / "song.wav", seconds=6.0, bpm=120)
    home = tmp_path / "home"
    out = tmp_path / "song.jams"
    result = moss("analyze", str(song), "--backend", "dsp", "--jams", str(out), home=home)
    assert "BPM" in result.stdout
    doc = jams.load(str(out))
    assert {"beat", "tempo", "key_mode"} <= {a.namespace for a in doc.annotations}
    tracks = json.loads(moss("tracks", "--json", home=home).stdout)
    assert len(tracks) == 1 and tracks[0]["bpm"] is not None
    again = moss("analyze", str(song), "--json", home=home)
    assert json.loads(again.stdout)[0]["cached"] is True


@pytest.mark.slow
def test_analyze_reports_unusable_files_and_exits_1(tmp_path):
    bad = write_corrupt_files(tmp_path / "bad")["corrupt"]
    result = moss("analyze", str(bad), home=tmp_path / "home", check_rc=1)
    assert "corrupt" in result.stderr
