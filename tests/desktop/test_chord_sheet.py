"""The chord sheet view, driven through real widgets offscreen: it follows playback, seeks and loops by bar,
shows diagrams for the current and next chord, simplifies to triads and prints."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from desktop.player import Player
from moss_music.annotations.fretboard import guitar_shape
from tests.desktop.track_helpers import WAIT_MS, add_demo_track, dispose, open_view, play_for


@pytest.fixture
def view(qtbot, library, track_id, output):
    window = open_view(qtbot, library, track_id, player=Player(output))
    window.show_view("sheet")
    qtbot.waitUntil(lambda: bool(window.sheet.grid.rows), timeout=WAIT_MS)
    yield window
    dispose(window)


def bar_point(view, bar: int, beat: int = 0) -> QPoint:
    grid = view.sheet.grid
    rect = grid.bar_rect(bar)
    beats = len(grid.sheet.bars[bar].beats)
    return QPoint(int(rect.left() + (beat + 0.5) * rect.width() / beats), int(rect.center().y()))


def test_the_sheet_lays_out_bars_with_section_headers_and_lyrics(view):
    grid = view.sheet.grid
    sheet = grid.sheet
    assert [bar.number for bar in sheet.bars][:3] == [1, 2, 3]
    assert len(sheet.bars) == 10  # 2 + 4 + 4 bars of SHORT_FORM
    assert [name for _i, name in sheet.sections()] == ["Intro", "Verse", "Chorus"]
    headers = [row.header for row in grid.rows if row.header]
    assert headers == ["Intro", "Verse", "Chorus"], "every section starts a new row under its name"
    assert any(bar.lyrics for bar in sheet.bars)
    assert grid.name(sheet.bars[1].slots[0]) == "Am"


def test_the_sheet_follows_playback_and_scrolls_by_itself(qtbot, view, output):
    view.resize(1280, 720)
    view.sheet.scroll.setFixedHeight(120)  # room for about one row: following must scroll
    qtbot.wait(50)
    view.toggle_play()
    scroll = view.sheet.scroll.verticalScrollBar()
    assert scroll.value() == 0
    play_for(view, output, 14.0)
    grid = view.sheet.grid
    bar = grid.current[0]
    assert bar in (grid.sheet.bar_at(view.player.position() - 0.02), grid.sheet.bar_at(view.player.position()))
    assert bar >= 6
    assert scroll.value() > 0, "the current row was scrolled into view"
    row = grid.row_of(bar)
    assert scroll.value() <= row.y <= scroll.value() + view.sheet.scroll.viewport().height()
    view.toggle_play()


def test_clicking_a_bar_seeks_to_its_beat(qtbot, view):
    bar = view.sheet.grid.sheet.bars[4]
    qtbot.mouseClick(view.sheet.grid, Qt.MouseButton.LeftButton, pos=bar_point(view, 4, 2))
    assert view.player.position() == pytest.approx(bar.beats[2], abs=1e-3)
    assert view.sheet.grid.current == (4, 2)


def test_shift_click_across_bars_loops_them(qtbot, view):
    grid = view.sheet.grid
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=bar_point(view, 2))
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, pos=bar_point(view, 5))
    loop = view.player.loop
    assert loop is not None
    assert (loop.start, loop.end) == pytest.approx(grid.sheet.bar_range(2, 5))
    assert grid.loop == (2, 5)
    assert "bars 3–6" in view.transport.loop_text.text()
    view.clear_loop()
    assert grid.loop is None


def test_dragging_across_bars_loops_them(qtbot, view):
    grid = view.sheet.grid
    qtbot.mousePress(grid, Qt.MouseButton.LeftButton, pos=bar_point(view, 6))
    qtbot.mouseMove(grid, bar_point(view, 7, 3))
    qtbot.mouseRelease(grid, Qt.MouseButton.LeftButton, pos=bar_point(view, 7, 3))
    assert view.player.loop is not None
    assert view.player.loop.start == pytest.approx(grid.sheet.bars[6].start)


def test_diagrams_show_the_current_and_next_chord_and_follow_the_capo(view):
    sheet = view.sheet
    view.seek(view.doc.annotations.chords[1].start + 0.1)  # A minor, then C
    assert sheet.guitar_now.title == "Am" and sheet.guitar_next.title == "C"
    assert sheet.guitar_now.shape.frets == guitar_shape("A:min").frets
    assert sheet.piano_now.notes == [57, 60, 64] and sheet.piano_next.notes == [48, 52, 55]
    view.practice.capo.setValue(2)
    assert sheet.guitar_now.title == "Gm", "with the capo on 2 an A minor is played as a G minor shape"
    assert sheet.guitar_now.capo == 2
    assert sheet.guitar_now.shape.sounding_pitch_classes(capo=2) == {9, 0, 4}
    assert sheet.piano_now.title == "Now: Am", "a piano plays what sounds"


def test_simplify_reduces_every_chord_to_its_triad(qtbot, library, tmp_path):
    form = [("Verse", "verse", 4, ["D:min7", "G:7", "C:maj7", "A:7"])]
    track = add_demo_track(library, tmp_path / "jazz", form, name="jazz.wav")
    view = open_view(qtbot, library, track)
    try:
        view.show_view("sheet")
        grid = view.sheet.grid
        assert [grid.name(bar.slots[0]) for bar in grid.sheet.bars] == ["Dm7", "G7", "Cmaj7", "A7"]
        view.sheet.simplify.setChecked(True)
        assert [grid.name(bar.slots[0]) for bar in view.sheet.grid.sheet.bars] == ["Dm", "G", "C", "A"]
        assert view.timeline.item("chords").label_at(0) == "Dm", "the lanes simplify too"
        view.sheet.simplify.setChecked(False)
        assert view.timeline.item("chords").label_at(0) == "Dm7"
    finally:
        dispose(view)


def test_the_sheet_prints_to_pdf(view, tmp_path):
    path = tmp_path / "sheet.pdf"
    pages = view.sheet.save_pdf(str(path))
    assert pages == 1
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 2000
    assert view.sheet.grid.rows, "the on-screen layout is restored after printing"


@pytest.mark.slow
def test_a_ten_minute_song_prints_on_several_pages(qtbot, library, tmp_path):
    from tests.desktop.track_helpers import FULL_FORM

    track = add_demo_track(library, tmp_path / "long", FULL_FORM * 2, name="long.wav")
    view = open_view(qtbot, library, track)
    try:
        assert view.sheet.save_pdf(str(tmp_path / "long.pdf")) >= 2
    finally:
        dispose(view)


def test_the_cell_per_bar_mode_and_the_keyboard_switch(qtbot, view):
    view.sheet.cells.setCurrentIndex(1)
    assert view.sheet.grid.cells == "bars"
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_S)
    assert view.stack.currentWidget() is view.timeline
    assert view.transport.show_lanes.isChecked()


def test_a_loop_set_in_the_lanes_is_shaded_on_the_sheet(qtbot, library, track_id):
    view = open_view(qtbot, library, track_id)
    try:
        view.loop_block("sections", 1)  # the verse: bars 3–6
        view.show_view("sheet")
        assert view.sheet.grid.loop == (2, 5)
    finally:
        dispose(view)


def test_piano_keys_are_named_for_the_key(view):
    view.practice.transpose.setValue(1)  # A minor up a semitone: Bb minor, so Bbm is B-flat, D-flat, F
    view.seek(view.doc.annotations.chords[1].start + 0.1)
    assert view.sheet.piano_now.toolTip() == "Now: Bbm: Bb3 Db4 F4"
