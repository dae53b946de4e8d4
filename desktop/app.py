"""``moss-music-studio``: open the data dir and library, show the main window, run the workers.

Local consumers are started when none serve the queue (a ``moss-music worker``
already running is reused) and the ones this app started are stopped on exit.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.settings.location import launch_home
from moss_music.paths import DataDir


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moss-music-studio", description="MOSS-Music Studio desktop app")
    parser.add_argument("--home", metavar="DIR", help="data directory (default: $MOSS_MUSIC_HOME, the one chosen "
                                                      "in Settings, or the user data dir)")
    parser.add_argument("--no-workers", action="store_true", help="do not start analysis workers")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS",
                        help="close by itself after SECONDS (installation checks and packaging smoke tests)")
    return parser


GIL_SWITCH_INTERVAL_S = 0.001


def configure_runtime() -> None:
    """Let the UI thread get the GIL back within 1 ms (Python's default is 5 ms).

    Qt calls into Python for every cell it paints; while a pool thread runs
    Python (building rows), each of those calls can wait a full switch interval.
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)


def main(argv: Sequence[str] | None = None) -> int:
    args, qt_args = build_parser().parse_known_args(argv)
    configure_runtime()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("MOSS-Music Studio")
    app.setOrganizationName("moss-music-studio")

    from desktop.theme import apply_theme

    apply_theme(app)
    try:
        data_dir = DataDir.resolve(launch_home(args.home))
        from moss_music.library import Library

        library = Library.open(data_dir)
    except Exception as error:  # noqa: BLE001 - say it in a dialog: a GUI app has no terminal to read
        QMessageBox.critical(None, "MOSS-Music Studio", f"Could not open the library: {error}")
        return 1

    from desktop.main_window import MainWindow

    window = MainWindow(library, data_dir)
    window.show()
    if not args.no_workers:
        window.ensure_workers()
    app.aboutToQuit.connect(window.shutdown)
    if args.quit_after is not None:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(int(args.quit_after * 1000), app.quit)
    try:
        return app.exec()
    finally:
        library.close()


if __name__ == "__main__":
    sys.exit(main())
