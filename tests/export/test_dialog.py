"""The export and tag dialogs, offscreen: real widgets, real files, work on a pool thread."""

from __future__ import annotations

from pathlib import Path

import pytest
from mutagen.flac import FLAC

pytest.importorskip("pytestqt")

from desktop.export_dialog import ExportDialog
from desktop.tag_dialog import TagDialog
from moss_music.annotations import Key, TrackAnnotations
from tests.audio_fixtures import write_song


@pytest.fixture
def export_dialog(qtbot, library, analyzed_track):
    dialog = ExportDialog(library, [analyzed_track.id])
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.folder_edit.text() != "", timeout=10_000)
    yield dialog
    dialog.runner.wait_idle()


def test_default_folder_is_the_tracks_folder(export_dialog, analyzed_track):
    assert export_dialog.folder_edit.text() == str(Path(analyzed_track.path).parent)


def test_export_writes_the_checked_formats(qtbot, export_dialog, tmp_path):
    out = tmp_path / "out"
    export_dialog.folder_edit.setText(str(out))
    export_dialog.set_formats(["lrc", "reaper"])
    export_dialog.lrc_offset.setValue(-100)
    with qtbot.waitSignal(export_dialog.finished_export, timeout=60_000) as blocker:
        export_dialog.export_button.click()
    assert [item.status for item in blocker.args[0].items] == ["written", "written"]
    assert sorted(p.name for p in out.iterdir()) == ["My Song.lrc", "My Song.regions.csv"]
    assert "2 file(s) written" in export_dialog.status.text()
    assert export_dialog.export_button.isEnabled() and export_dialog.close_button.text() == "Close"


def test_existing_files_are_only_overwritten_when_the_user_says_so(qtbot, export_dialog, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "My Song.lrc").write_text("keep me")
    export_dialog.folder_edit.setText(str(out))
    export_dialog.set_formats(["lrc", "srt"])
    export_dialog.export_button.click()
    qtbot.waitUntil(lambda: export_dialog.overwrite_banner.isVisibleTo(export_dialog), timeout=30_000)
    assert "1 file(s) already exist" in export_dialog.overwrite_label.text()
    assert not (out / "My Song.srt").exists()  # nothing written while the question is open
    with qtbot.waitSignal(export_dialog.finished_export, timeout=60_000):
        export_dialog.skip_button.click()
    assert (out / "My Song.lrc").read_text() == "keep me" and (out / "My Song.srt").exists()
    export_dialog.export_button.click()
    qtbot.waitUntil(lambda: export_dialog.overwrite_banner.isVisibleTo(export_dialog), timeout=30_000)
    with qtbot.waitSignal(export_dialog.finished_export, timeout=60_000):
        export_dialog.overwrite_button.click()
    assert (out / "My Song.lrc").read_text().startswith("[ti:My Song]")


def test_export_needs_a_format_and_a_folder(export_dialog):
    export_dialog.set_formats([])
    assert not export_dialog.export_button.isEnabled()
    export_dialog.set_formats(["midi"])
    export_dialog.folder_edit.setText("")
    assert not export_dialog.export_button.isEnabled()


def test_options_map_onto_export_options(export_dialog):
    export_dialog.transpose.setValue(3)
    export_dialog.spelling.setCurrentIndex(2)
    export_dialog.block_chords.setChecked(False)
    options = export_dialog.options()
    assert options.transpose == 3 and options.prefer_flats is True and options.midi_block_chords is False


def test_tag_dialog_previews_then_writes(qtbot, library, analyzed_track):
    before = open(analyzed_track.path, "rb").read()
    dialog = TagDialog(library, [analyzed_track.id])
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.write_button.isEnabled(), timeout=30_000)
    assert open(analyzed_track.path, "rb").read() == before  # the preview only read the file
    top = dialog.diff.topLevelItem(0)
    fields = {top.child(i).text(0): top.child(i).text(2) for i in range(top.childCount())}
    assert fields["KEY"] == "Am" and fields["BPM"] == "123"

    with qtbot.waitSignal(dialog.preview_ready, timeout=30_000):
        dialog.key_notation.setCurrentIndex(2)  # Camelot: the preview follows the options
    assert not dialog.diff.topLevelItem(0).text(1) == "error"
    top = dialog.diff.topLevelItem(0)
    assert {top.child(i).text(0): top.child(i).text(2) for i in range(top.childCount())}["KEY"] == "8A"

    with qtbot.waitSignal(dialog.finished_writing, timeout=60_000) as blocker:
        dialog.write_button.click()
    assert blocker.args[0][0].written
    assert FLAC(analyzed_track.path)["KEY"] == ["8A"]
    assert "Tags written to 1 file(s)" in dialog.status.text()
    assert not dialog.write_button.isEnabled()
    dialog.runner.wait_idle()


def test_tag_dialog_reports_files_it_cannot_tag(qtbot, library, tmp_path):
    track = library.add_file(write_song(tmp_path / "x.wma", seconds=1.0))
    library.save_analysis(track, backend="dsp", model_id="dsp", model_revision="t", tasks=["key"],
                          annotations=TrackAnnotations(key=Key("C")))
    dialog = TagDialog(library, [track.id])
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.preview_ready, timeout=30_000):
        pass
    assert dialog.diff.topLevelItem(0).text(1) == "error"
    assert "cannot be tagged" in dialog.status.text() and not dialog.write_button.isEnabled()
    dialog.runner.wait_idle()


def test_formats_are_named_for_what_they_are_for(export_dialog):
    """Issue 14.8: the dialog showed internal ids (lrc, elrc, rpp, lab)."""
    from moss_music.export import FORMATS

    texts = {name: box.text() for name, box in export_dialog.format_boxes.items()}
    assert set(texts) == set(FORMATS)
    assert texts["elrc"] == "Karaoke lyrics, word by word (enhanced LRC)"
    assert texts["rpp"] == "Reaper project with the song and its sections"
    assert not set(texts.values()) & set(FORMATS)  # no box is labelled with a bare id


def test_pointing_at_a_format_shows_its_description(qtbot, export_dialog):
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from moss_music.export.registry import WRITERS

    QApplication.sendEvent(export_dialog.format_boxes["cue"], QEvent(QEvent.Type.Enter))
    assert WRITERS["cue"].description in export_dialog.formats.description.text()
    QApplication.sendEvent(export_dialog.format_boxes["cue"], QEvent(QEvent.Type.Leave))
    assert "Point at a format" in export_dialog.formats.description.text()


def test_warnings_show_in_the_results(qtbot, export_dialog, library, analyzed_track, tmp_path):
    library.save_user_layer(analyzed_track.id, "lyrics", [
        {"start": 5.0, "end": 6.0, "text": "hieroglyph \U00013000", "words": []}])
    export_dialog.folder_edit.setText(str(tmp_path / "out"))
    export_dialog.set_formats(["leadsheet-pdf"])
    with qtbot.waitSignal(export_dialog.finished_export, timeout=60_000):
        export_dialog.export_button.click()
    assert "1 warning(s)" in export_dialog.status.text()
    assert "warning: no installed font" in export_dialog.results.toPlainText()


def test_tag_dialog_offers_the_id3_version(qtbot, library, analyzed_track):
    dialog = TagDialog(library, [analyzed_track.id])
    qtbot.addWidget(dialog)
    dialog.id3_version.setCurrentIndex(1)
    assert dialog.options().id3_version == "2.3"
    assert dialog.descriptors_field.currentText() == "Mood"
    dialog.runner.wait_idle()
