"""Load a checkpoint's tokenizer from its files only (tokenizer.json / vocab + merges), never remote code."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import transformers
from transformers import PreTrainedTokenizerFast


def load_tokenizer(folder: str | os.PathLike[str]) -> Any:
    """The tokenizer class tokenizer_config.json names, when transformers itself defines it; else tokenizer.json.

    We resolve the class ourselves instead of asking AutoTokenizer, which would read config.json's
    ``moss_music`` model type (unknown to transformers) and could be pointed at code in the folder.
    """
    folder = Path(folder)
    config_path = folder / "tokenizer_config.json"
    class_name = ""
    if config_path.is_file():
        class_name = str(json.loads(config_path.read_text(encoding="utf-8")).get("tokenizer_class") or "")
    tokenizer_class = getattr(transformers, class_name.removesuffix("Fast"), None) if class_name else None
    if tokenizer_class is not None and class_name.endswith(("Tokenizer", "TokenizerFast")):
        return tokenizer_class.from_pretrained(folder, local_files_only=True)
    tokenizer_file = folder / "tokenizer.json"
    if not tokenizer_file.is_file():
        raise FileNotFoundError(f"{folder}: no tokenizer.json and no tokenizer class transformers knows")
    return PreTrainedTokenizerFast(tokenizer_file=str(tokenizer_file))
