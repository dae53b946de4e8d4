"""`moss-music export` and `moss-music tag` end to end, as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mido
import pytest
from mutagen.flac import FLAC

from moss_music.export import FORMATS, get_writer
from moss_music.export.lyrics import import_lyrics, parse_lrc, read_lyrics_file
from tests.audio_fixtures import write_song

REPO = Path(__file__).resolve().parents[2]


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "moss_music.cli", "--home", str(home), *args], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=300)


def test_export_every_format_by_track_id(data_dir, analyzed_track, tmp_path):
    out = tmp_path / "exports"
    result = cli(data_dir.root, "export", "--format", "all", "--out", str(out), str(analyzed_track.id))
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(f"My Song{get_writer(f).extension}" for f in FORMATS)
    doc = parse_lrc((out / "My Song.lrc").read_text(encoding="utf-8"))
    assert doc.lines[0].text == "Hello my old friend"
    assert [m.text for m in mido.MidiFile(out / "My Song.mid").tracks[0] if m.type == "marker"][0] == "Intro"


def test_export_by_path_never_overwrites_without_force(data_dir, analyzed_track, tmp_path):
    out = tmp_path / "exports"
    first = cli(data_dir.root, "export", "-f", "lrc,cue", "-o", str(out), analyzed_track.path)
    assert first.returncode == 0, first.stderr
    (out / "My Song.cue").write_text("edited by hand")
    again = cli(data_dir.root, "export", "-f", "cue", "-o", str(out), analyzed_track.path)
    assert again.returncode == 1 and "--force" in again.stderr
    assert (out / "My Song.cue").read_text() == "edited by hand"
    forced = cli(data_dir.root, "export", "-f", "cue", "-o", str(out), "--force", "--json", analyzed_track.path)
    assert forced.returncode == 0
    assert json.loads(forced.stdout)["items"][0]["status"] == "written"
    assert (out / "My Song.cue").read_text().startswith("REM COMMENT")


@pytest.mark.parametrize(("args", "message"), [
    (["export", "-f", "lrc", "-o", "OUT", "999"], "no track"),
    (["export", "-f", "mp5", "-o", "OUT", "--all"], "unknown format"),
    (["export", "-f", "lrc", "-o", "OUT"], "at least one TRACK"),
    (["tag", "--all", "1"], "not both"),
])
def test_usage_errors_exit_2_with_a_message(data_dir, tmp_path, capsys, args, message):
    from moss_music.cli import main

    code = main(["--home", str(data_dir.root), *[str(tmp_path / "o") if a == "OUT" else a for a in args]])
    assert code == 2 and message in capsys.readouterr().err


def test_tag_dry_run_then_write(data_dir, analyzed_track):
    before = Path(analyzed_track.path).read_bytes()
    dry = cli(data_dir.root, "tag", "--dry-run", "--key-notation", "camelot", str(analyzed_track.id))
    assert dry.returncode == 0, dry.stderr
    assert "would change" in dry.stdout and "KEY: (none) -> 8A" in dry.stdout
    assert Path(analyzed_track.path).read_bytes() == before
    done = cli(data_dir.root, "tag", "--all", "--key-notation", "camelot", "--backup", "--json")
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)[0]
    assert outcome["written"] and outcome["backup"].endswith(".bak")
    assert FLAC(analyzed_track.path)["INITIALKEY"] == ["8A"]
    assert "already up to date" in cli(data_dir.root, "tag", "--key-notation", "camelot", "--all").stdout


@pytest.mark.slow
def test_dsp_analyzed_track_exports_every_format(library, data_dir, tmp_path):
    """The issue's 'done when': the real DSP analyzer, lyrics imported from an .lrc, every format out."""
    from moss_music.analysis import get_analyzer_class
    from moss_music.analysis.pipeline import analyze_track

    track = library.add_file(write_song(tmp_path / "music" / "Demo.wav", seconds=12.0, bpm=120))
    analyzer_class = get_analyzer_class("dsp")
    analyze_track(library, analyzer_class.from_options({}), track, list(analyzer_class.tasks))
    lrc = tmp_path / "Demo.lrc"
    lrc.write_text("[00:01.00]First line\n[00:04.00]Second line\n[00:08.00]\n", encoding="utf-8")
    import_lyrics(library, track.id, read_lyrics_file(lrc))
    out = tmp_path / "exports"
    result = cli(data_dir.root, "export", "--format", "all", "--out", str(out), "--json", str(track.id))
    items = json.loads(result.stdout)["items"]
    assert result.returncode == 0, (result.stderr, items)
    assert [item["status"] for item in items] == ["written"] * len(FORMATS)
    midi = mido.MidiFile(out / "Demo.mid")
    assert [m for m in midi.tracks[0] if m.type == "set_tempo"]


def test_tag_rejects_a_bad_language_before_the_dry_run(data_dir, analyzed_track):
    """Issue 16.7: '--language é€ü' passed the dry run and crashed on write."""
    for extra in (["--dry-run"], []):
        result = cli(data_dir.root, "tag", *extra, "--language", "é€ü", str(analyzed_track.id))
        assert result.returncode == 2 and "three ASCII letters" in result.stderr
        assert "Traceback" not in result.stderr
