"""Settings: the JSON store, the dialog writing what workers read, the model folder check, the data dir."""

from __future__ import annotations

import json

import pytest

from desktop.settings.store import SettingsStore
from tests.desktop import main_helpers
from tests.desktop.main_helpers import DEFAULT_WAIT_MS

no_pointer = main_helpers.no_pointer


def test_store_round_trips_and_keeps_keys_it_does_not_know(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"redis_url": "redis://box:6379/0", "analysis": {"backend": "moss"}}))
    store = SettingsStore(path)
    assert store.default_backend == "moss"
    assert store.get("backends.moss.device") == "auto"  # defaults fill what the file lacks
    store.set("analysis.tasks.dsp", ["beats", "key"])
    store.save()
    again = json.loads(path.read_text())
    assert again["redis_url"] == "redis://box:6379/0"
    assert SettingsStore(path).default_tasks("dsp") == ["beats", "key"]


def test_a_damaged_settings_file_is_set_aside_not_lost(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{ not json")
    store = SettingsStore(path)
    assert store.default_backend == "dsp"
    assert "could not be read" in store.load_error
    assert (tmp_path / "settings.json.broken").read_text() == "{ not json"


@pytest.fixture
def dialog(qtbot, data_dir, no_pointer):
    from desktop.services import BackgroundRunner
    from desktop.settings.dialog import SettingsDialog

    runner = BackgroundRunner()
    store = SettingsStore(data_dir.settings_file)
    dlg = SettingsDialog(store, data_dir, runner, [(1, "/music/rock", 12)])
    qtbot.addWidget(dlg)
    yield dlg
    runner.wait_idle()


def test_saved_settings_are_what_the_workers_read(qtbot, dialog, data_dir, tmp_path):
    from worker.settings import analyzer_options

    qtbot.waitUntil(lambda: "dsp" in dialog._task_boxes, timeout=DEFAULT_WAIT_MS)
    dialog._task_boxes["dsp"]["chords"].setChecked(True)
    dialog.backend_combo.setCurrentIndex(dialog.backend_combo.findData("server"))
    dialog.model_edit.setText(str(tmp_path / "model"))
    dialog.device_combo.setCurrentIndex(dialog.device_combo.findData("cpu"))
    dialog.quant_combo.setCurrentIndex(dialog.quant_combo.findData("4bit"))
    dialog.server_url.setText("http://gpu-box:8000/v1")
    dialog.server_key.setText("secret")
    dialog.save_and_close()

    stored = SettingsStore(data_dir.settings_file)
    assert stored.default_backend == "server"
    assert stored.default_tasks("dsp") == ["chords"]
    assert analyzer_options(data_dir, "moss") == {"model_dir": str(tmp_path / "model"), "device": "cpu",
                                                  "quantization": "4bit"}
    assert analyzer_options(data_dir, "server")["server_url"] == "http://gpu-box:8000/v1"
    assert analyzer_options(data_dir, "server")["api_key"] == "secret"


def test_model_folder_picker_shows_variant_size_and_precision(qtbot, dialog, tmp_path):
    from tests.model.tiny_checkpoint import build_tiny_checkpoint

    folder = build_tiny_checkpoint(tmp_path / "MOSS-Music-tiny-Thinking", thinking=True)
    dialog.model_edit.setText(str(folder))
    dialog.validate_model_folder()
    qtbot.waitUntil(lambda: dialog.checkpoint is not None, timeout=60_000)
    assert dialog.checkpoint.ok, dialog.checkpoint.message
    text = dialog.model_status.text()
    assert text.startswith("✓ MOSS-Music-")
    assert "Thinking" in text and "f32" in text and "M-" in text  # a few million parameters


def test_model_folder_picker_explains_what_is_wrong(qtbot, dialog, tmp_path):
    folder = tmp_path / "downloaded"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "moss_music"}))
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04pickle")
    dialog.model_edit.setText(str(folder))
    dialog.validate_model_folder()
    qtbot.waitUntil(lambda: dialog.checkpoint is not None, timeout=60_000)
    assert not dialog.checkpoint.ok
    assert "pickle" in dialog.model_status.text()
    assert dialog.model_status.objectName() == "errorText"


def test_a_new_data_directory_is_used_from_the_next_launch(qtbot, dialog, tmp_path, monkeypatch):
    from desktop.settings.location import launch_home
    from moss_music.paths import HOME_ENV

    dialog.next_data_dir.setText(str(tmp_path / "elsewhere"))
    dialog.save_and_close()
    monkeypatch.delenv(HOME_ENV)
    assert launch_home() == str((tmp_path / "elsewhere").resolve())
    assert launch_home("/from/cli") == "/from/cli"


def test_settings_dialog_lists_the_library_folders(dialog):
    assert dialog.folder_list.count() == 1
    assert "/music/rock" in dialog.folder_list.item(0).text()
    assert "12 tracks" in dialog.folder_list.item(0).text()


def test_analyze_new_files_is_on_by_default_and_can_be_turned_off(qtbot, dialog, data_dir):
    assert dialog.auto_box.isChecked()
    assert SettingsStore(data_dir.settings_file).auto_analyze
    dialog.tabs.setCurrentIndex(0)
    dialog.auto_box.click()
    dialog.save_and_close()
    assert SettingsStore(data_dir.settings_file).auto_analyze is False
    assert json.loads(data_dir.settings_file.read_text())["analysis"]["auto_new"] is False
