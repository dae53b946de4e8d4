"""How much a track's analysis needs on the accelerator, and what fits in the memory that is free.

Pure arithmetic on the model's shape, so the policy is unit-tested with made-up
free-memory figures; the engine and the analyzer feed it the device's real
numbers. Figures are upper bounds: a plan that fits here fits on the device, and
an out-of-memory anyway still steps down (engine: batch, encoder and prefill
chunks; analyzer: window).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

TOKENS_PER_SECOND = 12.5
PROMPT_TEXT_TOKENS = 32
"""System turn, user header and the audio start/end ids around the audio tokens."""
RESERVE_FRACTION = 0.10
"""Kept free for the allocator's fragmentation and kernels' workspaces."""


@dataclass(frozen=True)
class ModelShape:
    """The decoder dimensions that set memory use, and the bytes per element of its activations."""

    num_layers: int
    num_kv_heads: int
    head_dim: int
    hidden_size: int
    intermediate_size: int
    vocab_size: int
    dtype_bytes: int = 2

    @classmethod
    def from_config(cls, language_config: Any, dtype_bytes: int) -> ModelShape:
        heads = language_config.num_attention_heads
        head_dim = getattr(language_config, "head_dim", None) or language_config.hidden_size // heads
        return cls(language_config.num_hidden_layers, language_config.num_key_value_heads, head_dim,
                   language_config.hidden_size, language_config.intermediate_size, language_config.vocab_size,
                   dtype_bytes)

    @property
    def kv_bytes_per_token(self) -> int:
        """Keys + values of every layer for one token (MOSS-Music-8B in bf16: 147,456 bytes)."""
        return 2 * self.num_layers * self.num_kv_heads * self.head_dim * self.dtype_bytes


def prefix_tokens(seconds: float) -> int:
    """Prompt tokens before the question for ``seconds`` of audio: audio tokens, time-marker digits, text."""
    audio = math.ceil(seconds * TOKENS_PER_SECOND)
    markers = sum(len(str(s)) for s in range(2, int(seconds) + 1, 2))
    return audio + markers + PROMPT_TEXT_TOKENS


def prefill_bytes(shape: ModelShape, prefix: int, chunk: int | None = None) -> int:
    """The prefix's KV cache plus the activations of prefilling ``chunk`` tokens at a time (None: all)."""
    step = min(prefix, chunk or prefix)
    activations = step * (3 * shape.intermediate_size + 4 * shape.hidden_size) * shape.dtype_bytes
    attention_keys = step * shape.kv_bytes_per_token // max(1, shape.num_layers)
    return prefix * shape.kv_bytes_per_token + activations + attention_keys


def batch_bytes(shape: ModelShape, rows: int, prefix: int, suffix: int, new_tokens: int) -> int:
    """Decoding ``rows`` tasks from one shared prefix (the prefix itself is counted by prefill_bytes).

    Each row keeps its own suffix and generated tokens in the cache; one layer at a time the shared
    prefix is joined to them for attention (a transient copy of one layer's keys/values per row);
    logits are float32."""
    own = rows * (suffix + new_tokens) * shape.kv_bytes_per_token
    transient = rows * (prefix + suffix + new_tokens) * shape.kv_bytes_per_token // max(1, shape.num_layers)
    logits = 2 * rows * shape.vocab_size * 4
    suffix_prefill = rows * suffix * (3 * shape.intermediate_size + 4 * shape.hidden_size) * shape.dtype_bytes
    return own + transient + logits + suffix_prefill


def usable(free_bytes: int) -> int:
    return int(free_bytes * (1 - RESERVE_FRACTION))


def plan_batch(free_bytes: int, shape: ModelShape, prefix: int, suffix: int, new_tokens: int, max_batch: int) -> int:
    """The most tasks (1..max_batch) that decode together in ``free_bytes`` once the prefix is built."""
    budget = usable(free_bytes)
    rows = max(1, max_batch)
    while rows > 1 and batch_bytes(shape, rows, prefix, suffix, new_tokens) > budget:
        rows -= 1
    return rows


def plan_window_seconds(free_bytes: int, shape: ModelShape, requested: float, suffix: int, new_tokens: int,
                        minimum: float = 60.0) -> float:
    """The longest window (<= requested, >= minimum) whose prefix and one decoding task fit ``free_bytes``."""
    budget = usable(free_bytes)
    window = requested
    while window > minimum:
        prefix = prefix_tokens(window)
        if prefill_bytes(shape, prefix, 2048) + batch_bytes(shape, 1, prefix, suffix, new_tokens) <= budget:
            return window
        window = max(minimum, window * 0.8)
    return minimum


def weight_bytes(parameters: int, quantized: int, bits: int, dtype_bytes: int = 2) -> int:
    """Weights in memory when ``quantized`` of ``parameters`` are stored at ``bits`` (the rest in bf16)."""
    return (parameters - quantized) * dtype_bytes + quantized * bits // 8
