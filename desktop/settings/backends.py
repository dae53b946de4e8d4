"""Which analysis backends the user can pick now, what tasks each offers, and why one cannot be used.

Importing a model backend may import torch, so ``describe_backends`` runs on a
pool thread; the menus show a backend as disabled with the reason until it is
configured (DSP always works).
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.library.columns import BACKEND_LABELS
from desktop.settings.store import SettingsStore
from moss_music.analysis import get_analyzer_class

UI_HIDDEN_TASKS = frozenset({"ask"})
"""Free questions need a question: they are asked from the track view, not queued for a library."""


@dataclass(frozen=True)
class BackendInfo:
    name: str
    label: str
    tasks: tuple[str, ...]
    unavailable: str = ""
    """Why it cannot run now ('' when it can): a sentence that says what to do."""


def describe_backends(settings: SettingsStore) -> dict[str, BackendInfo]:
    result = {}
    for name, label in BACKEND_LABELS.items():
        reason = ""
        try:
            tasks = tuple(t for t in get_analyzer_class(name).tasks if t not in UI_HIDDEN_TASKS)
        except Exception as error:  # noqa: BLE001 - a backend that fails to import is shown, not fatal
            tasks, reason = (), f"not available in this installation ({error})"
        if not reason and name == "moss" and not settings.model_dir:
            reason = "choose a model folder in Settings → Model"
        if not reason and name == "server" and not settings.get("backends.server.server_url"):
            reason = "set the server URL in Settings → Model"
        result[name] = BackendInfo(name, label, tasks, reason)
    return result
