"""What we know, written into the audio file's own tags, mapped as MusicBrainz Picard and beets map them.

    field            ID3v2 (MP3/AIFF/WAV)     Vorbis (FLAC/OGG/Opus)   MP4 (M4A)
    key              TKEY                     KEY + INITIALKEY         ----:com.apple.iTunes:initialkey
    bpm (integer)    TBPM                     BPM                      tmpo
    bpm (exact)      TXXX:MOSS_MUSIC_BPM      MOSS_MUSIC_BPM           ----:com.apple.iTunes:MOSS_MUSIC_BPM
    lyrics           USLT                     LYRICS                   ©lyr
    synced lyrics    SYLT type 1 (ms)         -                        -
    synced chords    SYLT type 5 'chords'     -                        -
    caption          COMM                     COMMENT + DESCRIPTION    ©cmt
    genre/mood tags  TCON | TMOO | TIT1       GENRE | MOOD | GROUPING  ©gen | ----:…:MOOD | ©grp
                     (v2.3: TXXX:MOOD)

Picard writes Vorbis KEY and COMMENT, beets INITIALKEY and DESCRIPTION: both
are written so either reads them back. The M4A key atom is the freeform
'----:com.apple.iTunes:initialkey', the one Picard, Mp3tag, kid3 and beets
read as the key (iTunes itself shows no key). Only fields we have a value for
are touched; everything else in the tag is verified unchanged after the write.
kid3 shows that atom as a custom field 'initialkey' (it writes its own
'Initial Key' as '…:INITIALKEY'; when a file has one, it is updated too).

ID3 files keep the version they have (v2.3 stays v2.3, which id3lib-based
tools need), unless ``TagOptions.id3_version`` says otherwise; untagged
files get v2.4. Vorbis comments that are not valid UTF-8 ``KEY=value``
entries are refused rather than rewritten (mutagen would replace their bytes).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mutagen
from mutagen.id3 import COMM, ID3, SYLT, TBPM, TCON, TIT1, TKEY, TMOO, TXXX, USLT, Encoding
from mutagen.mp4 import MP4FreeForm

from moss_music.annotations import TrackAnnotations
from moss_music.annotations.keys import KEY_NOTATIONS, key_from_annotation
from moss_music.annotations.lyric_sync import reading_order, timed_in_order, untimed_count
from moss_music.annotations.spelling import spell_chord
from moss_music.export.base import UNTIMED_LYRICS
from moss_music.export.lyrics import line_text
from moss_music.export.naming import tempo_bpm
from moss_music.export.safe_write import TagWriteError, rewrite_safely
from moss_music.export.vorbis_raw import invalid_vorbis_comment

DESCRIPTOR_FIELDS = ("genre", "mood", "grouping", "comment", "none")
ID3_VERSIONS = ("keep", "2.3", "2.4")
ID3V23_SEPARATOR = "/"
"""Picard's default for joining several values in one ID3v2.3 text frame."""
_LANGUAGE = re.compile(r"[A-Za-z]{3}")
EXACT_BPM_NAME = "MOSS_MUSIC_BPM"
ITUNES = "----:com.apple.iTunes:"
_ID3_DESCRIPTOR_FRAMES = {"genre": TCON, "mood": TMOO, "grouping": TIT1}
_ID3_TEXT_FRAMES = {cls.__name__: cls for cls in _ID3_DESCRIPTOR_FRAMES.values()}
_VORBIS_DESCRIPTOR_FIELDS = {"genre": "GENRE", "mood": "MOOD", "grouping": "GROUPING"}
_MP4_DESCRIPTOR_ATOMS = {"genre": "\xa9gen", "mood": ITUNES + "MOOD", "grouping": "\xa9grp"}

Value = tuple  # tuple[str, ...] for text fields, tuple[tuple[str, int], ...] for synced (SYLT) fields


@dataclass(frozen=True)
class TagOptions:
    key_notation: str = "standard"
    """'standard' ('Dbm'), 'openkey' ('7m') or 'camelot' ('12A')."""
    descriptors_field: str = "mood"
    """Where the caption's genre/mood tags go: genre, mood, grouping, comment (appended) or none."""
    key: bool = True
    bpm: bool = True
    lyrics: bool = True
    synced: bool = True
    """ID3 only: SYLT synced lyrics and chords."""
    caption: bool = True
    language: str = "eng"
    """ID3 language code of the lyrics and comment frames (three ASCII letters, ISO 639-2)."""
    backup: bool = False
    id3_version: str = "keep"
    """'keep' the file's ID3v2 version (v2.4 for untagged files), or write '2.3' / '2.4'."""

    def __post_init__(self) -> None:
        if self.key_notation not in KEY_NOTATIONS:
            raise ValueError(f"unknown key notation {self.key_notation!r}; choose from {', '.join(KEY_NOTATIONS)}")
        if self.descriptors_field not in DESCRIPTOR_FIELDS:
            raise ValueError(f"unknown tag field {self.descriptors_field!r}; choose from {', '.join(DESCRIPTOR_FIELDS)}")
        if not _LANGUAGE.fullmatch(self.language):
            raise ValueError(f"the lyrics language must be three ASCII letters (an ISO 639-2 code such as 'eng'), "
                             f"not {self.language!r}")
        object.__setattr__(self, "language", self.language.lower())
        if self.id3_version not in ID3_VERSIONS:
            raise ValueError(f"unknown ID3 version {self.id3_version!r}; choose from {', '.join(ID3_VERSIONS)}")


@dataclass
class TagValues:
    """What we would write, before it is mapped onto a tag format."""

    key: str | None = None
    bpm: int | None = None
    bpm_exact: str | None = None
    lyrics: str | None = None
    synced_lyrics: list[tuple[str, int]] = field(default_factory=list)
    synced_chords: list[tuple[str, int]] = field(default_factory=list)
    comment: str | None = None
    descriptors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TagChange:
    field: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.field}: {self.old or '(none)'} -> {self.new}"


@dataclass
class TagResult:
    path: str
    changes: list[TagChange] = field(default_factory=list)
    written: bool = False
    backup: str | None = None
    notes: list[str] = field(default_factory=list)
    """What the user should know although nothing failed (untimed lyrics left out of SYLT)."""

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "written": self.written, "backup": self.backup, "notes": self.notes,
                "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in self.changes]}


def tag_values(annotations: TrackAnnotations, options: TagOptions) -> TagValues:
    values = TagValues()
    musical_key = key_from_annotation(annotations.key) if options.key else None
    if musical_key is not None:
        values.key = musical_key.code(options.key_notation)
    bpm = tempo_bpm(annotations) if options.bpm else None
    if bpm:
        values.bpm = int(round(bpm))
        values.bpm_exact = f"{bpm:.2f}"
    if options.lyrics and annotations.lyrics:
        # USLT / LYRICS / ©lyr carry every line as text; SYLT only the timed ones (never made-up times).
        values.lyrics = "\n".join(line_text(line) for line in reading_order(annotations.lyrics))
        if options.synced:
            values.synced_lyrics = [(line_text(line), _ms(line.start)) for line in timed_in_order(annotations.lyrics)]
    if options.synced and annotations.chords:
        chords = sorted(annotations.chords, key=lambda c: c.start)
        values.synced_chords = [(spell_chord(c.label, annotations.key), _ms(c.start)) for c in chords]
    tags = list(annotations.caption.tags) if annotations.caption else []
    if options.caption and annotations.caption and annotations.caption.text.strip():
        values.comment = annotations.caption.text.strip()
    if tags and options.descriptors_field == "comment":
        values.comment = ((values.comment or "") + "\n\nTags: " + ", ".join(tags)).strip()
    elif tags and options.descriptors_field != "none":
        values.descriptors = tags
    return values


def _ms(seconds: float) -> int:
    return max(0, int(round(seconds * 1000)))


# -- mapping onto the three tag formats -----------------------------------------------------


class _TagMap:
    """One tag format's field names and how to read, write and save them; the defaults most formats share."""

    writes_synced = False
    """Whether the format has synced (SYLT) lyric frames."""

    def __init__(self, options: TagOptions, audio=None) -> None:
        self.options = options

    def open_options(self) -> dict[str, Any]:
        """Extra arguments for loading the copy that is edited."""
        return {}

    @staticmethod
    def save(audio) -> None:
        audio.save()


class _Id3Map(_TagMap):
    writes_synced = True
    """The only format here with synced (SYLT) frames."""

    def __init__(self, options: TagOptions, audio) -> None:
        super().__init__(options)
        self.version = id3_target_version(audio, options)
        lang = options.language
        self.uslt, self.comm = f"USLT::{lang}", f"COMM::{lang}"
        self.sylt_lyrics, self.sylt_chords = f"SYLT::{lang}", f"SYLT:chords:{lang}"

    def desired(self, values: TagValues) -> dict[str, Value]:
        result: dict[str, Value] = {}
        if values.key:
            result["TKEY"] = (values.key,)
        if values.bpm is not None:
            result["TBPM"] = (str(values.bpm),)
            result[f"TXXX:{EXACT_BPM_NAME}"] = (values.bpm_exact,)
        if values.lyrics is not None:
            result[self.uslt] = (values.lyrics,)
        if values.synced_lyrics:
            result[self.sylt_lyrics] = tuple(values.synced_lyrics)
        if values.synced_chords:
            result[self.sylt_chords] = tuple(values.synced_chords)
        if values.comment is not None:
            result[self.comm] = (values.comment,)
        if values.descriptors:
            name = _ID3_DESCRIPTOR_FRAMES[self.options.descriptors_field].__name__
            if self.version == 3:  # v2.3 has no TMOO and no multi-value text frames
                name = "TXXX:MOOD" if name == "TMOO" else name
                result[name] = (ID3V23_SEPARATOR.join(values.descriptors),)
            else:
                result[name] = tuple(values.descriptors)
        return result

    def open_options(self) -> dict[str, Any]:
        """How to load the copy for editing: in the version it will be saved as."""
        return {"v2_version": self.version}

    def read(self, tags, key: str) -> Value:
        frame = tags.get(key) if tags is not None else None
        if frame is None:
            return ()
        if isinstance(frame, SYLT):
            return tuple((str(text), int(ms)) for text, ms in frame.text)
        if isinstance(frame, USLT):
            return (str(frame.text),)
        return tuple(str(t) for t in frame.text)

    def write(self, audio, key: str, value: Value) -> None:
        if audio.tags is None:
            audio.add_tags()
        tags: ID3 = audio.tags
        lang = self.options.language
        utf8 = Encoding.UTF8
        if key == "TKEY":
            frame = TKEY(encoding=utf8, text=list(value))
        elif key == "TBPM":
            frame = TBPM(encoding=utf8, text=list(value))
        elif key.startswith("TXXX:"):  # TXXX:MOSS_MUSIC_BPM, and TXXX:MOOD in v2.3
            frame = TXXX(encoding=utf8, desc=key[5:], text=list(value))
        elif key == self.uslt:
            frame = USLT(encoding=utf8, lang=lang, desc="", text=value[0])
        elif key == self.comm:
            frame = COMM(encoding=utf8, lang=lang, desc="", text=list(value))
        elif key == self.sylt_lyrics:
            frame = SYLT(encoding=utf8, lang=lang, format=2, type=1, desc="", text=list(value))
        elif key == self.sylt_chords:
            frame = SYLT(encoding=utf8, lang=lang, format=2, type=5, desc="chords", text=list(value))
        else:
            frame = _ID3_TEXT_FRAMES[key](encoding=utf8, text=list(value))
        tags.add(frame)

    @staticmethod
    def snapshot(tags) -> dict[str, str]:
        """Every frame as mutagen reads it, plus the raw bytes of frames it does not know (kept as they are)."""
        result = {key: repr(frame) for key, frame in (tags.items() if tags is not None else [])}
        unknown = getattr(tags, "unknown_frames", None)
        if unknown:
            result["(frames mutagen does not know)"] = repr(sorted(unknown))
        return result

    def save(self, audio) -> None:
        audio.save(v2_version=self.version, v23_sep=ID3V23_SEPARATOR)


def id3_target_version(audio, options: TagOptions) -> int:
    """3 or 4: the version asked for, else the one the file's tag has (4 for a file without an ID3v2 tag)."""
    if options.id3_version != "keep":
        return int(options.id3_version[-1])
    version = getattr(audio.tags, "version", None) if audio is not None else None
    return 3 if version is not None and tuple(version[:2]) == (2, 3) else 4


class _VorbisMap(_TagMap):
    def desired(self, values: TagValues) -> dict[str, Value]:
        result: dict[str, Value] = {}
        if values.key:
            result["KEY"] = result["INITIALKEY"] = (values.key,)
        if values.bpm is not None:
            result["BPM"] = (str(values.bpm),)
            result[EXACT_BPM_NAME] = (values.bpm_exact,)
        if values.lyrics is not None:
            result["LYRICS"] = (values.lyrics,)
        if values.comment is not None:
            result["COMMENT"] = result["DESCRIPTION"] = (values.comment,)
        if values.descriptors:
            result[_VORBIS_DESCRIPTOR_FIELDS[self.options.descriptors_field]] = tuple(values.descriptors)
        return result

    @staticmethod
    def read(tags, key: str) -> Value:
        if tags is None:
            return ()
        return tuple(str(v) for v in (tags.get(key) or ()))

    @staticmethod
    def write(audio, key: str, value: Value) -> None:
        if audio.tags is None:
            audio.add_tags()
        audio.tags[key] = list(value)

    @staticmethod
    def snapshot(tags) -> dict[str, str]:
        if tags is None:
            return {}
        result: dict[str, list[str]] = {}
        for key, value in tags:
            result.setdefault(key.upper(), []).append(value)
        return {key: repr(values) for key, values in result.items()}


class _Mp4Map(_TagMap):
    def __init__(self, options: TagOptions, audio=None) -> None:
        super().__init__(options)
        tags = getattr(audio, "tags", None)
        # kid3 (TagLib) reads and writes the key as '…:INITIALKEY'; keep such an atom in agreement with ours.
        self.kid3_key = tags is not None and ITUNES + "INITIALKEY" in tags

    def desired(self, values: TagValues) -> dict[str, Value]:
        result: dict[str, Value] = {}
        if values.key:
            result[ITUNES + "initialkey"] = (values.key,)
            if self.kid3_key:
                result[ITUNES + "INITIALKEY"] = (values.key,)
        if values.bpm is not None:
            result["tmpo"] = (str(values.bpm),)
            result[ITUNES + EXACT_BPM_NAME] = (values.bpm_exact,)
        if values.lyrics is not None:
            result["\xa9lyr"] = (values.lyrics,)
        if values.comment is not None:
            result["\xa9cmt"] = (values.comment,)
        if values.descriptors:
            result[_MP4_DESCRIPTOR_ATOMS[self.options.descriptors_field]] = tuple(values.descriptors)
        return result

    @staticmethod
    def read(tags, key: str) -> Value:
        if tags is None or key not in tags:
            return ()
        return tuple(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in tags[key])

    @staticmethod
    def write(audio, key: str, value: Value) -> None:
        if audio.tags is None:
            audio.add_tags()
        if key == "tmpo":
            audio.tags[key] = [int(v) for v in value]
        elif key.startswith("----:"):
            audio.tags[key] = [MP4FreeForm(v.encode("utf-8")) for v in value]
        else:
            audio.tags[key] = list(value)

    @staticmethod
    def snapshot(tags) -> dict[str, str]:
        return {key: repr(value) for key, value in (tags.items() if tags is not None else [])}


_MAPS = {"MP3": _Id3Map, "WAVE": _Id3Map, "AIFF": _Id3Map, "FLAC": _VorbisMap, "OggVorbis": _VorbisMap,
         "OggOpus": _VorbisMap, "MP4": _Mp4Map}


def _open(path: Path, kind: type | None = None, **load_options: Any):
    try:
        audio = kind(os.fspath(path), **load_options) if kind else mutagen.File(os.fspath(path))
    except mutagen.MutagenError as error:
        raise TagWriteError(f"{path}: the tags cannot be read: {error}") from error
    if audio is None:
        raise TagWriteError(f"{path}: not an audio file mutagen can tag")
    if type(audio).__name__ not in _MAPS:
        supported = "MP3, AIFF, WAV, FLAC, OGG, Opus and M4A"
        raise TagWriteError(f"{path}: tags can be written to {supported} files, not {type(audio).__name__}")
    return audio


def _display(value: Value) -> str:
    if not value:
        return ""
    if isinstance(value[0], tuple):
        first = value[0]
        return f"{len(value)} synced entries ({first[0]!r} at {first[1] / 1000:.3f} s …)"
    text = "; ".join(value)
    return text if len(text) <= 120 else text[:117] + "…"


def preview_tags(path: str | os.PathLike[str], annotations: TrackAnnotations,
                 options: TagOptions | None = None) -> list[TagChange]:
    """The dry run: what would change in this file, field by field; the file is only read."""
    return preview_tag_result(path, annotations, options).changes


def preview_tag_result(path: str | os.PathLike[str], annotations: TrackAnnotations,
                       options: TagOptions | None = None) -> TagResult:
    """The dry run with its notes (what a write would leave out); nothing is written."""
    options = options or TagOptions()
    audio = _open(Path(path))
    mapping = _MAPS[type(audio).__name__](options, audio)
    _refuse_invalid_comments(Path(path), audio)
    desired = mapping.desired(tag_values(annotations, options))
    return TagResult(os.fspath(path), _changes(mapping, audio.tags, desired), notes=_notes(mapping, annotations, options))


def _notes(mapping, annotations: TrackAnnotations, options: TagOptions) -> list[str]:
    """Untimed lyric lines get no made-up SYLT times: say that they were left out, and why."""
    untimed = untimed_count(annotations.lyrics)
    if not (mapping.writes_synced and options.synced and options.lyrics and untimed):
        return []
    if untimed == len(annotations.lyrics):
        return [f"no synced lyrics (SYLT): {UNTIMED_LYRICS}"]
    return [f"synced lyrics (SYLT): {untimed} line(s) left out: {UNTIMED_LYRICS}"]


def _refuse_invalid_comments(path: Path, audio) -> None:
    """TagWriteError when the file's Vorbis comments are not valid: mutagen would rewrite their bytes."""
    if type(audio).__name__ not in ("FLAC", "OggVorbis", "OggOpus"):
        return
    problem = invalid_vorbis_comment(path)
    if problem:
        raise TagWriteError(f"{path}: its Vorbis comments are not valid ({problem}); writing would change them, so "
                            "nothing was written. Repair them first (e.g. with metaflac or kid3)")


def _changes(mapping, tags, desired: dict[str, Value]) -> list[TagChange]:
    changes = []
    for key, value in desired.items():
        current = mapping.read(tags, key)
        if current != value:
            changes.append(TagChange(key, _display(current), _display(value)))
    return changes


def write_tags(path: str | os.PathLike[str], annotations: TrackAnnotations,
               options: TagOptions | None = None) -> TagResult:
    """Write what changed through a verified copy and an atomic replace; no change, no write."""
    options = options or TagOptions()
    target = Path(os.path.realpath(path))  # a symlinked track: the tags go into the file it points at
    audio = _open(target)
    kind = type(audio)
    mapping = _MAPS[kind.__name__](options, audio)
    _refuse_invalid_comments(target, audio)
    desired = mapping.desired(tag_values(annotations, options))
    changes = _changes(mapping, audio.tags, desired)
    result = TagResult(os.fspath(path), changes, notes=_notes(mapping, annotations, options))
    if not changes:
        return result
    untouched_before = {k: v for k, v in mapping.snapshot(audio.tags).items() if not _is_ours(k, desired)}

    def edit(copy: Path) -> None:
        working = _open(copy, kind, **mapping.open_options())
        for change in changes:
            mapping.write(working, change.field, desired[change.field])
        mapping.save(working)

    def check(copy: Path) -> None:
        reread = _open(copy, kind)
        wrong = [key for key, value in desired.items() if mapping.read(reread.tags, key) != value]
        if wrong:
            raise TagWriteError(f"{target}: after writing, these fields did not read back: {', '.join(wrong)}")
        if isinstance(mapping, _Id3Map) and tuple(reread.tags.version[:2]) != (2, mapping.version):
            raise TagWriteError(f"{target}: the copy came out as ID3v2.{reread.tags.version[1]}, not "
                                f"v2.{mapping.version}; nothing was changed")
        untouched_after = {k: v for k, v in mapping.snapshot(reread.tags).items() if not _is_ours(k, desired)}
        if untouched_after != untouched_before:
            lost = sorted(set(untouched_before.items()) ^ set(untouched_after.items()))
            raise TagWriteError(f"{target}: writing would have changed other tags ({lost[0][0]}); nothing was changed")

    backup = rewrite_safely(target, edit, check, backup=options.backup)
    result.written = True
    result.backup = str(backup) if backup else None
    return result


def _is_ours(key: str, desired: dict[str, Value]) -> bool:
    return key in desired or key.upper() in desired
