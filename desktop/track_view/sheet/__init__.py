"""The chord sheet: bars in a grid that follows playback, chord diagrams, printing."""

from desktop.track_view.sheet.diagrams import GuitarDiagram, PianoDiagram
from desktop.track_view.sheet.grid import CELLS_BARS, CELLS_BEATS, ChordSheetGrid
from desktop.track_view.sheet.view import ChordSheetView

__all__ = ["CELLS_BARS", "CELLS_BEATS", "ChordSheetGrid", "ChordSheetView", "GuitarDiagram", "PianoDiagram"]
