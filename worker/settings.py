"""Where the queue lives and how analyzers are built, from the environment and the data dir's settings file.

Environment variables win over ``settings.json`` so a worker on another host can
be pointed at the shared Redis and PostgreSQL without editing files.
"""

from __future__ import annotations

import os
from typing import Any

from moss_music.analysis import backend_options, register_backend
from moss_music.paths import DataDir
from moss_music.settings import MODEL_ENV, read_settings

__all__ = ["EXTRA_BACKENDS_ENV", "MODEL_ENV", "REDIS_URL_ENV", "analyzer_options", "read_settings", "redis_url",
           "register_extra_backends"]

REDIS_URL_ENV = "MOSS_MUSIC_REDIS_URL"
EXTRA_BACKENDS_ENV = "MOSS_MUSIC_BACKENDS"
"""``name=module:Class;name2=module:Class`` — analyzers from outside moss_music (plugins, tests)."""

def redis_url(data_dir: DataDir) -> str | None:
    """A Redis URL means RedisHuey (workers on several hosts); none means the SQLite queue file."""
    return os.environ.get(REDIS_URL_ENV) or read_settings(data_dir).get("redis_url") or None


def analyzer_options(data_dir: DataDir, backend: str) -> dict[str, Any]:
    """Options for ``from_options`` as the settings file gives them (see ``registry.backend_options``)."""
    return backend_options(backend, read_settings(data_dir))


def register_extra_backends() -> None:
    """Make analyzers named in ``$MOSS_MUSIC_BACKENDS`` known in this process (consumers are subprocesses)."""
    for item in os.environ.get(EXTRA_BACKENDS_ENV, "").split(";"):
        name, _, target = item.strip().partition("=")
        if name and ":" in target:
            register_backend(name.strip(), target.strip())
