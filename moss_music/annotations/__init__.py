"""The annotation data model (seconds everywhere), chord naming and JAMS interchange."""

from moss_music.annotations.chords import ChordSymbol, display_name, parse_chord, to_harte, transpose_harte
from moss_music.annotations.model import (
    CAPTION_ASPECTS,
    LAYERS,
    SECTION_FUNCTIONS,
    Answer,
    Beat,
    Caption,
    Chord,
    EnergyCurve,
    Key,
    Loudness,
    LyricLine,
    Section,
    Tempo,
    TempoPoint,
    TimeSignature,
    TrackAnnotations,
    Word,
)

__all__ = [
    "CAPTION_ASPECTS", "LAYERS", "SECTION_FUNCTIONS", "Answer", "Beat", "Caption", "Chord", "ChordSymbol",
    "EnergyCurve", "Key", "Loudness", "LyricLine", "Section", "Tempo", "TempoPoint", "TimeSignature",
    "TrackAnnotations", "Word", "display_name", "parse_chord", "to_harte", "transpose_harte",
]
