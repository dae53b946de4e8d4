"""Reaper CSV and project, Audacity labels and cue sheets, each read back with its own reader."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from moss_music.annotations import Section, TrackAnnotations
from moss_music.export import ExportOptions, TrackInfo, get_writer
from moss_music.export.daw import read_audacity_labels, rpp_string
from moss_music.export.timecode import parse_clock, parse_cue_stamp

INFO = TrackInfo(title="My Song", artist='The "Testers"', album="Fixtures", duration=24.0,
                 path="/music/My Song.mp3")
NAMES = ["Intro", "Verse 1", "Chorus 1", "Verse 2", "Chorus 2"]


def render(fmt: str, annotations: TrackAnnotations, **options) -> str:
    return get_writer(fmt).render(annotations, INFO, ExportOptions(**options))


def test_reaper_csv_regions_round_trip_within_1ms(annotations):
    rows = list(csv.DictReader(io.StringIO(render("reaper", annotations))))
    assert list(rows[0]) == ["#", "Name", "Start", "End", "Length"]
    assert [row["#"] for row in rows] == ["R1", "R2", "R3", "R4", "R5"]
    assert [row["Name"] for row in rows] == NAMES
    for row, section in zip(rows, annotations.sections):
        assert parse_clock(row["Start"]) == pytest.approx(section.start, abs=0.001)
        assert parse_clock(row["End"]) == pytest.approx(section.end, abs=0.001)
        assert parse_clock(row["Length"]) == pytest.approx(section.end - section.start, abs=0.001)


def test_reaper_csv_quotes_names_with_commas():
    ann = TrackAnnotations(sections=[Section(0, 2, "Verse, take 2", "verse")])
    rows = list(csv.reader(io.StringIO(render("reaper", ann))))
    assert rows[1][1] == "Verse, take 2"


_MARKER = re.compile(r'^\s*MARKER (\d+) ([\d.]+) ("[^"]*"|\'[^\']*\'|`[^`]*`|\S+) (\d+)')


def test_rpp_marker_block_holds_a_region_per_section_and_the_audio(annotations):
    text = render("rpp", annotations, chord_markers=True)
    assert text.startswith("<REAPER_PROJECT") and text.rstrip().endswith(">")
    assert text.count("<") == text.count(">") - text.count("-->")
    markers = [_MARKER.match(line).groups() for line in text.splitlines() if _MARKER.match(line)]
    regions = [m for m in markers if m[3] == "1"]
    starts = [(int(i), float(t), name.strip("\"'`")) for i, t, name, _ in regions if name.strip("\"'`")]
    ends = [(int(i), float(t)) for i, t, name, _ in regions if not name.strip("\"'`")]
    assert [name for _, _, name in starts] == NAMES
    for (index, start, _), (end_index, end), section in zip(starts, ends, annotations.sections):
        assert index == end_index
        assert start == pytest.approx(section.start, abs=0.001)
        assert end == pytest.approx(section.end, abs=0.001)
    chord_markers = [m for m in markers if m[3] == "0"]
    assert len(chord_markers) == len([c for c in annotations.chords if c.label != "N"])
    assert "<SOURCE MP3" in text and 'FILE "/music/My Song.mp3"' in text
    assert re.search(r"TEMPO 123\.457 4 4", text)


def test_rpp_strings_pick_a_quote_the_name_does_not_use():
    assert rpp_string("Chorus 2") == '"Chorus 2"'
    assert rpp_string('The "big" one') == "'The \"big\" one'"
    assert rpp_string("""it's "big" """) == '`it\'s "big"`'


def test_audacity_labels_round_trip_with_six_decimals(annotations):
    text = render("audacity", annotations)
    assert all(re.fullmatch(r"\d+\.\d{6}\t\d+\.\d{6}\t.+", row) for row in text.splitlines())
    labels = read_audacity_labels(text)
    assert [name for _, _, name in labels] == NAMES
    for (start, end, _), section in zip(labels, annotations.sections):
        assert start == pytest.approx(section.start, abs=1e-6)
        assert end == pytest.approx(section.end, abs=1e-6)


def parse_cue(text: str) -> tuple[dict, list[dict]]:
    header, tracks = {}, []
    for line in text.splitlines():
        words = line.strip().split(" ", 1)
        if words[0] == "TRACK":
            tracks.append({"number": int(words[1].split()[0]), "index": {}})
        elif words[0] == "INDEX":
            number, stamp = words[1].split()
            tracks[-1]["index"][int(number)] = parse_cue_stamp(stamp)
        elif words[0] in ("TITLE", "PERFORMER", "FILE"):
            (tracks[-1] if tracks else header)[words[0]] = words[1]
    return header, tracks


def test_cue_sheet_has_a_track_per_section_at_75_frames_per_second(annotations):
    header, tracks = parse_cue(render("cue", annotations))
    assert header["FILE"] == '"My Song.mp3" MP3'
    assert header["PERFORMER"] == "\"The 'Testers'\""
    assert [t["number"] for t in tracks] == [1, 2, 3, 4, 5]
    assert [t["TITLE"].strip('"') for t in tracks] == NAMES
    for track, section in zip(tracks, annotations.sections):
        assert track["index"][1] == pytest.approx(section.start, abs=0.5 / 75)


def test_cue_sheet_gives_audio_before_the_first_section_to_the_pregap():
    ann = TrackAnnotations(sections=[Section(3.2, 10, "A", "verse"), Section(10, 20, "B", "chorus")])
    _, tracks = parse_cue(render("cue", ann))
    assert tracks[0]["index"] == {0: 0.0, 1: pytest.approx(3.2, abs=0.5 / 75)}


def test_section_formats_skip_tracks_without_sections():
    from moss_music.export import NothingToExport

    for fmt in ("reaper", "audacity", "cue"):
        with pytest.raises(NothingToExport):
            get_writer(fmt).check(TrackAnnotations(duration=3.0))


def _rpp_items(text: str) -> list[dict[str, str]]:
    """Items of the project with their source type and file, read the way Reaper nests its chunks."""
    items, stack = [], []
    for row in text.splitlines():
        row = row.strip()
        if row.startswith("<"):
            stack.append(row[1:].split()[0])
            if stack[-1] == "ITEM":
                items.append({})
            elif stack[-1] == "SOURCE" and items:
                items[-1]["source"] = row.split()[1]
        elif row == ">":
            stack.pop()
        elif row.startswith("FILE ") and "SOURCE" in stack:
            items[-1]["file"] = row[5:].strip("\"'`")
    assert not stack
    return items


@pytest.mark.parametrize("suffix, source", [(".m4a", "VIDEO"), (".flac", "FLAC"), (".ogg", "VORBIS"),
                                             (".wav", "WAVE"), (".mp3", "MP3")])
def test_rpp_holds_the_audio_item_for_every_format_we_scan(annotations, suffix, source):
    """Issue 14.4: the project for an M4A had a track with no item while the report said 'written'."""
    info = TrackInfo(title="Song", duration=24.0, path=f"/music/Song{suffix}")
    items = _rpp_items(get_writer("rpp").render(annotations, info, ExportOptions()))
    assert items == [{"source": source, "file": f"/music/Song{suffix}"}]


def test_rpp_without_a_usable_audio_file_fails_instead_of_reporting_success(annotations, tmp_path):
    from moss_music.export.batch import _export_one

    info = TrackInfo(title="Song", duration=24.0, path=str(tmp_path / "Song.xyz"))
    target = tmp_path / "out" / "Song.rpp"
    item = _export_one(get_writer("rpp"), annotations, info, target, ExportOptions(), False, 1)
    assert item.status == "failed" and ".xyz" in item.message
    assert not target.exists()


def test_cue_file_line_is_relative_to_the_cue_sheet(library, analyzed_track, tmp_path):
    """Issue 14.8: a bare name only worked when the .cue sat beside the audio."""
    import os

    from moss_music.export import export_tracks

    out = tmp_path / "exports" / "cues"
    export_tracks(library, [analyzed_track.id], ["cue"], out)
    header, _ = parse_cue((out / "My Song.cue").read_text())
    name = header["FILE"].rsplit(" ", 1)[0].strip('"')
    assert name == os.path.join("..", "..", "music", "My Song.flac")
    assert (out / name).resolve() == Path(analyzed_track.path).resolve()


def test_cue_sheet_with_more_sections_than_tracks_warns():
    sections = [Section(float(i), float(i + 1), "A", "verse") for i in range(120)]
    writer = get_writer("cue")
    text = writer.render(TrackAnnotations(sections=sections), INFO, ExportOptions())
    assert text.count("  TRACK ") == 99
    assert writer.warnings == ["only the first 99 of 120 sections fit a cue sheet"]
