"""What the model folder picker shows about a checkpoint: variant, size, precision — weights untouched.

The checks themselves are ``moss_music.model.checkpoint.inspect_checkpoint``
(config.json, safetensors index and headers only); this turns its answer into
three short facts a person can compare with the model card.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

BYTES_PER_DTYPE = {"F32": 4, "BF16": 2, "F16": 2, "F8_E4M3": 1, "F8_E5M2": 1, "I8": 1, "U8": 1, "I32": 4,
                   "I64": 8}
SIZE_BY_HIDDEN = {4096: "8B", 2560: "4B"}
"""Decoder width -> the size the model card uses (MOSS-Music 8B, MOSS-Audio 4B/8B)."""


@dataclass(frozen=True)
class CheckpointSummary:
    folder: str
    ok: bool
    message: str
    """Why the folder cannot be used, or the one-line summary when it can."""
    family: str = ""
    variant: str = ""
    size: str = ""
    precision: str = ""
    disk_gb: float = 0.0


def summarize_checkpoint(folder: str | os.PathLike[str]) -> CheckpointSummary:
    """Validate ``folder`` (slow-ish: imports the model package; call off the UI thread)."""
    from moss_music.model.checkpoint import CheckpointError, inspect_checkpoint

    try:
        info = inspect_checkpoint(folder)
    except CheckpointError as error:
        return CheckpointSummary(str(folder), False, str(error))
    except OSError as error:
        return CheckpointSummary(str(folder), False, f"{folder}: {error.strerror or error}")
    config = info.config
    family = "MOSS-Audio" if info.model_type == "moss_audio" else "MOSS-Music"
    variant = info.variant.capitalize()
    language = config.get("language_config") or {}
    hidden = language.get("hidden_size") if isinstance(language, dict) else None
    stored_bytes = sum(BYTES_PER_DTYPE.get(dtype, 2) * count for dtype, count in info.stored_dtypes.items())
    mean_width = stored_bytes / max(1, sum(info.stored_dtypes.values()))
    parameters = info.total_bytes / mean_width if mean_width else 0
    size = SIZE_BY_HIDDEN.get(hidden) or (f"{parameters / 1e9:.1f}B" if parameters >= 1e8 else
                                          f"{parameters / 1e6:.1f}M")
    precision = _precision(config, info.stored_dtypes)
    disk_gb = info.total_bytes / 1e9
    message = f"{family}-{size}-{variant} · {precision} · {disk_gb:.1f} GB on disk"
    return CheckpointSummary(str(folder), True, message, family, variant, size, precision, disk_gb)


def _precision(config: dict, stored: dict[str, int]) -> str:
    quant = config.get("quantization_config") or {}
    if isinstance(quant, dict) and quant:
        if quant.get("load_in_4bit") or str(quant.get("bits")) == "4":
            return "4-bit quantized"
        if quant.get("load_in_8bit") or str(quant.get("bits")) == "8":
            return "8-bit quantized"
        return f"quantized ({quant.get('quant_method', 'unknown method')})"
    if stored:
        dominant = max(stored.items(), key=lambda item: item[1])[0]
        return dominant.lower()
    declared = config.get("torch_dtype") or config.get("dtype")
    return str(declared) if declared else "unknown"
