"""Where and how a model runs: device, precision, attention kernel and quantization, chosen once.

Kept apart from the loader and the model class so both can ask the same
questions without importing each other.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import torch

DTYPES = {"bfloat16": torch.bfloat16, "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16,
          "half": torch.float16, "float32": torch.float32, "fp32": torch.float32}
QUANTIZATIONS = (None, "8bit", "4bit")
QUANTIZED_KEEP = ["audio_encoder", "audio_adapter", "deepstack_audio_merger_list", "lm_head"]
"""The audio side is small and sensitive, the head decides every token: only decoder linears are quantized."""


def has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def resolve_device(device: str | None) -> str:
    if device in (None, "", "auto"):
        if torch.cuda.is_available():
            return "cuda"
        if mps_available():
            return "mps"
        return "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} asked for, but this PyTorch sees no CUDA GPU")
    if device == "mps" and not mps_available():
        raise RuntimeError("device 'mps' asked for, but this PyTorch sees no Apple GPU")
    return device


def mps_available() -> bool:
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def resolve_dtype(dtype: str | torch.dtype | None, device: str) -> torch.dtype:
    """bf16 wherever the device runs it (the model was trained and is served in bf16), fp16 only where bf16
    is missing (the encoder then clamps like the reference), fp32 on the CPU, unless asked otherwise."""
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
        return torch.bfloat16 if _mps_runs_bf16() else torch.float16
    return torch.float32


def _mps_runs_bf16() -> bool:
    """macOS 14+ runs bf16 on the GPU; older systems raise on the first bf16 op."""
    try:
        (torch.ones(2, device="mps", dtype=torch.bfloat16) * 2).cpu()
    except (RuntimeError, TypeError):
        return False
    return True


def flash_attention_usable(dtype: torch.dtype, device: str) -> bool:
    """FlashAttention-2 needs the package, a CUDA device of compute capability 8.0+ and fp16/bf16."""
    if not str(device).startswith("cuda") or dtype not in (torch.float16, torch.bfloat16):
        return False
    if not has_module("flash_attn") or not torch.cuda.is_available():
        return False
    index = torch.device(device).index or 0
    major, _ = torch.cuda.get_device_capability(index)
    return major >= 8


def default_attention(dtype: torch.dtype, device: str) -> str:
    """FlashAttention-2 where it is installed and usable, SDPA everywhere else."""
    return "flash_attention_2" if flash_attention_usable(dtype, device) else "sdpa"


def quantization_config(quantization: str | None, dtype: torch.dtype, device: str) -> Any:
    """A BitsAndBytesConfig, after checking what bitsandbytes loading needs (it also needs accelerate)."""
    if quantization in (None, "", "none"):
        return None
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"unknown quantization {quantization!r}; use 8bit or 4bit")
    if not device.startswith("cuda"):
        raise RuntimeError(f"{quantization} quantization runs on CUDA GPUs only (device is {device})")
    missing = [name for name in ("bitsandbytes", "accelerate") if not has_module(name)]
    if missing:
        raise RuntimeError(f"{quantization} quantization needs {' and '.join(missing)}: "
                           "pip install 'bitsandbytes>=0.43' 'accelerate>=1.0' (or pip install -e '.[quant]')")
    from transformers import BitsAndBytesConfig

    if quantization == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True, llm_int8_skip_modules=QUANTIZED_KEEP)
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype,
                              llm_int8_skip_modules=QUANTIZED_KEEP)


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA raises torch.OutOfMemoryError; MPS and some CUDA paths raise RuntimeError with the words."""
    if isinstance(error, torch.OutOfMemoryError):
        return True
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


def free_accelerator_memory(device: str) -> None:
    if str(device).startswith("cuda") and torch.cuda.is_available():
        torch.cuda.empty_cache()
    elif device == "mps" and mps_available():
        torch.mps.empty_cache()
