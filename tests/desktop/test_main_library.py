"""The library browser: adding folders, search, filters, smart lists, sorting, the context menu."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt

from desktop.library.columns import COLUMN_INDEX
from tests.desktop import main_helpers
from tests.desktop.main_helpers import (
    DEFAULT_WAIT_MS,
    annotate,
    scan,
    settle,
    shown_titles,
    track_ids_by_title,
    wait_titles,
)

no_pointer = main_helpers.no_pointer
song_folder = main_helpers.song_folder
window = main_helpers.window


def test_adding_a_folder_shows_its_tracks_in_the_table(qtbot, window, song_folder):
    assert window.stack.currentWidget() is window.empty_state
    folder = song_folder(("Morning Coffee", "Ann"), ("Night Drive", "Bo"), ("Coffee Break", "Ann"))
    scan(qtbot, window, folder)
    wait_titles(qtbot, window, {"Morning Coffee", "Night Drive", "Coffee Break"})
    assert window.stack.currentWidget() is window.view
    index = window.model.index(0, COLUMN_INDEX["artist"])
    assert window.model.data(index) in {"Ann", "Bo"}
    qtbot.waitUntil(lambda: window.sidebar._smart_items["all"].text(1) == "3", timeout=DEFAULT_WAIT_MS)
    assert [path for _, path, _ in window._folders] == [str(folder)]


def test_dropping_a_folder_on_the_window_adds_it(qtbot, window, song_folder):
    from PySide6.QtCore import QMimeData, QPoint, QUrl
    from PySide6.QtGui import QDropEvent

    folder = song_folder(("Dropped", "Dee"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    event = QDropEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.scan_finished, timeout=DEFAULT_WAIT_MS):
        window.dropEvent(event)
    wait_titles(qtbot, window, {"Dropped"})


def test_search_narrows_rows_by_title_and_by_caption(qtbot, window, song_folder, library):
    scan(qtbot, window, song_folder(("Morning Coffee", "Ann"), ("Night Drive", "Bo"), ("Coffee Break", "Ann")))
    qtbot.keyClicks(window.search_box, "coffee")
    wait_titles(qtbot, window, {"Morning Coffee", "Coffee Break"})

    annotate(library, track_ids_by_title(library)["Night Drive"], key=("D", "minor"),
             caption="A mellow acoustic ballad with fingerpicked guitar")
    window.search_box.setText("mellow acoustic D minor")
    wait_titles(qtbot, window, {"Night Drive"})

    window.search_box.clear()
    wait_titles(qtbot, window, {"Morning Coffee", "Night Drive", "Coffee Break"})


def test_key_filter_accepts_names_and_camelot_codes(qtbot, window, song_folder, library):
    scan(qtbot, window, song_folder(("Alpha", "A"), ("Beta", "B"), ("Gamma", "C")))
    ids = track_ids_by_title(library)
    annotate(library, ids["Alpha"], key=("A", "minor"), bpm=96)
    annotate(library, ids["Beta"], key=("C", "major"), bpm=124)
    annotate(library, ids["Gamma"], key=("Gb", "minor"), bpm=128)
    window.model.reload()

    window.sidebar.filters.set_key("Am")
    wait_titles(qtbot, window, {"Alpha"})
    window.sidebar.filters.set_key("8B")
    wait_titles(qtbot, window, {"Beta"})
    # The analyzer wrote "Gb minor"; the user picks F# minor (11A): enharmonic spellings match.
    window.sidebar.filters.set_key("11A")
    wait_titles(qtbot, window, {"Gamma"})
    assert "11A" in window.model.data(window.model.index(0, COLUMN_INDEX["key"]))


def test_bpm_range_and_key_filters_combine(qtbot, window, song_folder, library):
    scan(qtbot, window, song_folder(("Slow", "A"), ("Mid", "B"), ("Fast", "C"), ("Unknown", "D")))
    ids = track_ids_by_title(library)
    annotate(library, ids["Slow"], key=("A", "minor"), bpm=80)
    annotate(library, ids["Mid"], key=("A", "minor"), bpm=118)
    annotate(library, ids["Fast"], key=("E", "minor"), bpm=124)
    window.model.reload()

    window.sidebar.filters.set_bpm_range(100, 130)
    wait_titles(qtbot, window, {"Mid", "Fast"})
    window.sidebar.filters.set_key("A minor")
    wait_titles(qtbot, window, {"Mid"})
    window.sidebar.filters.clear()
    wait_titles(qtbot, window, {"Slow", "Mid", "Fast", "Unknown"})


def test_meter_and_caption_tag_filters(qtbot, window, song_folder, library):
    scan(qtbot, window, song_folder(("Waltz", "A"), ("March", "B"), ("Ballad", "C")))
    ids = track_ids_by_title(library)
    annotate(library, ids["Waltz"], meter=(3, 4), tags=("acoustic", "mellow"))
    annotate(library, ids["March"], meter=(4, 4), tags=("brass", "energetic"))
    annotate(library, ids["Ballad"], meter=(4, 4), tags=("acoustic", "sad"))
    window.refresh_sidebar()
    filters = window.sidebar.filters
    qtbot.waitUntil(lambda: filters.tag_list.count() == 5 and filters.meter_combo.count() == 3,
                    timeout=DEFAULT_WAIT_MS)

    filters.meter_combo.setCurrentIndex(filters.meter_combo.findData("4/4"))
    wait_titles(qtbot, window, {"March", "Ballad"})
    acoustic = next(filters.tag_list.item(i) for i in range(filters.tag_list.count())
                    if filters.tag_list.item(i).data(Qt.ItemDataRole.UserRole) == "acoustic")
    acoustic.setCheckState(Qt.CheckState.Checked)
    wait_titles(qtbot, window, {"Ballad"})


def test_smart_lists_split_analyzed_unanalyzed_and_missing(qtbot, window, song_folder, library):
    folder = song_folder(("Done", "A"), ("Todo", "B"), ("Gone", "C"))
    scan(qtbot, window, folder)
    ids = track_ids_by_title(library)
    annotate(library, ids["Done"], key=("C", "major"))
    os.remove(next(folder.glob("*Gone.flac")))
    scan(qtbot, window, folder)

    window.sidebar.select_smart_list("analyzed")
    wait_titles(qtbot, window, {"Done"})
    window.sidebar.select_smart_list("not_analyzed")
    wait_titles(qtbot, window, {"Todo"})
    window.sidebar.select_smart_list("missing")
    wait_titles(qtbot, window, {"Gone"})
    qtbot.waitUntil(lambda: window.sidebar._smart_items["missing"].text(1) == "1", timeout=DEFAULT_WAIT_MS)


def test_clicking_a_header_sorts_in_sql(qtbot, window, song_folder, library):
    scan(qtbot, window, song_folder(("One", "A"), ("Two", "B"), ("Three", "C")))
    ids = track_ids_by_title(library)
    for title, bpm in (("One", 140), ("Two", 90), ("Three", 110)):
        annotate(library, ids[title], bpm=bpm)
    window.model.reload()
    settle(qtbot, window)

    window.view.sortByColumn(COLUMN_INDEX["bpm"], Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: shown_titles(window) == ["Two", "Three", "One"], timeout=DEFAULT_WAIT_MS)
    window.view.sortByColumn(COLUMN_INDEX["bpm"], Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: shown_titles(window) == ["One", "Three", "Two"], timeout=DEFAULT_WAIT_MS)


def test_remove_from_the_context_menu_forgets_the_track_but_not_the_file(qtbot, window, song_folder, library):
    folder = song_folder(("Keep", "A"), ("Drop", "B"))
    scan(qtbot, window, folder)
    drop_id = track_ids_by_title(library)["Drop"]
    menu = window.view.build_context_menu([drop_id])
    menu.findChild(type(menu.actions()[0]), "remove").trigger()
    wait_titles(qtbot, window, {"Keep"})
    assert next(folder.glob("*Drop.flac")).exists()


def test_context_menu_disables_backends_that_cannot_run(qtbot, window, song_folder, library):
    scan(qtbot, window, song_folder(("Only", "A")))
    qtbot.waitUntil(lambda: bool(window.backends), timeout=DEFAULT_WAIT_MS)
    from PySide6.QtGui import QAction

    menu = window.view.build_context_menu([track_ids_by_title(library)["Only"]])
    actions = {action.objectName(): action for action in menu.findChildren(QAction)}
    assert actions["analyze_dsp"].isEnabled()
    assert not actions["analyze_moss"].isEnabled()  # no model folder configured
    assert "Settings" in actions["analyze_moss"].text()


def test_double_clicking_a_row_opens_the_track_view(qtbot, window, song_folder):
    from desktop.track_view import TrackViewWindow

    scan(qtbot, window, song_folder(("Solo Flight", "Ann")))
    wait_titles(qtbot, window, {"Solo Flight"})
    window.view.doubleClicked.emit(window.model.index(0, COLUMN_INDEX["title"]))
    qtbot.waitUntil(lambda: bool(window.findChildren(TrackViewWindow)), timeout=DEFAULT_WAIT_MS)
    track_view = window.findChildren(TrackViewWindow)[0]
    assert track_view.isVisible()
    qtbot.waitUntil(lambda: "Solo Flight" in track_view.windowTitle(), timeout=DEFAULT_WAIT_MS)
    track_view.close()


def test_an_open_track_view_reloads_when_a_job_for_its_track_finishes(qtbot, window, song_folder, library):
    from desktop.track_view import TrackViewWindow
    from moss_music.annotations import Key, TrackAnnotations
    from moss_music.library.schema import Job, utcnow

    scan(qtbot, window, song_folder(("Late Result", "Ann")))
    wait_titles(qtbot, window, {"Late Result"})
    window.view.doubleClicked.emit(window.model.index(0, COLUMN_INDEX["title"]))
    qtbot.waitUntil(lambda: bool(window.findChildren(TrackViewWindow)), timeout=DEFAULT_WAIT_MS)
    track_view = window.findChildren(TrackViewWindow)[0]
    qtbot.waitUntil(lambda: track_view.doc is not None, timeout=DEFAULT_WAIT_MS)
    assert track_view.doc.annotations.key is None
    track = library.list_tracks()[0]
    library.save_analysis(track, backend="dsp", tasks=["key"], annotations=TrackAnnotations(key=Key("F#", "minor")))
    with library.write() as session:
        session.add(Job(track_id=track.id, state="done", finished_at=utcnow()))
    window._jobs_changed()
    qtbot.waitUntil(lambda: track_view.doc.annotations.key is not None, timeout=DEFAULT_WAIT_MS)
    assert track_view.doc.annotations.key.tonic == "F#"
    track_view.close()


def test_export_opens_with_the_defaults_chosen_in_settings(qtbot, window, song_folder, monkeypatch):
    from desktop.export_dialog import ExportDialog

    scan(qtbot, window, song_folder(("Exported", "Ann")))
    wait_titles(qtbot, window, {"Exported"})
    window.settings.set("export.formats", ["lab", "reaper"])
    window.settings.set("export.folder", "/tmp/exports-here")
    seen = {}

    def capture(dialog):
        seen["formats"], seen["folder"] = dialog.selected_formats(), dialog.folder_edit.text()
        return 0

    monkeypatch.setattr(ExportDialog, "exec", capture)
    window.export_tracks([window.model.track_id(0)])
    assert sorted(seen["formats"]) == ["lab", "reaper"] and seen["folder"] == "/tmp/exports-here"


def _shown_keys(win) -> list[str]:
    return [win.model.data(win.model.index(row, COLUMN_INDEX["key"])) for row in range(win.model.rowCount())]


def test_key_column_sorts_round_the_camelot_wheel(qtbot, window, song_folder, library):
    titles = ("Eight B", "Eight A", "Two B", "One A", "Twelve B", "No Key")
    scan(qtbot, window, song_folder(*[(title, "A") for title in titles]))
    ids = track_ids_by_title(library)
    annotate(library, ids["Eight B"], key=("C", "major"))
    annotate(library, ids["Eight A"], key=("A", "minor"))
    annotate(library, ids["Two B"], key=("Gb", "major"))  # the analyzer's spelling; shown as F# major
    annotate(library, ids["One A"], key=("G#", "minor"))
    annotate(library, ids["Twelve B"], key=("E", "major"))
    window.model.reload()
    settle(qtbot, window)

    window.view.sortByColumn(COLUMN_INDEX["key"], Qt.SortOrder.AscendingOrder)
    expected = ["G# minor · 1A", "F# major · 2B", "A minor · 8A", "C major · 8B", "E major · 12B", ""]
    qtbot.waitUntil(lambda: _shown_keys(window) == expected, timeout=DEFAULT_WAIT_MS)
    # Alphabetical order would have put "A minor" first and "G# minor" after "F# major".
    assert shown_titles(window)[:2] == ["One A", "Two B"]


def test_compatible_keys_filter_uses_the_same_key_names_as_the_table(qtbot, window, song_folder, library):
    titles = ("Home", "Up", "Down", "Relative", "Far", "Parallel")
    scan(qtbot, window, song_folder(*[(title, "A") for title in titles]))
    ids = track_ids_by_title(library)
    annotate(library, ids["Home"], key=("Gb", "major"))  # 2B, spelled with flats by the analyzer
    annotate(library, ids["Up"], key=("C#", "major"))  # 3B (Db major)
    annotate(library, ids["Down"], key=("B", "major"))  # 1B
    annotate(library, ids["Relative"], key=("D#", "minor"))  # 2A (Eb minor)
    annotate(library, ids["Far"], key=("C", "major"))  # 8B
    annotate(library, ids["Parallel"], key=("F#", "minor"))  # 11A: same tonic, not compatible
    window.model.reload()
    settle(qtbot, window)

    filters = window.sidebar.filters
    assert not filters.compatible_box.isEnabled()  # nothing to be compatible with yet
    # Pick the key from the list by the very text the table shows for the "Home" row.
    window.sidebar.select_smart_list("all")
    home_row = shown_titles(window).index("Home")
    table_text = window.model.data(window.model.index(home_row, COLUMN_INDEX["key"]))
    assert table_text == "F# major · 2B"
    filters.key_combo.setCurrentIndex(filters.key_combo.findText(table_text))
    wait_titles(qtbot, window, {"Home"})

    assert filters.compatible_box.isEnabled()
    filters.compatible_box.click()
    wait_titles(qtbot, window, {"Home", "Up", "Down", "Relative"})
    assert {window.model.data(window.model.index(row, COLUMN_INDEX["key"])) for row in range(4)} == \
        {"F# major · 2B", "Db major · 3B", "B major · 1B", "Eb minor · 2A"}
    # Every table text names an entry of the filter list, word for word.
    items = {filters.key_combo.itemText(i) for i in range(filters.key_combo.count())}
    assert set(_shown_keys(window)) <= items

    filters.compatible_box.click()
    wait_titles(qtbot, window, {"Home"})
    filters.clear()
    wait_titles(qtbot, window, set(titles))
    assert not filters.compatible_box.isChecked()


def test_bpm_boxes_show_what_is_typed_and_filter(qtbot, window, song_folder, library):
    scan(qtbot, window, song_folder(("Slow", "A"), ("Fast", "B")))
    ids = track_ids_by_title(library)
    annotate(library, ids["Slow"], bpm=80)
    annotate(library, ids["Fast"], bpm=150)
    window.model.reload()
    window.resize(1280, 720)
    filters = window.sidebar.filters
    for box, typed in ((filters.bpm_min, "120"), (filters.bpm_max, "200")):
        box.setFocus()
        qtbot.keyClicks(box, typed)
        assert box.text() == typed
        # The text has room: the editor is wider than what it shows (it used to be 1 px wide).
        assert box.width() > box.fontMetrics().horizontalAdvance(typed) + 8
    wait_titles(qtbot, window, {"Fast"})
    qtbot.keyClicks(filters.bpm_max, "x")  # letters are not a tempo
    assert filters.bpm_max.text() == "200"


def test_main_window_fits_a_1280x720_screen(qtbot, window, song_folder):
    scan(qtbot, window, song_folder(("One", "A"), ("Two", "B")))
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.size().width() == 1280 and window.size().height() == 720,
                    timeout=DEFAULT_WAIT_MS)
    assert window.minimumSizeHint().height() <= 720 and window.minimumSizeHint().width() <= 1280
    filters = window.sidebar.filters
    for combo in (filters.key_combo, filters.meter_combo):
        assert combo.isVisible()
        assert combo.width() >= combo.minimumSizeHint().width()
        assert combo.width() >= combo.fontMetrics().horizontalAdvance("F# major · 2B")  # not squashed
    for box in (filters.bpm_min, filters.bpm_max):
        assert box.width() >= box.fontMetrics().horizontalAdvance("300 bpm")
    assert window.queue_dock.isVisible() and window.queue_panel.table.height() >= 50
    assert window.view.height() >= 250
    assert window.sidebar_scroll.width() >= 220


def test_first_run_sidebar_is_not_squashed_at_1280x720(qtbot, window):
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.height() == 720, timeout=DEFAULT_WAIT_MS)
    qtbot.wait(100)
    filters = window.sidebar.filters
    assert filters.tag_hint.isVisible() and not filters.tag_list.isVisible()  # no tags yet: one line says so
    for widget in (filters.key_combo, filters.meter_combo, filters.bpm_min, filters.bpm_max,
                   filters.compatible_box, window.sidebar.filters.clear_button):
        assert widget.height() >= widget.sizeHint().height(), widget.objectName()
