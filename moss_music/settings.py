"""Reading the app's ``settings.json`` outside the GUI (CLI, worker).

The desktop app owns writing it (``desktop.settings.store``); headless code only
reads the few keys it needs, and a missing or damaged file reads as empty.
"""

from __future__ import annotations

import json
import os
from typing import Any

from moss_music.paths import DataDir

MODEL_ENV = "MOSS_MUSIC_MODEL"


def read_settings(data_dir: DataDir) -> dict[str, Any]:
    try:
        settings = json.loads(data_dir.settings_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return settings if isinstance(settings, dict) else {}


def configured_model_dir(data_dir: DataDir, settings: dict[str, Any] | None = None) -> str | None:
    """The MOSS-Music folder: ``$MOSS_MUSIC_MODEL`` first, then the settings' ``model_dir``."""
    settings = read_settings(data_dir) if settings is None else settings
    return os.environ.get(MODEL_ENV) or settings.get("model_dir") or (settings.get("model") or {}).get("dir") or None
