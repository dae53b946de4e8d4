"""The app's settings, persisted as JSON in the data dir's ``settings.json``.

Workers read the same file through the same parser (``moss_music.settings``), so the keys they know are
kept where they look: ``model_dir`` and ``backends.<name>`` (options handed to
``Analyzer.from_options``). Keys this app does not know are preserved on save,
and a damaged file is set aside (never overwritten) with a message.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from moss_music.analysis.registry import default_backend_settings, get_backend
from moss_music.settings import SettingsFileError, parse_settings_file

DEFAULTS: dict[str, Any] = {
    "model_dir": "",
    "backends": default_backend_settings(),  # every backend option's default, from the backend registry
    "analysis": {"backend": "dsp", "tasks": {}, "auto_new": True},
    "export": {"folder": "", "formats": ["lrc", "jams", "midi"]},
    "library": {"watch": True},
}


def _moss_choices(key: str) -> tuple[str, ...]:
    """The values the MOSS backend's registry entry offers for one option."""
    return next(option.choices for option in get_backend("moss").options if option.key == key)


DEVICES = _moss_choices("device")
QUANTIZATIONS = _moss_choices("quantization")


class SettingsStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.load_error: str | None = None
        """Set when the file existed but could not be read; the broken file was kept next to it."""
        self.data: dict[str, Any] = self._load()

    def _load(self) -> dict[str, Any]:
        data = copy.deepcopy(DEFAULTS)
        try:
            stored = parse_settings_file(self.path)
        except SettingsFileError as error:
            backup = self.path.with_name(self.path.name + ".broken")
            try:
                self.path.replace(backup)
                kept = f"; the old file was kept as {backup.name}"
            except OSError:
                kept = ""
            self.load_error = f"Settings file {self.path} could not be read ({error}); using defaults{kept}."
            return data
        return _merge(data, stored)

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def set(self, dotted: str, value: Any) -> None:
        parts = dotted.split(".")
        node = self.data
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value

    def save(self) -> None:
        """Write atomically: a crash mid-save leaves the previous file, never half of one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(self.data, file, indent=2, sort_keys=True, ensure_ascii=False)
                file.write("\n")
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    # -- typed views the UI uses -----------------------------------------------------------

    @property
    def default_backend(self) -> str:
        return str(self.get("analysis.backend", "dsp") or "dsp")

    def default_tasks(self, backend: str) -> list[str]:
        """The tasks to request from ``backend``; empty means everything it offers."""
        tasks = self.get(f"analysis.tasks.{backend}", [])
        return [str(task) for task in tasks] if isinstance(tasks, list) else []

    @property
    def auto_analyze(self) -> bool:
        """Analyse files with the DSP backend as scans add them (on unless the user turned it off)."""
        return bool(self.get("analysis.auto_new", True))

    @property
    def model_dir(self) -> str:
        return str(self.get("model_dir", "") or "")


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base
