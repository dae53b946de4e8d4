"""A printable lead sheet: header, then per section a chord chart by bar and the lyrics with chords above.

The text version is plain monospaced text (prints anywhere, diff-able); the PDF
sets the same lines in a monospaced font so the chord-over-word columns hold.
"""

from __future__ import annotations

from moss_music.annotations import TrackAnnotations
from moss_music.export.base import ExportOptions, TrackInfo, Writer
from moss_music.export.naming import key_name, meter, tempo_bpm, track_end
from moss_music.export.pdf_fonts import INSTALL_HINT, FontPlan, is_wide, plan_fonts
from moss_music.export.sheet import SheetLine, sheet_blocks

MIN_CELL = 8
MAX_MISSING_SHOWN = 12


def leadsheet_lines(annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> list[tuple[str, str]]:
    """(style, text) rows; style is 'title', 'heading' or '' so the PDF can set weight and size."""
    rows = [("title", info.title or "Untitled")]
    byline = " · ".join(part for part in (info.artist, info.album) if part)
    if byline:
        rows.append(("", byline))
    facts = []
    if annotations.key:
        facts.append(f"Key: {key_name(annotations.key, options)}")
    bpm = tempo_bpm(annotations)
    if bpm:
        facts.append(f"Tempo: {bpm:.0f} BPM")
    if annotations.time_signature or annotations.beats:
        numerator, denominator = meter(annotations)
        facts.append(f"Time: {numerator}/{denominator}")
    length = round(track_end(annotations, info.duration))
    if length:
        facts.append(f"Length: {length // 60}:{length % 60:02d}")
    if options.transpose % 12:
        facts.append(f"Transposed {options.transpose:+d}")
    if facts:
        rows.append(("", "   ".join(facts)))
    for block in sheet_blocks(annotations, options, info.duration):
        rows.append(("", ""))
        if block.name:
            rows.append(("heading", f"[{block.name}]"))
        rows += [("", line) for line in chord_chart(block.bars, options.bars_per_line)]
        for line in block.lines:
            chords, lyric = chords_over_lyrics(line)
            if chords.strip():
                rows.append(("chords", chords))
            rows.append(("", lyric))
    return rows


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospaced layout: two for each CJK or full-width character."""
    return sum(2 if is_wide(ch) else 1 for ch in text)


def chord_chart(bars: list[list[str]], per_line: int) -> list[str]:
    """'| Am      | F       |' rows, every cell as wide as the widest so the bar lines stack."""
    if not bars:
        return []
    cells = [" ".join(bar) if bar else "%" for bar in bars]
    width = max(MIN_CELL, max(len(c) for c in cells) + 2)
    per_line = max(1, per_line)
    return ["|" + "|".join(f" {c:<{width - 1}}" for c in cells[i:i + per_line]) + "|"
            for i in range(0, len(cells), per_line)]


def chords_over_lyrics(line: SheetLine) -> tuple[str, str]:
    """Two rows; where chord names crowd, the lyric row is widened so each name sits on its word.

    Columns are display columns (a CJK character takes two), so the chords stay over their words in a
    terminal and in the PDF's monospaced fonts.
    """
    chords, lyric = "", ""
    cursor = 0
    for column, name in line.chords:
        column = min(column, len(line.text) + 1)
        lyric += line.text[cursor:column]
        cursor = column
        if display_width(chords) > display_width(lyric):
            lyric += " " * (display_width(chords) - display_width(lyric))
        chords += " " * (display_width(lyric) - display_width(chords)) + name + " "
    lyric += line.text[cursor:]
    return chords.rstrip(), lyric.rstrip()


class LeadSheetWriter(Writer):
    name = "leadsheet"
    label = "Lead sheet to print (text)"
    group = "Sheets"
    extension = ".leadsheet.txt"
    description = "Lead sheet as plain text: chord chart per section, chords above the lyrics"
    needs = ("chords", "lyrics")

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> str:
        rows = leadsheet_lines(annotations, info, options)
        out = []
        for style, text in rows:
            out.append(text)
            if style == "title":
                out.append("=" * len(text))
        return "\n".join(out) + "\n"


class LeadSheetPdfWriter(Writer):
    name = "leadsheet-pdf"
    label = "Lead sheet to print (PDF)"
    group = "Sheets"
    extension = ".leadsheet.pdf"
    description = "Lead sheet as PDF (A4, monospaced so the chords stay over their words)"
    needs = ("chords", "lyrics")
    binary = True

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> bytes:
        from fpdf import FPDF

        rows = leadsheet_lines(annotations, info, options)
        pdf = FPDF(format="A4")
        pdf.set_title(info.title or "Lead sheet")
        if info.artist:
            pdf.set_author(info.artist)
        pdf.set_margins(15, 15, 15)
        pdf.set_auto_page_break(True, margin=15)
        plan = plan_fonts("".join(text for _, text in rows))
        family, unicode_ok = _register_fonts(pdf, plan)
        if plan.missing:
            shown = plan.missing[:MAX_MISSING_SHOWN] + ("…" if len(plan.missing) > MAX_MISSING_SHOWN else "")
            self.warn(f"no installed font has {len(plan.missing)} of the characters ({shown}); they print as "
                      f"blanks or boxes — {INSTALL_HINT}")
        widest = max((display_width(text) for style, text in rows if style != "title"), default=40)
        usable_mm = pdf.w - 30
        # Monospaced glyphs are 0.6 em wide: pick the size that fits the widest line, within 7..11 pt.
        size = min(11.0, max(7.0, usable_mm / (widest * 0.6) * 72 / 25.4))
        pdf.add_page()
        for style, text in rows:
            text = text if unicode_ok else text.encode("latin-1", "replace").decode("latin-1")
            if style == "title":
                pdf.set_font(family, "B", size + 5)
            elif style in ("heading", "chords"):
                pdf.set_font(family, "B", size)
            else:
                pdf.set_font(family, "", size)
            pdf.cell(0, pdf.font_size * 1.35, text, new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())


def _register_fonts(pdf, plan: FontPlan) -> tuple[str, bool]:
    """Register the main font and the fallbacks the text needs: (family, handles Unicode)."""
    if plan.regular is None:
        return "Courier", False
    pdf.add_font("Mono", "", plan.regular.path, collection_font_number=plan.regular.index)
    bold = plan.bold or plan.regular
    pdf.add_font("Mono", "B", bold.path, collection_font_number=bold.index)
    names = []
    for number, font in enumerate(plan.fallbacks):
        name = f"Fallback{number}"
        pdf.add_font(name, "", font.path, collection_font_number=font.index)
        names.append(name)
    if names:
        pdf.set_fallback_fonts(names, exact_match=False)
    return "Mono", True
