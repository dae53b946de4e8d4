"""The analysis tasks a model backend runs: prompt, token budget and which annotation layers they fill."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TASK_NAMES = ("caption", "lyrics", "chords", "structure", "key", "instruments", "ask")
DEFAULT_TASKS = tuple(name for name in TASK_NAMES if name != "ask")
"""What runs when no tasks are named: every task that needs nothing but the audio ("ask" needs a question)."""


@dataclass(frozen=True)
class TaskSpec:
    name: str
    layers: tuple[str, ...]
    """Annotation layers this task fills (also what fusion and the UI look for)."""
    timed: bool
    """Output carries timestamps: windows are shifted and merged on the timeline."""
    max_new_tokens: int
    """Answer tokens; a Thinking checkpoint's reasoning has its own budget on top."""
    thinking_budget: int = 1024
    """Reasoning tokens a Thinking checkpoint may spend before it is asked to answer."""
    sampling: dict[str, Any] = field(default_factory=dict)
    """Per-task sampling overrides on top of the upstream defaults."""


TASKS: dict[str, TaskSpec] = {
    "caption": TaskSpec("caption", ("caption",), timed=False, max_new_tokens=768, thinking_budget=1024),
    "lyrics": TaskSpec("lyrics", ("lyrics",), timed=True, max_new_tokens=2048, thinking_budget=1024),
    "chords": TaskSpec("chords", ("chords",), timed=True, max_new_tokens=2048, thinking_budget=1024),
    "structure": TaskSpec("structure", ("sections",), timed=True, max_new_tokens=512, thinking_budget=768),
    "key": TaskSpec("key", ("key", "tempo", "time_signature"), timed=False, max_new_tokens=96, thinking_budget=512),
    "instruments": TaskSpec("instruments", ("instruments",), timed=False, max_new_tokens=256, thinking_budget=512),
    "ask": TaskSpec("ask", ("answers",), timed=False, max_new_tokens=1024, thinking_budget=2048),
}


def get_task(name: str) -> TaskSpec:
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; choose from {', '.join(TASK_NAMES)}") from None
