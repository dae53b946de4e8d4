"""Content hashes that identify a recording by its audio, not by its bytes.

Analyses are stored per content hash, so the hash must (1) stay the same when
any program edits the tags — otherwise a rescan orphans every analysis — and
(2) differ whenever any part of the audio differs — otherwise two recordings
share each other's results. So it covers *all* of the audio stream and *none*
of the tag blocks, read at disk speed without decoding:

- WAV/RF64/AIFF: the format chunk and the sample data chunk (LIST/id3 chunks skipped);
- FLAC: STREAMINFO and every audio frame (all other metadata blocks skipped);
- Ogg (Vorbis, Opus, FLAC, Speex): every packet but the comment header, rebuilt from
  the pages, since a longer comment renumbers and re-checksums every page after it;
- MP4/M4A: the payload of every ``mdat`` box (tags live in ``moov``, which moves);
- WMA (ASF): the payload of the Data Object (tags live in the Header Object);
- everything else (MP3, AAC, WMA, APE, ...): the file minus leading ID3v2 tags and
  trailing ID3v1, APEv2 and Lyrics3 tags.

``legacy_content_hash`` is the old sampled whole-file hash, kept only so a library
made before the audio hash can be upgraded without losing analyses.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

HASH_SCHEME = 2
"""Bumped whenever ``content_hash`` changes meaning; the library rehashes tracks with an older scheme."""
READ_BYTES = 1 << 20
DIGEST_BYTES = 20  # 40 hex digits: never equal to a legacy (32-digit) hash

SAMPLE_BYTES = 256 * 1024
FULL_HASH_LIMIT = 3 * SAMPLE_BYTES

Region = tuple[int, int]
"""(offset, length) of bytes that belong to the audio."""


def content_hash(path: str | os.PathLike[str]) -> str:
    """Hash of the audio stream of ``path``; tag blocks are left out. Raises OSError if unreadable."""
    digest = hashlib.blake2b(digest_size=DIGEST_BYTES)
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        kind, regions = _audio_regions(handle, size)
        digest.update(kind.encode())
        if kind == "ogg":
            _feed_ogg(handle, size, digest)
        else:
            for offset, length in regions:
                digest.update(length.to_bytes(8, "little"))
                _feed(handle, offset, length, digest)
    return digest.hexdigest()


def legacy_content_hash(path: str | os.PathLike[str]) -> str:
    """The first hash scheme: size plus three 256 KiB samples of the whole file (tags included)."""
    size = os.path.getsize(path)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(size.to_bytes(8, "little"))
    with open(path, "rb") as handle:
        if size <= FULL_HASH_LIMIT:
            digest.update(handle.read())
        else:
            for offset in (0, size // 2 - SAMPLE_BYTES // 2, size - SAMPLE_BYTES):
                handle.seek(offset)
                digest.update(handle.read(SAMPLE_BYTES))
    return digest.hexdigest()


def is_current(digest: str | None, scheme: int | None) -> bool:
    """Whether a stored hash was made by this version's ``content_hash``."""
    return bool(digest) and scheme == HASH_SCHEME


def _feed(handle: BinaryIO, offset: int, length: int, digest) -> None:
    handle.seek(offset)
    left = length
    while left > 0:
        chunk = handle.read(min(READ_BYTES, left))
        if not chunk:
            break
        digest.update(chunk)
        left -= len(chunk)


def _audio_regions(handle: BinaryIO, size: int) -> tuple[str, list[Region]]:
    """The container kind and the byte ranges holding its audio; falls back to 'whole file minus tags'."""
    start, end = _strip_tags(handle, size)
    handle.seek(start)
    head = handle.read(16)
    parsers = (
        (head[:4] in (b"RIFF", b"RIFX", b"RF64") and head[8:12] == b"WAVE", "wav", _wav_regions),
        (head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"), "aiff", _aiff_regions),
        (head[:4] == b"fLaC", "flac", _flac_regions),
        (head[4:8] == b"ftyp", "mp4", _mp4_regions),
        (head[:4] == _ASF_HEADER[:4], "asf", _asf_regions),
    )
    for matches, kind, parser in parsers:
        if matches:
            regions = parser(handle, start, end)
            if regions:
                return kind, regions
            break
    if head[:4] == b"OggS":
        return "ogg", []
    return "raw", [(start, end - start)]


def _strip_tags(handle: BinaryIO, size: int) -> tuple[int, int]:
    """[start, end) of the file without leading ID3v2 tags and trailing ID3v1 / APEv2 / Lyrics3v2 tags."""
    start = 0
    while start + 10 <= size:
        handle.seek(start)
        header = handle.read(10)
        if header[:3] != b"ID3" or header[3] > 4 or any(b & 0x80 for b in header[6:10]):
            break
        footer = 10 if header[5] & 0x10 else 0
        start += 10 + _synchsafe(header[6:10]) + footer
    start = min(start, size)
    end = size
    changed = True
    while changed and end > start:
        changed = False
        if end - start >= 128:
            handle.seek(end - 128)
            if handle.read(3) == b"TAG":
                end -= 128
                changed = True
                continue
        if end - start >= 32:
            handle.seek(end - 32)
            footer = handle.read(32)
            if footer[:8] == b"APETAGEX":
                tag_size = struct.unpack("<I", footer[12:16])[0]
                has_header = struct.unpack("<I", footer[20:24])[0] & 0x80000000
                end = max(start, end - tag_size - (32 if has_header else 0))
                changed = True
                continue
        if end - start >= 15:
            handle.seek(end - 15)
            trailer = handle.read(15)
            if trailer[6:] == b"LYRICS200" and trailer[:6].isdigit():
                end = max(start, end - 15 - int(trailer[:6]))
                changed = True
    return start, end


def _chunks(handle: BinaryIO, offset: int, end: int, little_endian: bool) -> Iterator[tuple[bytes, int, int]]:
    """(id, payload offset, payload length clamped to the file) for each IFF/RIFF chunk."""
    fmt = "<I" if little_endian else ">I"
    while offset + 8 <= end:
        handle.seek(offset)
        header = handle.read(8)
        if len(header) < 8:
            return
        length = struct.unpack(fmt, header[4:8])[0]
        payload = offset + 8
        yield header[:4], payload, max(0, min(length, end - payload))
        offset = payload + length + (length & 1)


def _wav_regions(handle: BinaryIO, start: int, end: int) -> list[Region]:
    handle.seek(start)
    little = handle.read(4) != b"RIFX"
    return _format_and_data(handle, start, end, little, b"fmt ", b"data")


def _aiff_regions(handle: BinaryIO, start: int, end: int) -> list[Region]:
    return _format_and_data(handle, start, end, False, b"COMM", b"SSND")


def _format_and_data(handle: BinaryIO, start: int, end: int, little: bool, form: bytes, data: bytes) -> list[Region]:
    """The first format chunk and the first sample-data chunk of a RIFF/IFF file; none without data."""
    wanted: dict[bytes, Region | None] = {form: None, data: None}
    for chunk_id, payload, length in _chunks(handle, start + 12, end, little):
        if chunk_id in wanted and wanted[chunk_id] is None:
            wanted[chunk_id] = (payload, length)
    if wanted[data] is None:
        return []
    return [region for region in (wanted[form], wanted[data]) if region]


def _flac_regions(handle: BinaryIO, start: int, end: int) -> list[Region]:
    """STREAMINFO plus everything after the last metadata block; each block is skipped by seeking."""
    offset = start + 4
    regions: list[Region] = []
    while offset + 4 <= end:
        handle.seek(offset)
        header = handle.read(4)
        last, block_type = header[0] & 0x80, header[0] & 0x7F
        length = int.from_bytes(header[1:4], "big")
        if block_type == 0:
            regions.append((offset + 4, min(length, end - offset - 4)))
        offset += 4 + length
        if last:
            break
    else:
        return []
    if offset > end:
        return []
    regions.append((offset, end - offset))
    return regions


def _mp4_regions(handle: BinaryIO, start: int, end: int) -> list[Region]:
    regions: list[Region] = []
    offset = start
    while offset + 8 <= end:
        handle.seek(offset)
        header = handle.read(8)
        length = struct.unpack(">I", header[:4])[0]
        header_length = 8
        if length == 1:
            length = struct.unpack(">Q", handle.read(8))[0]
            header_length = 16
        elif length == 0:
            length = end - offset
        if length < header_length:
            break
        if header[4:8] == b"mdat":
            regions.append((offset + header_length, min(length, end - offset) - header_length))
        offset += length
    return regions


_ASF_HEADER = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_ASF_DATA = bytes.fromhex("3626b2758e66cf11a6d900aa0062ce6c")


def _asf_regions(handle: BinaryIO, start: int, end: int) -> list[Region]:
    handle.seek(start)
    if handle.read(16) != _ASF_HEADER:
        return []
    regions: list[Region] = []
    offset = start
    while offset + 24 <= end:
        handle.seek(offset)
        header = handle.read(24)
        length = struct.unpack("<Q", header[16:24])[0]
        if header[:16] == _ASF_DATA:
            length = length if length >= 24 else end - offset  # 0 while still being written (broadcast)
            regions.append((offset + 24, min(length, end - offset) - 24))
        if length < 24:
            break
        offset += length
    return regions


def _feed_ogg(handle: BinaryIO, size: int, digest) -> None:
    """Every packet's bytes except each logical stream's second packet (the comment header).

    Page headers (sequence numbers, checksums) are left out: a tag edit renumbers them.
    Bytes after a damaged page are hashed raw, so a broken file still gets a stable hash.
    """
    packets: dict[int, int] = {}  # serial -> index of the packet being read
    offset = 0
    handle.seek(0)
    while offset < size:
        header = handle.read(27)
        if len(header) < 27 or header[:4] != b"OggS":
            digest.update(header)
            _feed(handle, offset + len(header), size - offset - len(header), digest)
            return
        serial = struct.unpack("<I", header[14:18])[0]
        lacing = handle.read(header[26])
        body = handle.read(sum(lacing))
        offset += 27 + len(lacing) + len(body)
        index = packets.get(serial, 0)
        if index >= 2:
            digest.update(body)
            continue
        position = 0
        for value in lacing:
            if index != 1:
                digest.update(body[position:position + value])
            position += value
            if value < 255:
                index += 1
        packets[serial] = index


def _synchsafe(data: bytes) -> int:
    value = 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
    return value
