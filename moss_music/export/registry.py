"""Format names -> writers: the one table the CLI, the batch function and the dialog read."""

from __future__ import annotations

from moss_music.export.base import Writer
from moss_music.export.chordpro import ChordProWriter
from moss_music.export.daw import AudacityLabelsWriter, CueSheetWriter, ReaperCsvWriter, RppWriter
from moss_music.export.lab import ChordLabWriter, JamsWriter
from moss_music.export.leadsheet import LeadSheetPdfWriter, LeadSheetWriter
from moss_music.export.lyrics import EnhancedLrcWriter, LrcWriter, SrtWriter, VttWriter
from moss_music.export.midi import KaraokeWriter, MidiWriter

_WRITERS: tuple[type[Writer], ...] = (
    LrcWriter, EnhancedLrcWriter, SrtWriter, VttWriter, MidiWriter, KaraokeWriter, ReaperCsvWriter, RppWriter,
    AudacityLabelsWriter, CueSheetWriter, ChordLabWriter, JamsWriter, ChordProWriter, LeadSheetWriter,
    LeadSheetPdfWriter,
)
WRITERS: dict[str, type[Writer]] = {cls.name: cls for cls in _WRITERS}
FORMATS: tuple[str, ...] = tuple(WRITERS)
GROUPS: tuple[str, ...] = ("Lyrics", "Music software", "Sheets", "Analysis data")


def get_writer(name: str) -> Writer:
    """A writer by format name; ValueError listing the known names otherwise."""
    try:
        return WRITERS[name.strip().lower()]()
    except KeyError:
        raise ValueError(f"unknown export format {name!r}; choose from {', '.join(FORMATS)}") from None
