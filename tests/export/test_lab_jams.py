"""Chord .lab read back by mir_eval, JAMS by the jams package and our own loader."""

from __future__ import annotations

import jams
import mir_eval
import pytest

from moss_music.annotations.jams_io import load_jams
from moss_music.export import ExportOptions, TrackInfo, get_writer

INFO = TrackInfo(title="My Song", artist="The Testers", album="Fixtures", duration=24.0)


def test_chord_lab_reads_back_with_mir_eval(annotations, tmp_path):
    path = get_writer("lab").write(annotations, INFO, tmp_path / "song.lab")
    intervals, labels = mir_eval.io.load_labeled_intervals(str(path))
    assert list(labels) == [c.label for c in annotations.chords]
    for (start, end), chord in zip(intervals, annotations.chords):
        assert start == pytest.approx(chord.start, abs=1e-6)
        assert end == pytest.approx(chord.end, abs=1e-6)
    mir_eval.chord.validate(list(labels), list(labels))  # every label is valid Harte syntax


def test_jams_file_validates_and_round_trips_every_layer(annotations, tmp_path):
    path = get_writer("jams").write(annotations, INFO, tmp_path / "song.jams")
    doc = jams.load(str(path))  # validates against the JAMS schema
    assert doc.file_metadata.title == "My Song" and doc.file_metadata.artist == "The Testers"
    namespaces = {ann.namespace for ann in doc.annotations}
    assert {"beat", "tempo", "key_mode", "chord", "segment_open", "lyrics", "tag_open"} <= namespaces
    back = load_jams(path)
    assert _same(back.to_dict(), annotations.to_dict()), (back.to_dict(), annotations.to_dict())


def _same(a, b) -> bool:
    """Deep equality with floats compared to the microsecond."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return abs(a - b) < 1e-6
    return a == b


def test_jams_needs_some_analysis(tmp_path):
    from moss_music.annotations import TrackAnnotations
    from moss_music.export import NothingToExport

    with pytest.raises(NothingToExport):
        get_writer("jams").write(TrackAnnotations(), INFO, tmp_path / "x.jams", ExportOptions())
    assert not (tmp_path / "x.jams").exists()
