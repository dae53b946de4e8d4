"""A forgiving reader for ID3v2 text frames, used when mutagen rejects a tag.

Taggers in the wild write Windows-1252 bytes into frames marked UTF-8; mutagen
then discards the whole tag, artist and album included. Reading the text
frames ourselves with a fallback encoding keeps what the user typed.
"""

from __future__ import annotations

import struct

_TEXT_ENCODINGS = {0: "latin-1", 1: "utf-16", 2: "utf-16-be", 3: "utf-8"}


def read_id3_text_frames(path: str, limit: int = 1 << 20) -> dict[str, str]:
    """Frame id -> text for every T*** frame of a leading ID3v2.3/2.4 tag; {} when there is none."""
    with open(path, "rb") as handle:
        header = handle.read(10)
        if len(header) < 10 or header[:3] != b"ID3" or header[3] not in (3, 4):
            return {}
        version = header[3]
        size = _synchsafe(header[6:10])
        body = handle.read(min(size, limit))
    frames: dict[str, str] = {}
    offset = 0
    while offset + 10 <= len(body):
        frame_id = body[offset:offset + 4]
        if not frame_id.strip(b"\0") or not frame_id.isalnum():
            break
        raw_size = body[offset + 4:offset + 8]
        frame_size = _synchsafe(raw_size) if version == 4 else struct.unpack(">I", raw_size)[0]
        payload = body[offset + 10:offset + 10 + frame_size]
        offset += 10 + frame_size
        name = frame_id.decode("ascii")
        if name.startswith("T") and name != "TXXX" and payload:
            frames[name] = _decode_text(payload[0], payload[1:])
    return frames


def _decode_text(encoding: int, data: bytes) -> str:
    codec = _TEXT_ENCODINGS.get(encoding, "latin-1")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.replace("\x00", " ").strip()


def _synchsafe(data: bytes) -> int:
    value = 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
    return value
