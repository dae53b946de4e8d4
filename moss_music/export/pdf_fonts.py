"""Fonts for PDF exports: a monospaced main font plus fallbacks that cover the text's other scripts.

A lead sheet sets chords over lyrics in a monospaced font; lyrics may be in
any script. The main font (DejaVu Sans Mono and friends) covers Latin, Greek
and Cyrillic; for the rest we add, per document, only the installed fonts that
cover characters the main font lacks (Noto Sans Mono CJK from Debian's
fonts-noto-cjk for Chinese, Japanese and Korean; Noto fonts for Arabic,
Hebrew, Devanagari, Thai; DejaVu Sans for symbols). Characters no installed
font covers are reported, so the export can warn instead of silently
printing boxes.
"""

from __future__ import annotations

import functools
import logging
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

# fpdf2 subsets fonts with fontTools, which logs a line per table at INFO: not for a user's console.
logging.getLogger("fontTools").setLevel(logging.WARNING)
# fpdf2 logs missing glyphs as a warning on stderr; ``plan_fonts`` finds them first and the export report says so.
logging.getLogger("fpdf.output").setLevel(logging.ERROR)

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts", "/Library/Fonts",
             "/System/Library/Fonts", "C:/Windows/Fonts")
# (regular, bold) monospaced fonts with wide coverage, in order of preference.
MONO_FONTS = (
    ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
    ("NotoSansMono-Regular.ttf", "NotoSansMono-Bold.ttf"),
    ("LiberationMono-Regular.ttf", "LiberationMono-Bold.ttf"),
    ("consola.ttf", "consolab.ttf"),
    ("Menlo.ttc", "Menlo.ttc"),
)
# Monospaced fonts whose wide (CJK) glyphs are exactly two Latin columns: the main font when the text has such
# characters, so chords stay over their words. (regular file, bold file, family inside the collections)
WIDE_MONO_FONTS = (
    ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", "Noto Sans Mono CJK SC"),
)
# Fallbacks: (file name, family inside a collection or ''), in order of preference.
FALLBACK_FONTS = (
    ("NotoSansCJK-Regular.ttc", "Noto Sans Mono CJK SC"),
    ("NotoSansMonoCJKsc-Regular.otf", ""),
    ("NotoSansCJKsc-Regular.otf", ""),
    ("NotoSansCJK-Regular.otf", ""),
    ("wqy-microhei.ttc", "WenQuanYi Micro Hei Mono"),
    ("NotoSansArabic-Regular.ttf", ""),
    ("NotoSansHebrew-Regular.ttf", ""),
    ("NotoSansDevanagari-Regular.ttf", ""),
    ("NotoSansThai-Regular.ttf", ""),
    ("NotoSans-Regular.ttf", ""),
    ("DejaVuSans.ttf", ""),
    ("FreeSans.ttf", ""),
)
INSTALL_HINT = "install fonts-noto-cjk (Chinese, Japanese, Korean) or fonts-noto-core (other scripts)"


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0
    """The font's number inside a .ttc collection."""


@dataclass(frozen=True)
class FontPlan:
    regular: FontFile | None
    bold: FontFile | None
    fallbacks: tuple[FontFile, ...]
    missing: str
    """Characters of the text that no chosen font has a glyph for (in order of first use)."""


def is_wide(ch: str) -> bool:
    """True for characters a monospaced layout gives two columns (CJK ideographs, kana, Hangul, full-width)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def plan_fonts(text: str) -> FontPlan:
    """The main font and just the fallbacks this text needs; what stays uncovered is in ``missing``.

    Text with wide characters is set in a CJK monospaced font when one is installed (its wide glyphs
    are two columns, so the layout's columns hold); otherwise in DejaVu Sans Mono or the like.
    """
    regular, bold = find_wide_mono_font() if any(is_wide(ch) for ch in text) else (None, None)
    if regular is None:
        regular, bold = find_mono_font()
    needed = {ch for ch in text if not ch.isspace() and ord(ch) >= 32}
    if regular is not None:
        needed -= {chr(code) for code in coverage(regular) if chr(code) in needed}
    fallbacks = []
    for font in (*[f for f in find_mono_font()[:1] if f is not None], *installed_fallbacks()):
        if not needed:
            break
        if font == regular:
            continue
        covered = {ch for ch in needed if ord(ch) in coverage(font)}
        if covered:
            fallbacks.append(font)
            needed -= covered
    if regular is None:  # PDF core Courier: Latin-1 only
        needed = {ch for ch in needed if not _latin1(ch)}
    missing = "".join(dict.fromkeys(ch for ch in text if ch in needed))
    return FontPlan(regular, bold, tuple(fallbacks), missing)


def _latin1(ch: str) -> bool:
    return ord(ch) < 256


@functools.lru_cache(maxsize=1)
def find_mono_font() -> tuple[FontFile | None, FontFile | None]:
    for regular_name, bold_name in MONO_FONTS:
        regular = find_font_file(regular_name)
        if regular is not None:
            bold = find_font_file(bold_name)
            return FontFile(str(regular)), FontFile(str(bold)) if bold else None
    return None, None


@functools.lru_cache(maxsize=1)
def find_wide_mono_font() -> tuple[FontFile | None, FontFile | None]:
    for regular_name, bold_name, family in WIDE_MONO_FONTS:
        regular, bold = find_font_file(regular_name), find_font_file(bold_name)
        index = _collection_index(regular, family) if regular else None
        if regular is not None and index is not None:
            bold_index = _collection_index(bold, family) if bold else None
            return FontFile(str(regular), index), FontFile(str(bold), bold_index) if bold_index is not None else None
    return None, None


@functools.lru_cache(maxsize=1)
def installed_fallbacks() -> tuple[FontFile, ...]:
    fonts = []
    for name, family in FALLBACK_FONTS:
        path = find_font_file(name)
        if path is None:
            continue
        index = _collection_index(path, family) if family else 0
        if index is not None:
            fonts.append(FontFile(str(path), index))
    return tuple(fonts)


@functools.lru_cache(maxsize=64)
def find_font_file(name: str) -> Path | None:
    for folder in FONT_DIRS:
        root = Path(os.path.expanduser(folder))
        if root.is_dir():
            found = next(iter(root.rglob(name)), None)
            if found is not None:
                return found
    return None


def _collection_index(path: Path, family: str) -> int | None:
    """The number of ``family`` inside a .ttc (0 for a single font file); None when it is not there."""
    if path.suffix.lower() != ".ttc":
        return 0
    from fontTools.ttLib import TTCollection

    with TTCollection(str(path), lazy=True) as collection:
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == family:
                return index
    return None


@functools.lru_cache(maxsize=32)
def coverage(font: FontFile) -> frozenset[int]:
    """Code points the font has glyphs for."""
    from fontTools.ttLib import TTFont

    with TTFont(font.path, fontNumber=font.index, lazy=True) as loaded:
        return frozenset(loaded.getBestCmap() or {})
