"""Plain data passed between analyzers and generation backends (no torch, so the server path stays light)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class SamplingOptions:
    """Upstream's sampling defaults (temperature 1.0, top_p 0.8, top_k 50: lower temperatures generated worse)."""

    temperature: float = 1.0
    top_p: float = 0.8
    top_k: int = 50
    do_sample: bool = True
    repetition_penalty: float = 1.0
    max_new_tokens: int = 1024
    thinking_budget: int | None = None
    """Most tokens a Thinking checkpoint may spend inside <think>, on top of ``max_new_tokens`` (which counts the
    answer only); then Qwen3's transition sentence and </think> are forced. None: the engine's default."""

    def merged(self, overrides: dict[str, Any] | None) -> SamplingOptions:
        """A copy with the known keys of ``overrides`` applied (unknown keys and None values are ignored)."""
        if not overrides:
            return self
        known = {k: v for k, v in overrides.items() if k in self.__dataclass_fields__ and v is not None}
        return replace(self, **known)

    @property
    def greedy(self) -> bool:
        return not self.do_sample or self.temperature <= 0


@dataclass
class TaskRequest:
    name: str
    question: str
    options: SamplingOptions = field(default_factory=SamplingOptions)


@dataclass
class TaskOutput:
    name: str
    answer: str
    reasoning: str
    raw_text: str
    token_ids: list[int]
    finish_reason: str
    """'stop' (end token), 'length' (max_new_tokens), 'loop' (loop guard)."""
    prompt_tokens: int
