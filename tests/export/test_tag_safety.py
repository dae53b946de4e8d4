"""Tag writes on files other taggers made: ID3v2.3 stays v2.3, odd Vorbis comments are never rewritten,
symlinked tracks are tagged where the audio lives, bad options stop before anything is read."""

from __future__ import annotations

import os

import pytest
from mutagen.id3 import ID3, TIT2, TPE1, TXXX, TYER

from moss_music.export import TagOptions, TagWriteError, preview_tags, write_tags
from tests.audio_fixtures import write_song
from tests.export.tools import require, run


def v23_mp3(path):
    """An MP3 tagged the way id3lib-era taggers (and Windows Explorer) do: ID3v2.3 with a year frame."""
    write_song(path, seconds=2.0)
    tags = ID3()
    tags.add(TIT2(encoding=1, text=["Old Tagger"]))
    tags.add(TPE1(encoding=1, text=["Somebody"]))
    tags.add(TYER(encoding=1, text=["1999"]))
    tags.add(TXXX(encoding=1, desc="CATALOG", text=["ABC-1"]))
    tags.save(path, v2_version=3)
    return path


def test_id3v23_files_keep_v23(tmp_path, annotations):
    """Issue 14.7: v2.3 files were silently upgraded to v2.4, which id3lib tools cannot read."""
    song = v23_mp3(tmp_path / "old.mp3")
    result = write_tags(song, annotations, TagOptions())
    assert result.written
    tags = ID3(song, translate=False)
    assert tags.version[:2] == (2, 3)
    assert tags["TKEY"].text == ["Am"] and tags["TYER"].text == ["1999"]
    assert tags["TIT2"].text == ["Old Tagger"] and tags["TXXX:CATALOG"].text == ["ABC-1"]
    assert tags["TXXX:MOOD"].text == ["pop/uplifting"]  # v2.3 has no TMOO and no multi-value frames
    assert "TMOO" not in tags and "TDRC" not in tags


def test_id3_version_can_be_chosen(tmp_path, annotations):
    song = v23_mp3(tmp_path / "old.mp3")
    write_tags(song, annotations, TagOptions(id3_version="2.4"))
    tags = ID3(song)
    assert tags.version[:2] == (2, 4) and tags["TMOO"].text == ["pop", "uplifting"]
    assert str(tags["TDRC"].text[0]) == "1999"
    fresh = write_song(tmp_path / "fresh.mp3", seconds=2.0)
    write_tags(fresh, annotations, TagOptions(id3_version="2.3"))
    assert ID3(fresh).version[:2] == (2, 3)


def test_id3v2_tool_reads_what_we_wrote_to_a_v23_file(tmp_path, annotations):
    """id3v2 (id3lib) answered 'No ID3v2 tag' for our v2.4 rewrite of a v2.3 file."""
    id3v2 = require("id3v2")
    song = v23_mp3(tmp_path / "old.mp3")
    write_tags(song, annotations, TagOptions())
    listing = run([id3v2, "-l", str(song)]).stdout
    assert "id3v2 tag info" in listing, listing
    assert "TKEY" in listing and "Am" in listing and "Old Tagger" in listing and "TBPM" in listing


def _flac_with_raw_comment(path, replace: bytes, by: bytes):
    """A FLAC whose Vorbis comment bytes are patched in place (same length), as a broken tagger leaves them."""
    write_song(path, seconds=1.0, tags={"title": "caf_ title", "artist": "Keep Me"})
    data = path.read_bytes()
    assert data.count(replace) == 1
    path.write_bytes(data.replace(replace, by))
    return path


@pytest.mark.parametrize("replace, by, what", [
    (b"caf_ title", b"caf\xe9 title", "Latin-1 byte, not UTF-8"),
    (b"title=caf_", b"title:caf_", "entry without '='"),
    (b"title=caf_", b"ti\x01le=caf_", "a control character in the field name"),
])
def test_invalid_vorbis_comments_are_refused_and_left_byte_identical(tmp_path, annotations, replace, by, what):
    """Issue 16.7: such bytes were replaced by U+FFFD or entries renamed, while the write reported success."""
    song = _flac_with_raw_comment(tmp_path / "odd.flac", replace, by)
    before = song.read_bytes()
    with pytest.raises(TagWriteError, match="Vorbis comments are not valid"):
        preview_tags(song, annotations, TagOptions())  # the dry run says so too
    with pytest.raises(TagWriteError, match="nothing was written"):
        write_tags(song, annotations, TagOptions())
    assert song.read_bytes() == before


def test_valid_flac_comments_other_than_ours_stay_byte_identical(tmp_path, annotations):
    from moss_music.export.vorbis_raw import raw_vorbis_comment

    song = write_song(tmp_path / "ok.flac", seconds=1.0, tags={"title": "Café ☕", "artist": "Keep Me"})
    write_tags(song, annotations, TagOptions())
    block, _ = raw_vorbis_comment(song)
    assert "TITLE=Café ☕".encode() in block.replace(b"title=", b"TITLE=")


def test_tagging_a_symlinked_track_writes_through_to_the_file(tmp_path, annotations):
    """Issue 16.7: the link was replaced by a tagged copy and the real file left untouched."""
    real = write_song(tmp_path / "store" / "real.flac", seconds=1.0)
    link = tmp_path / "library" / "link.flac"
    link.parent.mkdir()
    link.symlink_to(real)
    result = write_tags(link, annotations, TagOptions())
    assert result.written and result.path == str(link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    from mutagen.flac import FLAC

    assert FLAC(real)["KEY"] == ["Am"]
    assert not [p for p in real.parent.iterdir() if p.name != "real.flac"]


@pytest.mark.parametrize("language", ["é€ü", "en", "engl", "e1g", ""])
def test_language_must_be_three_ascii_letters(language):
    """Issue 16.7: '--language é€ü' passed the dry run and crashed on write."""
    with pytest.raises(ValueError, match="three ASCII letters"):
        TagOptions(language=language)


def test_language_is_stored_lower_case():
    assert TagOptions(language="DEU").language == "deu"


def _with_unknown_frame(path):
    """An ID3v2.3 tag holding a frame mutagen does not know ('XMSS'), as niche taggers write them."""
    import struct

    write_song(path, seconds=2.0)
    data = b"\x00private data of another tagger"
    frame = b"XMSS" + struct.pack(">I", len(data)) + b"\x00\x00" + data
    title = b"TIT2" + struct.pack(">I", 6) + b"\x00\x00" + b"\x00Hello"
    body = title + frame + b"\x00" * 64
    size = len(body)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    path.write_bytes(b"ID3\x03\x00\x00" + syncsafe + body + path.read_bytes())
    return path, frame


def test_frames_mutagen_does_not_know_survive_or_the_write_is_refused(tmp_path, annotations):
    song, frame = _with_unknown_frame(tmp_path / "niche.mp3")
    assert write_tags(song, annotations, TagOptions()).written  # v2.3 kept: mutagen writes them back
    assert frame in song.read_bytes() and ID3(song)["TIT2"].text == ["Hello"]
    before = song.read_bytes()
    try:
        write_tags(song, annotations, TagOptions(id3_version="2.4"))
    except TagWriteError as refused:
        assert "other tags" in str(refused) and song.read_bytes() == before
    else:
        assert frame[10:] in song.read_bytes()
