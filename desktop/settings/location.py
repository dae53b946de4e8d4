"""Where the data directory is, remembered outside it (it cannot hold its own address).

Precedence at launch: ``--home`` / ``$MOSS_MUSIC_HOME``, then the folder chosen in
Settings (a one-line file in the user's config dir), then the platform default.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from moss_music.paths import APP_NAME, HOME_ENV

POINTER_ENV = "MOSS_MUSIC_DATA_POINTER"
"""Overrides where the pointer file lives (tests, portable installs)."""


def pointer_file() -> Path:
    override = os.environ.get(POINTER_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "data_dir.txt"


def chosen_data_dir() -> str | None:
    try:
        text = pointer_file().read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def remember_data_dir(path: str | None) -> None:
    """Use ``path`` from the next launch on; None goes back to the default."""
    pointer = pointer_file()
    if not path:
        pointer.unlink(missing_ok=True)
        return
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(str(Path(path).expanduser().resolve()) + "\n", encoding="utf-8")


def launch_home(cli_home: str | None = None) -> str | None:
    """The data dir to open now (None: the platform default)."""
    return cli_home or os.environ.get(HOME_ENV) or chosen_data_dir()
