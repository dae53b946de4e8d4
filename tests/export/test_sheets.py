"""ChordPro and lead sheets: chords land on the words being sung, sections keep their names."""

from __future__ import annotations

import io
import re

import pytest

from moss_music.annotations import Chord, LyricLine, Section, Tempo, TrackAnnotations, Word
from moss_music.export import ExportOptions, TrackInfo, get_writer
from moss_music.export.leadsheet import chord_chart, chords_over_lyrics
from moss_music.export.sheet import SheetLine, place_chords

INFO = TrackInfo(title="My Song", artist="The Testers", album="Fixtures", duration=24.0)


def render(fmt: str, annotations: TrackAnnotations, **options):
    return get_writer(fmt).render(annotations, INFO, ExportOptions(**options))


def parse_chordpro(text: str) -> tuple[dict, list[tuple[str, str, list[tuple[int, str]]]]]:
    """(directives, [(section, lyric text, [(column, chord)])]) — a minimal ChordPro reader."""
    directives, lines, section = {}, [], ""
    for row in text.splitlines():
        directive = re.fullmatch(r"\{(\w+)(?::\s*(.*))?\}", row.strip())
        if directive:
            name, value = directive.groups()
            if name.startswith("start_of_"):
                section = value or ""
            elif not name.startswith("end_of_"):
                directives[name] = value
            continue
        if not row.strip():
            continue
        chords, lyric = [], ""
        for piece in re.split(r"(\[[^\]]*\])", row):
            if piece.startswith("["):
                chords.append((len(lyric), piece[1:-1]))
            else:
                lyric += piece
        lines.append((section, lyric, chords))
    return directives, lines


def test_chordpro_metadata_and_sections(annotations):
    directives, lines = parse_chordpro(render("chordpro", annotations))
    assert directives["title"] == "My Song" and directives["artist"] == "The Testers"
    assert directives["key"] == "Am" and directives["tempo"] == "123" and directives["time"] == "4/4"
    text = render("chordpro", annotations)
    assert "{start_of_chorus: Chorus 1}" in text and "{start_of_verse: Verse 1}" in text
    assert text.count("{start_of_") == text.count("{end_of_") == 5


def test_chordpro_puts_chords_on_the_sung_words(annotations):
    _, lines = parse_chordpro(render("chordpro", annotations))
    sung = [(section, lyric, chords) for section, lyric, chords in lines if "|" not in lyric]
    assert [lyric for _, lyric, _ in sung] == [line.text for line in annotations.lyrics]
    section, lyric, chords = sung[0]
    assert section == "Verse 1"
    # the verse's first bar is F (from the fixture's chord cycle), held when 'Hello' starts
    assert chords[0] == (0, "F")


def test_instrumental_sections_print_their_bars():
    ann = TrackAnnotations(duration=8.0, tempo=Tempo(120), sections=[Section(0, 8, "A", "intro")],
                           chords=[Chord(0, 2, "A:min"), Chord(2, 4, "F"), Chord(4, 8, "G")])
    _, lines = parse_chordpro(render("chordpro", ann))
    assert lines[0] == ("Intro", "|  |  |  |  |", [(2, "Am"), (5, "F"), (8, "G"), (11, "G")])


def test_chord_change_mid_line_lands_on_its_word():
    line = LyricLine(10.0, 14.0, "", [Word(10.0, 11.0, "Hold"), Word(11.0, 12.0, "me"), Word(12.0, 14.0, "closer")])
    chords = [Chord(8.0, 11.9, "C"), Chord(11.9, 16.0, "G")]  # G arrives just before 'closer'
    placed = place_chords(line, chords, ExportOptions())
    assert placed == SheetLine("Hold me closer", [(0, "C"), (8, "G")])


def test_line_without_word_times_places_chords_proportionally():
    placed = place_chords(LyricLine(0.0, 4.0, "one two three four"), [Chord(0, 2, "C"), Chord(2, 4, "D")],
                          ExportOptions())
    assert placed.chords == [(0, "C"), (8, "D")]  # halfway falls inside 'three', moved to its start


def test_transposition_and_flats_apply_to_every_chord(annotations):
    text = render("chordpro", annotations, transpose=1, prefer_flats=True)
    assert "{key: Bbm}" in text and "[Bbm]" in text and "[Gb]" in text


def test_lead_sheet_text_has_header_chart_and_chords_over_lyrics(annotations):
    text = render("leadsheet", annotations)
    rows = text.splitlines()
    assert rows[0] == "My Song" and rows[1] == "=" * len("My Song")
    assert "Key: A minor" in text and "Tempo: 123 BPM" in text and "Time: 4/4" in text
    assert "[Verse 1]" in rows and "[Chorus 2]" in rows
    chart = [row for row in rows if row.startswith("|")]
    assert chart and len({row.index("|", 1) for row in chart}) == 1  # bar lines stack in columns
    hello = rows.index("Hello my old friend")
    assert rows[hello - 1].startswith("F")


def test_crowded_chords_widen_the_lyric_row():
    chords, lyric = chords_over_lyrics(SheetLine("ab cd", [(0, "Fmaj7"), (3, "G")]))
    assert chords.index("G") == lyric.index("cd") and chords.startswith("Fmaj7 ")


def test_chord_chart_cells_share_one_width():
    assert chord_chart([["Am"], ["F", "G"], []], 4) == ["| Am     | F G    | %      |"]


def test_lead_sheet_pdf_holds_the_same_text(annotations):
    pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDF back (test extra)")
    data = render("leadsheet-pdf", annotations)
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in ("My Song", "Verse 1", "Chorus 2", "Hello my old friend", "Ça va, señor?"):
        assert expected in text


def _sliver_song() -> TrackAnnotations:
    """Four 4/4 bars F | G | F | Dm whose chord times miss the downbeats by 50 µs, as older analyses did."""
    from moss_music.annotations import Beat

    beats = [Beat(i * 0.5, i % 4 + 1) for i in range(16)]
    edges = [0.0, 2.0, 4.0, 6.0, 8.0]
    labels = ["F", "G", "F", "D:min"]
    chords = []
    for i, label in enumerate(labels):
        start = edges[i] - (0.00005 if i else 0.0)
        chords.append(Chord(start, edges[i + 1] - 0.00005, label))
        if i + 1 < len(labels):
            chords.append(Chord(edges[i + 1] - 0.00005, edges[i + 1] + 0.00005, labels[i + 1]))
    return TrackAnnotations(duration=8.0, beats=beats, tempo=Tempo(120.0), chords=chords,
                            sections=[Section(0.0, 8.0, "A", "verse")],
                            lyrics=[LyricLine(0.1, 1.9, "only one line")])


def test_chord_slivers_at_bar_edges_never_reach_the_lead_sheet():
    """Issue 14.1: 'F G | G F | F | F Dm' was printed for 'F | G | F | Dm'."""
    text = render("leadsheet", _sliver_song())
    chart = [row for row in text.splitlines() if row.startswith("|")]
    assert [cell.strip() for cell in chart[0].strip("|").split("|")] == ["F", "G", "F", "Dm"]


def test_chord_slivers_at_bar_edges_never_reach_chordpro():
    song = _sliver_song()
    song.lyrics.clear()
    text = render("chordpro", song)
    grid = [row for row in text.splitlines() if row.startswith("|")]
    assert grid == ["| [F] | [G] | [F] | [Dm] |"]


def test_sheet_chords_are_spelled_for_the_key():
    """Chord names follow the key signature (one spelling rule for views and exports)."""
    from moss_music.annotations import Beat, Key

    song = TrackAnnotations(duration=4.0, beats=[Beat(i * 0.5, i % 4 + 1) for i in range(8)],
                            key=Key("Bb", "major"), chords=[Chord(0.0, 2.0, "A#"), Chord(2.0, 4.0, "D#")])
    grid = [row for row in render("chordpro", song).splitlines() if row.startswith("|")]
    assert grid == ["| [Bb] | [Eb] |"]


def _pdf_text(data: bytes) -> tuple[str, set[str]]:
    pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDF back (test extra)")
    reader = pypdf.PdfReader(io.BytesIO(data))
    fonts = {str(font.get_object()["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    return "".join(page.extract_text() for page in reader.pages).replace("\x00", ""), fonts


def test_lead_sheet_pdf_sets_cjk_lyrics_in_a_font_that_has_them(annotations):
    """Issue 14.6: CJK lyrics were dropped (only DejaVu Sans Mono embedded) while the export reported success."""
    from moss_music.export.pdf_fonts import installed_fallbacks

    if not any("CJK" in font.path for font in installed_fallbacks()):
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk)")
    annotations.lyrics.append(LyricLine(20.0, 22.0, "我爱你 사랑해 ありがとう"))
    writer = get_writer("leadsheet-pdf")
    text, fonts = _pdf_text(writer.render(annotations, INFO, ExportOptions()))
    assert "我爱你 사랑해 ありがとう" in text
    assert any("CJK" in font for font in fonts) and not writer.warnings


def test_lead_sheet_pdf_warns_about_characters_no_font_has(annotations):
    annotations.lyrics.append(LyricLine(20.0, 22.0, "hieroglyph \U00013000"))
    writer = get_writer("leadsheet-pdf")
    writer.render(annotations, INFO, ExportOptions())
    assert len(writer.warnings) == 1 and "\U00013000" in writer.warnings[0] and "fonts-noto" in writer.warnings[0]


def test_lead_sheet_pdf_export_prints_no_font_tool_chatter(data_dir, analyzed_track, tmp_path):
    """Issue 14.8: ~200 fontTools INFO lines reached the console."""
    import subprocess
    import sys

    code = ("import logging, sys; logging.basicConfig(level=logging.INFO);"
            "from moss_music.cli import main; sys.exit(main(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", code, "--home", str(data_dir.root), "export", "-f",
                             "leadsheet-pdf", "-o", str(tmp_path / "out"), str(analyzed_track.id)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    chatter = [row for row in result.stderr.splitlines() if "fontTools" in row or "alembic" in row]
    assert not chatter, chatter[:5]


def test_chords_stay_over_cjk_words_counting_two_columns_each():
    from moss_music.export.leadsheet import display_width

    line = LyricLine(0, 4, "我爱你 你好 世界", [Word(0, 1, "我爱你"), Word(1, 2, "你好"), Word(2, 4, "世界")])
    placed = place_chords(line, [Chord(0, 1, "C"), Chord(1, 2, "G"), Chord(2, 4, "A:min")], ExportOptions())
    chords, lyric = chords_over_lyrics(placed)
    assert chords == "C      G    Am"
    assert display_width(lyric[:4]) == chords.index("G") and display_width(lyric[:7]) == chords.index("Am")


def test_cjk_lead_sheet_pdf_is_set_in_a_cjk_monospaced_font(annotations):
    from moss_music.export.pdf_fonts import find_wide_mono_font

    if find_wide_mono_font()[0] is None:
        pytest.skip("no CJK monospaced font installed (Debian: fonts-noto-cjk)")
    annotations.lyrics.append(LyricLine(20.0, 22.0, "我爱你"))
    _, fonts = _pdf_text(render("leadsheet-pdf", annotations))
    assert any("NotoSansMonoCJK" in font for font in fonts)


def test_poppler_finds_every_font_embedded_and_the_cjk_text(annotations, tmp_path):
    """poppler (what many Linux PDF viewers use) reads the sheet's text and sees only embedded fonts."""
    from moss_music.export.pdf_fonts import installed_fallbacks
    from tests.export.tools import require, run

    pdffonts, pdftotext = require("pdffonts"), require("pdftotext")
    cjk = any("CJK" in font.path for font in installed_fallbacks())
    if cjk:
        annotations.lyrics.append(LyricLine(20.0, 22.0, "我爱你"))
    pdf = get_writer("leadsheet-pdf").write(annotations, INFO, tmp_path / "song.leadsheet.pdf")
    fonts = run([pdffonts, str(pdf)]).stdout.splitlines()[2:]
    assert fonts and all(row.split()[-5] == "yes" for row in fonts), fonts  # the 'emb' column
    text = run([pdftotext, str(pdf), "-"]).stdout
    assert "Hello my old friend" in text and "Ça va, señor?" in text
    if cjk:
        assert "我爱你" in text
