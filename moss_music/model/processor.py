"""``MossMusicProcessor``: text + 16 kHz audio -> input_ids, attention_mask, audio_data, audio_data_seqlens.

Other tools verify the model by comparing our input_ids token for token with the
reference inference, so the rules are exact: text pieces are tokenized
separately around each ``<|audio_bos|><|AUDIO|><|audio_eos|>`` span; the span
becomes audio_start, N audio ids (with the digits of every even second after
every 25 audio ids when time markers are on), audio_end. A plain question is
first wrapped in the reference's default ChatML prompt.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import BatchFeature

from moss_music.model.checkpoint import CheckpointError
from moss_music.model.features import TOKENS_PER_SECOND, MelSettings, audio_token_count, log_mel
from moss_music.model.tokenizer import load_tokenizer

AUDIO_TOKEN = "<|AUDIO|>"
AUDIO_BOS_TOKEN = "<|audio_bos|>"
AUDIO_EOS_TOKEN = "<|audio_eos|>"
AUDIO_PLACEHOLDER = f"{AUDIO_BOS_TOKEN}{AUDIO_TOKEN}{AUDIO_EOS_TOKEN}"
DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."
PROCESSOR_CONFIG_FILES = ("processor_config.json", "preprocessor_config.json")


@dataclass(frozen=True)
class ProcessorSettings:
    """What processor_config.json / preprocessor_config.json may set, with the documented defaults."""

    audio_token_id: int = 151654
    audio_start_id: int = 151669
    audio_end_id: int = 151670
    enable_time_marker: bool = True
    """The reference inference switches markers on, so that is what the model saw."""
    time_marker_every_seconds: int = 2
    mel: MelSettings = field(default_factory=MelSettings)

    @classmethod
    def from_folder(cls, folder: str | os.PathLike[str]) -> ProcessorSettings:
        data: dict[str, Any] = {}
        for name in reversed(PROCESSOR_CONFIG_FILES):  # processor_config.json wins when both exist
            path = Path(folder) / name
            if path.is_file():
                try:
                    loaded = json.loads(path.read_text(encoding="utf-8"))
                except (ValueError, UnicodeDecodeError) as error:
                    raise CheckpointError(f"{path}: not valid JSON ({error})") from error
                data.update(loaded.get("processor_config", loaded) if isinstance(loaded, dict) else {})
        try:
            return cls.from_dict(data)
        except (TypeError, ValueError) as error:
            raise CheckpointError(f"{folder}: a processor setting has the wrong type ({error})") from error

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProcessorSettings:
        defaults = cls()
        return cls(
            audio_token_id=int(data.get("audio_token_id", defaults.audio_token_id)),
            audio_start_id=int(data.get("audio_start_id", defaults.audio_start_id)),
            audio_end_id=int(data.get("audio_end_id", defaults.audio_end_id)),
            enable_time_marker=bool(data.get("enable_time_marker", defaults.enable_time_marker)),
            time_marker_every_seconds=int(data.get("time_marker_every_seconds", defaults.time_marker_every_seconds)),
            mel=MelSettings.from_dict(data.get("mel_config") or _whisper_mel_keys(data)),
        )


def _whisper_mel_keys(data: dict[str, Any]) -> dict[str, Any]:
    """A preprocessor_config.json in WhisperFeatureExtractor form names the same settings differently."""
    names = {"sampling_rate": "mel_sr", "feature_size": "mel_dim", "n_fft": "mel_n_fft", "hop_length": "mel_hop_length"}
    return {ours: data[theirs] for theirs, ours in names.items() if isinstance(data.get(theirs), int)}


def default_prompt(question: str, system: str = DEFAULT_SYSTEM_PROMPT) -> str:
    """The single-turn ChatML prompt the reference inference builds around one audio clip."""
    return (
        f"<|im_start|>system\n{system}<|im_end|>\n"
        f"<|im_start|>user\n{AUDIO_PLACEHOLDER}\n{question}<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


class MossMusicProcessor:
    model_input_names = ["input_ids", "attention_mask", "audio_data", "audio_data_seqlens"]

    def __init__(self, tokenizer: Any, settings: ProcessorSettings | None = None,
                 enable_time_marker: bool | None = None) -> None:
        self.tokenizer = tokenizer
        settings = settings or ProcessorSettings()
        if enable_time_marker is not None:
            settings = ProcessorSettings(**{**settings.__dict__, "enable_time_marker": bool(enable_time_marker)})
        self.settings = settings
        self.digit_token_ids = self._digit_ids(tokenizer)

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike[str], enable_time_marker: bool | None = None,
                        **_ignored: Any) -> MossMusicProcessor:
        return cls(load_tokenizer(folder), ProcessorSettings.from_folder(folder), enable_time_marker)

    # ----------------------------------------------------------------- ids
    @property
    def audio_token_id(self) -> int:
        return self.settings.audio_token_id

    @property
    def sample_rate(self) -> int:
        return self.settings.mel.sample_rate

    @staticmethod
    def _digit_ids(tokenizer: Any) -> dict[str, int]:
        ids = {}
        for digit in "0123456789":
            token_ids = tokenizer.encode(digit, add_special_tokens=False)
            if len(token_ids) != 1:
                raise ValueError(f"the tokenizer has no single token for the digit {digit!r}; time markers need one")
            ids[digit] = token_ids[0]
        return ids

    def audio_placeholder_ids(self, num_audio_tokens: int) -> list[int]:
        """N audio ids, with the digits of s after audio id number (s / every) * 25 for s = every, 2*every, ..."""
        audio = self.settings.audio_token_id
        if not self.settings.enable_time_marker:
            return [audio] * num_audio_tokens
        every = self.settings.time_marker_every_seconds
        tokens_per_marker = int(TOKENS_PER_SECOND * every)
        ids: list[int] = []
        consumed = 0
        for second in range(every, int(num_audio_tokens / TOKENS_PER_SECOND) + 1, every):
            position = (second // every) * tokens_per_marker
            ids.extend([audio] * (position - consumed))
            consumed = position
            ids.extend(self.digit_token_ids[d] for d in str(second))
        ids.extend([audio] * (num_audio_tokens - consumed))
        return ids

    def encode_text(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def encode_prompt(self, text: str, audio_token_counts: list[int]) -> list[int]:
        """Token ids of ``text`` with each placeholder span expanded for the matching audio item."""
        pieces = text.split(AUDIO_PLACEHOLDER)
        if len(pieces) - 1 != len(audio_token_counts):
            raise ValueError(
                f"the prompt holds {len(pieces) - 1} audio placeholder span(s) {AUDIO_PLACEHOLDER!r} "
                f"but {len(audio_token_counts)} audio item(s) were given"
            )
        ids = self.encode_text(pieces[0])
        for count, piece in zip(audio_token_counts, pieces[1:]):
            ids.append(self.settings.audio_start_id)
            ids.extend(self.audio_placeholder_ids(count))
            ids.append(self.settings.audio_end_id)
            ids.extend(self.encode_text(piece))
        return ids

    # ----------------------------------------------------------------- audio
    def mel(self, waveform: np.ndarray) -> np.ndarray:
        return log_mel(waveform, self.settings.mel)

    def __call__(self, text: str | list[str] | None = None, audio: Any = None, audios: Any = None,
                 return_tensors: str = "pt", **_ignored: Any) -> BatchFeature:
        if isinstance(text, (list, tuple)):
            if len(text) != 1:
                raise ValueError(f"one prompt at a time, got {len(text)}")
            text = text[0]
        text = text or ""
        clips = audios if audios is not None else audio
        if clips is None:
            clips = []
        elif isinstance(clips, (np.ndarray, torch.Tensor)) and np.ndim(clips) == 1:
            clips = [clips]
        clips = [c.detach().cpu().numpy() if isinstance(c, torch.Tensor) else np.asarray(c) for c in clips]
        if clips and AUDIO_PLACEHOLDER not in text:
            text = default_prompt(text)

        mels = [self.mel(clip) for clip in clips]
        lengths = [m.shape[-1] for m in mels]
        ids = self.encode_prompt(text, [audio_token_count(n) for n in lengths])
        data: dict[str, Any] = {"input_ids": [ids], "attention_mask": [[1] * len(ids)]}
        if mels:
            batch = np.zeros((len(mels), mels[0].shape[0], max(lengths)), dtype=np.float32)
            for row, mel in enumerate(mels):
                batch[row, :, : mel.shape[-1]] = mel
            data["audio_data"] = batch
            data["audio_data_seqlens"] = np.asarray(lengths, dtype=np.int64)
        return BatchFeature(data=data, tensor_type=return_tensors)

    # ----------------------------------------------------------------- text out
    def decode(self, *args: Any, **kwargs: Any) -> str:
        return self.tokenizer.decode(*args, **kwargs)

    def batch_decode(self, *args: Any, **kwargs: Any) -> list[str]:
        return self.tokenizer.batch_decode(*args, **kwargs)
