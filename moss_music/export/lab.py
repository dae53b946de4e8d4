"""Analysis formats researchers load: chord .lab files (Harte labels) and JAMS with every layer."""

from __future__ import annotations

from moss_music.annotations import LAYERS, TrackAnnotations
from moss_music.export.base import ExportOptions, TrackInfo, Writer
from moss_music.export.naming import is_no_chord


class ChordLabWriter(Writer):
    name = "lab"
    label = "Chord timeline for research (.lab)"
    group = "Analysis data"
    extension = ".lab"
    description = "Chord .lab (start<TAB>end<TAB>Harte label, as MIREX and mir_eval read it)"
    needs = ("chords",)

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> str:
        rows = []
        for chord in sorted(annotations.chords, key=lambda c: c.start):
            label = "N" if is_no_chord(chord) else chord.label.replace(" ", "")
            rows.append(f"{chord.start:.6f}\t{chord.end:.6f}\t{label}")
        return "\n".join(rows) + "\n"


class JamsWriter(Writer):
    name = "jams"
    label = "Every analysis layer for research (JAMS)"
    group = "Analysis data"
    extension = ".jams"
    description = "JAMS: every layer (beats, key, chords, sections, lyrics, caption …) in one JSON file"
    needs = LAYERS

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> str:
        from moss_music.annotations.jams_io import to_jams  # jams pulls in scipy and mir_eval: load on use

        doc = to_jams(annotations, title=info.title, artist=info.artist, release=info.album,
                      source="moss-music-studio")
        doc.validate(strict=True)  # what save_jams does: an invalid file never reaches the disk
        return doc.dumps(indent=2)
