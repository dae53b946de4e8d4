"""Tags written with mutagen, read back with mutagen's own classes; the decoded audio never changes."""

from __future__ import annotations

import av
import numpy as np
import pytest
import soundfile as sf
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from mutagen.oggvorbis import OggVorbis

from moss_music.annotations import Key, TrackAnnotations
from moss_music.annotations.keys import KEY_NOTATIONS
from moss_music.export import TagOptions, TagWriteError, preview_tags, write_tags
from moss_music.export.tags import tag_values
from tests.audio_fixtures import write_song

ORIGINAL_TAGS = {"title": "Keep Me", "artist": "Original Artist"}


def decoded_pcm(path) -> np.ndarray:
    """Every decoded sample, by libsndfile where it can, else FFmpeg (independent of the writer's check)."""
    if str(path).endswith(".m4a"):
        with av.open(str(path)) as container:
            return np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    data, _ = sf.read(str(path), dtype="float32", always_2d=True)
    return data


@pytest.fixture(params=["mp3", "flac", "ogg", "m4a"])
def song(request, tmp_path):
    return write_song(tmp_path / f"song.{request.param}", seconds=2.0, tags=ORIGINAL_TAGS)


def test_tag_write_leaves_decoded_audio_identical(song, annotations):
    before = decoded_pcm(song)
    result = write_tags(song, annotations, TagOptions())
    assert result.written and result.changes
    after = decoded_pcm(song)
    assert before.shape == after.shape and np.array_equal(before, after)


def test_fields_read_back_with_mutagen(song, annotations):
    write_tags(song, annotations, TagOptions(key_notation="camelot"))
    lyrics = "Hello my old friend\nÇa va, señor?\nSing it loud"
    caption = "A bright pop song with piano and strings."
    suffix = song.suffix
    if suffix == ".mp3":
        tags = ID3(song)
        assert tags.version == (2, 4, 0)
        assert tags["TKEY"].text == ["8A"] and tags["TBPM"].text == ["123"]
        assert tags["TXXX:MOSS_MUSIC_BPM"].text == ["123.46"]
        assert tags["USLT::eng"].text == lyrics and tags["COMM::eng"].text == [caption]
        assert tags["TMOO"].text == ["pop", "uplifting"]
        synced = tags["SYLT::eng"]
        assert synced.type == 1 and synced.format == 2
        for (text, ms), line in zip(synced.text, annotations.lyrics):
            assert text == line.text and abs(ms / 1000 - line.start) <= 0.001
        chords = tags["SYLT:chords:eng"]
        assert chords.type == 5 and chords.text[1][0] == "Am"
        assert abs(chords.text[1][1] / 1000 - annotations.chords[1].start) <= 0.001
        assert tags["TIT2"].text == ["Keep Me"] and tags["TPE1"].text == ["Original Artist"]
    elif suffix in (".flac", ".ogg"):
        tags = (FLAC if suffix == ".flac" else OggVorbis)(song)
        assert tags["KEY"] == ["8A"] and tags["INITIALKEY"] == ["8A"] and tags["BPM"] == ["123"]
        assert tags["MOSS_MUSIC_BPM"] == ["123.46"] and tags["LYRICS"] == [lyrics]
        assert tags["COMMENT"] == [caption] and tags["DESCRIPTION"] == [caption]
        assert tags["MOOD"] == ["pop", "uplifting"]
        assert tags["TITLE"] == ["Keep Me"] and tags["ARTIST"] == ["Original Artist"]
    else:
        tags = MP4(song).tags
        assert bytes(tags["----:com.apple.iTunes:initialkey"][0]) == b"8A" and tags["tmpo"] == [123]
        assert bytes(tags["----:com.apple.iTunes:MOSS_MUSIC_BPM"][0]) == b"123.46"
        assert tags["\xa9lyr"] == [lyrics] and tags["\xa9cmt"] == [caption]
        assert [bytes(v) for v in tags["----:com.apple.iTunes:MOOD"]] == [b"pop", b"uplifting"]
        assert tags["\xa9nam"] == ["Keep Me"] and tags["\xa9ART"] == ["Original Artist"]


def test_dry_run_changes_nothing_and_write_then_has_nothing_left(song, annotations):
    before = song.read_bytes()
    changes = preview_tags(song, annotations, TagOptions())
    assert song.read_bytes() == before
    fields = {change.field for change in changes}
    assert fields & {"TKEY", "KEY", "----:com.apple.iTunes:initialkey"}
    assert all(change.old == "" for change in changes if "BPM" in change.field.upper())
    write_tags(song, annotations, TagOptions())
    assert preview_tags(song, annotations, TagOptions()) == []
    assert write_tags(song, annotations, TagOptions()).written is False


def test_backup_keeps_the_original_bytes(tmp_path, annotations):
    path = write_song(tmp_path / "b.flac", seconds=1.0, tags=ORIGINAL_TAGS)
    before = path.read_bytes()
    result = write_tags(path, annotations, TagOptions(backup=True))
    assert result.backup == str(path) + ".bak"
    assert (tmp_path / "b.flac.bak").read_bytes() == before
    assert path.read_bytes() != before


@pytest.mark.parametrize("suffix", [".wav", ".aiff", ".opus"])
def test_other_containers_get_the_same_mapping(tmp_path, annotations, suffix):
    path = write_song(tmp_path / f"s{suffix}", seconds=1.0)
    before = decoded_pcm(path)
    write_tags(path, annotations, TagOptions(key_notation="openkey"))
    assert np.array_equal(before, decoded_pcm(path))
    if suffix == ".opus":
        from mutagen.oggopus import OggOpus

        assert OggOpus(path)["KEY"] == ["1m"]
    else:
        from mutagen import File

        assert File(path).tags["TKEY"].text == ["1m"]


def test_descriptors_can_go_to_genre_or_the_comment(tmp_path, annotations):
    path = write_song(tmp_path / "g.mp3", seconds=1.0)
    write_tags(path, annotations, TagOptions(descriptors_field="genre"))
    assert ID3(path)["TCON"].text == ["pop", "uplifting"]
    other = write_song(tmp_path / "c.flac", seconds=1.0)
    write_tags(other, annotations, TagOptions(descriptors_field="comment"))
    assert FLAC(other)["COMMENT"][0].endswith("Tags: pop, uplifting")
    assert "MOOD" not in FLAC(other)


def test_only_fields_with_values_are_touched(tmp_path):
    path = write_song(tmp_path / "k.mp3", seconds=1.0)
    tags = ID3()
    from mutagen.id3 import USLT

    tags.add(USLT(encoding=3, lang="eng", desc="", text="the user's own lyrics"))
    tags.save(path)
    write_tags(path, TrackAnnotations(key=Key("F#", "major")), TagOptions())
    reread = ID3(path)
    assert reread["TKEY"].text == ["F#"] and reread["USLT::eng"].text == "the user's own lyrics"


def test_unsupported_container_is_refused_and_untouched(tmp_path, annotations):
    path = write_song(tmp_path / "w.wma", seconds=1.0)
    before = path.read_bytes()
    with pytest.raises(TagWriteError, match="tags can be written to"):
        write_tags(path, annotations, TagOptions())
    assert path.read_bytes() == before


def test_not_audio_is_a_clear_error(tmp_path, annotations):
    path = tmp_path / "notes.mp3"
    path.write_text("not audio at all\n" * 100)
    with pytest.raises(TagWriteError):
        write_tags(path, annotations, TagOptions())
    assert path.read_text().startswith("not audio")


def test_bad_options_are_rejected():
    with pytest.raises(ValueError, match="key notation"):
        TagOptions(key_notation="roman")
    with pytest.raises(ValueError, match="tag field"):
        TagOptions(descriptors_field="title")


# -- key notations ---------------------------------------------------------------------------

CAMELOT = {("C", "major"): "8B", ("A", "minor"): "8A", ("G", "major"): "9B", ("E", "minor"): "9A",
           ("F", "major"): "7B", ("D", "minor"): "7A", ("Db", "major"): "3B", ("Bb", "minor"): "3A",
           ("F#", "major"): "2B", ("D#", "minor"): "2A", ("B", "major"): "1B", ("G#", "minor"): "1A",
           ("C#", "minor"): "12A", ("E", "major"): "12B"}
OPEN_KEY = {("C", "major"): "1d", ("A", "minor"): "1m", ("G", "major"): "2d", ("F", "major"): "12d",
            ("D", "minor"): "12m", ("C#", "minor"): "5m", ("Db", "major"): "8d", ("Eb", "minor"): "7m"}


def key_written(key: Key, notation: str = "standard") -> str | None:
    """The key code the tag writer would put in the file."""
    return tag_values(TrackAnnotations(key=key), TagOptions(key_notation=notation)).key


@pytest.mark.parametrize(("key", "code"), list(CAMELOT.items()))
def test_camelot_codes(key, code):
    assert key_written(Key(*key), "camelot") == code


@pytest.mark.parametrize(("key", "code"), list(OPEN_KEY.items()))
def test_open_key_codes(key, code):
    assert key_written(Key(*key), "openkey") == code


def test_standard_names_follow_the_key_signature_and_fit_tkey():
    assert key_written(Key("Db", "minor")) == "C#m"  # C# minor's signature (4 sharps), not 8 flats
    assert key_written(Key("Bb", "major")) == "Bb"
    assert key_written(Key("D", "dorian")) is None
    names = ["C", "C#", "Db", "D", "D#", "Eb", "E", "F", "F#", "Gb", "G", "G#", "Ab", "A", "A#", "Bb", "B"]
    for tonic in names:
        for mode in ("major", "minor"):
            for notation in KEY_NOTATIONS:
                code = key_written(Key(tonic, mode), notation)
                assert code and len(code) <= 3, (tonic, mode, notation, code)
