"""The track view, offscreen: open a track, seek by click, loop a section, edit then undo, and the rest."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from desktop.player import FakeOutput, Player
from desktop.track_view import TrackViewWindow, open_track_view
from tests.desktop.track_helpers import SHORT_FORM, WAIT_MS, add_demo_track, dispose, open_view, song_plan


@pytest.fixture
def view(qtbot, library, track_id):
    window = open_view(qtbot, library, track_id)
    yield window
    dispose(window)


def click_at(qtbot, view: TrackViewWindow, kind: str, t: float, double: bool = False) -> None:
    timeline = view.timeline
    scene_pos = timeline.view_box(kind).mapViewToScene(QPointF(t, 0.5))
    pos = timeline.mapFromScene(scene_pos)
    if double:  # what Qt delivers for a real double-click: press, release, double-click, release
        qtbot.mouseClick(timeline.viewport(), Qt.MouseButton.LeftButton, pos=pos)
        qtbot.mouseDClick(timeline.viewport(), Qt.MouseButton.LeftButton, pos=pos)
        qtbot.mouseRelease(timeline.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    else:
        qtbot.mouseClick(timeline.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_opening_a_track_fills_every_lane(view, library, track_id):
    _, chords, sections, _ = song_plan(SHORT_FORM)
    tl = view.timeline
    assert view.title.text() == "demo"
    assert tl.waveform.pyramid is not None
    assert len(tl.item("beats").times) == len(library.annotations_for(track_id).beats)
    assert [c.label for c in tl.item("chords").chords] == [c.label for c in chords]
    assert [s.label for s in tl.item("sections").sections] == [s.label for s in sections]
    assert tl.item("lyrics").lines and tl.item("lyrics").lines[0].words
    assert tl.lanes["energy"].view.isVisible()
    assert view.chips["key"].text().startswith("Key ")


def test_details_show_each_backend_and_where_they_disagree(qtbot, view):
    table = view.details.table
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=WAIT_MS)
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows == {"dsp": "C major", "moss": "A minor"}
    assert "signal analysis says C major, the model says A minor (relative)" in view.details.disagree.text()
    assert "Tempo" not in view.details.disagree.text(), "119.5 against 120 BPM is the same tempo"
    assert "pop" in view.details.caption.toPlainText() and "hopeful" in view.details.caption.toPlainText()
    assert view.details.raw_task.count() == 3 and not view.details.raw_task.isHidden()


def test_half_time_is_named_and_an_empty_raw_output_shows_no_chooser(qtbot, library, tmp_path):
    from moss_music.annotations import Tempo, TrackAnnotations
    from tests.desktop.track_helpers import demo_annotations, write_demo_song

    row = library.add_file(write_demo_song(tmp_path / "half" / "half.wav"))
    dsp, _moss = demo_annotations()
    library.save_analysis(row, backend="dsp", tasks=["beats", "chords", "key"], annotations=dsp)
    library.save_analysis(row, backend="server", tasks=["tempo"],
                          annotations=TrackAnnotations(duration=dsp.duration, tempo=Tempo(60.0, 0.9)))
    track = row.id
    view = open_view(qtbot, library, track)
    try:
        qtbot.waitUntil(lambda: view.details.table.rowCount() == 2, timeout=WAIT_MS)
        assert "(half)" in view.details.disagree.text()
        assert view.details.raw_task.isHidden() and not view.details.raw_empty.isHidden()
    finally:
        dispose(view)


def test_clicking_a_lane_seeks_there(qtbot, view):
    click_at(qtbot, view, "waveform", 7.0)
    seconds_per_pixel = view.timeline.view_box().viewPixelSize()[0]
    assert view.player.position() == pytest.approx(7.0, abs=3 * seconds_per_pixel)
    assert view.timeline.lanes["chords"].playhead.value() == pytest.approx(view.player.position())
    click_at(qtbot, view, "sections", 12.5)
    assert view.player.position() == pytest.approx(12.5, abs=3 * seconds_per_pixel)


def test_double_clicking_a_section_loops_it(qtbot, view):
    section = view.doc.annotations.sections[1]
    click_at(qtbot, view, "sections", (section.start + section.end) / 2, double=True)
    loop = view.player.loop
    assert loop is not None and (loop.start, loop.end) == pytest.approx((section.start, section.end))
    assert view.timeline.loop_region.isVisible()
    assert section.label in view.transport.loop_text.text()
    assert section.start <= view.player.position() < section.end


def test_a_looped_section_repeats_during_playback(qtbot, view):
    output = view.player.output
    section = view.doc.annotations.sections[0]
    view.loop_block("sections", 0)
    view.toggle_play()
    rate = view.player.sample_rate
    frames = int((section.end - section.start) * rate * 1.5)
    audio = np.concatenate([output.pull(2048)[:, 0] for _ in range(frames // 2048)])
    assert len(audio) > (section.end - section.start) * rate
    assert section.start <= view.player.clock._anchor.position < section.end
    view.toggle_play()
    assert view.player.state == "paused"


def test_double_clicking_the_looped_section_again_clears_the_loop(view):
    view.loop_block("sections", 1)
    view.loop_block("sections", 1)
    assert view.player.loop is None and not view.timeline.loop_region.isVisible()


def test_a_b_loop_from_the_playhead(view):
    view.seek(2.0)
    view.set_loop_point("start")
    view.seek(5.0)
    view.set_loop_point("end")
    assert (view.player.loop.start, view.player.loop.end) == pytest.approx((2.0, 5.0))


def test_rename_a_section_then_undo_restores_the_machine_result(view, library, track_id):
    view.set_edit_mode(True)
    view.edits.rename_section(1, "First verse")
    view.edits.flush()
    assert library.annotations_for(track_id).sections[1].label == "First verse"
    assert view.timeline.item("sections").sections[1].label == "First verse"
    assert view.chips["edited"].isVisible()
    view.undo()
    view.edits.flush()
    assert library.annotations_for(track_id).sections[1].label == "Verse"
    assert library.user_annotations(track_id).sections == [], "undoing the first edit removes the user layer"
    assert view.timeline.item("sections").sections[1].label == "Verse"
    view.redo()
    view.edits.flush()
    assert library.annotations_for(track_id).sections[1].label == "First verse"


def test_dragging_a_section_boundary_moves_both_neighbours_and_is_saved(view, library, track_id):
    sections = view.doc.annotations.sections
    boundary = sections[1].start
    view.set_edit_mode(True)
    view.timeline.item("sections").edge_moved.emit("sections", 1, "start", boundary + 0.5)
    view.edits.flush()
    saved = library.annotations_for(track_id).sections
    assert saved[1].start == pytest.approx(boundary + 0.5)
    assert saved[0].end == pytest.approx(boundary + 0.5), "the boundary is shared"
    assert library.machine_annotations(track_id).sections[1].start == pytest.approx(boundary), "machine result kept"


def test_block_edges_are_clamped_by_their_neighbours(view):
    lane = view.timeline.item("sections")
    lower, upper = lane.edge_limits(1, "start")
    sections = view.doc.annotations.sections
    assert lower > sections[0].start and upper < sections[1].end


def test_a_bad_chord_name_is_explained_and_nothing_is_lost(qtbot, view, library, track_id):
    dialog = view.edit_block("chords", 0)
    dialog.label.setText("H#sus9zz")
    assert dialog.try_accept() is False
    assert "chord" in dialog.error.text().lower()
    assert dialog.label.text() == "H#sus9zz"
    dialog.label.setText("Fmaj7")
    assert dialog.try_accept() is True
    view.edits.flush()
    assert library.annotations_for(track_id).chords[0].label == "F:maj7"
    assert view.timeline.item("chords")._names[0] == "Fmaj7"


def test_editing_a_lyric_line_retimes_its_words(view, library, track_id):
    line = view.doc.annotations.lyrics[0]
    view.edits.edit_line(0, "a brand new line", line.start, line.start + 2.0)
    view.edits.flush()
    saved = library.annotations_for(track_id).lyrics[0]
    assert [w.text for w in saved.words] == ["a", "brand", "new", "line"]
    assert saved.words[0].start == pytest.approx(line.start) and saved.words[-1].end == pytest.approx(line.start + 2)


def test_shifting_the_beat_grid_and_tapping_a_tempo(view, library, track_id):
    first = view.doc.annotations.beats[0].time
    view.edit_panel.shift_ms.setValue(40)
    view.edit_panel.shift_requested.emit(0.04)
    view.edits.flush()
    assert library.annotations_for(track_id).beats[0].time == pytest.approx(first + 0.04)
    view.edits.set_tempo(60.0)
    view.edits.flush()
    ann = library.annotations_for(track_id)
    assert ann.tempo.bpm == pytest.approx(60.0)
    assert ann.beats[1].time - ann.beats[0].time == pytest.approx(1.0, abs=1e-3)
    assert view.player._metronome.times[1] - view.player._metronome.times[0] == pytest.approx(1.0, abs=1e-3)


def test_tap_tempo_reads_the_median_interval():
    from desktop.track_view.edit_panel import TapTempo

    now = [0.0]
    tapper = TapTempo(lambda: now[0])
    results = []
    for step in (0.5, 0.5, 0.52, 0.5):
        results.append(tapper.tap())
        now[0] += step
    assert results[:2] == [None, None] and results[-1] == pytest.approx(120.0, rel=0.01)
    now[0] += 5.0
    assert tapper.tap() is None, "a long pause starts a new count"


def test_revert_to_machine_result_is_undoable(view, library, track_id):
    view.edits.rename_section(0, "Opening")
    view.edits.revert()
    view.edits.flush()
    assert library.user_annotations(track_id).sections == []
    assert view.doc.annotations.sections[0].label == "Intro"
    assert not view.edit_panel.revert_button.isEnabled()
    view.undo()
    view.edits.flush()
    assert library.annotations_for(track_id).sections[0].label == "Opening"


def test_chord_names_follow_transposition_capo_and_spelling(view):
    lane = view.timeline.item("chords")
    assert lane._names[:2] == ["C", "Am"]
    assert view.chips["key"].text() == "Key A minor"
    view.practice.transpose.setValue(1)
    assert view.player.transpose == 1
    assert lane._names[:2] == ["Db", "Bbm"], "A minor up a semitone is Bb minor: spelled with flats"
    assert view.chips["key"].text() == "Key Bb minor", "the key chip follows the transposition"
    view.practice.spelling.setCurrentIndex(1)
    assert lane._names[:2] == ["C#", "A#m"], "the user's sharps choice still wins"
    view.practice.spelling.setCurrentIndex(0)
    view.practice.capo.setValue(1)
    assert lane._names[:2] == ["C", "Am"], "with the capo on fret 1 you play the original shapes"
    view.seek(view.doc.annotations.chords[0].start + 0.1)
    assert view.practice.current_chord.text() == "C"
    assert view.practice.sounding.text() == "sounds as Db"


def test_chords_are_spelled_for_a_minor_key(qtbot, library, tmp_path):
    from moss_music.annotations import Key

    track = add_demo_track(library, tmp_path / "minor", name="minor.wav")
    ann = library.machine_annotations(track, "dsp")
    ann.key = Key("C", "minor", 0.9)
    ann.chords = [type(c)(c.start, c.end, {"C": "C:min", "A:min": "G#", "F": "D#", "G": "G"}[c.label], 0.9)
                  for c in ann.chords]
    library.save_analysis(library.get_track(track), backend="dsp", tasks=["key", "chords"], annotations=ann)
    view = open_view(qtbot, library, track)
    try:
        lane = view.timeline.item("chords")
        assert view.chips["key"].text() == "Key C minor"
        assert lane._names[:3] == ["Cm", "Ab", "Cm"], "Ab in C minor, never G#"
        view.practice.capo.setValue(3)
        view.seek(view.doc.annotations.chords[1].start + 0.1)
        assert view.practice.current_chord.text() == "F"
        assert view.practice.sounding.text() == "sounds as Ab"
    finally:
        dispose(view)


def test_practice_panel_shows_the_chord_countdown_and_the_sung_word(view):
    ann = view.doc.annotations
    chord = ann.chords[1]
    view.seek(chord.start + 0.01)
    assert view.practice.current_chord.text() == "Am"
    assert view.practice.next_chord.text() == "C"
    assert view.practice.countdown_text.text() == "in 4 beats"
    line = ann.lyrics[0]
    word = line.words[2]
    view.seek(word.start + 0.01)
    assert f">&nbsp;{word.text}&nbsp;<" in view.practice.current_line.text()
    assert view.timeline.item("lyrics").current == (0, 2)


def test_keyboard_zoom_and_fit(qtbot, view):
    view.setFocus()
    t0, t1 = view.timeline.visible_range()
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    z0, z1 = view.timeline.visible_range()
    assert (z1 - z0) == pytest.approx((t1 - t0) / 2, rel=0.02)
    qtbot.keyClick(view, Qt.Key.Key_0)
    assert view.timeline.visible_range() == pytest.approx((0.0, view.doc.duration), abs=1e-3)


def test_the_playhead_is_followed_while_playing(view):
    view.timeline.zoom_to(0.0, 4.0)
    view.toggle_play()
    output = view.player.output
    for _ in range(int(6.0 * view.player.sample_rate / 2048)):
        output.pull(2048)
    view.tick()
    t0, t1 = view.timeline.visible_range()
    assert t0 < view.player.position() < t1
    assert t0 > 2.0, "the view scrolled along"
    view.transport.follow.setChecked(False)
    for _ in range(int(4.0 * view.player.sample_rate / 2048)):
        output.pull(2048)
    view.tick()
    assert view.timeline.visible_range()[0] == pytest.approx(t0)


@pytest.mark.slow
def test_without_a_sound_card_the_transport_says_so_and_the_clock_still_runs(qtbot, library, track_id):
    player = Player(None, unavailable_reason="Playback unavailable: no audio output device available.")
    view = open_view(qtbot, library, track_id, player=player)
    try:
        badge = view.transport.sound
        assert not badge.isHidden() and "No sound" in badge.text()
        assert "no audio output device" in badge.toolTip()
        assert badge.width() > 40, "the badge is laid out, not squeezed to nothing"
        assert view.transport.play.isEnabled()
        click_at(qtbot, view, "waveform", 3.0)
        assert view.player.position() == pytest.approx(3.0, abs=0.1), "seeking works"
        view.practice.count_in.setCurrentIndex(1)
        view.toggle_play()
        assert view.player.state in ("count-in", "playing")
        qtbot.waitUntil(lambda: view.player.state == "playing" and view.player.position() > 3.3, timeout=WAIT_MS)
        view.tick()
        assert view.transport.clock.text().startswith("0:03"), "the clock on the transport moves"
        section = view.doc.section_index_at(view.player.position())
        view.loop_block("sections", section)
        loop = view.player.loop
        qtbot.waitUntil(lambda: view.player.position() < loop.start + 0.5, timeout=WAIT_MS)
        view.toggle_play()
        assert view.player.state == "paused"
    finally:
        dispose(view)


def test_first_open_computes_peaks_in_the_background_then_uses_the_cache(qtbot, library, track_id, data_dir):
    assert not list(data_dir.peaks_dir.glob("*.npz"))
    view = open_track_view(library, track_id, player=Player(FakeOutput()))
    qtbot.addWidget(view)
    assert view.timeline.waveform.pyramid is None
    assert "Computing waveform" in view.timeline.waveform.message
    qtbot.waitUntil(lambda: view.timeline.waveform.pyramid is not None, timeout=WAIT_MS)
    assert len(list(data_dir.peaks_dir.glob("*.npz"))) == 1
    dispose(view)


def test_a_missing_file_still_opens_with_its_annotations(qtbot, library, track_id):
    from pathlib import Path

    Path(library.get_track(track_id).path).unlink()
    player = Player(FakeOutput())
    view = open_track_view(library, track_id, player=player)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.doc is not None and "No waveform" in view.timeline.waveform.message,
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Cannot play" in view.transport.status.text(), timeout=WAIT_MS)
    assert "does not exist" in view.timeline.waveform.message
    assert view.timeline.item("chords").chords, "annotations are still shown"
    dispose(view)


def test_asking_queues_a_moss_job_and_shows_the_answer_when_done(qtbot, library, track_id, monkeypatch,
                                                                 tmp_path):
    from moss_music.annotations import Answer, TrackAnnotations
    from moss_music.library import Job

    (tmp_path / "config.json").write_text("{}", encoding="utf-8")  # what the registry checks a model folder for
    monkeypatch.setenv("MOSS_MUSIC_MODEL", str(tmp_path))
    view = open_view(qtbot, library, track_id)
    assert view.details.ask_button.isEnabled()
    view.ask._timer.setInterval(50)
    view.details.question.setText("Which instrument carries the melody?")
    view.details.ask_button.click()
    qtbot.waitUntil(lambda: bool(view.ask.pending), timeout=WAIT_MS)
    job_id = next(iter(view.ask.pending))
    with library.session() as session:
        job = session.get(Job, job_id)
        assert (job.backend, json.loads(job.tasks_json), job.priority) == ("moss", ["ask"], 10)
        assert json.loads(job.params_json) == {"question": "Which instrument carries the melody?"}
    assert "Queued" in view.details.answers.toPlainText()
    answer = TrackAnnotations(answers=[Answer("Which instrument carries the melody?", "The synth pad.", "Bright.")])
    analysis_id = library.save_analysis(track_id, backend="moss", tasks=["ask"],
                                        params={"question": "Which instrument carries the melody?"},
                                        annotations=answer)
    with library.write() as session:
        job = session.get(Job, job_id)
        job.state, job.analysis_id = "done", analysis_id
    qtbot.waitUntil(lambda: "The synth pad." in view.details.answers.toPlainText(), timeout=WAIT_MS)
    assert not view.ask.pending
    dispose(view)


def test_without_a_model_or_server_asking_is_disabled_with_the_reason(qtbot, view, library, monkeypatch):
    from moss_music.library import Job

    assert not view.details.ask_button.isEnabled() and not view.details.question.isEnabled()
    assert "Settings → Model" in view.details.ask_unavailable.text()
    view.ask.ask("Anything?")
    view.ask.wait_idle()
    with library.session() as session:
        assert session.query(Job).count() == 0, "nothing is queued that no worker could run"


def test_an_empty_question_is_not_queued(qtbot, view):
    view.ask.ask("   ")
    assert not view.ask.pending


def test_export_opens_the_export_dialog(qtbot, view):
    from desktop.export_dialog import ExportDialog

    view.open_export()
    qtbot.waitUntil(lambda: bool(view.findChildren(ExportDialog)), timeout=WAIT_MS)


def test_importing_an_lrc_file_replaces_the_lyric_lane_and_reverts(qtbot, view, library, track_id, tmp_path):
    lrc = tmp_path / "song.lrc"
    lrc.write_text("[ti:Imported]\n[00:01.00]first imported line\n[00:03.50]second imported line\n",
                   encoding="utf-8")
    view.import_lyrics(str(lrc))
    qtbot.waitUntil(lambda: [line.text for line in view.doc.annotations.lyrics][:1] == ["first imported line"],
                    timeout=20_000)
    assert "lyrics" in view.doc.user_layers
    assert library.machine_annotations(track_id).lyrics[0].text != "first imported line"
    view.edits.revert("lyrics")
    qtbot.waitUntil(lambda: view.doc.annotations.lyrics[0].text != "first imported line", timeout=20_000)


def test_a_lyrics_file_that_cannot_be_read_is_explained(qtbot, view, tmp_path):
    view.import_lyrics(str(tmp_path / "missing.lrc"))
    qtbot.waitUntil(lambda: "Lyrics not imported" in view.transport.status.text(), timeout=20_000)


def test_a_view_opened_on_its_own_reloads_when_the_hub_announces_its_track(qtbot, view, library, track_id):
    """The view subscribes to the app's event hub itself: no main window needs to hand it results."""
    from desktop.events import app_events
    from moss_music.annotations import Key, TrackAnnotations

    library.save_analysis(library.get_track(track_id), backend="server", tasks=["key"],
                          annotations=TrackAnnotations(key=Key("F#", "minor")))
    loads = []
    view.document_loaded.connect(lambda: loads.append(1))
    app_events().track_analyzed.emit(track_id + 1000, "server")  # someone else's track: nothing to re-read
    qtbot.wait(200)
    assert loads == []
    app_events().track_analyzed.emit(track_id, "server")
    qtbot.waitUntil(lambda: bool(loads), timeout=WAIT_MS)
    assert "server" in [summary.backend for summary in view.doc.backends]
