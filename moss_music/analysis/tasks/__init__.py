"""Model analysis tasks: definitions, editable prompts, robust parsers, long-audio windows, the shared runner."""

from moss_music.analysis.tasks.definitions import TASK_NAMES, TASKS, TaskSpec, get_task

__all__ = ["TASKS", "TASK_NAMES", "TaskSpec", "get_task"]
