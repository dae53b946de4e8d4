"""settings.json has one parser: headless readers get {} for a missing or damaged file; the app's store gets the
error and sets the file aside (tests/desktop/test_main_settings.py)."""

from __future__ import annotations

import pytest

from moss_music.settings import SettingsFileError, configured_model_dir, parse_settings_file, read_settings


def test_a_missing_file_reads_as_empty(data_dir):
    assert parse_settings_file(data_dir.settings_file) == {}
    assert read_settings(data_dir) == {}


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "\"text\""])
def test_a_damaged_file_is_an_error_to_the_app_and_empty_to_headless_code(data_dir, content):
    data_dir.settings_file.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsFileError):
        parse_settings_file(data_dir.settings_file)
    assert read_settings(data_dir) == {}


def test_the_model_folder_comes_from_the_environment_first(data_dir, monkeypatch, tmp_path):
    data_dir.settings_file.write_text('{"model_dir": "/models/from-settings"}', encoding="utf-8")
    monkeypatch.delenv("MOSS_MUSIC_MODEL", raising=False)
    assert configured_model_dir(data_dir) == "/models/from-settings"
    monkeypatch.setenv("MOSS_MUSIC_MODEL", str(tmp_path))
    assert configured_model_dir(data_dir) == str(tmp_path)

