"""Reading the app's ``settings.json``: the one parser of that file.

The desktop app owns writing it (``desktop.settings.store``, which parses it with
``parse_settings_file`` and sets a damaged file aside); headless code (CLI, worker)
calls ``read_settings``, for which a missing or damaged file reads as empty.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from moss_music.paths import DataDir

MODEL_ENV = "MOSS_MUSIC_MODEL"


class SettingsFileError(ValueError):
    """The settings file exists but cannot be read or is not a JSON object."""


def parse_settings_file(path: Path) -> dict[str, Any]:
    """The file's top-level object; ``{}`` when there is no file. Raises ``SettingsFileError`` otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise SettingsFileError(str(error)) from error
    try:
        settings = json.loads(text)
    except ValueError as error:
        raise SettingsFileError(str(error)) from error
    if not isinstance(settings, dict):
        raise SettingsFileError("the top level is not an object")
    return settings


def read_settings(data_dir: DataDir) -> dict[str, Any]:
    """The settings for headless code: a missing or damaged file reads as empty (the defaults apply)."""
    try:
        return parse_settings_file(data_dir.settings_file)
    except SettingsFileError:
        return {}


def configured_model_dir(data_dir: DataDir | None, settings: dict[str, Any] | None = None) -> str | None:
    """The MOSS-Music folder: ``$MOSS_MUSIC_MODEL`` first, then the settings' ``model_dir`` (``settings`` given:
    ``data_dir`` is not read and may be None)."""
    settings = read_settings(data_dir) if settings is None else settings
    return os.environ.get(MODEL_ENV) or settings.get("model_dir") or (settings.get("model") or {}).get("dir") or None
