"""The pieces of decoding that do not depend on where the tokens come from.

Sampling options (upstream defaults: temperature 1.0, top_p 0.8, top_k 50),
transformers' own logits warpers applied per task, a stopping criterion that
checks a cancel callback (usable with ``model.generate`` too), a guard against
decoding loops, and the split of a Thinking checkpoint's reasoning from its answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from transformers import (
    LogitsProcessorList,
    RepetitionPenaltyLogitsProcessor,
    StoppingCriteria,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from moss_music.model.options import SamplingOptions


def warpers(options: SamplingOptions) -> LogitsProcessorList:
    """transformers' own logits processors for one task's options."""
    processors = LogitsProcessorList()
    if options.repetition_penalty and options.repetition_penalty != 1.0:
        processors.append(RepetitionPenaltyLogitsProcessor(options.repetition_penalty))
    if options.greedy:
        return processors
    if options.temperature != 1.0:
        processors.append(TemperatureLogitsWarper(options.temperature))
    if options.top_k and options.top_k > 0:
        processors.append(TopKLogitsWarper(options.top_k))
    if options.top_p is not None and options.top_p < 1.0:
        processors.append(TopPLogitsWarper(options.top_p))
    return processors


def task_generator(seed: int, name: str, device: torch.device | str) -> torch.Generator:
    """One generator per task, derived from (seed, task name): results do not depend on batch composition."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    generator = torch.Generator(device=device)
    generator.manual_seed(int.from_bytes(digest[:8], "little") & 0x7FFF_FFFF_FFFF_FFFF)
    return generator


def choose_next(logits: torch.Tensor, history: torch.Tensor, options: SamplingOptions,
                generator: torch.Generator) -> int:
    """One token for one sequence: ``logits`` [vocab], ``history`` [tokens so far] (for repetition penalty)."""
    scores = warpers(options)(history[None], logits[None].float())[0]
    if options.greedy:
        return int(scores.argmax())
    probs = torch.softmax(scores, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))


class CancelCriteria(StoppingCriteria):
    """Stops generation as soon as ``should_cancel()`` returns True (checked once per token)."""

    def __init__(self, should_cancel: Callable[[], bool]) -> None:
        self.should_cancel = should_cancel
        self.cancelled = False

    def __call__(self, input_ids: torch.LongTensor, scores: Any = None, **kwargs: Any) -> torch.BoolTensor:
        self.cancelled = self.cancelled or bool(self.should_cancel())
        return torch.full((input_ids.shape[0],), self.cancelled, dtype=torch.bool, device=input_ids.device)


class LoopGuard:
    """Detects a decoder stuck repeating one block of tokens.

    The tail of ``window`` tokens is a loop when it is the same block of at most
    ``window // min_repeats`` tokens repeated. Real repetition in songs (a chorus
    sung twice) is not exact at the token level once timestamps are in the
    text, so this only fires on degenerate output.
    """

    def __init__(self, window: int = 192, min_repeats: int = 4) -> None:
        self.window = window
        self.min_repeats = min_repeats

    def is_looping(self, tokens: list[int]) -> bool:
        if len(tokens) < self.window:
            return False
        tail = np.asarray(tokens[-self.window:])
        return any(
            np.array_equal(tail[period:], tail[:-period]) for period in range(1, self.window // self.min_repeats + 1)
        )
