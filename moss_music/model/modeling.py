"""MOSS-Music as a transformers model: encoder + adapter + DeepStack + Qwen3 decoder + untied LM head.

Module names match the safetensors keys of the released checkpoints, so the
weights load by name. The decoder is transformers' own ``Qwen3Model``; DeepStack
is added through forward hooks on its first decoder layers instead of a copied
decoder loop, so masking, caching and attention kernels stay transformers'.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import GenerationMixin, PreTrainedModel, Qwen3Model
from transformers.modeling_outputs import CausalLMOutputWithPast

from moss_music.model.adapter import GatedMLP
from moss_music.model.checkpoint import KNOWN_EXTRA_TENSORS, inspect_checkpoint
from moss_music.model.compat import cache_kwargs, output_cache
from moss_music.model.config import MossMusicConfig
from moss_music.model.device import default_attention
from moss_music.model.encoder import MossAudioEncoder
from moss_music.model.prepare import build_config, check_weights

AUDIO_INPUTS = ("audio_data", "audio_data_seqlens", "audio_input_mask")
"""Inputs that only the prefill (the forward pass holding the audio) may see."""


class MossMusicPreTrainedModel(PreTrainedModel):
    config_class = MossMusicConfig
    config: MossMusicConfig
    base_model_prefix = ""
    main_input_name = "input_ids"
    _no_split_modules = ["Qwen3DecoderLayer", "EncoderLayer"]
    _supports_sdpa = True
    _supports_flash_attn = True
    _supports_flex_attn = False
    _supports_attention_backend = True
    _skip_keys_device_placement = ["cache", "past_key_values"]
    _keys_to_ignore_on_load_unexpected = [name.replace(".", r"\.") for name in KNOWN_EXTRA_TENSORS]
    """The release stores the encoder's sinusoid timescales; we compute them (checked in prepare.py)."""


class MossMusicForConditionalGeneration(MossMusicPreTrainedModel, GenerationMixin):
    """``model(**processor(...)).logits`` and ``model.generate(**processor(...))`` like any transformers model."""

    def __init__(self, config: MossMusicConfig) -> None:
        super().__init__(config)
        audio, language = config.audio_config, config.language_config
        taps = list(audio.deepstack_encoder_layer_indexes or [])
        if any(not 0 <= index < audio.encoder_layers for index in taps):
            raise ValueError(f"deepstack_encoder_layer_indexes {taps} outside 0..{audio.encoder_layers - 1}")
        if config.num_deepstack_features > language.num_hidden_layers:
            raise ValueError("more DeepStack features than decoder layers to inject them into")
        self.audio_encoder = MossAudioEncoder(audio)
        self.audio_adapter = GatedMLP(audio.output_dim, config.adapter_hidden_size, language.hidden_size)
        self.deepstack_audio_merger_list = nn.ModuleList(
            GatedMLP(audio.output_dim, config.adapter_hidden_size, language.hidden_size)
            for _ in range(config.num_deepstack_features)
        )
        self.language_model = Qwen3Model(language)
        self.lm_head = nn.Linear(language.hidden_size, language.vocab_size, bias=False)
        self._injection: tuple[torch.Tensor, list[torch.Tensor]] | None = None
        for index in range(config.num_deepstack_features):
            self.language_model.layers[index].register_forward_hook(self._make_injection_hook(index))
        self.post_init()

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike[str], *model_args: Any,
                        config: MossMusicConfig | None = None, **kwargs: Any):
        """Load a LOCAL folder: safetensors only, names checked first, no code from the folder ever runs."""
        folder = Path(pretrained_model_name_or_path).expanduser()
        info = inspect_checkpoint(folder)
        config = config if config is not None else build_config(info)
        check_weights(cls, config, info)
        for refused in ("trust_remote_code", "use_safetensors", "local_files_only", "weights_only"):
            kwargs.pop(refused, None)
        if "attn_implementation" not in kwargs:
            dtype = kwargs.get("dtype")
            kwargs["attn_implementation"] = default_attention(
                dtype if isinstance(dtype, torch.dtype) else torch.float32, _single_device(kwargs.get("device_map"))
            )
        return super().from_pretrained(
            folder, *model_args, config=config, use_safetensors=True, local_files_only=True,
            trust_remote_code=False, **kwargs,
        )

    # ----------------------------------------------------------------- transformers plumbing
    def get_input_embeddings(self) -> nn.Module:
        return self.language_model.embed_tokens

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.language_model.embed_tokens = value

    def get_output_embeddings(self) -> nn.Module:
        return self.lm_head

    def prepare_inputs_for_generation(self, *args: Any, is_first_iteration: bool | None = False, **kwargs: Any):
        # Audio enters once: decode steps reuse the cache and must not re-encode or re-inject it.
        if not is_first_iteration and kwargs.get("use_cache", True):
            for name in AUDIO_INPUTS:
                kwargs.pop(name, None)
        return super().prepare_inputs_for_generation(*args, is_first_iteration=is_first_iteration, **kwargs)

    # ----------------------------------------------------------------- audio
    def encode_audio(self, audio_data: torch.Tensor, audio_data_seqlens: torch.Tensor | None = None,
                     chunk_batch: int | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Log-mel -> ([audio tokens, hidden] decoder inputs, DeepStack features per injected layer).

        ``chunk_batch``: 4-second chunks encoded per batch (None: the config's conv_chunksize); fewer use
        less memory and give the same features."""
        encoded = self.audio_encoder(
            audio_data, audio_data_seqlens, num_deepstack=self.config.num_deepstack_features, chunk_batch=chunk_batch
        )
        embeds = self.audio_adapter(encoded.features)
        deepstack = [merger(feat) for merger, feat in zip(self.deepstack_audio_merger_list, encoded.deepstack)]
        return embeds, deepstack

    def embed_inputs(self, input_ids: torch.Tensor, audio_embeds: torch.Tensor | None = None,
                     audio_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Token embeddings with the audio placeholder positions replaced by ``audio_embeds`` (in order)."""
        embeds = self.get_input_embeddings()(input_ids)
        if audio_embeds is None:
            return embeds
        _check_audio_count(audio_mask, audio_embeds)
        embeds = embeds.clone()
        embeds[audio_mask.to(embeds.device)] = audio_embeds.to(embeds.device, embeds.dtype)
        return embeds

    @contextmanager
    def deepstack_injection(self, audio_mask: torch.Tensor | None,
                            features: list[torch.Tensor] | None) -> Iterator[None]:
        """While active, the hooks add feature k at the audio positions after decoder layer k."""
        if audio_mask is None or not features:
            yield
            return
        self._injection = (audio_mask, features)
        try:
            yield
        finally:
            self._injection = None

    def _make_injection_hook(self, index: int):
        def hook(_module: nn.Module, _args: Any, output: Any) -> Any:
            if self._injection is None:
                return output
            mask, features = self._injection
            hidden = output[0] if isinstance(output, tuple) else output
            if mask.shape != hidden.shape[:2]:
                return output  # a decode step: no audio positions in this pass
            hidden = hidden.clone()
            positions = mask.to(hidden.device)
            hidden[positions] = hidden[positions] + features[index].to(hidden.device, hidden.dtype)
            return (hidden, *output[1:]) if isinstance(output, tuple) else hidden

        return hook

    # ----------------------------------------------------------------- forward
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Any = None,
        inputs_embeds: torch.Tensor | None = None,
        audio_data: torch.Tensor | None = None,
        audio_data_seqlens: torch.Tensor | None = None,
        audio_input_mask: torch.Tensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        labels: torch.LongTensor | None = None,
        past_key_values: Any = None,
        **kwargs: Any,
    ) -> CausalLMOutputWithPast:
        cache = cache if cache is not None else past_key_values
        deepstack: list[torch.Tensor] | None = None
        if audio_data is not None:
            if input_ids is None:
                raise ValueError("audio_data needs input_ids holding the audio placeholder tokens")
            if audio_input_mask is None:
                audio_input_mask = input_ids == self.config.audio_token_id
            audio_embeds, deepstack = self.encode_audio(audio_data, audio_data_seqlens)
            inputs_embeds = self.embed_inputs(input_ids, audio_embeds, audio_input_mask)
        elif inputs_embeds is None:
            inputs_embeds = self.embed_inputs(input_ids)

        with self.deepstack_injection(audio_input_mask, deepstack):
            outputs = self.language_model(
                inputs_embeds=inputs_embeds,
                attention_mask=attention_mask,
                position_ids=position_ids,
                use_cache=use_cache,
                **cache_kwargs(cache),
                **kwargs,
            )
        logits = self.lm_head(_keep_last(outputs.last_hidden_state, logits_to_keep))
        loss = None
        if labels is not None:
            loss = self.loss_function(logits=logits, labels=labels, vocab_size=self.config.language_config.vocab_size)
        return CausalLMOutputWithPast(loss=loss, logits=logits, **cache_kwargs(output_cache(outputs)))


def _keep_last(hidden: torch.Tensor, logits_to_keep: int | torch.Tensor) -> torch.Tensor:
    """Hidden states whose logits are needed: all (0), the last N (int), or the given positions (tensor)."""
    if isinstance(logits_to_keep, int):
        return hidden[:, -logits_to_keep:, :] if logits_to_keep else hidden
    return hidden[:, logits_to_keep, :]


def _single_device(device_map: Any) -> str:
    """The one device a device_map names ({'': 'cuda:0'}, 'cuda', torch.device), else 'cpu'."""
    if isinstance(device_map, dict):
        devices = {str(v) for v in device_map.values()}
        device_map = devices.pop() if len(devices) == 1 else "cpu"
    if isinstance(device_map, int):
        return f"cuda:{device_map}"
    return str(device_map) if device_map is not None else "cpu"


def _check_audio_count(audio_mask: torch.Tensor | None, audio_embeds: torch.Tensor) -> None:
    positions = int(audio_mask.sum()) if audio_mask is not None else 0
    if positions != audio_embeds.shape[0]:
        raise ValueError(
            f"the prompt holds {positions} audio placeholder tokens but the audio gives {audio_embeds.shape[0]} "
            "features; build inputs with MossMusicProcessor so the two agree"
        )
