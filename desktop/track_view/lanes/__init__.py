"""One item class per lane kind; all are drawn on linked time axes by ``timeline.Timeline``."""

from desktop.track_view.lanes.beats import BeatGridItem
from desktop.track_view.lanes.chords import COLOUR_BY_FUNCTION, COLOUR_BY_ROOT, ChordLaneItem
from desktop.track_view.lanes.energy import EnergyItem
from desktop.track_view.lanes.lyrics import LyricLaneItem
from desktop.track_view.lanes.sections import SectionLaneItem
from desktop.track_view.lanes.waveform import WaveformItem

__all__ = ["COLOUR_BY_FUNCTION", "COLOUR_BY_ROOT", "BeatGridItem", "ChordLaneItem", "EnergyItem",
           "LyricLaneItem", "SectionLaneItem", "WaveformItem"]
