"""Shared fixtures: a temp data dir, a real library DB in it, generated audio files.

Qt runs offscreen so widget tests work without a display (pytest-qt aborts otherwise).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHONHASHSEED", "0")

import pytest

from moss_music.paths import HOME_ENV, DataDir
from tests.audio_fixtures import write_song


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> DataDir:
    """An empty data dir; ``MOSS_MUSIC_HOME`` points at it so subprocesses use it too."""
    home = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    return DataDir.resolve(home)


@pytest.fixture
def library(data_dir):
    from moss_music.library import Library

    lib = Library.open(data_dir)
    yield lib
    lib.close()


@pytest.fixture
def song_wav(tmp_path):
    """A short stereo 44.1 kHz song as WAV."""
    return write_song(tmp_path / "song.wav")
