"""One dark theme for the whole app: a Fusion palette for native controls plus ``style.qss`` for the rest.

Colours are named once here so models (row colors), the stylesheet and the track view
(``desktop.track_view.theme`` names its roles for these colors) agree.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from moss_music.paths import RESOURCES_DIR
from worker.states import JobState

COLORS = {
    "window": "#1b1f24",
    "surface": "#22272e",
    "surface_alt": "#272d35",
    "raised": "#2d343d",
    "border": "#353d47",
    "text": "#e3e7ec",
    "muted": "#8b96a3",
    "accent": "#5cc28f",
    "accent_dim": "#2d5c47",
    "selection": "#2c4f41",
    "info": "#6cb4ee",
    "warning": "#e7c06a",
    "danger": "#ec7a7a",
    # Timeline marks in the track view.
    "playhead": "#ff5c7a",
    "loop": "#f5c451",
    "wave": "#5aa9e6",
    "wave_played": "#8fd0ff",
    "energy": "#b388ff",
}
STYLE_FILE = Path(__file__).with_name("style.qss")
ICONS_DIR = RESOURCES_DIR / "icons"


def palette_color(name: str) -> QColor:
    return QColor(COLORS[name])


STATE_COLORS = {  # keyed by the state's stored string, so a row's plain ``state`` text looks it up
    JobState.DONE.value: palette_color("accent"),
    JobState.RUNNING.value: palette_color("info"),
    JobState.QUEUED.value: palette_color("muted"),
    JobState.FAILED.value: palette_color("danger"),
    JobState.CANCELLED.value: palette_color("warning"),
    "": palette_color("border").lighter(130),
}


def icon(name: str) -> QIcon:
    """An icon from ``resources/icons`` (SVG); an empty icon if the file is missing."""
    path = ICONS_DIR / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "window",
        QPalette.ColorRole.WindowText: "text",
        QPalette.ColorRole.Base: "surface",
        QPalette.ColorRole.AlternateBase: "surface_alt",
        QPalette.ColorRole.ToolTipBase: "raised",
        QPalette.ColorRole.ToolTipText: "text",
        QPalette.ColorRole.Text: "text",
        QPalette.ColorRole.Button: "raised",
        QPalette.ColorRole.ButtonText: "text",
        QPalette.ColorRole.Highlight: "selection",
        QPalette.ColorRole.HighlightedText: "text",
        QPalette.ColorRole.Link: "accent",
        QPalette.ColorRole.PlaceholderText: "muted",
        QPalette.ColorRole.Mid: "border",
        QPalette.ColorRole.Dark: "window",
    }
    for role, name in roles.items():
        palette.setColor(role, palette_color(name))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, palette_color("muted"))
    app.setPalette(palette)
    app.setStyleSheet(stylesheet())
    app_icon = icon("app")
    if not app_icon.isNull():
        app.setWindowIcon(app_icon)


def stylesheet() -> str:
    """``style.qss`` with ``@name`` color placeholders filled in (longest names first)."""
    text = STYLE_FILE.read_text(encoding="utf-8").replace("@icons", ICONS_DIR.as_posix())
    for name in sorted(COLORS, key=len, reverse=True):
        text = text.replace(f"@{name}", COLORS[name])
    return text
