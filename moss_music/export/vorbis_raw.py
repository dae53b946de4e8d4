"""Vorbis comments as the bytes in the file, checked strictly (mutagen reads them leniently).

mutagen replaces invalid UTF-8 with U+FFFD and renames entries without '=' or
with an illegal field name to 'unknownN' — and writes them back that way. A
tag writer that promises to leave other tags byte-identical must notice such
a block before touching the file, so it reads the raw block here and parses it
strictly, to the letter of the Vorbis comment spec.
"""

from __future__ import annotations

import os
import struct

from mutagen.ogg import OggPage

_FLAC_VORBIS_COMMENT = 4
_MAX_OGG_PAGES = 512


def invalid_vorbis_comment(path: str | os.PathLike[str]) -> str | None:
    """Why the file's Vorbis comment block is not strictly valid, or None (also None when there is none)."""
    found = raw_vorbis_comment(path)
    return None if found is None else comment_block_problem(*found)


def comment_block_problem(data: bytes, framing: bool) -> str | None:
    """The first thing in a comment block that mutagen would not write back byte for byte, or None.

    The spec: a UTF-8 vendor string, then entries 'NAME=value' in UTF-8 whose
    NAME is ASCII 0x20..0x7D without '=' (mutagen drops or renames others).
    """
    try:
        offset, vendor_length = 4, struct.unpack_from("<I", data, 0)[0]
        data[offset:offset + vendor_length].decode("utf-8")
        offset += vendor_length
        (count,) = struct.unpack_from("<I", data, offset)
        offset += 4
        for index in range(count):
            (length,) = struct.unpack_from("<I", data, offset)
            offset += 4
            entry = data[offset:offset + length]
            if len(entry) < length:
                return f"comment {index + 1} is cut short"
            offset += length
            name, equals, _value = entry.partition(b"=")
            if not equals:
                return f"comment {index + 1} has no '='"
            if not name or any(byte < 0x20 or byte > 0x7D for byte in name):
                return f"comment {index + 1} has an invalid field name {name!r}"
            entry.decode("utf-8")
    except UnicodeDecodeError as problem:
        return f"text that is not UTF-8 ({problem.reason} at byte {problem.start})"
    except struct.error:
        return "the block is cut short"
    if framing and (offset >= len(data) or not data[offset] & 0x01):
        return "the framing bit is missing"
    return None


def raw_vorbis_comment(path: str | os.PathLike[str]) -> tuple[bytes, bool] | None:
    """(comment block bytes, framing bit present) of a FLAC, Ogg Vorbis or Ogg Opus file; None otherwise."""
    with open(path, "rb") as handle:
        magic = handle.read(4)
        handle.seek(0)
        if magic == b"fLaC":
            return _flac_block(handle)
        if magic == b"OggS":
            return _ogg_comment_packet(handle)
    return None


def _flac_block(handle) -> tuple[bytes, bool] | None:
    handle.seek(4)
    while True:
        header = handle.read(4)
        if len(header) < 4:
            return None
        last, kind = header[0] & 0x80, header[0] & 0x7F
        (length,) = struct.unpack(">I", b"\0" + header[1:])
        if kind == _FLAC_VORBIS_COMMENT:
            return handle.read(length), False
        handle.seek(length, os.SEEK_CUR)
        if last:
            return None


def _ogg_comment_packet(handle) -> tuple[bytes, bool] | None:
    """The second packet of the first logical stream: '\\x03vorbis' + comments (framed) or 'OpusTags' + comments."""
    pages: list[OggPage] = []
    serial = None
    for _ in range(_MAX_OGG_PAGES):
        try:
            page = OggPage(handle)
        except Exception:  # noqa: BLE001 - EOF or a damaged stream: no comment we can check
            break
        if serial is None:
            serial = page.serial
        if page.serial != serial:
            continue
        pages.append(page)
        packets = OggPage.to_packets(pages, strict=False)
        if len(packets) >= 3 or (len(packets) == 2 and page.complete):
            break
    packets = OggPage.to_packets(pages, strict=False) if pages else []
    if len(packets) < 2:
        return None
    packet = packets[1]
    if packet.startswith(b"\x03vorbis"):
        return packet[7:], True
    if packet.startswith(b"OpusTags"):
        return packet[8:], False
    return None
