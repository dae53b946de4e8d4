"""The shared-prefix engine: encode a track once, prefill its prefix once, run every task from that cache.

Every task prompt for a track starts with the same tokens (system turn, user
turn header, the audio span); only the question after the audio differs. So
the audio is encoded and the prefix prefilled once, and every task's batch row
attends to that ONE prefix cache (shared by reference, never copied per task:
``SharedPrefixLayer``); the task suffixes are prefilled together (right padded,
masked, with explicit positions), and the tasks decode as one batch. Finished
rows leave the batch. Batch size comes from free accelerator memory
(``memory.plan_batch``), and an out-of-memory steps down until it fits: the
encoder's chunk batch and the prefill chunk while building the prefix, the
batch (halves) while decoding.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from transformers import DynamicCache, DynamicLayer

from moss_music.model.compat import cache_kwargs
from moss_music.model.device import free_accelerator_memory, is_out_of_memory
from moss_music.model.features import audio_token_count
from moss_music.model.generation import LoopGuard, choose_next, task_generator
from moss_music.model.memory import ModelShape, plan_batch
from moss_music.model.options import TaskOutput, TaskRequest
from moss_music.model.processor import (
    AUDIO_PLACEHOLDER,
    DEFAULT_SYSTEM_PROMPT,
    MossMusicProcessor,
    default_prompt,
)
from moss_music.model.thinking import THINK_CLOSE, THINK_OPEN, split_thinking

TokenCallback = Callable[[str, int, int], None]
"""(task name, tokens generated so far, max tokens for the task)."""
FreeMemory = Callable[[], int | None]
"""Bytes free on the model's device right now (None: unknown, e.g. the CPU)."""

DEFAULT_THINKING_BUDGET = 1024
"""Reasoning tokens a Thinking checkpoint may spend when the task names no budget; on top of the answer's."""
THINK_FORCE_TEXT = ("\n\nConsidering the limited time by the user, I have to give the solution based on the thinking "
                    "directly now.\n</think>\n\n")
"""What Qwen3 recommends appending when a thinking budget runs out, instead of a bare </think>."""
MIN_PREFILL_CHUNK = 256


class GenerationCancelled(Exception):
    """The cancel callback returned True while tokens were being generated."""


@dataclass
class EngineStats:
    audio_tokens: int = 0
    prefix_tokens: int = 0
    suffix_tokens: int = 0
    generated_tokens: int = 0
    encode_seconds: float = 0.0
    prefill_seconds: float = 0.0
    decode_seconds: float = 0.0

    @property
    def prefill_tokens(self) -> int:
        return self.prefix_tokens + self.suffix_tokens


@dataclass
class Prefix:
    cache: DynamicCache
    length: int
    input_ids: list[int]


class SharedPrefixLayer(DynamicLayer):
    """One decoder layer's cache for a batch of tasks: the prefix's keys/values ONCE (batch 1, shared by
    reference with the prefix cache) plus each row's own suffix and generated tokens.

    Attention sees ``prefix ++ own`` per row; the join is made one layer at a time while that layer runs,
    so only one layer's prefix copy per row exists at any moment instead of all 36 layers' per task."""

    def __init__(self, prefix_keys: torch.Tensor, prefix_values: torch.Tensor) -> None:
        super().__init__()
        self.prefix_keys, self.prefix_values = prefix_keys, prefix_values

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        super().update(key_states, value_states, *args, **kwargs)
        rows = self.keys.shape[0]
        keys = torch.cat([self.prefix_keys.expand(rows, -1, -1, -1), self.keys], dim=-2)
        values = torch.cat([self.prefix_values.expand(rows, -1, -1, -1), self.values], dim=-2)
        return keys, values

    def get_seq_length(self, *args, **kwargs) -> int:
        return self.prefix_keys.shape[-2] + super().get_seq_length(*args, **kwargs)


def shared_prefix_cache(prefix: Prefix, config) -> DynamicCache:
    """A cache whose layers all point at ``prefix``'s tensors (no copy) and grow per row from there."""
    cache = DynamicCache(config=config)
    cache.layers = [SharedPrefixLayer(layer.keys, layer.values) for layer in prefix.cache.layers]
    return cache


@dataclass
class _Row:
    request: TaskRequest
    suffix_len: int
    next_position: int
    generator: torch.Generator
    in_think: bool
    tokens: list[int] = field(default_factory=list)
    think_tokens: int = 0
    answer_tokens: int = 0
    forced: list[int] = field(default_factory=list)
    budget_forced: bool = False
    finish_reason: str = ""


class SharedPrefixEngine:
    def __init__(self, model, processor: MossMusicProcessor, *, max_batch: int = 8, seed: int = 0,
                 thinking: bool = False, loop_guard: LoopGuard | None = None,
                 system_prompt: str = DEFAULT_SYSTEM_PROMPT, free_memory: FreeMemory | None = None,
                 prefill_chunk: int | None = None, encode_batch: int | None = None) -> None:
        self.model = model
        self.processor = processor
        self.max_batch = max(1, max_batch)
        self.free_memory = free_memory if free_memory is not None else self._device_free_memory
        self.prefill_chunk = prefill_chunk
        """Prefix tokens prefilled per forward pass (None: all at once); halves after an out-of-memory."""
        self.encode_batch = encode_batch
        """Encoder chunks per conv batch (None: the config's conv_chunksize); halves after an out-of-memory."""
        self.seed = seed
        self.thinking = thinking
        self.loop_guard = loop_guard or LoopGuard()
        self.system_prompt = system_prompt
        self.stats = EngineStats()
        tokenizer = processor.tokenizer
        self.end_ids = {i for i in (tokenizer.convert_tokens_to_ids(t) for t in ("<|im_end|>", "<|endoftext|>"))
                        if isinstance(i, int) and i >= 0 and i != tokenizer.unk_token_id}
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(self.end_ids, default=0)
        self.think_open_id = self._single_id(THINK_OPEN)
        self.think_close_id = self._single_id(THINK_CLOSE)

    def _single_id(self, text: str) -> int | None:
        ids = self.processor.encode_text(text)
        return ids[0] if len(ids) == 1 else None

    @property
    def device(self) -> torch.device:
        return self.model.get_input_embeddings().weight.device

    # ----------------------------------------------------------------- prompt pieces
    def prompt_parts(self, question: str) -> tuple[str, str]:
        """(text before the audio span, text after it) of the default prompt."""
        before, after = default_prompt(question, self.system_prompt).split(AUDIO_PLACEHOLDER)
        return before, after

    def suffix_ids(self, question: str) -> list[int]:
        return self.processor.encode_text(self.prompt_parts(question)[1])

    # ----------------------------------------------------------------- prefix
    def build_prefix(self, waveform: np.ndarray) -> Prefix:
        """Encode the audio and prefill system + user header + audio span into a batch-1 cache.

        An out-of-memory halves the encoder's chunk batch, then the prefill chunk, and tries again; when
        both are at their floor it is raised (the analyzer then shortens the window)."""
        while True:
            try:
                return self._build_prefix(waveform)
            except Exception as error:  # only out-of-memory is handled, the rest re-raised
                if not is_out_of_memory(error) or not self._step_down_prefix():
                    raise
                free_accelerator_memory(str(self.device))

    def _step_down_prefix(self) -> bool:
        chunks = self.encode_batch or self.model.config.audio_config.conv_chunksize
        if chunks > 1:
            self.encode_batch = max(1, chunks // 2)
            return True
        if self.prefill_chunk is None or self.prefill_chunk > MIN_PREFILL_CHUNK:
            self.prefill_chunk = max(MIN_PREFILL_CHUNK, (self.prefill_chunk or 4096) // 2)
            return True
        return False

    @torch.inference_mode()
    def _build_prefix(self, waveform: np.ndarray) -> Prefix:
        started = time.perf_counter()
        mel = self.processor.mel(waveform)
        count = audio_token_count(mel.shape[-1])
        settings = self.processor.settings
        ids = self.processor.encode_text(self.prompt_parts("")[0])
        ids += [settings.audio_start_id, *self.processor.audio_placeholder_ids(count), settings.audio_end_id]
        input_ids = torch.tensor([ids], device=self.device)
        mel_tensor = torch.from_numpy(mel)[None].to(self.device)
        audio_embeds, deepstack = self.model.encode_audio(mel_tensor, [mel.shape[-1]], chunk_batch=self.encode_batch)
        self._sync()
        encoded = time.perf_counter()
        mask = input_ids == settings.audio_token_id
        embeds = self.model.embed_inputs(input_ids, audio_embeds, mask)
        cache = DynamicCache(config=self.model.config.language_config)
        step = self.prefill_chunk or len(ids)
        audio_done = 0
        for start in range(0, len(ids), step):
            piece = mask[:, start : start + step]
            audio_here = int(piece.sum())
            features = [f[audio_done : audio_done + audio_here] for f in deepstack]
            audio_done += audio_here
            positions = torch.arange(start, start + piece.shape[1], device=self.device)[None]
            with self.model.deepstack_injection(piece, features):
                self.model.language_model(inputs_embeds=embeds[:, start : start + step], position_ids=positions,
                                          use_cache=True, **cache_kwargs(cache))
        self._sync()
        self.stats.audio_tokens += count
        self.stats.prefix_tokens += len(ids)
        self.stats.encode_seconds += encoded - started
        self.stats.prefill_seconds += time.perf_counter() - encoded
        return Prefix(cache, len(ids), ids)

    def _prefill_suffixes(self, prefix: Prefix, suffixes: Sequence[list[int]]):
        """Right-padded suffixes after the shared prefix: (hidden [K, L, H], cache, 2-D mask)."""
        rows, longest = len(suffixes), max(len(s) for s in suffixes)
        ids = torch.full((rows, longest), self.pad_id, dtype=torch.long, device=self.device)
        mask = torch.zeros((rows, prefix.length + longest), dtype=torch.long, device=self.device)
        mask[:, : prefix.length] = 1
        for row, suffix in enumerate(suffixes):
            ids[row, : len(suffix)] = torch.tensor(suffix, device=self.device)
            mask[row, prefix.length : prefix.length + len(suffix)] = 1
        positions = (prefix.length + torch.arange(longest, device=self.device)).expand(rows, longest)
        cache = shared_prefix_cache(prefix, self.model.config.language_config)
        hidden = self.model.language_model(
            input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, **cache_kwargs(cache)
        ).last_hidden_state
        return hidden, cache, mask

    @torch.inference_mode()
    def suffix_logits(self, prefix: Prefix, questions: Sequence[str]) -> list[torch.Tensor]:
        """Logits at every suffix position, per question (what the exactness test compares)."""
        suffixes = [self.suffix_ids(q) for q in questions]
        hidden, _, _ = self._prefill_suffixes(prefix, suffixes)
        logits = self.model.lm_head(hidden)
        return [logits[row, : len(s)] for row, s in enumerate(suffixes)]

    # ----------------------------------------------------------------- run
    def run(self, waveform: np.ndarray, requests: Sequence[TaskRequest], *,
            token_callback: TokenCallback | None = None,
            should_cancel: Callable[[], bool] | None = None) -> list[TaskOutput]:
        """All ``requests`` on one clip; outputs in request order."""
        if not requests:
            return []
        prefix = self.build_prefix(waveform)
        return self.run_from_prefix(prefix, requests, token_callback=token_callback, should_cancel=should_cancel)

    def run_from_prefix(self, prefix: Prefix, requests: Sequence[TaskRequest], *,
                        token_callback: TokenCallback | None = None,
                        should_cancel: Callable[[], bool] | None = None) -> list[TaskOutput]:
        outputs: list[TaskOutput] = []
        size = self.batch_size(prefix, requests)
        pending = [list(requests[i : i + size]) for i in range(0, len(requests), size)]
        while pending:
            group = pending.pop(0)
            try:
                outputs.extend(self._run_group(prefix, group, token_callback, should_cancel))
            except Exception as error:  # only out-of-memory is handled, the rest re-raised
                if not is_out_of_memory(error) or len(group) == 1:
                    raise
                free_accelerator_memory(str(self.device))
                half = len(group) // 2
                pending[:0] = [group[:half], group[half:]]
        order = {r.name: i for i, r in enumerate(requests)}
        return sorted(outputs, key=lambda o: order[o.name])

    def batch_size(self, prefix: Prefix, requests: Sequence[TaskRequest]) -> int:
        """max_batch, lowered to what free memory holds (memory.plan_batch) when the device reports it."""
        free = self.free_memory()
        if free is None or not requests:
            return self.max_batch
        shape = ModelShape.from_config(self.model.config.language_config, self.model.dtype.itemsize)
        suffix = max(len(self.suffix_ids(r.question)) for r in requests)
        new_tokens = max(self.token_limit(r) for r in requests)
        return plan_batch(free, shape, prefix.length, suffix, new_tokens, min(self.max_batch, len(requests)))

    def token_limit(self, request: TaskRequest) -> int:
        """Most tokens a task may generate: its answer budget, plus its reasoning budget on Thinking models."""
        options = request.options
        if not self.thinking:
            return options.max_new_tokens
        return options.max_new_tokens + self.thinking_budget(request) + len(self.processor.encode_text(THINK_FORCE_TEXT))

    @staticmethod
    def thinking_budget(request: TaskRequest) -> int:
        budget = request.options.thinking_budget
        return DEFAULT_THINKING_BUDGET if budget is None else max(0, int(budget))

    def _device_free_memory(self) -> int | None:
        device = self.device
        if device.type != "cuda":
            return None
        free, _ = torch.cuda.mem_get_info(device)
        return int(free + torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device))

    @torch.inference_mode()
    def _run_group(self, prefix: Prefix, group: list[TaskRequest], token_callback: TokenCallback | None,
                   should_cancel: Callable[[], bool] | None) -> list[TaskOutput]:
        started = time.perf_counter()
        suffixes = [self.suffix_ids(r.question) for r in group]
        hidden, cache, mask = self._prefill_suffixes(prefix, suffixes)
        last = torch.tensor([len(s) - 1 for s in suffixes], device=self.device)
        logits = self.model.lm_head(hidden[torch.arange(len(group), device=self.device), last]).float()
        self._sync()
        self.stats.suffix_tokens += sum(len(s) for s in suffixes)
        self.stats.prefill_seconds += time.perf_counter() - started
        started = time.perf_counter()

        rows = [_Row(r, len(s), prefix.length + len(s), task_generator(self.seed, r.name, self.device),
                     in_think=self.thinking) for r, s in zip(group, suffixes)]
        active = list(range(len(rows)))
        finished: list[_Row] = []
        while active:
            next_tokens = []
            for batch_index, row_index in enumerate(active):
                row = rows[row_index]
                token = row.forced.pop(0) if row.forced else choose_next(
                    logits[batch_index], torch.tensor(row.tokens, dtype=torch.long, device=self.device),
                    row.request.options, row.generator,
                )
                self._accept(row, token)
                next_tokens.append(token)
                if token_callback is not None:
                    token_callback(row.request.name, len(row.tokens), self.token_limit(row.request))
            if should_cancel is not None and should_cancel():
                raise GenerationCancelled()
            keep = [i for i, row_index in enumerate(active) if not rows[row_index].finish_reason]
            finished.extend(rows[row_index] for row_index in active if rows[row_index].finish_reason)
            if not keep:
                break
            if len(keep) < len(active):
                index = torch.tensor(keep, device=self.device)
                cache.batch_select_indices(index)
                mask = mask[index]
            active = [active[i] for i in keep]
            tokens = torch.tensor([[next_tokens[i]] for i in keep], device=self.device)
            positions = torch.tensor([[rows[i].next_position] for i in active], device=self.device)
            mask = torch.cat([mask, mask.new_ones((len(active), 1))], dim=1)
            for row_index in active:
                rows[row_index].next_position += 1
            hidden = self.model.language_model(
                input_ids=tokens, attention_mask=mask, position_ids=positions, use_cache=True, **cache_kwargs(cache)
            ).last_hidden_state
            logits = self.model.lm_head(hidden[:, -1]).float()
        self._sync()
        self.stats.decode_seconds += time.perf_counter() - started
        self.stats.generated_tokens += sum(len(r.tokens) for r in rows)
        return [self._output(row) for row in rows]

    def _accept(self, row: _Row, token: int) -> None:
        """Record one token; the answer budget (max_new_tokens) counts only tokens outside <think>, which has
        its own budget: when that runs out the model is handed the closing sentence Qwen3 recommends."""
        options = row.request.options
        if token in self.end_ids:
            row.finish_reason = "stop"
            return
        row.tokens.append(token)
        if token == self.think_open_id:
            row.in_think = True
        elif token == self.think_close_id:
            row.in_think = False
        elif row.in_think:
            row.think_tokens += 1
            if (row.think_tokens >= self.thinking_budget(row.request) and not row.budget_forced
                    and self.think_close_id is not None):
                row.forced = self.processor.encode_text(THINK_FORCE_TEXT)
                row.budget_forced = True
        else:
            row.answer_tokens += 1
        if row.answer_tokens >= options.max_new_tokens or len(row.tokens) >= self.token_limit(row.request):
            row.finish_reason = "length"
        elif len(row.tokens) % 8 == 0 and self.loop_guard.is_looping(row.tokens):
            row.finish_reason = "loop"

    def _output(self, row: _Row) -> TaskOutput:
        raw = self.processor.decode(row.tokens, skip_special_tokens=True)
        if self.thinking and THINK_OPEN not in raw and THINK_CLOSE in raw:
            raw = THINK_OPEN + raw  # the prompt opened the think block for the model
        split = split_thinking(raw)
        return TaskOutput(row.request.name, split.answer, split.reasoning, raw, list(row.tokens),
                          row.finish_reason or "length", row.suffix_len)

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
