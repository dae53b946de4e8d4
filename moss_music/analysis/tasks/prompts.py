"""Task prompts come from editable text files (resources/prompts/<task>.txt), optionally overridden per folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from moss_music.paths import RESOURCES_DIR

PROMPTS_DIR = RESOURCES_DIR / "prompts"


def load_prompt(task: str, params: dict[str, Any] | None = None,
                prompts_dir: str | os.PathLike[str] | None = None) -> str:
    """The question text for ``task``; "ask" takes ``params['question']``."""
    params = params or {}
    if task == "ask":
        question = str(params.get("question") or "").strip()
        if not question:
            raise ValueError("the 'ask' task needs a question (params['question'])")
        return question
    for folder in (Path(prompts_dir) if prompts_dir else None, PROMPTS_DIR):
        if folder is not None and (folder / f"{task}.txt").is_file():
            text = (folder / f"{task}.txt").read_text(encoding="utf-8").strip()
            if text:
                return text
    raise FileNotFoundError(f"no prompt file for task {task!r} in {prompts_dir or PROMPTS_DIR}")
