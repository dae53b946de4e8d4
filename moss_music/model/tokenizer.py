"""Load a checkpoint's tokenizer from its data files only: never a class or code the folder names.

Folders carry the Qwen tokenizer in three shapes: ``vocab.json`` + ``merges.txt``
+ ``added_tokens.json`` with ``tokenizer_class: Qwen2Tokenizer`` (the release),
``tokenizer.json`` with ``PreTrainedTokenizerFast``, or either with no class at
all. Every shape gives the same byte-level BPE, so we build it ourselves from
the files and never call ``AutoTokenizer`` or ``from_pretrained``: those read
``auto_map`` entries and may offer to import Python files from the folder.
A ``tokenizer_class`` outside the allow-list is refused with a message that
says why, before anything else happens.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tokenizers import AddedToken, Tokenizer
from transformers import PreTrainedTokenizerFast, Qwen2Tokenizer

ALLOWED_TOKENIZER_CLASSES = ("Qwen2Tokenizer", "Qwen2TokenizerFast", "PreTrainedTokenizerFast",
                             "TokenizersBackend")
"""Classes whose files we can read ourselves; all are the same byte-level BPE data."""
SPECIAL_KEYS = ("bos_token", "eos_token", "unk_token", "pad_token")


class TokenizerError(OSError):
    """The folder's tokenizer cannot be loaded safely; the message says what is wrong and what to do."""


def load_tokenizer(folder: str | os.PathLike[str]) -> PreTrainedTokenizerFast:
    """The folder's tokenizer, built from ``tokenizer.json`` or ``vocab.json`` + ``merges.txt`` only."""
    folder = Path(folder)
    config = _read_json(folder / "tokenizer_config.json") or {}
    class_name = config.get("tokenizer_class")
    if class_name not in (None, "", *ALLOWED_TOKENIZER_CLASSES):
        raise TokenizerError(
            f"{folder}/tokenizer_config.json: tokenizer_class {class_name!r} is not one we load "
            f"({', '.join(ALLOWED_TOKENIZER_CLASSES[:3])}); code from a model folder is never run. "
            "Use the released tokenizer files (vocab.json + merges.txt, or tokenizer.json)."
        )
    specials = _special_tokens(config)
    added = _added_tokens(folder, config)
    tokenizer_file = folder / "tokenizer.json"
    if tokenizer_file.is_file():
        try:
            backend = Tokenizer.from_file(str(tokenizer_file))
        except Exception as error:  # the Rust parser raises its own exception type
            raise TokenizerError(f"{tokenizer_file}: not a readable tokenizer.json ({error})") from error
        tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, **specials)
    elif (folder / "vocab.json").is_file() and (folder / "merges.txt").is_file():
        tokenizer = _from_vocab_and_merges(folder, specials, added)
    else:
        raise TokenizerError(f"{folder}: no tokenizer.json and no vocab.json + merges.txt; the download is "
                             "incomplete (fetch the tokenizer files too)")
    _register_added(tokenizer, added, folder)
    return tokenizer


def _from_vocab_and_merges(folder: Path, specials: dict[str, Any], added: list[tuple[int, str, bool]]
                           ) -> PreTrainedTokenizerFast:
    vocab = _read_json(folder / "vocab.json")
    if not isinstance(vocab, dict):
        raise TokenizerError(f"{folder}/vocab.json: not a token -> id mapping")
    merges = [line for line in (folder / "merges.txt").read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#version")]
    # Added tokens go into the vocabulary with their own ids, so ids stay exactly the release's.
    full_vocab = {**vocab, **{content: index for index, content, _ in added}}
    return Qwen2Tokenizer(vocab=full_vocab, merges=[tuple(m.split(" ", 1)) for m in merges], **specials)


def _register_added(tokenizer: PreTrainedTokenizerFast, added: list[tuple[int, str, bool]], folder: Path) -> None:
    """Make the added tokens atomic (never split) with their special flag, and check their ids."""
    tokens = [AddedToken(content, special=special, normalized=False) for _, content, special in added]
    if tokens:
        tokenizer.add_tokens(tokens)
    wrong = [(content, index, tokenizer.convert_tokens_to_ids(content)) for index, content, _ in added
             if tokenizer.convert_tokens_to_ids(content) != index]
    if wrong:
        content, expected, got = wrong[0]
        raise TokenizerError(f"{folder}: added token {content!r} should have id {expected} but gets {got}; "
                             "the tokenizer files disagree with each other")


def _special_tokens(config: dict[str, Any]) -> dict[str, Any]:
    specials: dict[str, Any] = {}
    for key in SPECIAL_KEYS:
        if key in config:
            value = config[key]
            specials[key] = value.get("content") if isinstance(value, dict) else value
    return specials


def _added_tokens(folder: Path, config: dict[str, Any]) -> list[tuple[int, str, bool]]:
    """(id, text, special) from tokenizer_config.json's added_tokens_decoder and added_tokens.json."""
    found: dict[int, tuple[str, bool]] = {}
    decoder = config.get("added_tokens_decoder") or {}
    if isinstance(decoder, dict):
        for key, entry in decoder.items():
            if isinstance(entry, dict) and str(key).isdigit() and isinstance(entry.get("content"), str):
                found[int(key)] = (entry["content"], bool(entry.get("special", True)))
    listed = _read_json(folder / "added_tokens.json") or {}
    if isinstance(listed, dict):
        for content, index in listed.items():
            if isinstance(index, int) and index not in found:
                found[index] = (content, content.startswith("<|") and content.endswith("|>"))
    return [(index, content, special) for index, (content, special) in sorted(found.items())]


def _read_json(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise TokenizerError(f"{path}: not valid JSON ({error})") from error
