"""Thinking checkpoints answer ``<think> reasoning </think> answer``: split the two, keep both."""

from __future__ import annotations

import re
from dataclasses import dataclass

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


@dataclass
class ThinkingSplit:
    reasoning: str
    answer: str
    finished_thinking: bool


def split_thinking(text: str) -> ThinkingSplit:
    """Separate ``<think>…</think>`` reasoning from the answer; text without a think block is all answer."""
    match = re.search(re.escape(THINK_CLOSE), text)
    if match:
        reasoning = text[: match.start()]
        reasoning = reasoning.split(THINK_OPEN, 1)[1] if THINK_OPEN in reasoning else reasoning
        return ThinkingSplit(reasoning.strip(), text[match.end():].strip(), True)
    if THINK_OPEN in text:
        before, after = text.split(THINK_OPEN, 1)
        return ThinkingSplit(after.strip(), before.strip(), False)
    return ThinkingSplit("", text.strip(), True)
