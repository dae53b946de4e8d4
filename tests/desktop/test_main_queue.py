"""The analysis queue from the main window: enqueue from the context menu, watch it run, cancel, retry, pause."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction

from desktop.library.columns import COLUMN_INDEX
from tests.desktop import main_helpers
from tests.desktop.main_helpers import DEFAULT_WAIT_MS, scan, track_ids_by_title

no_pointer = main_helpers.no_pointer
song_folder = main_helpers.song_folder
window = main_helpers.window


CONSUMER_WAIT_MS = 120_000


def _menu_action(win, track_ids: list[int], name: str) -> QAction:
    menu = win.view.build_context_menu(track_ids)
    return next(action for action in menu.findChildren(QAction) if action.objectName() == name)


def _job_states(win) -> dict[int, str]:
    return {job.id: job.state for job in win.queue_panel.model.jobs}


@pytest.mark.slow
def test_analyze_from_the_context_menu_runs_on_a_real_consumer(qtbot, window, song_folder, library):
    scan(qtbot, window, song_folder(("Groove", "Ann"), seconds=4.0))
    track_id = track_ids_by_title(library)["Groove"]
    window.ensure_workers()
    qtbot.waitUntil(lambda: window.status.lanes.get("cpu") is True, timeout=CONSUMER_WAIT_MS)
    assert "CPU ● up" in window.status.lanes_label.text()

    seen: list[tuple[str, float]] = []
    window.queue_panel.snapshot_changed.connect(
        lambda snap: seen.extend((job.state, job.progress) for job in snap.rows))
    qtbot.waitUntil(lambda: bool(window.backends), timeout=DEFAULT_WAIT_MS)
    with qtbot.waitSignal(window.enqueued, timeout=DEFAULT_WAIT_MS) as queued:
        _menu_action(window, [track_id], "analyze_dsp").trigger()
    job_id = queued.args[0][0]

    qtbot.waitUntil(lambda: _job_states(window).get(job_id) == "done", timeout=CONSUMER_WAIT_MS)
    assert any(state in ("queued", "running") for state, _ in seen), "the job showed up before it finished"
    dsp = window.model.index(0, COLUMN_INDEX["dsp"])
    qtbot.waitUntil(lambda: window.model.data(dsp) == "✓ done", timeout=DEFAULT_WAIT_MS)
    qtbot.waitUntil(lambda: bool(window.model.data(window.model.index(0, COLUMN_INDEX["bpm"]))),
                    timeout=DEFAULT_WAIT_MS)
    assert library.get_track(track_id).bpm is not None


def test_cancel_a_waiting_job_from_the_queue_panel(qtbot, window, song_folder, library):
    # No consumer runs, so the job waits in the queue until the user cancels it.
    scan(qtbot, window, song_folder(("Wait", "Ann")))
    track_id = track_ids_by_title(library)["Wait"]
    qtbot.waitUntil(lambda: bool(window.backends), timeout=DEFAULT_WAIT_MS)
    with qtbot.waitSignal(window.enqueued, timeout=DEFAULT_WAIT_MS) as queued:
        _menu_action(window, [track_id], "analyze_dsp").trigger()
    job_id = queued.args[0][0]
    panel = window.queue_panel
    qtbot.waitUntil(lambda: _job_states(window).get(job_id) == "queued", timeout=DEFAULT_WAIT_MS)
    qtbot.waitUntil(lambda: window.model.data(window.model.index(0, COLUMN_INDEX["dsp"])) == "queued",
                    timeout=DEFAULT_WAIT_MS)
    qtbot.waitUntil(lambda: "1 waiting" in panel.summary.text(), timeout=DEFAULT_WAIT_MS)

    panel.table.selectRow(panel.model.row_of_job(job_id))
    assert panel.cancel_button.isEnabled()
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: _job_states(window).get(job_id) == "cancelled", timeout=DEFAULT_WAIT_MS)
    qtbot.waitUntil(lambda: window.model.data(window.model.index(0, COLUMN_INDEX["dsp"])) == "cancelled",
                    timeout=DEFAULT_WAIT_MS)

    panel.table.selectRow(panel.model.row_of_job(job_id))
    assert panel.retry_button.isEnabled()
    panel.retry_button.click()
    qtbot.waitUntil(lambda: _job_states(window).get(job_id) == "queued", timeout=DEFAULT_WAIT_MS)

    panel.table.selectRow(panel.model.row_of_job(job_id))
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: _job_states(window).get(job_id) == "cancelled", timeout=DEFAULT_WAIT_MS)
    qtbot.waitUntil(panel.clear_button.isEnabled, timeout=DEFAULT_WAIT_MS)
    panel.clear_button.click()
    qtbot.waitUntil(lambda: job_id not in _job_states(window), timeout=DEFAULT_WAIT_MS)


def test_pause_and_resume_the_queue(qtbot, window, data_dir):
    from worker import client

    panel = window.queue_panel
    panel.pause_button.click()
    qtbot.waitUntil(lambda: client.is_paused(data_dir), timeout=DEFAULT_WAIT_MS)
    qtbot.waitUntil(lambda: panel.pause_button.text() == "Resume queue", timeout=DEFAULT_WAIT_MS)
    assert panel.summary.text().startswith("Paused")
    panel.pause_button.click()
    qtbot.waitUntil(lambda: not client.is_paused(data_dir), timeout=DEFAULT_WAIT_MS)
    qtbot.waitUntil(lambda: panel.pause_button.text() == "Pause queue", timeout=DEFAULT_WAIT_MS)


def test_queue_lists_running_jobs_first_with_eta(library, data_dir):
    from datetime import timedelta

    from desktop.queue.query import fetch_queue, format_eta
    from moss_music.library.schema import Job, Track, utcnow

    now = utcnow()
    with library.write() as session:
        track = Track(path="/music/a.flac", title="A", status="ok")
        session.add(track)
        session.flush()
        session.add_all([
            Job(track_id=track.id, backend="dsp", state="done", started_at=now - timedelta(seconds=30),
                finished_at=now - timedelta(seconds=20)),
            Job(track_id=track.id, backend="dsp", state="queued", priority=0),
            Job(track_id=track.id, backend="dsp", state="running", progress=0.5,
                started_at=now - timedelta(seconds=4)),
        ])
    with library.session() as session:
        snapshot = fetch_queue(session, now)
    states = [row.state for row in snapshot.rows]
    assert states == ["running", "queued", "done"]
    running, waiting, done = snapshot.rows
    assert running.eta_s == 4.0  # half done after 4 s
    assert waiting.eta_s == 4.0 + 10.0  # what is ahead, plus the typical 10 s DSP job
    assert done.elapsed_s == 10.0
    assert format_eta(waiting.eta_s) == "14s" and format_eta(125) == "2m 05s"


def _jobs_for(library, track_ids) -> list:
    from moss_music.library.schema import Job

    with library.session() as session:
        return session.query(Job).filter(Job.track_id.in_(list(track_ids))).all()


def test_new_files_are_queued_for_dsp_as_they_are_added(qtbot, window, song_folder, library):
    folder = song_folder(("First", "Ann"), ("Second", "Bo"))
    with qtbot.waitSignal(window.enqueued, timeout=DEFAULT_WAIT_MS) as queued:
        window.scan_paths([str(folder)])
    ids = track_ids_by_title(library)
    jobs = _jobs_for(library, ids.values())
    assert sorted(job.id for job in jobs) == sorted(queued.args[0])
    assert {(job.track_id, job.backend) for job in jobs} == {(ids["First"], "dsp"), (ids["Second"], "dsp")}
    qtbot.waitUntil(lambda: "2 waiting" in window.queue_panel.summary.text(), timeout=DEFAULT_WAIT_MS)

    # A rescan queues nothing twice; a file added later is queued on its own.
    from tests.audio_fixtures import write_song

    write_song(folder / "03 Third.flac", seconds=1.0, tags={"title": "Third", "artist": "Cy"})
    with qtbot.waitSignal(window.enqueued, timeout=DEFAULT_WAIT_MS) as queued:
        window.rescan_all()
    third = track_ids_by_title(library)["Third"]
    assert [job.track_id for job in _jobs_for(library, [third])] == [third]
    assert len(queued.args[0]) == 1
    assert len(_jobs_for(library, track_ids_by_title(library).values())) == 3


def test_automatic_analysis_can_be_turned_off_in_settings(qtbot, window, song_folder, library):
    from PySide6.QtCore import QTimer

    def untick_and_save() -> None:
        dialog = window.settings_flow.dialog
        assert dialog is not None and dialog.auto_box.isChecked()
        dialog.auto_box.click()
        dialog.save_and_close()

    QTimer.singleShot(200, untick_and_save)
    window.settings_action.trigger()  # the real, modal Settings dialog
    assert window.settings.auto_analyze is False
    qtbot.waitUntil(lambda: "To analyse tracks" in window.queue_panel.summary.text(), timeout=DEFAULT_WAIT_MS)
    assert "as they are added" not in window.queue_panel.summary.text()
    assert "as it is added" not in window.empty_state.body.text()  # the empty page promises only what happens
    assert "Analyze" in window.empty_state.body.text()
    scan(qtbot, window, song_folder(("Manual", "Ann")))
    window.runner.wait_idle()
    qtbot.wait(300)
    assert _jobs_for(library, track_ids_by_title(library).values()) == []


def test_the_empty_queue_says_what_to_do_in_a_whole_sentence(qtbot, window):
    panel = window.queue_panel
    qtbot.waitUntil(lambda: panel.summary.text().startswith("The queue is empty"), timeout=DEFAULT_WAIT_MS)
    text = panel.summary.text()
    assert text.endswith(".") and "Analyze with" in text
    assert panel.summary.wordWrap()


def test_finished_jobs_show_no_eta_and_waiting_jobs_without_a_worker_say_so(library):
    from datetime import timedelta

    from desktop.queue.model import QueueModel
    from desktop.queue.query import fetch_queue
    from moss_music.library.schema import Job, Track, utcnow

    now = utcnow()
    with library.write() as session:
        track = Track(path="/music/b.flac", title="B", status="ok")
        session.add(track)
        session.flush()
        session.add_all([
            Job(track_id=track.id, backend="dsp", lane="cpu", state="done", started_at=now - timedelta(seconds=30),
                finished_at=now - timedelta(seconds=18)),
            Job(track_id=track.id, backend="moss", lane="gpu", state="queued", priority=0),
            Job(track_id=track.id, backend="dsp", lane="cpu", state="queued", priority=0),
        ])
    with library.session() as session:
        snapshot = fetch_queue(session, now, live_lanes={"cpu"})
    model = QueueModel()
    model.set_snapshot(snapshot)
    by_backend = {(job.backend, job.state): row for row, job in enumerate(snapshot.rows)}

    def cell(key, column):
        return model.data(model.index(by_backend[key], column))

    assert cell(("dsp", "done"), 4) == ""  # no ETA for what is over
    assert cell(("dsp", "done"), 3) == "finished in 12s"
    assert cell(("moss", "queued"), 4) == ""  # no worker: no promise
    assert "no GPU worker" in cell(("moss", "queued"), 3) and "Settings" in cell(("moss", "queued"), 3)
    assert cell(("dsp", "queued"), 4) != ""  # the CPU lane is served: a real ETA


def test_moss_actions_are_disabled_with_the_reason_when_no_model_is_set_up(qtbot, window, song_folder, library):
    window.settings.set("analysis.auto_new", False)
    scan(qtbot, window, song_folder(("Only", "Ann")))
    track_id = track_ids_by_title(library)["Only"]
    window.settings.set("analysis.backend", "moss")
    window._settings_saved()
    qtbot.waitUntil(lambda: bool(window.backends) and not window.analyze_action.isEnabled(),
                    timeout=DEFAULT_WAIT_MS)
    assert "Settings → Model" in window.analyze_action.toolTip()
    moss = _menu_action(window, [track_id], "analyze_moss")
    assert not moss.isEnabled() and "Settings → Model" in moss.toolTip()
    # Asked anyway (a stale menu): refused with the reason, nothing queued to wait for ever.
    window.enqueue([track_id], "moss")
    qtbot.waitUntil(lambda: "cannot run" in window.status.currentMessage(), timeout=DEFAULT_WAIT_MS)
    window.runner.wait_idle()
    assert _jobs_for(library, [track_id]) == []

    window.settings.set("backends.server.server_url", "http://127.0.0.1:9/v1")
    window.settings.set("analysis.backend", "server")
    window._settings_saved()
    qtbot.waitUntil(lambda: window.analyze_action.isEnabled(), timeout=DEFAULT_WAIT_MS)


def test_a_finished_job_is_announced_on_the_app_event_hub(qtbot, window, song_folder, library):
    from desktop.events import app_events
    from moss_music.library.schema import Job, utcnow

    window.settings.set("analysis.auto_new", False)
    scan(qtbot, window, song_folder(("Heard", "Ann")))
    track_id = track_ids_by_title(library)["Heard"]
    with library.write() as session:
        session.add(Job(track_id=track_id, backend="dsp", state="done", finished_at=utcnow()))
    with qtbot.waitSignal(app_events().job_finished, timeout=DEFAULT_WAIT_MS) as finished:
        pass  # the change watcher notices the jobs table by itself
    assert finished.args[0].track_id == track_id and finished.args[0].backend == "dsp"


def test_turning_automatic_analysis_on_does_not_queue_the_existing_library(qtbot, window, song_folder, library):
    window.settings.set("analysis.auto_new", False)
    folder = song_folder(("Old One", "Ann"), ("Old Two", "Bo"))
    scan(qtbot, window, folder)
    window.settings.set("analysis.auto_new", True)
    # Only the rescan below may add the new file: the folder watch would race it (and win under load).
    window.folder_watcher.set_roots([], enabled=False)

    from tests.audio_fixtures import write_song

    write_song(folder / "03 Fresh.flac", seconds=1.0, tags={"title": "Fresh", "artist": "Cy"})
    with qtbot.waitSignal(window.enqueued, timeout=DEFAULT_WAIT_MS) as queued:
        window.rescan_all()
    ids = track_ids_by_title(library)
    assert [job.track_id for job in _jobs_for(library, ids.values())] == [ids["Fresh"]]
    assert len(queued.args[0]) == 1


def test_a_file_dropped_into_a_watched_folder_is_added_and_queued(qtbot, window, song_folder, library):
    folder = song_folder(("Here First", "Ann"))
    with qtbot.waitSignal(window.enqueued, timeout=DEFAULT_WAIT_MS):
        window.scan_paths([str(folder)])
    window.folder_watcher._settle.setInterval(300)  # the app waits 3 s for a copy to settle
    qtbot.waitUntil(lambda: str(folder) in window.folder_watcher.watched(), timeout=DEFAULT_WAIT_MS)

    from tests.audio_fixtures import write_song

    with qtbot.waitSignal(window.enqueued, timeout=DEFAULT_WAIT_MS) as queued:
        write_song(folder / "02 Arrived.flac", seconds=1.0, tags={"title": "Arrived", "artist": "Bo"})
    arrived = track_ids_by_title(library)["Arrived"]
    assert [job.track_id for job in _jobs_for(library, [arrived])] == [arrived]
    assert len(queued.args[0]) == 1


def test_the_queue_says_when_no_worker_serves_its_waiting_jobs(qtbot, window, song_folder):
    # The fixture starts no consumer: the new file's job waits, and the panel says why instead of an ETA.
    with qtbot.waitSignal(window.enqueued, timeout=DEFAULT_WAIT_MS):
        window.scan_paths([str(song_folder(("Patient", "Ann")))])
    panel = window.queue_panel
    qtbot.waitUntil(lambda: "no CPU worker is running" in panel.summary.text(), timeout=DEFAULT_WAIT_MS)
    assert panel.summary.text().startswith("1 waiting")
    assert panel.model.data(panel.model.index(0, 4)) == ""
    assert "no CPU worker" in panel.model.data(panel.model.index(0, 3))
