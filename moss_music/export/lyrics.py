"""Lyrics out (LRC, enhanced LRC, SRT, WebVTT) and back in (.lrc/.srt/.vtt/.txt files, the file's own tags).

Every format here stamps times, so only timed lines are written; lines with no
times (plain text, unsynced tags: ``start == end == 0``, see
``moss_music.annotations.lyric_sync``) are never given made-up ones — a track
with no timed line is skipped with the reason, and reading plain text gives
untimed lines for the track view's tap-to-sync.

LRC has no end times: a line lasts until the next stamp, so a line followed
by silence gets an empty stamped line at its end (players then clear the
screen). The parser reads what real files contain: several stamps on one line,
'[offset:]', enhanced '<mm:ss.xx>' word stamps, mm:ss:xx variants.
"""

from __future__ import annotations

import html
import math
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from moss_music.annotations import LyricLine, TrackAnnotations, Word
from moss_music.annotations.lyric_sync import is_timed, untimed_lines
from moss_music.export.base import APP_CREDIT, ExportOptions, TrackInfo, Writer
from moss_music.export.timecode import clock_stamp, lrc_stamp, parse_clock, parse_lrc_stamp

# A line that ends this long before the next one starts gets its own 'clear' stamp.
CLEAR_GAP_S = 0.5
# The last line of a file with no length tag lasts this long.
DEFAULT_LAST_LINE_S = 4.0

_LRC_LINE_STAMP = re.compile(r"\[(\d+:\d{1,2}(?:[.:]\d{1,3})?)\]")
_LRC_WORD_STAMP = re.compile(r"<(\d+:\d{1,2}(?:[.:]\d{1,3})?)>")
_LRC_TAG = re.compile(r"^\[([A-Za-z#]+):(.*)\]\s*$")
_CUE_TIMING = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)")
# SubRip has no escapes: players read '<b>', '<i>', '<font …>' as markup and '{\b1}' as ASS overrides (FFmpeg,
# mpv, VLC). A WORD JOINER (U+2060, invisible, no line break) after the '<' or '{' keeps such text literal.
_SRT_MARKUP = re.compile(r"([<{])(?=[/\\A-Za-z])")
WORD_JOINER = "\u2060"


def line_text(line: LyricLine) -> str:
    """One display line: the text, or the words joined when only words were stored."""
    text = line.text if line.text.strip() else " ".join(w.text for w in line.words)
    return " ".join(text.split())


class LrcWriter(Writer):
    name = "lrc"
    label = "Synced lyrics (LRC)"
    group = "Lyrics"
    extension = ".lrc"
    description = "LRC synced lyrics ([mm:ss.xx] per line)"
    needs = ("lyrics",)
    timed_lyrics_only = True
    enhanced = False

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> str:
        shift = options.lrc_offset_ms / 1000.0

        def stamp(seconds: float) -> str:
            return lrc_stamp(seconds + shift, options.lrc_milliseconds)

        out = []
        for tag, value in (("ti", info.title), ("ar", info.artist), ("al", info.album)):
            if value:
                out.append(f"[{tag}:{_one_line(value)}]")
        length = info.duration or annotations.duration
        if length:
            total = int(round(length))
            out.append(f"[length:{total // 60:02d}:{total % 60:02d}]")
        out.append(f"[by:{APP_CREDIT}]")
        lines = self.timed_lyrics(annotations)
        for i, line in enumerate(lines):
            words = [w for w in line.words if w.text.strip()] if self.enhanced else []
            if words:
                out.append(enhanced_line(words, stamp))
            else:
                out.append(f"[{stamp(line.start)}]{line_text(line)}")
            following = lines[i + 1].start if i + 1 < len(lines) else None
            if following is None or following - line.end > CLEAR_GAP_S:
                out.append(f"[{stamp(line.end)}]")
        return "\n".join(out) + "\n"


def enhanced_line(words: list[Word], stamp) -> str:
    """'[00:10.23] Hello <00:10.50>my <00:10.80>friend <00:11.90>': the A2 extension's form.

    The line stamp is the first word's start and is not repeated as a word
    stamp (kid3 and others turn every stamp into a synced entry, so a repeat
    doubles the first word); the last stamp is where the last word ends.
    """
    body = " ".join((f"<{stamp(w.start)}>" if i else "") + _one_line(w.text) for i, w in enumerate(words))
    return f"[{stamp(words[0].start)}] {body} <{stamp(words[-1].end)}>"


class EnhancedLrcWriter(LrcWriter):
    name = "elrc"
    label = "Karaoke lyrics, word by word (enhanced LRC)"
    group = "Lyrics"
    extension = ".enhanced.lrc"
    description = "Enhanced LRC: line stamps plus <mm:ss.xx> word stamps (karaoke)"
    enhanced = True


class SrtWriter(Writer):
    name = "srt"
    label = "Subtitles for video players (SRT)"
    group = "Lyrics"
    extension = ".srt"
    description = "SubRip subtitles (one cue per lyric line)"
    needs = ("lyrics",)
    timed_lyrics_only = True

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> str:
        shift = options.lrc_offset_ms / 1000.0
        blocks = []
        for index, line in enumerate(self.timed_lyrics(annotations), start=1):
            blocks.append(f"{index}\n{clock_stamp(line.start + shift, ',')} --> {clock_stamp(line.end + shift, ',')}\n"
                          f"{srt_text(line_text(line))}\n")
        return "\n".join(blocks)


class VttWriter(Writer):
    name = "vtt"
    label = "Captions for web players (WebVTT)"
    group = "Lyrics"
    extension = ".vtt"
    description = "WebVTT captions (one cue per lyric line)"
    needs = ("lyrics",)
    timed_lyrics_only = True

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> str:
        shift = options.lrc_offset_ms / 1000.0
        out = ["WEBVTT", ""]
        if info.title:
            out[0] = f"WEBVTT - {_one_line(info.title)}"
        for line in self.timed_lyrics(annotations):
            out.append(f"{clock_stamp(line.start + shift)} --> {clock_stamp(line.end + shift)}")
            out.append(html.escape(line_text(line), quote=False).replace("-->", "--&gt;"))
            out.append("")
        return "\n".join(out)


def srt_text(text: str) -> str:
    """Lyric text that SubRip players show as written, never as bold/italic/ASS markup."""
    return _SRT_MARKUP.sub(lambda m: m.group(1) + WORD_JOINER, text)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# -- reading ---------------------------------------------------------------------------------


@dataclass
class LrcDocument:
    tags: dict[str, str] = field(default_factory=dict)
    """Header tags by lower-case name: 'ti', 'ar', 'al', 'length', 'by', 'offset' …"""
    lines: list[LyricLine] = field(default_factory=list)


def parse_lrc(text: str, duration: float | None = None) -> LrcDocument:
    """Parse LRC or enhanced LRC; empty stamped lines end the line before them."""
    doc = LrcDocument()
    stamped: list[tuple[float, str]] = []
    for raw in text.lstrip("\ufeff").splitlines():
        raw = raw.strip()
        if not raw:
            continue
        tag = _LRC_TAG.match(raw)
        if tag and not _LRC_LINE_STAMP.match(raw):
            doc.tags[tag.group(1).lower()] = tag.group(2).strip()
            continue
        stamps = []
        rest = raw
        while match := _LRC_LINE_STAMP.match(rest):
            stamps.append(parse_lrc_stamp(match.group(1)))
            rest = rest[match.end():]
        for start in stamps:
            stamped.append((start, rest.strip()))
    shift = -_offset_seconds(doc.tags.get("offset", ""))
    stamped.sort(key=lambda item: item[0])
    end_of_song = duration or _length_tag(doc.tags.get("length", ""))
    for i, (start, body) in enumerate(stamped):
        if not body:
            continue
        following = stamped[i + 1][0] if i + 1 < len(stamped) else None
        words = _enhanced_words(body, start, shift, following)
        text = " ".join(w.text for w in words) if words else _LRC_WORD_STAMP.sub("", body).strip()
        if following is not None:
            end = following
        elif words:
            end = words[-1].end - shift
        else:
            end = max(end_of_song or 0.0, start + DEFAULT_LAST_LINE_S)
        doc.lines.append(LyricLine(max(0.0, start + shift), max(0.0, end + shift), text, words))
    return doc


def _enhanced_words(body: str, line_start: float, shift: float, line_end: float | None) -> list[Word]:
    parts = _LRC_WORD_STAMP.split(body)
    # parts: [before, stamp, text, stamp, text, ...]; text before the first word stamp (the A2 form)
    # is the first word, sung at the line stamp.
    if len(parts) < 3:
        return []
    stamps = [parse_lrc_stamp(s) for s in parts[1::2]]
    texts = [t.strip() for t in parts[2::2]]
    if parts[0].strip():
        stamps.insert(0, line_start)
        texts.insert(0, parts[0].strip())
    words = []
    for i, (start, word) in enumerate(zip(stamps, texts)):
        if not word:
            continue
        end = stamps[i + 1] if i + 1 < len(stamps) else (line_end if line_end is not None else start)
        words.append(Word(max(0.0, start + shift), max(0.0, end + shift), word))
    return words


def _offset_seconds(value: str) -> float:
    try:
        return int(value.strip() or 0) / 1000.0
    except ValueError:
        return 0.0


def _length_tag(value: str) -> float | None:
    try:
        return parse_lrc_stamp(value) if value else None
    except ValueError:
        return None


def parse_subtitles(text: str) -> list[LyricLine]:
    """SRT or WebVTT cues as lyric lines (cue settings, numbering and markup are dropped)."""
    lines = []
    blocks = re.split(r"\n\s*\n", text.lstrip("\ufeff").replace("\r\n", "\n"))
    for block in blocks:
        rows = [row for row in block.split("\n") if row.strip()]
        for i, row in enumerate(rows):
            match = _CUE_TIMING.match(row)
            if match:
                body = " ".join(rows[i + 1:])
                body = html.unescape(re.sub(r"</?[A-Za-z][^>]*>|\{\\[^}]*\}", "", body))
                body = body.replace("<" + WORD_JOINER, "<").replace("{" + WORD_JOINER, "{")
                try:
                    start, end = parse_clock(match.group(1)), parse_clock(match.group(2))
                except ValueError:
                    break  # a cue whose timing is no clock time ('0 --> 0') is skipped, not the whole file
                lines.append(LyricLine(start, end, body.strip()))
                break
    return sorted(lines, key=lambda line: line.start)


def lyrics_from_text(text: str, duration: float | None = None) -> list[LyricLine]:
    """Whatever a lyrics blob holds: LRC when it carries stamps, SRT/VTT cues, else plain lines.

    Plain lines (and the unstamped rows of an LRC file with only header tags) come back untimed
    (start == end == 0): nothing here guesses when a line is sung.
    """
    rows = text.lstrip("\ufeff").splitlines()
    if _LRC_LINE_STAMP.search(text) or any(_LRC_TAG.match(row.strip()) for row in rows):
        stamped = fit_to_song(parse_lrc(text, duration).lines, duration)
        if stamped:
            return stamped
        return untimed_lines([row for row in rows if not _LRC_TAG.match(row.strip())])
    if "-->" in text:
        cues = parse_subtitles(text)
        if cues:
            return fit_to_song(cues, duration)
    return untimed_lines(rows)


def fit_to_song(lines: list[LyricLine], duration: float | None) -> list[LyricLine]:
    """Imported lines sorted, with finite times inside [0, duration]; lines starting after the end are dropped.

    A file or tag may stamp a line at 99999 minutes or before zero; the lanes, exports and
    player all assume times inside the song.
    """
    limit = duration if duration is not None and math.isfinite(duration) and duration > 0 else math.inf

    def clamp(value: float) -> float:
        return min(max(value, 0.0), limit)

    fitted = []
    for line in sorted(lines, key=lambda item: item.start):
        if not (math.isfinite(line.start) and math.isfinite(line.end)) or line.start >= limit:
            continue
        start = clamp(line.start)
        words = [Word(clamp(w.start), max(clamp(w.start), clamp(w.end)), w.text) for w in line.words
                 if math.isfinite(w.start) and math.isfinite(w.end) and w.start < limit]
        fitted.append(LyricLine(start, max(start, clamp(line.end)), line.text, words))
    return fitted


def read_lyrics_file(path: str | os.PathLike[str], duration: float | None = None) -> list[LyricLine]:
    """Lyric lines from a .lrc, .srt, .vtt or plain .txt file; ValueError when it holds none."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    lines = lyrics_from_text(text, duration)
    if not lines:
        raise ValueError(f"{path}: no lyric lines found")
    return lines


def lyrics_from_tags(path: str | os.PathLike[str], duration: float | None = None) -> list[LyricLine]:
    """Lyrics already in the file's tags: synced (ID3 SYLT, LRC text) preferred over unsynced (kept untimed)."""
    import mutagen

    audio = mutagen.File(os.fspath(path))
    if audio is None or not audio.tags:
        return []
    tags = audio.tags
    if hasattr(tags, "getall"):  # ID3 (MP3, AIFF, WAV)
        for frame in tags.getall("SYLT"):
            if frame.type == 1 and frame.format == 2 and frame.text:
                return fit_to_song(_sylt_lines(frame.text, duration), duration)
        texts = [frame.text for frame in tags.getall("USLT") if frame.text.strip()]
    else:  # Vorbis comments, MP4 atoms
        texts = []
        for name in ("SYNCEDLYRICS", "LYRICS", "UNSYNCEDLYRICS", "\xa9lyr"):
            try:
                values = tags.get(name) or tags.get(name.lower()) or []
            except (KeyError, ValueError):
                values = []
            texts.extend(str(v) for v in values if str(v).strip())
    found = [lines for lines in (lyrics_from_text(text, duration) for text in texts) if lines]
    return next((lines for lines in found if any(is_timed(line) for line in lines)), found[0] if found else [])


def _sylt_lines(entries: list[tuple[str, int]], duration: float | None) -> list[LyricLine]:
    timed = sorted((ms / 1000.0, text.strip()) for text, ms in entries)
    lines = []
    for i, (start, text) in enumerate(timed):
        if not text:
            continue
        end = timed[i + 1][0] if i + 1 < len(timed) else max(duration or 0.0, start + DEFAULT_LAST_LINE_S)
        lines.append(LyricLine(start, end, text))
    return lines


def import_lyrics(library, track_id: int, lines: list[LyricLine]) -> None:
    """Store lines as the user's lyric layer (machine lyrics stay underneath, restorable)."""
    if not lines:
        raise ValueError("no lyric lines to import")
    library.save_user_layer(track_id, "lyrics", [asdict(line) for line in lines])
