"""The track view's dark look: one palette, colors per section function and per chord root."""

from __future__ import annotations

from PySide6.QtGui import QColor

from desktop.theme import COLORS

# The app's one palette (desktop/theme.py), under the names of the roles they play in the track view.
BACKGROUND = COLORS["window"]
LANE = COLORS["surface"]
PANEL = COLORS["surface_alt"]
RAISED = COLORS["raised"]
BORDER = COLORS["border"]
TEXT = COLORS["text"]
MUTED = COLORS["muted"]
ACCENT = COLORS["accent"]
SELECTED = COLORS["selection"]
PLAYHEAD = COLORS["playhead"]
LOOP = COLORS["loop"]
WAVE = COLORS["wave"]
WAVE_PLAYED = COLORS["wave_played"]
ENERGY = COLORS["energy"]
WARNING = COLORS["warning"]

SECTION_COLOURS = {
    "intro": "#5c6bc0",
    "verse": "#26a69a",
    "pre-chorus": "#9ccc65",
    "chorus": "#ef5350",
    "post-chorus": "#ff8a65",
    "bridge": "#ab47bc",
    "solo": "#ffa726",
    "instrumental": "#29b6f6",
    "interlude": "#78909c",
    "break": "#8d6e63",
    "outro": "#7e57c2",
    "silence": "#37474f",
    "other": "#607d8b",
}

# Circle of fifths around the hue wheel: related keys get related colors.
_FIFTHS_ORDER = [0, 7, 2, 9, 4, 11, 6, 1, 8, 3, 10, 5]
FUNCTION_COLOURS = {"tonic": "#26a69a", "subdominant": "#5c8df6", "dominant": "#ef6c57", "other": "#8e7cc3"}


def root_color(pitch_class: int | None) -> QColor:
    if pitch_class is None:
        return QColor("#3a3f4b")
    hue = _FIFTHS_ORDER.index(pitch_class % 12) / 12.0
    return QColor.fromHslF(hue, 0.45, 0.42)


def function_color(root: int | None, key_tonic: int | None, minor: bool) -> QColor:
    """Harmonic function of a chord root relative to the key: tonic, subdominant or dominant family."""
    if root is None or key_tonic is None:
        return QColor("#3a3f4b")
    degree = (root - key_tonic) % 12
    if minor:
        degree = (degree - 3) % 12  # read minor keys through their relative major
    family = {0: "tonic", 4: "tonic", 9: "tonic", 5: "subdominant", 2: "subdominant",
              7: "dominant", 11: "dominant"}.get(degree, "other")
    return QColor(FUNCTION_COLOURS[family])


def section_color(function: str) -> QColor:
    return QColor(SECTION_COLOURS.get(function, SECTION_COLOURS["other"]))


STYLESHEET = f"""
QWidget#TrackView, QWidget#TrackView QWidget {{ background: {BACKGROUND}; color: {TEXT}; font-size: 13px; }}
QWidget#TrackView QFrame#Panel, QWidget#TrackView QTabWidget::pane {{
    background: {PANEL}; border: 1px solid {BORDER}; border-radius: 8px; }}
QWidget#TrackView QTabBar::tab {{ background: transparent; color: {MUTED}; padding: 6px 14px; border: none;
    border-bottom: 2px solid transparent; }}
QWidget#TrackView QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
QWidget#TrackView QLabel#Title {{ font-size: 20px; font-weight: 600; }}
QWidget#TrackView QLabel#Subtitle, QWidget#TrackView QLabel[muted="true"] {{ color: {MUTED}; }}
QWidget#TrackView QLabel#Chip {{ background: {RAISED}; border: 1px solid {BORDER}; border-radius: 10px;
    padding: 2px 10px; }}
QWidget#TrackView QLabel#Warning {{ color: {WARNING}; }}
QWidget#TrackView QLabel#NoSound {{ color: #1a1205; background: {WARNING}; border-radius: 9px; padding: 3px 8px;
    font-weight: 600; }}
QWidget#TrackView QToolButton::menu-indicator {{ image: none; width: 0; }}
QWidget#TrackView QLabel#Clock {{ font-family: monospace; font-size: 18px; color: {TEXT}; padding: 0 8px; }}
QWidget#TrackView QToolButton, QWidget#TrackView QPushButton {{
    background: {RAISED}; border: 1px solid {BORDER}; border-radius: 6px; padding: 5px 8px; color: {TEXT}; }}
QWidget#TrackView QToolButton:hover, QWidget#TrackView QPushButton:hover {{ border-color: {ACCENT}; }}
QWidget#TrackView QToolButton:checked, QWidget#TrackView QPushButton:checked {{
    background: {SELECTED}; border-color: {ACCENT}; color: {ACCENT}; }}
QWidget#TrackView QToolButton:disabled, QWidget#TrackView QPushButton:disabled {{ color: #555b66; }}
QWidget#TrackView QToolButton#Play {{ background: {ACCENT}; color: #0b1413; font-weight: 700; min-width: 34px; }}
QWidget#TrackView QLineEdit, QWidget#TrackView QSpinBox, QWidget#TrackView QDoubleSpinBox,
QWidget#TrackView QComboBox, QWidget#TrackView QPlainTextEdit, QWidget#TrackView QTextBrowser {{
    background: {LANE}; border: 1px solid {BORDER}; border-radius: 6px; padding: 4px 6px; color: {TEXT}; }}
QWidget#TrackView QSlider::groove:horizontal {{ height: 4px; background: {BORDER}; border-radius: 2px; }}
QWidget#TrackView QSlider::handle:horizontal {{ background: {ACCENT}; width: 14px; margin: -6px 0;
    border-radius: 7px; }}
QWidget#TrackView QTableWidget {{ background: {LANE}; gridline-color: {BORDER}; border: 1px solid {BORDER};
    border-radius: 6px; }}
QWidget#TrackView QHeaderView::section {{ background: {RAISED}; color: {MUTED}; border: none; padding: 4px; }}
QWidget#TrackView QCheckBox {{ spacing: 6px; }}
QWidget#TrackView QSplitter::handle {{ background: {BACKGROUND}; }}
QWidget#TrackView QFrame#Panel QLabel, QWidget#TrackView QFrame#Panel QCheckBox,
QWidget#TrackView QFrame#Panel QWidget#qt_scrollarea_viewport {{ background: transparent; }}
QWidget#TrackView QFrame#Panel QLabel[muted="true"] {{ color: {MUTED}; }}
QWidget#TrackView QFrame#Panel QLabel#Warning {{ color: {WARNING}; }}
QWidget#TrackView QListView {{ background: {LANE}; border: 1px solid {BORDER}; border-radius: 6px; }}
QWidget#TrackView QListView::item:selected {{ background: {SELECTED}; color: {ACCENT}; }}
QWidget#TrackView QTableWidget QTableCornerButton::section {{ background: {RAISED}; }}
"""
