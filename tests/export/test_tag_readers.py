"""Tags we write, read by beets' mediafile and by kid3-cli: what Picard/beets/kid3 users will see."""

from __future__ import annotations

import pytest

from moss_music.export import TagOptions, write_tags
from tests.audio_fixtures import write_song
from tests.export.tools import require, run

LYRICS = "Hello my old friend\nÇa va, señor?\nSing it loud"
CAPTION = "A bright pop song with piano and strings."


@pytest.fixture(params=["mp3", "flac", "ogg", "opus", "m4a"])
def tagged(request, tmp_path, annotations):
    song = write_song(tmp_path / f"song.{request.param}", seconds=2.0, tags={"title": "Keep Me"})
    assert write_tags(song, annotations, TagOptions()).written
    return song


def test_mediafile_reads_key_bpm_lyrics_and_caption(tagged):
    mediafile = pytest.importorskip("mediafile")
    media = mediafile.MediaFile(str(tagged))
    assert media.initial_key == "Am"
    assert media.bpm == 123
    assert media.lyrics == LYRICS
    assert media.comments == CAPTION
    assert media.title == "Keep Me"


@pytest.mark.slow
def test_kid3_reads_key_bpm_and_lyrics(tagged):
    kid3 = require("kid3-cli")
    listing = run([kid3, "-c", "get", str(tagged)]).stdout
    assert "Keep Me" in listing
    key_rows = [row for row in listing.splitlines() if row.strip().lower().startswith(("initial key", "initialkey"))]
    assert key_rows and key_rows[0].split()[-1] == "Am", listing
    assert any(row.split()[:1] == ["BPM"] and row.split()[-1] == "123" for row in listing.splitlines()), listing
    assert "Hello my old friend" in listing
