"""The original file survives anything: a failed check, a changed audio stream, a SIGKILL mid-write."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from moss_music.annotations import Key, Tempo, TrackAnnotations
from moss_music.export import TagOptions, TagWriteError, write_tags
from moss_music.export.safe_write import TEMP_MARK, audio_digest, remove_stale_temps, rewrite_safely
from tests.audio_fixtures import write_song

REPO = Path(__file__).resolve().parents[2]
ANNOTATIONS = TrackAnnotations(key=Key("A", "minor"), tempo=Tempo(120.0))


def temps_for(path: Path) -> list[Path]:
    return list(path.parent.glob(f".{path.name}{TEMP_MARK}*.tmp"))


def test_failed_check_leaves_original_and_no_temp(tmp_path):
    path = write_song(tmp_path / "a.flac", seconds=1.0)
    before = path.read_bytes()

    def refuse(copy: Path) -> None:
        raise TagWriteError("the check said no")

    with pytest.raises(TagWriteError, match="said no"):
        rewrite_safely(path, lambda copy: copy.write_bytes(copy.read_bytes() + b"x"), refuse)
    assert path.read_bytes() == before and temps_for(path) == []


def test_copy_whose_audio_changed_is_never_swapped_in(tmp_path):
    path = write_song(tmp_path / "a.wav", seconds=1.0)
    other = write_song(tmp_path / "b.wav", seconds=1.0, bpm=90)
    before = path.read_bytes()
    with pytest.raises(TagWriteError, match="different audio"):
        rewrite_safely(path, lambda copy: copy.write_bytes(other.read_bytes()), lambda copy: None)
    assert path.read_bytes() == before and temps_for(path) == []


def test_audio_digest_ignores_tags_but_not_samples(tmp_path):
    a = write_song(tmp_path / "a.flac", seconds=1.0)
    b = write_song(tmp_path / "b.flac", seconds=1.0, tags={"title": "different tags"})
    c = write_song(tmp_path / "c.flac", seconds=1.0, bpm=100)
    assert audio_digest(a) == audio_digest(b) != audio_digest(c)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(TagWriteError, match="does not exist"):
        rewrite_safely(tmp_path / "gone.flac", lambda copy: None, lambda copy: None)


_PAUSED_WRITER = textwrap.dedent("""
    import sys, time, pathlib
    from moss_music.annotations import Key, Tempo, TrackAnnotations
    from moss_music.export import safe_write, tags

    real_digest, calls = safe_write.audio_digest, []

    def digest_then_pause(path):
        calls.append(path)
        value = real_digest(path)
        if len(calls) == 2:  # the tagged copy is written; the original is about to be replaced
            pathlib.Path(sys.argv[2]).write_text("ready")
            time.sleep(120)
        return value

    safe_write.audio_digest = digest_then_pause
    tags.write_tags(sys.argv[1], TrackAnnotations(key=Key("A", "minor"), tempo=Tempo(120.0)))
""")


def _start(script: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_sigkill_just_before_the_replace_leaves_the_original(tmp_path):
    path = write_song(tmp_path / "song.mp3", seconds=3.0, tags={"title": "Keep Me"})
    before = path.read_bytes()
    ready = tmp_path / "ready"
    process = _start(_PAUSED_WRITER, str(path), str(ready))
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert process.poll() is None, process.communicate()[1].decode()
            assert time.monotonic() < deadline, "the writer never reached the pause"
            time.sleep(0.05)
        leftover = temps_for(path)
        assert len(leftover) == 1 and leftover[0].read_bytes() != before  # the copy really was tagged
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    # the next write removes the dead run's copy and succeeds
    assert write_tags(path, ANNOTATIONS, TagOptions()).written
    assert temps_for(path) == []


_PLAIN_WRITER = textwrap.dedent("""
    import sys
    from moss_music.annotations import Key, Tempo, TrackAnnotations
    from moss_music.export import tags
    tags.write_tags(sys.argv[1], TrackAnnotations(key=Key("A", "minor"), tempo=Tempo(120.0)))
""")


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_a_broken_file(tmp_path):
    source = write_song(tmp_path / "source.flac", seconds=30.0, tags={"title": "Keep Me"})
    original = source.read_bytes()
    original_audio = audio_digest(source)
    rng = random.Random(8)
    outcomes = set()
    for attempt in range(4):
        path = tmp_path / f"try{attempt}.flac"
        path.write_bytes(original)
        process = _start(_PLAIN_WRITER, str(path))
        deadline = time.monotonic() + 120
        while not temps_for(path) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.15))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        data = path.read_bytes()
        if data == original:
            outcomes.add("original")
        else:  # the replace had happened: then it is the complete, verified file
            assert audio_digest(path) == original_audio
            from mutagen.flac import FLAC

            assert FLAC(path)["KEY"] == ["Am"] and FLAC(path)["TITLE"] == ["Keep Me"]
            outcomes.add("tagged")
        remove_stale_temps(path)
        assert temps_for(path) == []
    assert outcomes  # each kill ended in one of the two whole states


def test_stale_temp_of_a_live_process_is_kept(tmp_path):
    path = write_song(tmp_path / "a.flac", seconds=1.0)
    live = path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}.tmp")
    live.write_bytes(b"in progress")
    dead = path.with_name(f".{path.name}{TEMP_MARK}999999999.tmp")
    dead.write_bytes(b"left behind")
    assert remove_stale_temps(path) == [dead]
    assert live.exists() and not dead.exists()
