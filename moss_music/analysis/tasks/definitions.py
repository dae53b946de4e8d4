"""The analysis tasks a model backend runs: prompt, token budget and which annotation layers they fill."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TASK_NAMES = ("caption", "lyrics", "chords", "structure", "key", "instruments", "ask")


@dataclass(frozen=True)
class TaskSpec:
    name: str
    layers: tuple[str, ...]
    """Annotation layers this task fills (also what fusion and the UI look for)."""
    timed: bool
    """Output carries timestamps: windows are shifted and merged on the timeline."""
    max_new_tokens: int
    sampling: dict[str, Any] = field(default_factory=dict)
    """Per-task sampling overrides on top of the upstream defaults."""


TASKS: dict[str, TaskSpec] = {
    "caption": TaskSpec("caption", ("caption",), timed=False, max_new_tokens=768),
    "lyrics": TaskSpec("lyrics", ("lyrics",), timed=True, max_new_tokens=2048),
    "chords": TaskSpec("chords", ("chords",), timed=True, max_new_tokens=2048),
    "structure": TaskSpec("structure", ("sections",), timed=True, max_new_tokens=512),
    "key": TaskSpec("key", ("key", "tempo", "time_signature"), timed=False, max_new_tokens=96),
    "instruments": TaskSpec("instruments", ("instruments",), timed=False, max_new_tokens=256),
    "ask": TaskSpec("ask", ("answers",), timed=False, max_new_tokens=1024),
}


def get_task(name: str) -> TaskSpec:
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; choose from {', '.join(TASK_NAMES)}") from None
