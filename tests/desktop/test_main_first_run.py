"""First run: the demo song, the empty state, the 'Get the model' page when the Hub is out of reach."""

from __future__ import annotations

import hashlib

import pytest
import soundfile as sf

from desktop.first_run.demo import demo_song_path, ensure_demo_song
from desktop.first_run.hub import HubFile, download_command, verify
from tests.desktop import main_helpers
from tests.desktop.main_helpers import DEFAULT_WAIT_MS, wait_titles

no_pointer = main_helpers.no_pointer
window = main_helpers.window


def test_demo_song_is_synthesised_once_with_tags(data_dir):
    path = ensure_demo_song(data_dir)
    info = sf.info(path)
    assert info.format == "FLAC" and info.channels == 2
    assert 25 < info.duration < 35
    from mutagen.flac import FLAC

    assert FLAC(path)["title"] == ["Moss Garden (demo)"]
    mtime = path.stat().st_mtime_ns
    assert ensure_demo_song(data_dir) == path == demo_song_path(data_dir)
    assert path.stat().st_mtime_ns == mtime


def test_open_demo_song_from_the_empty_state(qtbot, window, library):
    from desktop.library.columns import COLUMN_INDEX
    from desktop.track_view import TrackViewWindow

    assert window.stack.currentWidget() is window.empty_state
    stages: list[tuple[float, str]] = []
    window.demo.progress.connect(lambda fraction, text: stages.append((fraction, text)))
    with qtbot.waitSignal(window.track_view_opened, timeout=60_000) as opened:
        window.empty_state.demo_button.click()
        assert not window.empty_state.demo_button.isEnabled()  # one demo at a time
    view = opened.args[0]
    assert isinstance(view, TrackViewWindow) and view.isVisible()
    # Progress was shown stage by stage, ending with the analysis done.
    assert any(text.startswith("Analysing") for _, text in stages)
    assert stages[-1][0] == 1.0 and [f for f, _ in stages] == sorted(f for f, _ in stages)
    # It opens analysed: beats, key and chords are there at once, from the DSP backend.
    qtbot.waitUntil(lambda: view.loaded, timeout=DEFAULT_WAIT_MS)
    annotations = view.doc.annotations
    assert annotations.key is not None and annotations.beats and annotations.chords
    assert library.get_track(window.demo_track_id).bpm is not None
    wait_titles(qtbot, window, {"Moss Garden (demo)"})
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.view, timeout=DEFAULT_WAIT_MS)
    dsp = window.model.index(0, COLUMN_INDEX["dsp"])
    qtbot.waitUntil(lambda: window.model.data(dsp) == "✓ done", timeout=DEFAULT_WAIT_MS)
    assert not window.empty_state.demo_progress.isVisible()
    view.close()
    qtbot.wait(200)


def test_model_page_says_clearly_when_the_hub_is_unreachable(qtbot, data_dir, monkeypatch):
    from desktop.first_run.model_page import ModelDownloadDialog
    from desktop.services import BackgroundRunner

    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    runner = BackgroundRunner()
    dialog = ModelDownloadDialog(data_dir, runner)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.hub is not None, timeout=30_000)
    assert not dialog.hub.reachable
    assert "cannot be reached" in dialog.status.text()
    assert not dialog.download_button.isEnabled()
    dest = data_dir.root / "models" / "MOSS-Music-8B-Instruct"
    assert dialog.command_box.toPlainText() == f"hf download OpenMOSS-Team/MOSS-Music-8B-Instruct --local-dir {dest}"
    runner.wait_idle()


def test_download_command_quotes_paths_with_spaces():
    assert download_command("/My Music/model") == \
        'hf download OpenMOSS-Team/MOSS-Music-8B-Instruct --local-dir "/My Music/model"'


def test_downloaded_files_are_verified_by_size_and_checksum(tmp_path):
    good, bad = tmp_path / "a.safetensors", tmp_path / "b.json"
    good.write_bytes(b"weights")
    bad.write_bytes(b"short")
    files = [HubFile("a.safetensors", 7, hashlib.sha256(b"weights").hexdigest()), HubFile("b.json", 9, None),
             HubFile("c.txt", 1, None)]
    problems = verify(tmp_path, files)
    assert problems == ["b.json: 5 bytes, expected 9", "c.txt: missing"]
    good.write_bytes(b"weightz")
    assert verify(tmp_path, files[:1]) == ["a.safetensors: checksum does not match"]


@pytest.mark.slow
def test_the_gui_entry_point_opens_the_library_and_quits_cleanly(tmp_path):
    import os
    import subprocess
    import sys

    from moss_music.paths import REPO_ROOT

    home = tmp_path / "app-home"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MOSS_MUSIC_DATA_POINTER=str(tmp_path / "pointer.txt"))
    result = subprocess.run([sys.executable, "-m", "desktop.app", "--home", str(home), "--no-workers",
                             "--quit-after", "1.5"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (home / "library.sqlite3").is_file()
    assert (home / "settings.json").exists() is False  # nothing written until the user saves settings


def _pid_alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


@pytest.mark.slow
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT", "SIGHUP"])
def test_a_signal_ends_the_app_and_the_workers_it_started(tmp_path, signame):
    import os
    import signal
    import subprocess
    import sys
    import time

    from moss_music.paths import REPO_ROOT, DataDir
    from worker import slots

    home = tmp_path / "app-home"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MOSS_MUSIC_DATA_POINTER=str(tmp_path / "pointer.txt"),
               MOSS_MUSIC_HOME=str(home))
    app = subprocess.Popen([sys.executable, "-m", "desktop.app", "--home", str(home)], cwd=REPO_ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        data_dir = DataDir.resolve(home)
        deadline = time.monotonic() + 120
        consumers = []
        while time.monotonic() < deadline and not consumers:
            assert app.poll() is None, app.stderr.read()[-2000:]
            consumers = slots.live_consumers(data_dir)
            time.sleep(0.2)
        assert consumers, "the app started no consumer"
        pids = [record.pid for record in consumers]
        assert all(_pid_alive(pid) for pid in pids)

        app.send_signal(getattr(signal, signame))
        assert app.wait(timeout=60) == 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_pid_alive(pid) for pid in pids):
            time.sleep(0.2)
        assert not any(_pid_alive(pid) for pid in pids), f"consumers {pids} outlived the app"
        assert slots.live_consumers(data_dir) == []
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
