"""Where the app keeps its state.

Everything (library DB, queue DB, caches, logs, settings) lives under one data
directory so that a user can back it up, move it, or point tests at a temp dir
with ``MOSS_MUSIC_HOME`` / ``--home``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

HOME_ENV = "MOSS_MUSIC_HOME"
APP_NAME = "moss-music-studio"
PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
"""The folder that holds the ``moss_music`` package: the checkout, or ``site-packages`` when installed."""


def _resources_dir() -> Path:
    """Prompts and icons: ``moss_music/resources`` in a wheel, the top-level ``resources/`` in a checkout.

    The checkout keeps ``resources/`` beside the packages so that editing a prompt needs no
    Python knowledge; ``setup.py`` maps that folder into the wheel as ``moss_music.resources``.
    """
    installed = PACKAGE_DIR / "resources"
    return installed if installed.is_dir() else REPO_ROOT / "resources"


RESOURCES_DIR = _resources_dir()


def default_home() -> Path:
    """The data dir: ``$MOSS_MUSIC_HOME`` if set, else the platform's user data dir."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class DataDir:
    """The files inside one data directory, created on first use."""

    root: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None = None) -> DataDir:
        root = Path(home).expanduser() if home else default_home()
        data_dir = cls(root.resolve())
        data_dir.ensure()
        return data_dir

    def ensure(self) -> None:
        for folder in (self.root, self.cache_dir, self.peaks_dir, self.logs_dir):
            folder.mkdir(parents=True, exist_ok=True)

    @property
    def library_db(self) -> Path:
        return self.root / "library.sqlite3"

    @property
    def library_url(self) -> str:
        """SQLAlchemy URL of the library; ``MOSS_MUSIC_DB_URL`` points it at PostgreSQL."""
        return os.environ.get("MOSS_MUSIC_DB_URL") or f"sqlite:///{self.library_db}"

    @property
    def queue_db(self) -> Path:
        return self.root / "queue.sqlite3"

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.json"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def peaks_dir(self) -> Path:
        return self.cache_dir / "peaks"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"
