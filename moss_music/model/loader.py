"""Loading a checkpoint folder: checks, dtype/device/quantization choices, and the per-process resident cache.

A model is loaded once per process and stays resident: analyzers, the CLI and
the worker ask ``get_resident()`` and share one copy per (folder, dtype,
device, quantization).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from moss_music.model.checkpoint import (
    CheckpointError,
    CheckpointInfo,
    compare_weight_names,
    inspect_checkpoint,
)
from moss_music.model.config import MossMusicConfig
from moss_music.model.processor import MossMusicProcessor, ProcessorSettings

log = logging.getLogger(__name__)

DTYPES = {"bfloat16": torch.bfloat16, "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16,
          "half": torch.float16, "float32": torch.float32, "fp32": torch.float32}
QUANTIZATIONS = (None, "8bit", "4bit")


def build_config(info: CheckpointInfo) -> MossMusicConfig:
    """config.json + what processor_config.json and the weight names tell us."""
    data = {k: v for k, v in info.config.items() if k not in ("architectures", "auto_map", "transformers_version")}
    try:
        config = MossMusicConfig(**data)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{info.folder}/config.json: {error}") from error
    config.audio_token_id = ProcessorSettings.from_folder(info.folder).audio_token_id
    config.audio_config.has_out_proj = "audio_encoder.out_proj.weight" in info.weight_names
    config._name_or_path = str(info.folder)
    return config


def check_weights(model_class: type, config: MossMusicConfig, info: CheckpointInfo) -> None:
    with torch.device("meta"):
        skeleton = model_class(config)
    compare_weight_names(set(skeleton.state_dict()), set(info.weight_names), info.folder)


def resolve_device(device: str | None) -> str:
    if device in (None, "", "auto"):
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} asked for, but this PyTorch sees no CUDA GPU")
    return device


def resolve_dtype(dtype: str | torch.dtype | None, device: str) -> torch.dtype:
    """bf16 on GPUs that have it, fp16 on other accelerators, fp32 on the CPU, unless asked otherwise."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype not in (None, "", "auto"):
        try:
            return DTYPES[str(dtype).lower()]
        except KeyError:
            raise ValueError(f"unknown dtype {dtype!r}; use bfloat16, float16 or float32") from None
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def default_attention(dtype: torch.dtype, device: str) -> str:
    """FlashAttention-2 where it is installed and usable, SDPA everywhere else."""
    if device.startswith("cuda") and dtype in (torch.float16, torch.bfloat16) \
            and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"


def quantization_config(quantization: str | None, dtype: torch.dtype, device: str) -> Any:
    if quantization in (None, "", "none"):
        return None
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"unknown quantization {quantization!r}; use 8bit or 4bit")
    if importlib.util.find_spec("bitsandbytes") is None:
        raise RuntimeError(f"{quantization} quantization needs bitsandbytes: pip install 'bitsandbytes>=0.43'")
    if not device.startswith("cuda"):
        raise RuntimeError(f"{quantization} quantization runs on CUDA GPUs only (device is {device})")
    from transformers import BitsAndBytesConfig

    # The audio side is small and sensitive; only the decoder's linear layers are quantized.
    keep = ["audio_encoder", "audio_adapter", "deepstack_audio_merger_list", "lm_head"]
    if quantization == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True, llm_int8_skip_modules=keep)
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype,
                              llm_int8_skip_modules=keep)


def device_map_for(device: str, device_map: Any) -> Any:
    if device_map == "auto" and importlib.util.find_spec("accelerate") is None:
        raise RuntimeError("device_map='auto' needs accelerate: pip install accelerate")
    if device_map is not None:
        return device_map
    return None if device == "cpu" else {"": device}


@dataclass
class LoadedModel:
    model: Any
    processor: MossMusicProcessor
    info: CheckpointInfo
    device: str
    dtype: torch.dtype
    quantization: str | None

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
         quantization: str | None = None, device_map: Any = None) -> LoadedModel:
    from moss_music.model.modeling import MossMusicForConditionalGeneration

    folder = Path(folder).expanduser().resolve()
    resolved_device = resolve_device(device)
    resolved_dtype = resolve_dtype(dtype, resolved_device)
    model = MossMusicForConditionalGeneration.from_pretrained(
        folder, dtype=resolved_dtype, device_map=device_map_for(resolved_device, device_map),
        quantization_config=quantization_config(quantization, resolved_dtype, resolved_device),
    )
    model.eval()
    processor = MossMusicProcessor.from_pretrained(folder)
    return LoadedModel(model, processor, inspect_checkpoint(folder), resolved_device, resolved_dtype, quantization)


_RESIDENT: dict[tuple[str, str, str, str], LoadedModel] = {}
_RESIDENT_LOCK = threading.Lock()


def get_resident(folder: str | os.PathLike[str], *, device: str | None = None, dtype: str | torch.dtype | None = None,
                 quantization: str | None = None) -> LoadedModel:
    """The loaded model for these settings, loading it on first use only."""
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
        _RESIDENT.clear()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
