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


# ----------------------------------------------------------------------------- what a GPU can hold
MOSS_MUSIC_8B_PARAMETERS = 9_100_000_000
MOSS_MUSIC_8B_DECODER_LINEAR = 6_950_000_000
"""The decoder's linear layers: what 8-bit/4-bit quantize (encoder, adapter, embeddings and head stay bf16)."""
CONTEXT_OVERHEAD = 1_000_000_000
"""CUDA context, kernels and allocator slack outside the model's own tensors."""
CAPACITY_TASKS = 6
CAPACITY_SUFFIX = 64
CAPACITY_NEW_TOKENS = 2048


@dataclass(frozen=True)
class Capacity:
    mode: str
    """'bf16', '8-bit' or '4-bit'."""
    weights: int
    fits: bool
    max_window_seconds: float
    """Longest audio window whose prefix and six decoding tasks fit next to the weights (0 when none)."""
    arithmetic: str


def decoder_linear_parameters(language_config: Any) -> int:
    """Parameters in the decoder's linear layers (attention q/k/v/o and the gated MLP), per the config."""
    hidden, layers = language_config.hidden_size, language_config.num_hidden_layers
    heads, kv = language_config.num_attention_heads, language_config.num_key_value_heads
    head_dim = getattr(language_config, "head_dim", None) or hidden // heads
    attention = hidden * head_dim * (2 * heads + 2 * kv)
    return layers * (attention + 3 * hidden * language_config.intermediate_size)


def gpu_capacity(total_bytes: int, shape: ModelShape, parameters: int = MOSS_MUSIC_8B_PARAMETERS,
                 quantizable: int = MOSS_MUSIC_8B_DECODER_LINEAR) -> list[Capacity]:
    """For each precision: the weights' size, whether they fit ``total_bytes``, and the longest window that
    fits beside them with six tasks decoding 2,048 tokens each (minutes matter more than tokens to users)."""
    results = []
    budget = usable(total_bytes) - CONTEXT_OVERHEAD
    for mode, bits in (("bf16", 16), ("8-bit", 8), ("4-bit", 4)):
        weights = weight_bytes(parameters, parameters if bits == 16 else quantizable, bits)
        left = budget - weights
        window = _longest_window(left, shape)
        if bits == 16:
            formula = f"{parameters / 1e9:.2f} B params x 2 bytes"
        else:
            formula = (f"({parameters / 1e9:.2f} - {quantizable / 1e9:.2f}) B x 2 bytes + "
                       f"{quantizable / 1e9:.2f} B x {bits}/8 bytes")
        arithmetic = (f"weights {formula} = {weights / 1e9:.1f} GB; {total_bytes / 1e9:.1f} GB x 0.9 - "
                      f"{CONTEXT_OVERHEAD / 1e9:.0f} GB context - weights = {left / 1e9:.1f} GB for the prefix KV "
                      f"({shape.kv_bytes_per_token:,} bytes/token, 12.5 tokens/s) and {CAPACITY_TASKS} tasks")
        results.append(Capacity(mode, weights, window > 0, window, arithmetic))
    return results


def _longest_window(free: int, shape: ModelShape) -> float:
    """Largest window in whole seconds (up to an hour) that fits ``free`` bytes; 0 when not even 10 s do."""
    def fits(seconds: float) -> bool:
        prefix = prefix_tokens(seconds)
        need = prefill_bytes(shape, prefix, 2048) + batch_bytes(shape, CAPACITY_TASKS, prefix, CAPACITY_SUFFIX,
                                                               CAPACITY_NEW_TOKENS)
        return need <= free

    if free <= 0 or not fits(10.0):
        return 0.0
    low, high = 10, 3600
    if fits(high):
        return float(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return float(low)
