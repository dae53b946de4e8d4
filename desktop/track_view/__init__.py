"""The track view: synchronized waveform, beat, chord, section and lyric lanes with playback and practice tools."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from desktop.track_view.window import TrackViewWindow
from moss_music.library import Library


def open_track_view(library: Library, track_id: int, parent: QWidget | None = None, **options) -> QWidget:
    """Open (show) the track view for ``track_id``; loading continues in the background.

    ``options`` go to ``TrackViewWindow``: ``player`` (a ``Player``, e.g. with a fake output) and
    ``data_dir`` (where the peak cache lives; by default the library's own data dir).
    """
    window = TrackViewWindow(library, track_id, parent, **options)
    # Deleting the Qt side on close (not at Python garbage collection) also avoids a PySide 6.12
    # crash when a collected cycle holds many pyqtgraph items.
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    if parent is not None:
        window.setWindowFlag(Qt.WindowType.Window, True)
    window.show()
    return window


__all__ = ["TrackViewWindow", "open_track_view"]
