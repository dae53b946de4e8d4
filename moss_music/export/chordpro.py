"""ChordPro: lyrics with [chords] inline (rendered above the words), sections as environments.

Chorus and bridge have their own ChordPro environments; every other section
is a labelled verse environment, which all ChordPro tools render. Sections
without lyrics print their bars as a line of chords.
"""

from __future__ import annotations

from moss_music.annotations import TrackAnnotations
from moss_music.export.base import ExportOptions, TrackInfo, Writer
from moss_music.export.naming import key_short, meter, tempo_bpm, track_end
from moss_music.export.sheet import SheetLine, sheet_blocks

_ENVIRONMENTS = {"chorus": "chorus", "post-chorus": "chorus", "bridge": "bridge"}


class ChordProWriter(Writer):
    name = "chordpro"
    label = "Chord sheet for song apps (ChordPro)"
    group = "Sheets"
    extension = ".cho"
    description = "ChordPro song sheet: [chords] over the lyrics, sections as environments"
    needs = ("chords", "lyrics")

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> str:
        out = [f"{{title: {_clean(info.title or 'Untitled')}}}"]
        if info.artist:
            out.append(f"{{artist: {_clean(info.artist)}}}")
        if info.album:
            out.append(f"{{album: {_clean(info.album)}}}")
        key = key_short(annotations.key, options) if annotations.key else ""
        if key:
            out.append(f"{{key: {key}}}")
        bpm = tempo_bpm(annotations)
        if bpm:
            out.append(f"{{tempo: {round(bpm)}}}")
        numerator, denominator = meter(annotations)
        if annotations.time_signature or annotations.beats:
            out.append(f"{{time: {numerator}/{denominator}}}")
        length = round(track_end(annotations, info.duration))
        if length:
            out.append(f"{{duration: {length // 60}:{length % 60:02d}}}")
        for block in sheet_blocks(annotations, options, info.duration):
            out.append("")
            environment = _ENVIRONMENTS.get(block.function, "verse")
            if block.name:
                out.append(f"{{start_of_{environment}: {_clean(block.name)}}}")
            if block.lines:
                out.extend(inline_chords(line) for line in block.lines)
            else:
                for row in range(0, len(block.bars), max(1, options.bars_per_line)):
                    cells = block.bars[row:row + options.bars_per_line]
                    out.append("| " + " | ".join(" ".join(f"[{n}]" for n in bar) or "%" for bar in cells) + " |")
            if block.name:
                out.append(f"{{end_of_{environment}}}")
        return "\n".join(out) + "\n"


def inline_chords(line: SheetLine) -> str:
    """'[Am]Hello my [F]friend': each chord just before the character it sits over."""
    text = line.text
    pieces = []
    cursor = 0
    for column, name in line.chords:
        if column > len(text):
            pieces.append(text[cursor:] + " ")
            cursor = len(text)
        else:
            pieces.append(text[cursor:column])
            cursor = column
        pieces.append(f"[{name}]")
    pieces.append(text[cursor:])
    return "".join(pieces).rstrip()


def _clean(text: str) -> str:
    return " ".join(str(text).replace("{", "(").replace("}", ")").split())
