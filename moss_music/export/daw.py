"""Region and marker lists for DAWs and editors: Reaper CSV and project, Audacity labels, cue sheets.

All four carry the song's sections (named as everywhere else, 'Chorus 2');
the Reaper project can also mark chord changes and opens with the audio on a
track, so the regions sit over the song they describe.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from moss_music.annotations import Section, TrackAnnotations
from moss_music.export.base import APP_CREDIT, ExportOptions, IncompleteExport, TrackInfo, Writer
from moss_music.export.naming import chord_name, is_no_chord, meter, section_names, tempo_bpm, track_end
from moss_music.export.timecode import cue_stamp, short_clock_stamp

MAX_CUE_TRACKS = 99
REAPER_CSV_HEADER = ("#", "Name", "Start", "End", "Length")
# Reaper's media source types by file extension. MP4-family audio (M4A/AAC/ALAC) and WMA are decoded by
# Reaper's video source (FFmpeg/VLC/Media Foundation/AVFoundation), as projects that Reaper saves show.
_RPP_SOURCES = {".wav": "WAVE", ".wave": "WAVE", ".aif": "WAVE", ".aiff": "WAVE", ".aifc": "WAVE", ".mp3": "MP3",
                ".flac": "FLAC", ".ogg": "VORBIS", ".oga": "VORBIS", ".opus": "OPUS", ".wv": "WAVPACK",
                ".m4a": "VIDEO", ".m4b": "VIDEO", ".mp4": "VIDEO", ".aac": "VIDEO", ".alac": "VIDEO",
                ".wma": "VIDEO"}
_CUE_FILE_TYPES = {".mp3": "MP3", ".aif": "AIFF", ".aiff": "AIFF"}


def named_sections(annotations: TrackAnnotations) -> list[tuple[Section, str]]:
    sections = sorted(annotations.sections, key=lambda s: s.start)
    return list(zip(sections, section_names(sections)))


class ReaperCsvWriter(Writer):
    name = "reaper"
    label = "Reaper region list (CSV)"
    group = "Music software"
    extension = ".regions.csv"
    description = "Reaper Region/Marker Manager CSV (#,Name,Start,End,Length): one region per section"
    needs = ("sections",)

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(REAPER_CSV_HEADER)
        for i, (section, name) in enumerate(named_sections(annotations), start=1):
            writer.writerow((f"R{i}", name, short_clock_stamp(section.start), short_clock_stamp(section.end),
                             short_clock_stamp(max(0.0, section.end - section.start))))
        return buffer.getvalue()


class RppWriter(Writer):
    name = "rpp"
    label = "Reaper project with the song and its sections"
    group = "Music software"
    extension = ".rpp"
    description = "Reaper project: the audio on a track, a region per section (chord markers optional)"
    needs = ("sections", "chords")

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> str:
        numerator, denominator = meter(annotations)
        bpm = tempo_bpm(annotations) or 120.0
        out = ['<REAPER_PROJECT 0.1 "6.0" 0', f"  TEMPO {bpm:.6g} {numerator} {denominator}"]
        for i, (section, name) in enumerate(named_sections(annotations), start=1):
            out.append(f"  MARKER {i} {section.start:.6f} {rpp_string(name)} 1")
            out.append(f'  MARKER {i} {section.end:.6f} "" 1')
        if options.chord_markers:
            chords = [c for c in sorted(annotations.chords, key=lambda c: c.start) if not is_no_chord(c)]
            for i, chord in enumerate(chords, start=1):
                out.append(f"  MARKER {i} {chord.start:.6f} {rpp_string(chord_name(chord.label, options, annotations.key))} 0")
        source = rpp_source_type(info.path)
        length = track_end(annotations, info.duration)
        out.append("  <TRACK")
        out.append(f"    NAME {rpp_string(info.title or 'Song')}")
        out += ["    <ITEM", "      POSITION 0", f"      LENGTH {length:.6f}",
                f"      NAME {rpp_string(Path(info.path).name)}", f"      <SOURCE {source}",
                f"        FILE {rpp_string(str(Path(info.path).resolve()))}", "      >", "    >"]
        out.append("  >")
        out.append(">")
        return "\n".join(out) + "\n"


def rpp_source_type(path: str) -> str:
    """Reaper's source type for the audio file; IncompleteExport when there is none (the project would be
    missing the audio it promises)."""
    if not path:
        raise IncompleteExport("the track has no audio file to put in the project")
    suffix = Path(path).suffix.lower()
    if suffix not in _RPP_SOURCES:
        raise IncompleteExport(f"Reaper projects can hold {', '.join(sorted(_RPP_SOURCES))} audio, "
                               f"not {suffix or 'files without an extension'}; use the region list (reaper) instead")
    return _RPP_SOURCES[suffix]


def rpp_string(text: str) -> str:
    """Quote a string the way Reaper reads it: double quotes, else single quotes, else backticks."""
    text = " ".join(str(text).split())
    for quote in ('"', "'", "`"):
        if quote not in text:
            return f"{quote}{text}{quote}"
    return '"' + text.replace('"', "'") + '"'


class AudacityLabelsWriter(Writer):
    name = "audacity"
    label = "Audacity labels of the sections"
    group = "Music software"
    extension = ".labels.txt"
    description = "Audacity label track (start<TAB>end<TAB>name, seconds with 6 decimals)"
    needs = ("sections",)

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> str:
        rows = [f"{s.start:.6f}\t{s.end:.6f}\t{_one_line(name)}" for s, name in named_sections(annotations)]
        return "\n".join(rows) + "\n"


def read_audacity_labels(text: str) -> list[tuple[float, float, str]]:
    """(start, end, label) rows; Audacity's '\\' frequency rows are skipped."""
    labels = []
    for row in text.splitlines():
        if not row.strip() or row.startswith("\\"):
            continue
        parts = row.split("\t")
        start = float(parts[0])
        end = float(parts[1]) if len(parts) > 1 else start
        labels.append((start, end, parts[2] if len(parts) > 2 else ""))
    return labels


class CueSheetWriter(Writer):
    name = "cue"
    label = "Cue sheet: sections as tracks (players, splitters)"
    group = "Music software"
    extension = ".cue"
    description = "Cue sheet: one TRACK per section (INDEX mm:ss:ff, 75 frames per second)"
    needs = ("sections",)

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> str:
        audio = cue_file_path(info)
        file_type = _CUE_FILE_TYPES.get(Path(audio).suffix.lower(), "WAVE")
        out = [f'REM COMMENT "{APP_CREDIT}"']
        if info.artist:
            out.append(f"PERFORMER {_cue_string(info.artist)}")
        if info.title:
            out.append(f"TITLE {_cue_string(info.title)}")
        out.append(f"FILE {_cue_string(audio)} {file_type}")
        sections = named_sections(annotations)
        if len(sections) > MAX_CUE_TRACKS:
            note = f"only the first {MAX_CUE_TRACKS} of {len(sections)} sections fit a cue sheet"
            out.insert(1, f"REM NOTE {note}")
            self.warn(note)
        for number, (section, name) in enumerate(sections[:MAX_CUE_TRACKS], start=1):
            out.append(f"  TRACK {number:02d} AUDIO")
            out.append(f"    TITLE {_cue_string(name)}")
            if info.artist:
                out.append(f"    PERFORMER {_cue_string(info.artist)}")
            if number == 1 and cue_stamp(section.start) != "00:00:00":
                out.append("    INDEX 00 00:00:00")  # audio before the first section is track 1's pregap
            out.append(f"    INDEX 01 {cue_stamp(section.start)}")
        return "\n".join(out) + "\n"


def cue_file_path(info: TrackInfo) -> str:
    """The audio as the cue sheet's FILE line names it: relative to the .cue (players resolve it from there)."""
    if not info.path:
        return f"{info.title or 'song'}.wav"
    if not info.output_path:
        return Path(info.path).name
    audio = os.path.abspath(info.path)
    try:
        relative = os.path.relpath(audio, os.path.dirname(os.path.abspath(info.output_path)))
    except ValueError:  # another drive (Windows): only an absolute path reaches it
        return audio
    return relative


def _cue_string(text: str) -> str:
    return '"' + " ".join(str(text).split()).replace('"', "'") + '"'


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
