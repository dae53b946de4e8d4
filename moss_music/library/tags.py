"""Reading tags and stream properties with mutagen, tolerant of whatever is in the wild.

Tags may be missing, mis-encoded (latin-1 bytes in a UTF-8 field), or in a
container mutagen only half understands; none of that may stop a scan, so
every value is coerced to clean text and failures fall back to the decoder's
probe.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import mutagen

from moss_music.audio import AudioError, probe
from moss_music.library.id3_lenient import read_id3_text_frames

_PCM_CONTAINERS = (".wav", ".wave", ".aif", ".aiff", ".aifc")
_EASY_FIELDS = {
    "title": "title",
    "artist": "artist",
    "album": "album",
    "albumartist": "album_artist",
    "genre": "genre",
    "date": "year",
    "tracknumber": "track_number",
}
# MP4 atoms and Vorbis names that easy mode may miss.
_RAW_FIELDS = {
    "\xa9nam": "title", "\xa9ART": "artist", "\xa9alb": "album", "aART": "album_artist", "\xa9gen": "genre",
    "\xa9day": "year", "TIT2": "title", "TPE1": "artist", "TALB": "album", "TPE2": "album_artist",
    "TCON": "genre", "TDRC": "year", "TRCK": "track_number",
}


@dataclass
class FileTags:
    duration: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    bitrate: int | None = None
    format: str | None = None
    codec: str | None = None
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    album_artist: str | None = None
    genre: str | None = None
    year: int | None = None
    track_number: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


def read_tags(path: str) -> FileTags:
    """Tags and stream properties; raises AudioError when the file is not usable audio."""
    try:
        audio = mutagen.File(path, easy=True)
    except Exception:  # noqa: BLE001 - mutagen raises many types on odd files; the probe decides
        audio = None
    tags = FileTags()
    if audio is not None and getattr(audio, "info", None) is not None:
        info = audio.info
        tags.duration = _positive(getattr(info, "length", None))
        tags.sample_rate = _int(getattr(info, "sample_rate", None))
        tags.channels = _int(getattr(info, "channels", None))
        tags.bitrate = _int(getattr(info, "bitrate", None))
        tags.format = type(audio).__name__.replace("Easy", "").lower()
        tags.codec = getattr(info, "codec", None) or None
        _fill_from_mapping(tags, audio.tags)
    if tags.title is None or tags.artist is None:
        _fill_from_mapping(tags, read_id3_text_frames(path))
    # mutagen trusts a PCM header's length; the probe notices a cut or empty WAV/AIFF.
    if not tags.duration or not tags.sample_rate or path.lower().endswith(_PCM_CONTAINERS):
        info = probe(path)  # raises AudioError with the reason
        tags.duration, tags.sample_rate, tags.channels = info.duration, info.sample_rate, info.channels
        tags.format, tags.codec = info.format, info.codec
    if tags.duration is None or tags.duration <= 0:
        raise AudioError(path, "empty", "the file holds no audio")
    return tags


def _fill_from_mapping(tags: FileTags, mapping) -> None:
    if not mapping:
        return
    try:
        items = _tag_items(mapping)
    except Exception:  # noqa: BLE001
        return
    for name, value in items:
        text = _text(value)
        if not text:
            continue
        target = _EASY_FIELDS.get(str(name).lower()) or _RAW_FIELDS.get(str(name))
        if target == "year":
            tags.year = _year(text)
        elif target == "track_number":
            tags.track_number = _track_number(text)
        elif target and getattr(tags, target) is None:
            setattr(tags, target, text)
        elif len(tags.extra) < 64 and len(text) < 2000:
            tags.extra[str(name)] = text


def _tag_items(mapping) -> list[tuple[str, object]]:
    """(name, value) pairs, first value per name.

    Vorbis comments and ASF attributes are lists of pairs; their dict-style ``items()`` rescans the
    whole list for every name, which took 48 s for a FLAC with 40,000 comments. One pass instead.
    """
    if not isinstance(mapping, list):
        return list(mapping.items())
    seen: set[str] = set()
    pairs = []
    for entry in mapping:
        if not isinstance(entry, tuple) or len(entry) != 2:
            continue
        name = str(entry[0]).lower()
        if name not in seen:
            seen.add(name)
            pairs.append((name, entry[1]))
    return pairs


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    if hasattr(value, "text"):
        value = value.text[0] if value.text else ""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            value = value.decode("latin-1")
    text = str(value)
    # Lone surrogates from badly decoded tags cannot be stored as UTF-8.
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "").strip()


def _year(text: str) -> int | None:
    match = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", text)
    return int(match.group(1)) if match else None


# SQLite integers are 64-bit and a stream property or track number beyond this is a broken tag anyway.
_INT_LIMIT = 2**31 - 1
_TRACK_NUMBER = re.compile(r"^\s*0*(\d{1,6})\s*(?:/.*)?$")


def _track_number(text: str) -> int | None:
    """'3', '03', '3/12' -> 3; anything else ('inf', '1e400', 23 digits) is not a track number."""
    match = _TRACK_NUMBER.match(text)
    return int(match.group(1)) if match else None


def _int(value) -> int | None:
    """A whole number within SQLite's and Qt's comfort, or None: tags hold 'inf', '1e400' and worse."""
    try:
        number = float(str(value).strip()) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    if number is None or not math.isfinite(number) or abs(number) > _INT_LIMIT:
        return None
    return int(number)


def _positive(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None
