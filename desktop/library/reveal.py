"""'Reveal in file manager': select the file in Finder or Explorer, or open its folder elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices


def reveal_in_file_manager(path: str) -> str:
    """Show ``path`` in the platform's file manager; returns a message for the user ('' when shown)."""
    if not os.path.exists(path):
        return f"The file is missing: {path}"
    if sys.platform == "darwin":
        subprocess.Popen(["open", "-R", path])
    elif os.name == "nt":
        subprocess.Popen(["explorer", "/select,", os.path.normpath(path)])
    else:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))
    return ""
