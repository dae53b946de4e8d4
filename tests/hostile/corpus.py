"""A hostile corpus the tests generate: every file issue 16 found, and more like them.

Each ``Hostile`` says what it is, which trigger it stands for, and what a scan must
record for it (``ok``, ``unreadable`` or ``skipped``: never read at all, like a FIFO), and
whether analysing it must be refused as damaged. Everything is made here with numpy,
soundfile, PyAV and mutagen — no file is shipped — and each sound is under a second so
the whole corpus runs through every entry point in CI.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from mutagen.flac import FLAC
from mutagen.id3 import ID3, SYLT, TIT2, TPE1, TRCK, USLT

from tests.audio_fixtures import song_samples, write_song

SECONDS = 0.8


@dataclass(frozen=True)
class Hostile:
    name: str
    """File name inside the corpus folder (some are hostile themselves)."""
    trigger: str
    """What is odd about it, for the docs table and failure messages."""
    scan: str
    """'ok', 'unreadable', 'refused' (listed as failed, never stored: a name that is not UTF-8)
    or 'skipped' (never listed, e.g. a FIFO or a dangling link)."""
    damaged: bool = False
    """Analysis must refuse it with a 'damaged' reason (NaN/inf samples)."""


def _song(path: Path, suffix: str = ".wav", **kwargs) -> Path:
    return write_song(path.with_suffix(suffix) if suffix else path, seconds=SECONDS, **kwargs)


def _id3_mp3(path: Path, *frames) -> None:
    _song(path, ".mp3")
    tag = ID3()
    for frame in frames:
        tag.add(frame)
    tag.save(path)


def _vorbis_flac(path: Path, **fields: str) -> None:
    _song(path, ".flac")
    comments = FLAC(path)
    for name, value in fields.items():
        comments[name] = value
    comments.save()


def _pcm_wav(path: Path, format_tag: int = 1, bits: int = 16, channels: int = 1, rate: int = 44_100,
             data: bytes = b"\0" * 8192, data_size: int | None = None) -> None:
    block = max(1, channels * bits // 8)
    fmt = struct.pack("<HHIIHH", format_tag, channels, rate, rate * block, block, bits)
    size = len(data) if data_size is None else data_size
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", size) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", min(len(body), 0xFFFFFFFF)) + body)


def _float_wav(path: Path, data: np.ndarray, fmt: str = "WAV") -> None:
    sf.write(path, data.astype(np.float32), 44_100, format=fmt, subtype="FLOAT")


def _with_samples(values: Callable[[np.ndarray], None], fmt: str = "WAV") -> Callable[[Path], None]:
    def make(path: Path) -> None:
        data = song_samples(SECONDS)
        values(data)
        _float_wav(path, data, fmt)
    return make


def _set_nan(data: np.ndarray) -> None:
    data[2000:2400] = np.nan


def _set_inf(data: np.ndarray) -> None:
    data[100] = np.inf
    data[4000:4010] = -np.inf


def _set_huge(data: np.ndarray) -> None:
    data[:] = data * 1e30


def _flac_many_comments(path: Path) -> None:
    _song(path, ".flac")
    comments = FLAC(path)
    comments.tags.extend([(f"X_FIELD_{i}", f"value {i}") for i in range(3000)])
    comments.save()


def _flac_invalid_utf8_comment(path: Path) -> None:
    _vorbis_flac(path, title="AAAAAAAA", artist="Band")
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b"AAAAAAAA", b"\xff\xfe\xc3\x28\xa0\xa1\xe2\x28", 1))


def _mp3_cp1252_in_utf8(path: Path) -> None:
    audio = _song(path, ".mp3").read_bytes()
    data = "Café del Mar".encode("cp1252")
    frame = b"TIT2" + struct.pack(">I", len(data) + 1) + b"\0\0" + b"\x03" + data
    size = len(frame)
    synchsafe = bytes([(size >> 21) & 127, (size >> 14) & 127, (size >> 7) & 127, size & 127])
    path.write_bytes(b"ID3\x03\x00\x00" + synchsafe + frame + audio)


def _mp3_huge_id3_size(path: Path) -> None:
    audio = _song(path, ".mp3").read_bytes()
    path.write_bytes(b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + b"TIT2\x00\x00\x00\x05\x00\x00\x03abcd" + audio)


def _mp3_ape_and_id3v1(path: Path) -> None:
    _song(path, ".mp3")
    item = struct.pack("<II", 5, 0) + b"Title\0" + b"hello"
    footer = b"APETAGEX" + struct.pack("<IIII", 2000, len(item) + 32, 1, 0) + b"\0" * 8
    with open(path, "ab") as handle:
        handle.write(item + footer)
        handle.write(b"TAG" + b"v1 title".ljust(30, b"\0") + b"\0" * 94 + bytes([255]))


def _mp3_hostile_lyrics(path: Path) -> None:
    _id3_mp3(path,
             USLT(encoding=3, lang="eng", desc="", text="[99999:99.99]far away\n[-1:00.00]negative\n"
                                                          "[00:00.50]real line\n[00:00.20]earlier line\n[1e400:00]x"),
             SYLT(encoding=3, lang="eng", format=2, type=1,
                  text=[("late", 10**9), ("", 5), ("early", 100), ("dup", 100)]))


def _ogg_truncated(path: Path) -> None:
    raw = _song(path, ".ogg").read_bytes()
    path.write_bytes(raw[: len(raw) * 2 // 3 + 7])


def _m4a_without_mdat(path: Path) -> None:
    raw = _song(path, ".m4a").read_bytes()
    at = raw.find(b"mdat")
    path.write_bytes(raw[: at - 4] if at > 4 else raw[:200])


def _symlink_loop(path: Path) -> None:
    other = path.with_name("loop_b.wav")
    os.symlink(other.name, path)
    os.symlink(path.name, other)


def _dangling(path: Path) -> None:
    os.symlink("nowhere/at/all.wav", path)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder_named_like_audio(path: Path) -> None:
    path.mkdir()
    write_song(path / "inside.wav", seconds=SECONDS)


def _duplicate_retagged(path: Path) -> None:
    from mutagen.wave import WAVE

    shutil.copy(path.with_name("silence.wav"), path)
    wave = WAVE(path)
    wave.add_tags()
    wave.tags.add(TIT2(encoding=3, text="same audio, other tags"))
    wave.save()


def _mono(path: Path, rate: int, channels: int, seconds: float = SECONDS) -> None:
    data = song_samples(seconds, sample_rate=rate, channels=channels)
    sf.write(path, data, rate, subtype="PCM_16")


def _non_utf8_name(path: Path) -> None:
    plain = _song(path.with_name("_plain_name"), ".wav")
    os.rename(plain, os.fsencode(path))


def _symlink_to_song(path: Path) -> None:
    target = path.parent / "_link_target" / "real song.flac"
    _song(target, ".flac")
    os.symlink(os.path.relpath(target, path.parent), path)


def _write_raw(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


# name, trigger, scan outcome, damaged, maker
_KINDS: list[tuple[str, str, str, bool, Callable[[Path], None]]] = [
    ("trck_inf.mp3", "ID3 TRCK 'inf' (issue 16 #2)", "ok", False,
     lambda p: _id3_mp3(p, TRCK(encoding=3, text="inf"))),
    ("trck_1e400.mp3", "ID3 TRCK '1e400' (#2)", "ok", False, lambda p: _id3_mp3(p, TRCK(encoding=3, text="1e400"))),
    ("trck_23_digits.mp3", "ID3 TRCK '99999999999999999999999' (#2)", "ok", False,
     lambda p: _id3_mp3(p, TRCK(encoding=3, text="99999999999999999999999"))),
    ("tracknumber_inf.flac", "Vorbis TRACKNUMBER 'inf' (#2)", "ok", False,
     lambda p: _vorbis_flac(p, tracknumber="inf")),
    ("tracknumber_1e400.flac", "Vorbis TRACKNUMBER '1e400' (#2)", "ok", False,
     lambda p: _vorbis_flac(p, tracknumber="1e400")),
    ("tracknumber_23_digits.flac", "Vorbis TRACKNUMBER with 23 digits (#2)", "ok", False,
     lambda p: _vorbis_flac(p, tracknumber="99999999999999999999999")),
    ("bits_1024.wav", "WAV with 1024 bits per sample (#2)", "unreadable", False,
     lambda p: _pcm_wav(p, bits=1024, data=b"\0" * 128 * 64)),
    ("format_0x1234.wav", "WAV format tag 0x1234 (#2)", "unreadable", False, lambda p: _pcm_wav(p, format_tag=0x1234)),
    ("zero_channels.wav", "WAV with 0 channels", "unreadable", False, lambda p: _pcm_wav(p, channels=0)),
    ("zero_rate.wav", "WAV with sample rate 0", "unreadable", False, lambda p: _pcm_wav(p, rate=0)),
    ("data_size_ffffffff.wav", "WAV data chunk claiming 4 GiB (streamed WAV)", "ok", False,
     lambda p: _pcm_wav(p, data=b"\x10\x00" * 40_000, data_size=0xFFFFFFFF)),
    ("header_only.wav", "WAV header, no samples", "unreadable", False, lambda p: _pcm_wav(p, data=b"")),
    ("truncated.wav", "WAV cut to a third of its declared length", "unreadable", False,
     lambda p: p.write_bytes(_song(p, ".wav").read_bytes()[:30_000])),
    ("nan_samples.wav", "float WAV with NaN samples (#9)", "ok", True, _with_samples(_set_nan)),
    ("inf_samples.aiff", "float AIFF with ±inf samples (#9)", "ok", True, _with_samples(_set_inf, "AIFF")),
    ("huge_samples.wav", "float WAV with samples of 1e30 (finite)", "ok", False, _with_samples(_set_huge)),
    ("silence.wav", "digital silence", "ok", False, lambda p: sf.write(p, np.zeros((35_280, 2)), 44_100)),
    ("one_sample.wav", "a single sample", "ok", False, lambda p: sf.write(p, np.zeros((1, 1)), 44_100)),
    ("dc_full_scale.flac", "constant full-scale DC", "ok", False,
     lambda p: sf.write(p, np.full((35_280, 1), 0.999), 44_100, format="FLAC")),
    ("rate_8k_mono.wav", "8 kHz mono", "ok", False, lambda p: _mono(p, 8_000, 1)),
    ("rate_192k_8ch.wav", "192 kHz, 8 channels", "ok", False, lambda p: _mono(p, 192_000, 8, 0.3)),
    ("wav_named.mp3", "a WAV file named .mp3", "ok", False,
     lambda p: sf.write(p, song_samples(SECONDS), 44_100, format="WAV")),
    ("empty.mp3", "0 bytes", "unreadable", False, _write_raw(b"")),
    ("random_bytes.mp3", "random bytes named .mp3", "unreadable", False,
     _write_raw(np.random.default_rng(16).bytes(20_000))),
    ("text.flac", "a text file named .flac", "unreadable", False, _write_raw(b"just some notes\n" * 200)),
    ("corrupt.flac", "fLaC magic followed by garbage", "unreadable", False, _write_raw(b"fLaC" + bytes(range(256)) * 40)),
    ("truncated.ogg", "Ogg Vorbis cut mid-page", "unreadable", False, _ogg_truncated),
    ("no_mdat.m4a", "M4A cut before its audio (moov only)", "unreadable", False, _m4a_without_mdat),
    ("control_chars.flac", "ESC, BEL, newline and bidi override in tags (#11)", "ok", False,
     lambda p: _vorbis_flac(p, title="Clear\x1b[2J\x07 me\nFAKE", artist="Bell\u202eEvil")),
    ("many_comments.flac", "3,000 distinct Vorbis comments (#11)", "ok", False, _flac_many_comments),
    ("invalid_utf8_comment.flac", "Vorbis comment that is not UTF-8", "ok", False, _flac_invalid_utf8_comment),
    ("cp1252_in_utf8.mp3", "ID3 frame marked UTF-8 holding Windows-1252", "ok", False, _mp3_cp1252_in_utf8),
    ("huge_id3_size.mp3", "ID3 header claiming 256 MB (hides the audio)", "unreadable", False, _mp3_huge_id3_size),
    ("ape_and_id3v1.mp3", "APEv2 and ID3v1 tags after the audio", "ok", False, _mp3_ape_and_id3v1),
    ("hostile_lyrics.mp3", "USLT/SYLT lyrics with negative, huge and unsorted times", "ok", False,
     _mp3_hostile_lyrics),
    ("year_garbage.ogg", "date '99999999999999', title of 100,000 characters", "ok", False,
     lambda p: _song(p, ".ogg", tags={"date": "99999999999999", "title": "x" * 100_000})),
    ("emoji_rtl.opus", "emoji and right-to-left tags in Opus", "ok", False,
     lambda p: _song(p, ".opus", tags={"title": "🎧 أغنية שיר", "artist": "\u200f\u202bمغني"})),
    ("name with\nnewline \x1b[31m.wav", "newline and ESC in the file name", "ok", False, lambda p: _song(p, "")),
    (os.fsdecode(b"caf\xe9 latin-1 name.wav"), "file name bytes that are not UTF-8", "refused", False,
     _non_utf8_name),
    ("x" * 247 + ".wav", "a legal 251-byte file name (exports must shorten theirs, #10)", "ok", False,
     lambda p: _song(p, "")),
    ("symlink_to_song.flac", "a symbolic link to a song elsewhere (tags go to the target, #7)", "ok", False,
     _symlink_to_song),
    ("duplicate_retagged.wav", "same audio as silence.wav with other tags", "ok", False, _duplicate_retagged),
    ("loop_a.wav", "symbolic link loop", "skipped", False, _symlink_loop),
    ("dangling.flac", "dangling symbolic link", "skipped", False, _dangling),
    ("fifo.wav", "a FIFO named .wav (reading it would block)", "skipped", False, _fifo),
    ("folder.mp3", "a folder named .mp3 (holding a song)", "skipped", False, _folder_named_like_audio),
    ("nul_genre.m4a", "M4A with a NUL inside its genre", "ok", False,
     lambda p: _song(p, ".m4a", tags={"title": "fine", "genre": "Rock\x00Pop"})),
    ("artist_only_id3.mp3", "ID3 with only an artist frame", "ok", False,
     lambda p: _id3_mp3(p, TPE1(encoding=3, text="\x00\x00Nul Band\x00"))),
]

KINDS: list[Hostile] = [Hostile(name, trigger, scan, damaged) for name, trigger, scan, damaged, _ in _KINDS]


def build_corpus(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """Write every hostile file into ``folder``; name -> path (files inside folder.mp3 excluded)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, _trigger, _scan, _damaged, make in sorted(_KINDS, key=lambda kind: kind[0] == "duplicate_retagged.wav"):
        path = folder / name
        make(path)
        paths[name] = path
    return paths


def kind(name: str) -> Hostile:
    return next(k for k in KINDS if k.name == name)
