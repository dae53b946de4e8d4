"""Regenerate the main-window screenshots in docs/screenshots/ (a developer tool, not part of the app).

Usage (X server at 1440x900, e.g. ``Xvfb :99 -screen 0 1440x900x24 &``)::

    DISPLAY=:99 QT_QPA_PLATFORM=xcb python -m desktop.screenshots docs/screenshots

It builds a 500-track library (488 synthetic rows from ``benchmarks/library_ui.py``
plus 12 songs rendered by the demo synthesiser and scanned for real), starts a
real DSP worker and captures: the empty state, the populated library, the queue
while it runs, and the settings dialog.
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
        song = DemoSong(title, bpm, key, chords, chords[2:] + chords[:2], bars_per_section=6, artist=artist,
                        album="Field Recordings", genre="Indie")
        write_demo_song(folder / f"{i + 1:02d} {title}.flac", song, seed=i)


def spin(app, seconds: float, until=None) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if until is not None and until():
            return
        time.sleep(0.01)


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
    os.environ["MOSS_MUSIC_HOME"] = str(root / "empty")

    empty_dir = DataDir.resolve(root / "empty")
    library = Library.open(empty_dir)
    window = MainWindow(library, empty_dir)
    window.resize(1440, 900)
    window.show()
    spin(app, 3)
    window.grab().save(str(out / "main_empty.png"))
    window.shutdown()
    window.close()
    library.close()

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
    window.grab().save(str(out / "main_library.png"))

    window.ensure_workers()
    spin(app, 60, lambda: window.status.lanes.get("cpu"))
    real_ids = [t.id for t in library.list_tracks() if t.path.startswith(str(root / "Music"))]
    window.sidebar.select_folder(window.sidebar.folder_ids()[-1])
    spin(app, 2)
    window.enqueue(real_ids, "dsp")
    spin(app, 180, lambda: sum(job.state == "done" for job in window.queue_panel.model.jobs) >= 1
         and any(job.state == "running" and job.progress > 0.3 for job in window.queue_panel.model.jobs))
    window.grab().save(str(out / "main_queue.png"))

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
