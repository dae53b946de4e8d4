"""Which analysis backends the user can pick now, what tasks each offers, and why one cannot be used.

Importing a model backend may import torch, so ``describe_backends`` runs on a
pool thread; the menus show a backend as disabled with the reason until it is
configured (DSP always works).
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.settings.store import SettingsStore
from moss_music.analysis import backend_specs, backend_unavailable_reason


@dataclass(frozen=True)
class BackendInfo:
    name: str
    label: str
    tasks: tuple[str, ...]
    """What a library can be queued for (``hidden_tasks`` such as free questions are asked elsewhere)."""
    unavailable: str = ""
    """Why it cannot run now ('' when it can): a sentence that says what to do."""


def describe_backends(settings: SettingsStore) -> dict[str, BackendInfo]:
    """Every registered backend with its tasks and the registry's reason it cannot run (one rule everywhere)."""
    result = {}
    for spec in backend_specs():
        reason = backend_unavailable_reason(spec.name, settings.data)
        try:
            tasks = tuple(t for t in spec.tasks() if t not in spec.hidden_tasks)
        except Exception as error:  # noqa: BLE001 - a backend that fails to import is shown, not fatal
            tasks, reason = (), reason or f"not available in this installation ({error})"
        result[spec.name] = BackendInfo(spec.name, spec.label, tasks, reason)
    return result
