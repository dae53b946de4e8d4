"""Loading a checkpoint folder: checks, dtype/device/quantization choices, and the per-process resident cache.

A model is loaded once per process and stays resident: analyzers, the CLI and
the worker ask ``get_resident()`` and share one copy per (folder, dtype,
device, quantization).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from moss_music.model.checkpoint import CheckpointInfo, inspect_checkpoint
from moss_music.model.device import (
    default_attention,
    free_accelerator_memory,
    has_module,
    quantization_config,
    resolve_device,
    resolve_dtype,
)
from moss_music.model.modeling import MossMusicForConditionalGeneration
from moss_music.model.processor import MossMusicProcessor

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    model: Any
    processor: MossMusicProcessor
    info: CheckpointInfo
    device: str
    dtype: torch.dtype
    quantization: str | None
    attention: str = "sdpa"
    """The attention kernel the decoder runs ('flash_attention_2' or 'sdpa')."""

    @property
    def model_id(self) -> str:
        return self.info.name

    @property
    def revision(self) -> str:
        return self.info.revision

    @property
    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def load(folder: str | os.PathLike[str], *, device: str | None = None, dtype: str | torch.dtype | None = None,
         quantization: str | None = None) -> LoadedModel:
    """Check the folder, then load it onto one device.

    transformers places weights on an accelerator while reading them only through ``device_map``, which
    needs ``accelerate``: with it installed the weights go straight to the device; without it they load on
    the CPU and move with ``.to(device)`` (RAM holds them once). bitsandbytes quantizes while loading and so
    always needs ``device_map`` (and accelerate, checked with a clear message)."""
    folder = Path(folder).expanduser().resolve()
    quantization = normalize_quantization(quantization)
    resolved_device = resolve_device(device)
    resolved_dtype = resolve_dtype(dtype, resolved_device)
    quant = quantization_config(quantization, resolved_dtype, resolved_device)
    processor = MossMusicProcessor.from_pretrained(folder)  # tokenizer problems show before any weight is read
    attention = default_attention(resolved_dtype, resolved_device)
    kwargs: dict[str, Any] = {"dtype": resolved_dtype, "attn_implementation": attention}
    direct = quant is not None or (resolved_device != "cpu" and has_module("accelerate"))
    if quant is not None:
        kwargs["quantization_config"] = quant
    if direct:
        kwargs["device_map"] = {"": resolved_device}
    model = MossMusicForConditionalGeneration.from_pretrained(folder, **kwargs)
    if not direct and resolved_device != "cpu":
        model = model.to(resolved_device)
    model.eval()
    return LoadedModel(model, processor, inspect_checkpoint(folder), resolved_device, resolved_dtype,
                       quantization, attention)


def normalize_quantization(quantization: str | None) -> str | None:
    """None for no quantization however it is spelled (settings say "none", the CLI gives None)."""
    return None if quantization in (None, "", "none") else quantization


_RESIDENT: dict[tuple[str, str, str, str], LoadedModel] = {}
_RESIDENT_LOCK = threading.Lock()


def get_resident(folder: str | os.PathLike[str], *, device: str | None = None, dtype: str | torch.dtype | None = None,
                 quantization: str | None = None) -> LoadedModel:
    """The loaded model for these settings, loading it on first use only."""
    quantization = normalize_quantization(quantization)
    resolved_device = resolve_device(device)
    resolved_dtype = resolve_dtype(dtype, resolved_device)
    key = (str(Path(folder).expanduser().resolve()), str(resolved_dtype), resolved_device, str(quantization))
    with _RESIDENT_LOCK:
        loaded = _RESIDENT.get(key)
        if loaded is None:
            log.info("loading %s (%s, %s, quantization=%s)", key[0], resolved_dtype, resolved_device, quantization)
            loaded = load(folder, device=resolved_device, dtype=resolved_dtype, quantization=quantization)
            _RESIDENT[key] = loaded
        return loaded


def release_resident() -> None:
    """Drop every resident model (tests, or a settings change that picks another model)."""
    with _RESIDENT_LOCK:
        devices = {loaded.device for loaded in _RESIDENT.values()}
        _RESIDENT.clear()
    for device in devices:
        free_accelerator_memory(device)
