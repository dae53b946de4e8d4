"""From a checked folder to what loading needs: the config, and proof that the weights fit it.

Both the model class (``from_pretrained``) and the loader call these, so they
live here rather than in either (the two used to import each other).
"""

from __future__ import annotations

import math

import torch
from safetensors import safe_open

from moss_music.model.checkpoint import (
    KNOWN_EXTRA_TENSORS,
    CheckpointError,
    CheckpointInfo,
    compare_weight_names,
)
from moss_music.model.config import MossMusicConfig
from moss_music.model.processor import ProcessorSettings

IGNORED_CONFIG_KEYS = ("architectures", "auto_map", "transformers_version")
"""Read by other tools; for us they name remote code or versions we never use."""


def build_config(info: CheckpointInfo) -> MossMusicConfig:
    """config.json + what the processor config and the weight names tell us."""
    data = {k: v for k, v in info.config.items() if k not in IGNORED_CONFIG_KEYS}
    try:
        config = MossMusicConfig(**data)
    except (TypeError, ValueError, AttributeError) as error:
        raise CheckpointError(f"{info.folder}/config.json: {error}") from error
    config.audio_token_id = ProcessorSettings.from_folder(info.folder).audio_token_id
    config.audio_config.has_out_proj = "audio_encoder.out_proj.weight" in info.weight_names
    config._name_or_path = str(info.folder)
    return config


def check_weights(model_class: type, config: MossMusicConfig, info: CheckpointInfo) -> None:
    """Every weight the architecture needs is stored and nothing else is, except known buffers (checked)."""
    with torch.device("meta"):
        skeleton = model_class(config)
    compare_weight_names(set(skeleton.state_dict()), set(info.weight_names), info.folder)
    check_extra_tensors(info, config)


def check_extra_tensors(info: CheckpointInfo, config: MossMusicConfig) -> None:
    """The release stores the encoder's sinusoid timescales; we compute them, so they must agree."""
    name = KNOWN_EXTRA_TENSORS[0]
    if name not in info.weight_names:
        return
    half = config.audio_config.d_model // 2
    expected = torch.exp(-math.log(10000.0) / (half - 1) * torch.arange(half, dtype=torch.float32))
    for path in info.weight_files:
        with safe_open(str(path), framework="pt") as handle:
            if name not in handle.keys():
                continue
            stored = handle.get_tensor(name).float()
        if stored.shape != expected.shape or not torch.allclose(stored, expected, rtol=1e-2, atol=1e-6):
            raise CheckpointError(
                f"{path}: {name} holds other values than the sinusoid timescales this architecture computes "
                f"(shape {tuple(stored.shape)}, expected {tuple(expected.shape)}); the checkpoint is not one we know"
            )
        return
