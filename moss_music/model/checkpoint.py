"""Checks on a checkpoint folder before any weight is read: safetensors only, a sane index, no code.

Everything here reads JSON and safetensors headers; nothing in the folder is
imported or unpickled. ``CheckpointError`` messages say what is wrong and what
to do, because the person reading them chose a folder in a dialog.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetensors import safe_open

MODEL_TYPES = ("moss_music", "moss_audio")
"""config.json model types we load: the same architecture under two names."""
INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
MAX_HEADER_BYTES = 100 * 2**20
"""safetensors' own limit for the JSON header; a larger claim is a damaged or hostile file."""
KNOWN_EXTRA_TENSORS = ("audio_encoder.embed_positions.inv_timescales",)
"""Stored by the release although the reference registers them as non-persistent buffers: we compute them."""


class CheckpointError(OSError):
    """The folder is not a MOSS-Music/MOSS-Audio checkpoint we can load safely.

    An OSError: like a missing or unreadable file, it is about what is on disk, and every command
    already reports OSErrors as one line."""


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
        """'thinking' or 'instruct', read from the files (see ``checkpoint_variant``)."""
        return checkpoint_variant(self.folder, self.config)

    @property
    def revision(self) -> str:
        return folder_revision(self.folder)


def folder_revision(folder: Path) -> str:
    """Changes whenever config.json, the processor settings or the weight index change: keys cached analyses
    to the weights. Cheap (small JSON files only), so analyzers ask it without loading anything."""
    digest = hashlib.sha256()
    for name in ("config.json", INDEX_FILE, "processor_config.json", "preprocessor_config.json"):
        path = folder / name
        if path.is_file():
            digest.update(name.encode())
            digest.update(path.read_bytes())
    single = folder / SINGLE_FILE
    if not (folder / INDEX_FILE).is_file() and single.is_file():  # the file's size stands in for the index
        digest.update(f"{single.name}:{single.stat().st_size}".encode())
    return digest.hexdigest()[:16]


def checkpoint_name(folder: Path) -> str:
    """'MOSS-Music-8B-Instruct' for a plain folder; 'org/name' for a Hugging Face cache snapshot."""
    folder = folder.resolve()
    return _hub_repo_name(folder) or folder.name or "moss"


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
        check_safetensors_header(path)
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
        if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
            raise CheckpointError(f"{index_path}: weight_map is not a name -> file mapping")
        outside = sorted({name for name in weight_map.values() if not _is_plain_file_name(name)})
        if outside:
            raise CheckpointError(f"{index_path}: names weight files outside the model folder ({outside[0]!r}); "
                                  "only files inside the folder are read")
        if any(Path(name).suffix != ".safetensors" for name in weight_map.values()):
            raise CheckpointError(f"{index_path}: lists non-safetensors files; only safetensors weights are loaded")
        files = sorted({folder / name for name in weight_map.values()})
        missing = [p.name for p in files if not p.is_file()]
        if missing:
            raise CheckpointError(f"{folder}: the index names shard(s) that are not there: {', '.join(missing)}")
        return files, sorted(weight_map)
    single = folder / SINGLE_FILE
    if single.is_file():
        check_safetensors_header(single)
        try:
            with safe_open(str(single), framework="pt") as handle:
                return [single], sorted(handle.keys())
        except Exception as error:  # safetensors raises its own error types for damaged headers
            raise CheckpointError(f"{single}: not a readable safetensors file ({error})") from error
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles:
        raise CheckpointError(
            f"{folder}: only pickle-based weights ({', '.join(pickles[:3])}); they can run code when loaded and are "
            "refused. Use the safetensors release of the model."
        )
    raise CheckpointError(f"{folder}: no {INDEX_FILE} or {SINGLE_FILE}")


def _is_plain_file_name(name: str) -> bool:
    """A shard name the index may use: one file name in the folder itself (no directories, no '..')."""
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name \
        and not re.match(r"^[A-Za-z]:", name)


def check_safetensors_header(path: Path) -> None:
    """Refuse a file whose 8-byte header length is impossible before safetensors tries to read it."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
    if len(head) < 8:
        raise CheckpointError(f"{path}: {size} bytes, too short to be a safetensors file (damaged download?)")
    (length,) = struct.unpack("<Q", head)
    if length > min(MAX_HEADER_BYTES, size - 8):
        raise CheckpointError(f"{path}: the safetensors header claims {length:,} bytes but the file has {size:,}; "
                              "the file is damaged: download it again")


def checkpoint_variant(folder: Path, config: dict[str, Any]) -> str:
    """'thinking' or 'instruct' from what the files say, the folder name only as a last resort.

    In order: an explicit config flag, the model card's title (README.md, shipped with every hub
    download), ``_name_or_path``, the repository of a Hugging Face cache snapshot, the folder name."""
    flag = config.get("thinking_variant")
    if flag is not None:
        return "thinking" if flag else "instruct"
    for text in (_model_card_title(folder), str(config.get("_name_or_path") or ""), _hub_repo_name(folder),
                 folder.name):
        lowered = text.lower()
        if "thinking" in lowered:
            return "thinking"
        if "instruct" in lowered:
            return "instruct"
    return "instruct"


def _model_card_title(folder: Path) -> str:
    try:
        text = (folder / "README.md").read_text(encoding="utf-8", errors="replace")[:20000]
    except OSError:
        return ""
    titles = re.findall(r"^#\s+(.+)$", text, flags=re.M)
    return titles[0] if titles else ""


def _hub_repo_name(folder: Path) -> str:
    """'OpenMOSS-Team/MOSS-Music-8B-Thinking' for .../models--OpenMOSS-Team--MOSS-Music-8B-Thinking/snapshots/<sha>."""
    parent = folder.parent
    if parent.name == "snapshots" and parent.parent.name.startswith("models--"):
        return parent.parent.name.removeprefix("models--").replace("--", "/")
    return ""


def compare_weight_names(expected: set[str], found: set[str], folder: Path) -> None:
    """Raise one error listing every missing and unexpected weight (first 20 of each).

    The release's known extra buffers (``KNOWN_EXTRA_TENSORS``) are allowed; their values are checked
    separately (``check_extra_tensors``)."""
    missing, unexpected = sorted(expected - found), sorted(found - expected - set(KNOWN_EXTRA_TENSORS))
    if not missing and not unexpected:
        return
    lines = [f"{folder}: the weights do not match this architecture"]
    for title, names in (("missing", missing), ("unexpected", unexpected)):
        if names:
            shown = ", ".join(names[:20]) + (f" … and {len(names) - 20} more" if len(names) > 20 else "")
            lines.append(f"  {len(names)} {title}: {shown}")
    raise CheckpointError("\n".join(lines))
