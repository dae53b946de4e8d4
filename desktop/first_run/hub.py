"""Downloading the model from the Hugging Face Hub, in a child process the dialog can stop.

Run as ``python -m desktop.first_run.hub REPO DEST``: it prints one JSON object
per line (``total``, ``verifying``, ``done`` or ``error``). ``snapshot_download``
resumes partial files on the next run; afterwards every file's size, and the
sha256 of each large (LFS) file, is compared with what the Hub lists, and the
folder is checked as a checkpoint before it is reported done.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MODEL_REPO = "OpenMOSS-Team/MOSS-Music-8B-Instruct"
REACH_TIMEOUT_S = 6.0


def download_command(dest: str | os.PathLike[str], repo: str = MODEL_REPO) -> str:
    """The command a user can run themselves (on this or another machine)."""
    target = str(dest)
    quoted = f'"{target}"' if any(ch.isspace() for ch in target) else target
    return f"hf download {repo} --local-dir {quoted}"


@dataclass(frozen=True)
class HubFile:
    name: str
    size: int
    sha256: str | None


@dataclass(frozen=True)
class HubCheck:
    reachable: bool
    message: str
    files: tuple[HubFile, ...] = ()

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def check_hub(repo: str = MODEL_REPO, timeout: float = REACH_TIMEOUT_S) -> HubCheck:
    """Can this computer reach the Hub, and what files does ``repo`` hold (with sizes and hashes)?"""
    try:
        from huggingface_hub import HfApi
    except ImportError:
        return HubCheck(False, "The huggingface_hub package is not installed, so the app cannot download the model. "
                               "Install it (pip install huggingface_hub) or run the command below elsewhere.")
    try:
        info = HfApi(endpoint=endpoint()).model_info(repo, files_metadata=True, timeout=timeout)
    except Exception as error:  # noqa: BLE001 - offline, DNS, proxy, HTTP errors all mean "not from here"
        return HubCheck(False, f"The Hugging Face Hub ({endpoint()}) cannot be reached from this computer: "
                               f"{_short(error)}. Run the command below on a machine with internet access, copy "
                               "the folder here, then choose it in Settings → Model.")
    files = tuple(HubFile(s.rfilename, int(s.size or 0), s.lfs.sha256 if s.lfs else None)
                  for s in info.siblings or [])
    return HubCheck(True, f"{repo}: {len(files)} files, {sum(f.size for f in files) / 1e9:.1f} GB", files)


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:200]


def folder_bytes(folder: Path) -> int:
    """Bytes under ``folder`` including partial downloads (the progress the dialog shows)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def verify(dest: Path, files: Sequence[HubFile]) -> list[str]:
    """Problems found comparing the downloaded files with the Hub's list (empty: all good)."""
    problems = []
    for hub_file in files:
        path = dest / hub_file.name
        if not path.is_file():
            problems.append(f"{hub_file.name}: missing")
            continue
        if hub_file.size and path.stat().st_size != hub_file.size:
            problems.append(f"{hub_file.name}: {path.stat().st_size} bytes, expected {hub_file.size}")
            continue
        if hub_file.sha256 and _sha256(path) != hub_file.sha256:
            problems.append(f"{hub_file.name}: checksum does not match")
    return problems


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _emit(**event) -> None:
    print(json.dumps(event), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        _emit(event="error", message="usage: python -m desktop.first_run.hub REPO DEST")
        return 2
    repo, dest = args[0], Path(args[1]).expanduser()
    check = check_hub(repo)
    if not check.reachable:
        _emit(event="error", message=check.message)
        return 1
    _emit(event="total", bytes=check.total_bytes, files=len(check.files))
    dest.mkdir(parents=True, exist_ok=True)
    try:
        from huggingface_hub import snapshot_download

        snapshot_download(repo, local_dir=str(dest), endpoint=endpoint())
    except Exception as error:  # noqa: BLE001
        _emit(event="error", message=f"Download stopped: {_short(error)}. Start it again to resume.")
        return 1
    _emit(event="verifying")
    problems = verify(dest, check.files)
    if problems:
        _emit(event="error", message="Downloaded files do not match the Hub: " + "; ".join(problems[:5]))
        return 1
    from desktop.settings.checkpoint import summarize_checkpoint

    summary = summarize_checkpoint(dest)
    if not summary.ok:
        _emit(event="error", message=summary.message)
        return 1
    _emit(event="done", folder=str(dest), summary=summary.message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
