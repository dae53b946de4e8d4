"""LRC, SRT and WebVTT read by FFmpeg (the demuxers mpv, VLC-ffmpeg and most media tools use), chord .lab
and Audacity labels by mir_eval: times and text as we meant them."""

from __future__ import annotations

import mir_eval
import pytest

from moss_music.export import ExportOptions, TrackInfo, get_writer
from tests.export.tools import require, run

INFO = TrackInfo(title="My Song", duration=24.0)


def ffmpeg_cues(path) -> list[tuple[float, float, str]]:
    """(start, end, text) per cue with text (LRC clear stamps are empty cues), as FFmpeg reads the file."""
    from moss_music.export.lyrics import parse_subtitles

    ffmpeg = require("ffmpeg")
    result = run([ffmpeg, "-v", "error", "-i", str(path), "-f", "srt", "-"])
    assert result.returncode == 0, result.stderr
    return [(cue.start, cue.end, cue.text) for cue in parse_subtitles(result.stdout) if cue.text.strip()]


@pytest.mark.parametrize("fmt, tolerance", [("lrc", 0.005), ("srt", 0.0005), ("vtt", 0.0005)])
def test_ffmpeg_reads_every_lyric_line_at_its_time(annotations, tmp_path, fmt, tolerance):
    path = get_writer(fmt).write(annotations, INFO, tmp_path / f"song{get_writer(fmt).extension}")
    cues = ffmpeg_cues(path)
    assert [text for _, _, text in cues] == [line.text for line in annotations.lyrics]
    for (start, end, _), line in zip(cues, annotations.lyrics):
        assert start == pytest.approx(line.start, abs=tolerance)
        if fmt != "lrc":  # LRC has no end times: FFmpeg ends a line at the next stamp
            assert end == pytest.approx(line.end, abs=tolerance)


def test_ffmpeg_reads_enhanced_lrc_lines_at_their_times(annotations, tmp_path):
    path = get_writer("elrc").write(annotations, INFO, tmp_path / "song.enhanced.lrc")
    cues = ffmpeg_cues(path)
    assert len(cues) == len(annotations.lyrics)
    for (start, _, _), line in zip(cues, annotations.lyrics):
        assert start == pytest.approx(line.start, abs=0.005)


def test_audacity_labels_read_back_with_mir_eval(annotations, tmp_path):
    path = get_writer("audacity").write(annotations, INFO, tmp_path / "song.labels.txt")
    intervals, labels = mir_eval.io.load_labeled_intervals(str(path), delimiter="\t")
    assert list(labels) == ["Intro", "Verse 1", "Chorus 1", "Verse 2", "Chorus 2"]
    for (start, end), section in zip(intervals, annotations.sections):
        assert start == pytest.approx(section.start, abs=1e-6) and end == pytest.approx(section.end, abs=1e-6)


def test_every_written_file_is_readable_by_its_reader_with_options(annotations, tmp_path):
    """Offsets and millisecond stamps survive FFmpeg too."""
    path = get_writer("lrc").write(annotations, INFO, tmp_path / "song.lrc",
                                   ExportOptions(lrc_offset_ms=-250, lrc_milliseconds=True))
    cues = ffmpeg_cues(path)
    for (start, _, _), line in zip(cues, annotations.lyrics):
        assert start == pytest.approx(line.start - 0.25, abs=0.0015)
