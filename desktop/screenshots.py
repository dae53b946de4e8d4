"""Regenerate the main-window screenshots in docs/screenshots/ (a developer tool, not part of the app).

Usage (offscreen, or an X server, e.g. ``Xvfb :99 -screen 0 1920x1080x24 &`` with ``QT_QPA_PLATFORM=xcb``)::

    QT_QPA_PLATFORM=offscreen python -m desktop.screenshots docs/screenshots

At 1440x900 and at 1280x720 it captures: the first run (empty library), the demo
song's track view as 'Open the demo song' opens it (analysed), a 500-track
library (488 synthetic rows from ``benchmarks/library_ui.py`` plus 12 songs
rendered by the demo synthesiser and scanned for real) filtered to the keys
compatible with A minor, and the queue while a real DSP worker runs it; plus the
settings dialog.
"""

from __future__ import annotations

import os
import runpy
import sys
import tempfile
import time
from pathlib import Path

from moss_music.demo import DemoSong, write_demo_song
from moss_music.paths import REPO_ROOT, DataDir
from worker.states import JobState

SONGS = [("Copper Lanterns", "Ivy Hollow", 92, "A minor", [["A", "minor"], ["F", "major"], ["C", "major"], ["G", "major"]]),
         ("Salt and Static", "The Low Tides", 118, "E minor", [["E", "minor"], ["C", "major"], ["G", "major"], ["D", "major"]]),
         ("Paper Moons", "Ivy Hollow", 76, "C major", [["C", "major"], ["A", "minor"], ["F", "major"], ["G", "major"]]),
         ("Northbound", "Kestrel Avenue", 128, "G minor", [["G", "minor"], ["Eb", "major"], ["Bb", "major"], ["F", "major"]]),
         ("Glasshouse", "Mira Vale", 104, "D major", [["D", "major"], ["B", "minor"], ["G", "major"], ["A", "major"]]),
         ("Late Bloom", "Mira Vale", 84, "F major", [["F", "major"], ["D", "minor"], ["Bb", "major"], ["C", "major"]]),
         ("Signal Fires", "Kestrel Avenue", 140, "B minor", [["B", "minor"], ["G", "major"], ["D", "major"], ["A", "major"]]),
         ("Quiet Engines", "The Low Tides", 96, "C minor", [["C", "minor"], ["Ab", "major"], ["Eb", "major"], ["Bb", "major"]]),
         ("Tin Roof Rain", "Ivy Hollow", 110, "G major", [["G", "major"], ["E", "minor"], ["C", "major"], ["D", "major"]]),
         ("Afterglow Drive", "Northern Static", 122, "F# minor", [["F#", "minor"], ["D", "major"], ["A", "major"], ["E", "major"]]),
         ("Harbour Lights", "Northern Static", 88, "Bb major", [["Bb", "major"], ["G", "minor"], ["Eb", "major"], ["F", "major"]]),
         ("Moss Garden", "MOSS-Music Studio", 100, "D minor", [["D", "minor"], ["Bb", "major"], ["F", "major"], ["C", "major"]])]


def write_songs(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, (title, artist, bpm, key, progression) in enumerate(SONGS):
        chords = tuple(root + ("m" if mode == "minor" else "") for root, mode in progression)
        song = DemoSong(title, bpm, key, chords, chords[2:] + chords[:2], bars_per_section=16, artist=artist,
                        album="Field Recordings", genre="Indie")
        write_demo_song(folder / f"{i + 1:02d} {title}.flac", song, seed=i)



def spin(app, seconds: float, until=None) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if until is not None and until():
            return
        time.sleep(0.01)


SIZES = ((1440, 900, ""), (1280, 720, "_1280x720"))
"""Every main-window screenshot is taken at a desktop and at a laptop size."""


def first_run_shots(app, out: Path, root: Path) -> None:
    """The empty library, then 'Open the demo song' until its track view is open and analysed."""
    from desktop.main_window import MainWindow
    from moss_music.library import Library

    for width, height, suffix in SIZES:
        home = root / f"first-run{suffix}"
        os.environ["MOSS_MUSIC_HOME"] = str(home)
        data_dir = DataDir.resolve(home)
        library = Library.open(data_dir)
        window = MainWindow(library, data_dir)
        window.resize(width, height)
        window.show()
        window.ensure_workers()  # as the app does at start
        spin(app, 60, lambda window=window: window.status.lanes.get("cpu"))
        spin(app, 1)
        window.grab().save(str(out / f"main_empty{suffix}.png"))
        opened: list = []
        window.track_view_opened.connect(opened.append)
        window.empty_state.demo_button.click()
        spin(app, 60, lambda opened=opened: bool(opened) and getattr(opened[0], "loaded", False))
        view = opened[0]
        view.resize(width, height)
        spin(app, 3)
        view.grab().save(str(out / f"main_demo_track_view{suffix}.png"))
        view.close()
        spin(app, 1)
        window.shutdown()
        window.close()
        library.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else REPO_ROOT / "docs" / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtWidgets import QApplication

    from desktop.app import configure_runtime
    from desktop.main_window import MainWindow
    from desktop.settings.dialog import SettingsDialog
    from desktop.theme import apply_theme
    from moss_music.library import Library

    configure_runtime()
    app = QApplication.instance() or QApplication([])
    apply_theme(app)
    root = Path(tempfile.mkdtemp(prefix="moss-shots-"))
    first_run_shots(app, out, root)

    home = root / "library"
    build = runpy.run_path(str(REPO_ROOT / "benchmarks" / "library_ui.py"))["build_library"]
    build(home, 488)
    data_dir = DataDir.resolve(home)
    import sqlite3

    with sqlite3.connect(data_dir.library_db) as db:  # the benchmark's jobs name files that do not exist
        db.execute("DELETE FROM jobs")
    os.environ["MOSS_MUSIC_HOME"] = str(home)
    write_songs(root / "Music" / "Field Recordings")
    library = Library.open(data_dir)
    library.scan([root / "Music"])
    window = MainWindow(library, data_dir)
    window.resize(1440, 900)
    window.show()
    spin(app, 4)
    filters = window.sidebar.filters
    filters.set_key("A minor", compatible=True)
    filters.set_bpm_range(90, 130)
    from PySide6.QtCore import Qt

    from desktop.library.columns import COLUMN_INDEX

    window.view.sortByColumn(COLUMN_INDEX["key"], Qt.SortOrder.AscendingOrder)  # round the Camelot wheel
    for width, height, suffix in SIZES:
        window.resize(width, height)
        spin(app, 3)
        window.grab().save(str(out / f"main_library{suffix}.png"))
    filters.clear()
    window.view.sortByColumn(COLUMN_INDEX["artist"], Qt.SortOrder.AscendingOrder)
    window.resize(1440, 900)
    spin(app, 2)

    window.ensure_workers()
    spin(app, 60, lambda: window.status.lanes.get("cpu"))
    real_ids = [t.id for t in library.list_tracks() if t.path.startswith(str(root / "Music"))]
    window.sidebar.select_folder(window.sidebar.folder_ids()[-1])
    spin(app, 2)
    for round_number, (width, height, suffix) in enumerate(SIZES):
        # One run of the queue per size (the second re-analyses), grabbed while it runs.
        window.resize(width, height)
        queued: list[int] = []
        window.enqueued.connect(queued.extend)
        window.enqueue(real_ids, "dsp", force=round_number > 0)
        spin(app, 30, lambda queued=queued: bool(queued))
        window.enqueued.disconnect()

        def running(ids=frozenset(queued)) -> bool:
            jobs = [job for job in window.queue_panel.model.jobs if job.id in ids]
            states = [job.state for job in jobs]
            return states.count(JobState.DONE) >= 2 and JobState.RUNNING in states and JobState.QUEUED in states

        spin(app, 180, running)

        def table_agrees() -> bool:
            # The table re-reads its rows a moment after the queue panel: grab when both show the same job.
            active = [job for job in window.queue_panel.model.jobs if job.state == JobState.RUNNING]
            row = window.model.row_of_track(active[0].track_id) if active else None
            cell = window.model.data(window.model.index(row, COLUMN_INDEX["dsp"])) if row is not None else ""
            return bool(cell) and cell.startswith("⟳")

        spin(app, 1.0, table_agrees)
        window.grab().save(str(out / f"main_queue{suffix}.png"))
        spin(app, 120, lambda ids=frozenset(queued): all(
            job.state == JobState.DONE for job in window.queue_panel.model.jobs if job.id in ids))
    window.resize(1440, 900)

    dialog = SettingsDialog(window.settings, data_dir, window.runner, window._folders, window)
    dialog.tabs.setCurrentIndex(2)
    dialog.show()
    spin(app, 3)
    dialog.grab().save(str(out / "main_settings.png"))
    dialog.close()
    window.shutdown()
    window.close()
    library.close()
    print(f"screenshots in {out}")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
