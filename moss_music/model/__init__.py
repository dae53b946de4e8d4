"""MOSS-Music / MOSS-Audio in our own code: config, audio front end, encoder, adapter, DeepStack, the model,
processor, checkpoint checks and loader, and the shared-prefix generation engine.

Names are imported lazily so ``import moss_music.model`` does not pull in torch and transformers.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "MossMusicConfig": "moss_music.model.config",
    "MossAudioEncoderConfig": "moss_music.model.config",
    "MossMusicForConditionalGeneration": "moss_music.model.modeling",
    "MossMusicProcessor": "moss_music.model.processor",
    "CheckpointError": "moss_music.model.checkpoint",
    "inspect_checkpoint": "moss_music.model.checkpoint",
    "get_resident": "moss_music.model.loader",
    "load": "moss_music.model.loader",
    "SharedPrefixEngine": "moss_music.model.engine",
    "SamplingOptions": "moss_music.model.options",
    "TaskRequest": "moss_music.model.options",
    "TaskOutput": "moss_music.model.options",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'moss_music.model' has no attribute {name!r}")
