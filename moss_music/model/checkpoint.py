"""Checks on a checkpoint folder before any weight is read: safetensors only, a sane index, no code.

Everything here reads JSON and safetensors headers; nothing in the folder is
imported or unpickled. ``CheckpointError`` messages say what is wrong and what
to do, because the person reading them chose a folder in a dialog.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetensors import safe_open

from moss_music.model.config import MODEL_TYPES

INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")


class CheckpointError(Exception):
    """The folder is not a MOSS-Music/MOSS-Audio checkpoint we can load safely."""


@dataclass
class CheckpointInfo:
    folder: Path
    config: dict[str, Any]
    weight_files: list[Path]
    weight_names: list[str]
    total_bytes: int
    stored_dtypes: dict[str, int] = field(default_factory=dict)
    """safetensors dtype name -> number of tensors stored in it."""

    @property
    def model_type(self) -> str:
        return str(self.config.get("model_type"))

    @property
    def name(self) -> str:
        return str(self.config.get("_name_or_path") or self.folder.name)

    @property
    def variant(self) -> str:
        """'thinking' or 'instruct', from the folder name or the config's own flag."""
        flag = self.config.get("thinking_variant")
        if flag is not None:
            return "thinking" if flag else "instruct"
        return "thinking" if "thinking" in self.folder.name.lower() else "instruct"

    @property
    def revision(self) -> str:
        """Changes whenever config.json or the weight index changes: keys cached analyses to the weights."""
        digest = hashlib.sha256()
        for name in ("config.json", INDEX_FILE, "processor_config.json", "preprocessor_config.json"):
            path = self.folder / name
            if path.is_file():
                digest.update(name.encode())
                digest.update(path.read_bytes())
        if not (self.folder / INDEX_FILE).is_file():
            for path in self.weight_files:  # single-file checkpoint: size + header stand in for the index
                digest.update(f"{path.name}:{path.stat().st_size}".encode())
        return digest.hexdigest()[:16]


def inspect_checkpoint(folder: str | os.PathLike[str]) -> CheckpointInfo:
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise CheckpointError(f"{folder}: not a folder")
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise CheckpointError(f"{folder}: no config.json; choose the folder that holds the model files")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{config_path}: not valid JSON ({error})") from error
    if config.get("model_type") not in MODEL_TYPES:
        raise CheckpointError(
            f"{config_path}: model_type {config.get('model_type')!r} is not one of {', '.join(MODEL_TYPES)}"
        )
    weight_files, names = _weight_files_and_names(folder)
    dtypes: dict[str, int] = {}
    total = 0
    for path in weight_files:
        total += path.stat().st_size
        try:
            with safe_open(str(path), framework="pt") as handle:
                for key in handle.keys():
                    dtype = str(handle.get_slice(key).get_dtype())
                    dtypes[dtype] = dtypes.get(dtype, 0) + 1
        except Exception as error:  # safetensors raises its own error types for damaged headers
            raise CheckpointError(f"{path}: not a readable safetensors file ({error})") from error
    return CheckpointInfo(folder, config, weight_files, names, total, dtypes)


def _weight_files_and_names(folder: Path) -> tuple[list[Path], list[str]]:
    index_path = folder / INDEX_FILE
    if index_path.is_file():
        try:
            weight_map: dict[str, str] = json.loads(index_path.read_text(encoding="utf-8"))["weight_map"]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise CheckpointError(f"{index_path}: not a safetensors index ({error})") from error
        files = sorted({folder / name for name in weight_map.values()})
        missing = [p.name for p in files if not p.is_file()]
        if missing:
            raise CheckpointError(f"{folder}: the index names shard(s) that are not there: {', '.join(missing)}")
        if any(Path(name).suffix != ".safetensors" for name in weight_map.values()):
            raise CheckpointError(f"{index_path}: lists non-safetensors files; only safetensors weights are loaded")
        return files, sorted(weight_map)
    single = folder / SINGLE_FILE
    if single.is_file():
        with safe_open(str(single), framework="pt") as handle:
            return [single], sorted(handle.keys())
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles:
        raise CheckpointError(
            f"{folder}: only pickle-based weights ({', '.join(pickles[:3])}); they can run code when loaded and are "
            "refused. Use the safetensors release of the model."
        )
    raise CheckpointError(f"{folder}: no {INDEX_FILE} or {SINGLE_FILE}")


def compare_weight_names(expected: set[str], found: set[str], folder: Path) -> None:
    """Raise one error listing every missing and unexpected weight (first 20 of each)."""
    missing, unexpected = sorted(expected - found), sorted(found - expected)
    if not missing and not unexpected:
        return
    lines = [f"{folder}: the weights do not match this architecture"]
    for title, names in (("missing", missing), ("unexpected", unexpected)):
        if names:
            shown = ", ".join(names[:20]) + (f" … and {len(names) - 20} more" if len(names) > 20 else "")
            lines.append(f"  {len(names)} {title}: {shown}")
    raise CheckpointError("\n".join(lines))
