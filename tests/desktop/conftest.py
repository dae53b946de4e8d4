"""Fixtures the track-view tests share: a demo song in the library, a fake sound card, no model set up."""

from __future__ import annotations

import pytest

from desktop.player import FakeOutput
from tests.desktop.track_helpers import SHORT_FORM, add_demo_track


@pytest.fixture(autouse=True)
def no_model_configured(monkeypatch):
    """Tests say when a model is set up; the machine running them may have one in its environment."""
    monkeypatch.delenv("MOSS_MUSIC_MODEL", raising=False)


@pytest.fixture
def track_id(library, tmp_path):
    """The demo song (sections, chords, word-timed lyrics) as a library track analysed with DSP."""
    return add_demo_track(library, tmp_path / "music", SHORT_FORM, bpm=120)


@pytest.fixture
def output():
    """A sound card the test pulls audio from (``play_for``)."""
    return FakeOutput()
