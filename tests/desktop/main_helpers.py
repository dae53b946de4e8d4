"""Fixtures and helpers for the main-window tests (test_main_*.py).

Kept out of a conftest so the track-view and player tests in this folder are
not affected; test modules import the fixtures they use.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from moss_music.annotations import Caption, Key, Tempo, TimeSignature, TrackAnnotations
from tests.audio_fixtures import write_song

DEFAULT_WAIT_MS = 20_000


@pytest.fixture
def no_pointer(tmp_path, monkeypatch):
    """Keep the 'data dir chosen in Settings' pointer file inside the test's tmp dir."""
    from desktop.settings.location import POINTER_ENV

    monkeypatch.setenv(POINTER_ENV, str(tmp_path / "pointer" / "data_dir.txt"))


@pytest.fixture
def window(qtbot, library, data_dir, no_pointer):
    """The main window on a real (empty) library in a temp data dir; no workers started."""
    from desktop.main_window import MainWindow

    win = MainWindow(library, data_dir)
    win.confirm = lambda _title, _text: True
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    qtbot.waitUntil(lambda: win.model.loaded_once, timeout=DEFAULT_WAIT_MS)
    yield win
    win.shutdown()


@pytest.fixture
def song_folder(tmp_path) -> Callable[..., Path]:
    """Write songs with tags into a new folder: make(("Title", "Artist"), ...) -> folder."""
    def make(*songs: tuple[str, str], name: str = "music", seconds: float = 1.0) -> Path:
        folder = tmp_path / name
        for i, (title, artist) in enumerate(songs):
            write_song(folder / f"{i:02d} {title}.flac", seconds=seconds, bpm=90 + 7 * i,
                       tags={"title": title, "artist": artist})
        return folder

    return make


def scan(qtbot, win, *paths) -> None:
    """Scan through the window (as Add folder does) and wait for the table to show the result."""
    with qtbot.waitSignal(win.scan_finished, timeout=DEFAULT_WAIT_MS):
        win.scan_paths([str(p) for p in paths])
    settle(qtbot, win)


def settle(qtbot, win) -> None:
    """Wait until the model has no reload or page fetch in flight."""
    qtbot.waitUntil(lambda: not win.model._reload_running and win.model._reload_pending is None
                    and not win.model._fetching, timeout=DEFAULT_WAIT_MS)


def shown_titles(win) -> list[str]:
    model = win.model
    rows = []
    for row in range(model.rowCount()):
        item = model.row_at(row)
        rows.append(item.title if item else None)
    return rows


def wait_titles(qtbot, win, expected: set[str]) -> None:
    qtbot.waitUntil(lambda: set(shown_titles(win)) == expected, timeout=DEFAULT_WAIT_MS)


def annotate(library, track_id: int, *, key: tuple[str, str] | None = None, bpm: float | None = None,
             meter: tuple[int, int] | None = None, caption: str = "", tags: tuple[str, ...] = ()) -> None:
    """Store an analysis the way a worker would, so the summary columns and search index follow."""
    annotations = TrackAnnotations(
        duration=1.0,
        key=Key(*key) if key else None,
        tempo=Tempo(bpm) if bpm else None,
        time_signature=TimeSignature(*meter) if meter else None,
        caption=Caption(text=caption, tags=list(tags)) if caption or tags else None,
    )
    library.save_analysis(track_id, backend="dsp", tasks=["key", "beats"], annotations=annotations)


def track_ids_by_title(library) -> dict[str, int]:
    return {track.display_title: track.id for track in library.list_tracks()}
