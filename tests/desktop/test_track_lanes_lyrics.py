"""Readable lanes at Fit zoom, tooltips, untimed lyrics, tap-to-sync and laptop-sized windows — through real
widgets, offscreen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from desktop.player import Player
from moss_music.annotations.lyric_sync import is_timed
from tests.desktop.track_helpers import (
    FULL_FORM,
    WAIT_MS,
    add_demo_track,
    dispose,
    open_view,
    play_for,
)


@pytest.fixture
def view(qtbot, library, track_id, output):
    window = open_view(qtbot, library, track_id, player=Player(output))
    yield window
    dispose(window)


def labels_drawn(view, kind: str) -> list:
    """Which labels the lane would place in its current view (the same code its paint uses)."""
    from desktop.track_view.lanes.base import PixelMap

    lane = view.timeline.lanes[kind]
    item = lane.item
    t0, t1 = item.visible_range()
    rect = lane.view.sceneBoundingRect()
    scale = rect.width() / (view.timeline.visible_range()[1] - view.timeline.visible_range()[0])
    offset = rect.left() - view.timeline.visible_range()[0] * scale
    pixels = PixelMap(scale, offset, rect.top(), rect.bottom(), t0, t1)
    placed = []

    class Recorder:
        def __getattr__(self, name):
            return lambda *a, **k: None

    from desktop.track_view.lanes import labels

    original = labels.place_labels

    def spy(candidates, **kwargs):
        result = original(candidates, **kwargs)
        placed.extend(result)
        return result

    module = __import__(type(item).__module__, fromlist=["place_labels"])
    module.place_labels = spy
    try:
        item.draw(Recorder(), pixels)
    finally:
        module.place_labels = original
    return placed


def test_at_fit_zoom_a_four_minute_song_names_its_chords_and_sections(qtbot, library, tmp_path):
    track = add_demo_track(library, tmp_path / "long", FULL_FORM, bpm=90, name="long.wav")
    view = open_view(qtbot, library, track, size=(1280, 720))
    try:
        view.timeline.fit()
        chords = view.doc.annotations.chords
        assert len(chords) >= 50
        placed = labels_drawn(view, "chords")
        groups = view.timeline.item("chords")._groups
        assert len(placed) >= 0.9 * len(groups), f"only {len(placed)} of {len(groups)} chord blocks named"
        for row in {p.row for p in placed if not p.inside}:
            spans = sorted((p.x0, p.x1) for p in placed if p.row == row or p.inside)
            assert all(a[1] <= b[0] + 1e-6 for a, b in zip(spans, spans[1:], strict=False)), "no label overlaps"
        sections = labels_drawn(view, "sections")
        assert len(sections) == len(view.doc.annotations.sections), "every section named"
        assert all(p.form == 0 for p in sections), "in full: 'Chorus 2', not 'B · …'"
    finally:
        dispose(view)


def test_repeated_chords_are_one_block_and_a_chord_started_off_screen_keeps_its_name(view):
    lane = view.timeline.item("chords")
    chords = view.doc.annotations.chords
    # SHORT_FORM: Intro C Am | Verse C G Am F — the intro's Am and the verse's C differ; no run to merge here,
    # so merge a run by hand: two C bars in a row become one block.
    view.edits.set_chord(1, "C")
    assert any(b > a for a, b in lane._groups), "two touching C bars are drawn as one C"
    chord = chords[3]
    view.timeline.zoom_to(chord.start + 0.5 * (chord.end - chord.start), chord.end + 0.5)
    placed = labels_drawn(view, "chords")
    first = min(placed, key=lambda p: p.x0)
    assert first.key == 3 and first.inside
    assert lane.label_at(3) == "G"


def test_every_block_has_a_tooltip_with_its_name_and_times(view):
    tl = view.timeline
    chord = view.doc.annotations.chords[1]
    text = tl.tooltip_at("chords", chord.start + 0.1)
    assert text.startswith("Am") and "0:02.5" in text and "(2.0 s)" in text
    section = view.doc.annotations.sections[1]
    assert tl.tooltip_at("sections", section.start + 1).startswith("Verse")
    line = view.doc.annotations.lyrics[0]
    assert line.text in tl.tooltip_at("lyrics", line.start + 0.1)
    assert tl.tooltip_at("beats", 3.1).startswith("Bar 2 · beat 2 of 4")
    view.practice.capo.setValue(2)
    assert "sounds as Am" in tl.tooltip_at("chords", chord.start + 0.1)
    # The real event path: a tooltip event over the chord lane shows the chord there.
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    view.practice.capo.setValue(0)
    box = tl.view_box("chords")
    pos = tl.mapFromScene(box.sceneBoundingRect().center())
    kind, t = tl.lane_at(pos.toPointF())
    assert kind == "chords"
    QApplication.sendEvent(tl.viewport(), QHelpEvent(QEvent.Type.ToolTip, pos, tl.viewport().mapToGlobal(pos)))
    assert QToolTip.text() == tl.tooltip_at("chords", t) and QToolTip.text()


def test_plain_text_lyrics_are_imported_untimed_and_the_import_is_undoable(qtbot, view, tmp_path):
    text = tmp_path / "words.txt"
    text.write_text("first plain line\n\nsecond plain line\nthird plain line\n", encoding="utf-8")
    before = [line.text for line in view.doc.annotations.lyrics]
    view.import_lyrics(str(text))
    qtbot.waitUntil(lambda: view.doc.annotations.lyrics[0].text == "first plain line", timeout=WAIT_MS)
    lines = view.doc.annotations.lyrics
    assert len(lines) == 3 and not any(is_timed(line) for line in lines), "no invented times"
    assert view.timeline.item("lyrics").lines == [] and view.timeline.item("lyrics").untimed == 3
    assert "3 untimed lines" in view.transport.status.text()
    assert view.tabs.currentWidget() is view.lyric_sync
    assert view.edits.stack.undoText() == "Import lyrics from words.txt"
    view.seek(5.0)
    assert "untimed" in view.practice.current_line.text()
    view.undo()
    assert [line.text for line in view.doc.annotations.lyrics] == before


def test_tap_to_sync_times_the_lines_while_playing(qtbot, view, output, library, track_id):
    from moss_music.annotations.lyric_sync import untimed_lines

    view.edits.replace_lyrics(untimed_lines(["one two three", "four five", "six"]), "Import lyrics")
    panel = view.lyric_sync
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.active and view.player.state == "playing" and view.player.position() < 0.1
    view.setFocus()
    taps = []
    for seconds in (1.5, 2.0, 1.5):
        play_for(view, output, seconds)
        taps.append(view.player.position())
        qtbot.keyClick(view, Qt.Key.Key_Space)
    assert view.player.state == "playing", "Space taps instead of pausing while syncing"
    assert "3 of 3 lines timed" in panel.summary.text()
    assert len(view.timeline.item("lyrics").lines) == 3, "the lane previews the taps"
    qtbot.keyClick(view, Qt.Key.Key_Comma)
    assert panel.sync.stamps[-1] == pytest.approx(taps[-1] - 0.05, abs=0.03), "nudged 50 ms earlier"
    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    assert len(panel.sync.stamps) == 2
    qtbot.keyClick(view, Qt.Key.Key_Space)
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    assert not panel.active
    lines = view.doc.annotations.lyrics
    # The clock runs between reading the position here and the key press: a frame at most.
    assert [line.start for line in lines[:2]] == pytest.approx(taps[:2], abs=0.03)
    assert all(is_timed(line) for line in lines)
    assert view.edits.stack.undoText() == "Time lyrics by tapping"
    view.edits.flush()
    saved = library.annotations_for(track_id).lyrics
    assert [line.start for line in saved[:2]] == pytest.approx([line.start for line in lines[:2]])
    view.player.pause()


def test_word_by_word_sync(qtbot, view, output):
    from moss_music.annotations.lyric_sync import untimed_lines

    view.edits.replace_lyrics(untimed_lines(["hello there"]), "Import lyrics")
    view.lyric_sync.word_mode.setChecked(True)
    view.lyric_sync.start()
    for _ in range(2):
        play_for(view, output, 0.5)
        view.sync_tap()
    view.lyric_sync.apply()
    words = view.doc.annotations.lyrics[0].words
    assert [w.text for w in words] == ["hello", "there"] and words[0].start < words[1].start


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768), (1440, 900)])
def test_every_lane_and_control_is_usable_on_laptop_screens(qtbot, library, track_id, size):
    view = open_view(qtbot, library, track_id, size=size)
    try:
        view.show()
        qtbot.wait(50)
        for kind, lane in view.timeline.lanes.items():
            assert lane.view.isVisible(), kind
            height = lane.view.sceneBoundingRect().height()
            assert height >= view.timeline.MIN_HEIGHTS[kind] - 1, f"{kind} lane is {height}px high"
            bottom = view.timeline.mapFromScene(lane.view.sceneBoundingRect().bottomLeft()).y()
            assert bottom <= view.timeline.viewport().height(), f"{kind} lane is cut off"
        clock = view.transport.clock
        view.transport.set_time(599.9, 600.0)
        assert clock.width() >= clock.fontMetrics().horizontalAdvance(clock.text()), "the clock is never cut"
        view.set_loop(1.0, 3.0, "Verse 1")
        qtbot.wait(10)
        assert view.transport.loop_text.width() > 40, "the loop label is laid out, not 0 px wide"
        assert view.transport.minimumSizeHint().width() <= view.transport.width(), "the transport is not squeezed"
        for button in (view.transport.play, view.transport.export, view.transport.device, view.transport.edit,
                       view.transport.show_sheet, view.transport.loop_section):
            text_width = button.fontMetrics().horizontalAdvance(button.text())
            assert button.isVisible() and button.width() >= text_width + 8, button.text()
        assert view.transport.show_sheet.text() == "Sheet"
    finally:
        dispose(view)


def test_lanes_collapse_by_choice_and_come_back(qtbot, view):
    view.transport.lane_actions["energy"].setChecked(False)
    assert not view.timeline.lanes["energy"].view.isVisible()
    view.transport.lane_actions["energy"].setChecked(True)
    assert view.timeline.lanes["energy"].view.isVisible()


def test_the_practice_panel_does_not_move_with_the_chord_name(view):
    panel = view.practice
    x = panel.current_line.mapTo(panel, QPoint(0, 0)).x()
    width = panel.current_chord.width()
    panel.current_chord.show_text("F#m7b5/C#")
    panel.next_chord.show_text("Gmaj13/B")
    assert panel.current_chord.width() == width
    assert panel.current_line.mapTo(panel, QPoint(0, 0)).x() == x
    assert panel.current_chord.pixel_size < 64, "a long name gets a smaller font, not a wider box"


def test_the_demo_song_opens_analyzed(qtbot, library, tmp_path):
    from moss_music.analysis import get_analyzer_class
    from moss_music.analysis.pipeline import analyze_track
    from moss_music.demo import BUNDLED_DEMO, write_demo_song

    path = write_demo_song(tmp_path / "demo" / "demo.flac", BUNDLED_DEMO)
    library.scan([path])
    track = library.resolve_track(str(path))
    analyzer_class = get_analyzer_class("dsp")
    analyze_track(library, analyzer_class.from_options({}), track, analyzer_class.tasks)
    view = open_view(qtbot, library, track.id)
    try:
        assert len(view.timeline.item("beats").times) > 40
        assert view.timeline.item("chords").chords and view.timeline.item("sections").sections
        assert view.chips["key"].isVisible() and view.chips["bpm"].text().endswith("BPM")
        view.show_view("sheet")
        assert len(view.sheet.grid.sheet.bars) >= 10
        assert view.details.ask_button.isEnabled() is False, "no model here: Ask says why"
    finally:
        dispose(view)


def test_unsynced_lyrics_from_the_file_tags_stay_untimed(qtbot, library, tmp_path):
    track = add_demo_track(library, tmp_path / "tagged", name="tagged.flac",
                           tags={"lyrics": "line from the tag\nanother tagged line"})
    view = open_view(qtbot, library, track)
    try:
        view.import_lyrics(None)
        qtbot.waitUntil(lambda: view.doc.annotations.lyrics[0].text == "line from the tag", timeout=WAIT_MS)
        assert view.doc.untimed_lines == 2, "evenly spread from 0:00 by the reader: shown untimed instead"
    finally:
        dispose(view)


def test_metronome_and_count_in_are_heard_through_the_view(qtbot, view, output):
    import numpy as np

    view.seek(0.0)
    view.practice.count_in.setCurrentIndex(1)  # one bar
    view.practice.metronome.setChecked(True)
    view.toggle_play()
    assert view.player.state == "count-in"
    rate = view.player.sample_rate
    beat = 0.5  # 120 BPM
    audio = np.concatenate([output.pull(1024) for _ in range(int(4 * beat * rate / 1024))])
    onsets = np.flatnonzero(np.abs(np.diff(audio[:, 0])) > 0.05)
    starts = [onsets[0]] + [b for a, b in zip(onsets, onsets[1:], strict=False) if b - a > 0.2 * rate]
    assert len(starts) >= 4, "four count-in clicks before the song"
    assert np.diff(starts[:4]) == pytest.approx([beat * rate] * 3, abs=0.01 * rate)
    assert np.allclose(audio[:, 0], audio[:, 1]), "clicks in both channels"
    view.toggle_play()
