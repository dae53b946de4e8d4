"""Programs nobody here wrote, used as independent readers of our exports; tests skip when one is absent."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def require(tool: str) -> str:
    """The tool's path, or skip the test (CI installs it: see docs/daw-import.md)."""
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed")
    return path


def run(args: list[str], timeout: float = 120.0, **env: str) -> subprocess.CompletedProcess:
    """Run a reader; its output is text (UTF-8, undecodable bytes replaced) so failures print readably."""
    return subprocess.run(args, capture_output=True, timeout=timeout, check=False, text=True, encoding="utf-8",
                          errors="replace", env={**os.environ, **env})
