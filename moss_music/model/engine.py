"""The shared-prefix engine: encode a track once, prefill its prefix once, run every task from that cache.

Every task prompt for a track starts with the same tokens (system turn, user
turn header, the audio span); only the question after the audio differs. So
the audio is encoded and the prefix prefilled once, the prefix cache is copied
into one batch row per task, the task suffixes are prefilled together (right
padded, masked, with explicit positions), and the tasks decode as one batch.
Finished rows leave the batch; a batch that does not fit in GPU memory is
split in halves and retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from transformers import DynamicCache

from moss_music.model.features import audio_token_count
from moss_music.model.generation import LoopGuard, choose_next, task_generator
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


@dataclass
class _Row:
    request: TaskRequest
    suffix_len: int
    next_position: int
    generator: torch.Generator
    in_think: bool
    tokens: list[int] = field(default_factory=list)
    think_tokens: int = 0
    forced: list[int] = field(default_factory=list)
    finish_reason: str = ""


class SharedPrefixEngine:
    def __init__(self, model, processor: MossMusicProcessor, *, max_batch: int = 8, seed: int = 0,
                 thinking: bool = False, loop_guard: LoopGuard | None = None,
                 system_prompt: str = DEFAULT_SYSTEM_PROMPT) -> None:
        self.model = model
        self.processor = processor
        self.max_batch = max(1, max_batch)
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
    @torch.inference_mode()
    def build_prefix(self, waveform: np.ndarray) -> Prefix:
        """Encode the audio and prefill system + user header + audio span into a batch-1 cache."""
        started = time.perf_counter()
        mel = self.processor.mel(waveform)
        count = audio_token_count(mel.shape[-1])
        settings = self.processor.settings
        ids = self.processor.encode_text(self.prompt_parts("")[0])
        ids += [settings.audio_start_id, *self.processor.audio_placeholder_ids(count), settings.audio_end_id]
        input_ids = torch.tensor([ids], device=self.device)
        mel_tensor = torch.from_numpy(mel)[None].to(self.device)
        audio_embeds, deepstack = self.model.encode_audio(mel_tensor, [mel.shape[-1]])
        self._sync()
        encoded = time.perf_counter()
        mask = input_ids == settings.audio_token_id
        embeds = self.model.embed_inputs(input_ids, audio_embeds, mask)
        cache = DynamicCache(config=self.model.config.language_config)
        with self.model.deepstack_injection(mask, deepstack):
            self.model.language_model(inputs_embeds=embeds, cache=cache, use_cache=True)
        self._sync()
        self.stats.audio_tokens += count
        self.stats.prefix_tokens += len(ids)
        self.stats.encode_seconds += encoded - started
        self.stats.prefill_seconds += time.perf_counter() - encoded
        return Prefix(cache, len(ids), ids)

    def _expand_cache(self, prefix: Prefix, rows: int) -> DynamicCache:
        cache = DynamicCache(config=self.model.config.language_config)
        for index, layer in enumerate(prefix.cache.layers):
            cache.update(layer.keys.repeat(rows, 1, 1, 1), layer.values.repeat(rows, 1, 1, 1), index)
        return cache

    def _prefill_suffixes(self, prefix: Prefix, suffixes: Sequence[list[int]]):
        """Right-padded suffixes after a copy of the prefix: (hidden [K, L, H], cache, 2-D mask)."""
        rows, longest = len(suffixes), max(len(s) for s in suffixes)
        ids = torch.full((rows, longest), self.pad_id, dtype=torch.long, device=self.device)
        mask = torch.zeros((rows, prefix.length + longest), dtype=torch.long, device=self.device)
        mask[:, : prefix.length] = 1
        for row, suffix in enumerate(suffixes):
            ids[row, : len(suffix)] = torch.tensor(suffix, device=self.device)
            mask[row, prefix.length : prefix.length + len(suffix)] = 1
        positions = (prefix.length + torch.arange(longest, device=self.device)).expand(rows, longest)
        cache = self._expand_cache(prefix, rows)
        hidden = self.model.language_model(
            input_ids=ids, attention_mask=mask, position_ids=positions, cache=cache, use_cache=True
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
        pending = [list(requests[i : i + self.max_batch]) for i in range(0, len(requests), self.max_batch)]
        while pending:
            group = pending.pop(0)
            try:
                outputs.extend(self._run_group(prefix, group, token_callback, should_cancel))
            except torch.OutOfMemoryError:
                if len(group) == 1:
                    raise
                torch.cuda.empty_cache()
                half = len(group) // 2
                pending[:0] = [group[:half], group[half:]]
        order = {r.name: i for i, r in enumerate(requests)}
        return sorted(outputs, key=lambda o: order[o.name])

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
                    token_callback(row.request.name, len(row.tokens), row.request.options.max_new_tokens)
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
                input_ids=tokens, attention_mask=mask, position_ids=positions, cache=cache, use_cache=True
            ).last_hidden_state
            logits = self.model.lm_head(hidden[:, -1]).float()
        self._sync()
        self.stats.decode_seconds += time.perf_counter() - started
        self.stats.generated_tokens += sum(len(r.tokens) for r in rows)
        return [self._output(row) for row in rows]

    def _accept(self, row: _Row, token: int) -> None:
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
            budget = options.thinking_budget
            if budget is not None and row.think_tokens >= budget and not row.forced and self.think_close_id is not None:
                row.forced = self.processor.encode_text(f"\n{THINK_CLOSE}\n\n")
        if len(row.tokens) >= options.max_new_tokens:
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
