"""``moss-music-studio``: open the data dir and library, show the main window, run the workers.

Local consumers are started when none serve the queue (a ``moss-music worker``
already running is reused) and the ones this app started are stopped on exit —
also when the app is ended by SIGTERM, SIGINT (Ctrl+C in its terminal) or SIGHUP
(its terminal closed): those quit the event loop, so the same shutdown runs.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
from collections.abc import Sequence

from PySide6.QtCore import QObject, QSocketNotifier
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


QUIT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))


class SignalQuitter(QObject):
    """Turns SIGTERM/SIGINT/SIGHUP into ``QApplication.quit()`` while Qt's event loop runs.

    Python runs a signal handler only when the interpreter gets control, which never
    happens while Qt waits in C++; the wake-up socket makes Qt call back into Python
    the moment a signal arrives. ``quit()`` then emits ``aboutToQuit``, where the
    main window stops the consumers it started.
    """

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.app = app
        self.received: list[int] = []
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._previous = {sig: signal.signal(sig, self._handle) for sig in QUIT_SIGNALS}

    def _handle(self, signum: int, _frame) -> None:
        self.received.append(signum)
        logging.getLogger(__name__).info("received %s: quitting", signal.Signals(signum).name)
        self.app.quit()

    def _drain(self, *_args) -> None:
        try:
            while self._reader.recv(64):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def restore(self) -> None:
        """Put the previous handlers back (after the event loop ended)."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()


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

    window = MainWindow(library, data_dir, start_workers=not args.no_workers)
    window.show()
    window.analysis.ensure_workers()
    app.aboutToQuit.connect(window.shutdown)
    quitter = SignalQuitter(app)
    if args.quit_after is not None:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(int(args.quit_after * 1000), app.quit)
    try:
        return app.exec()
    finally:
        window.shutdown()
        quitter.restore()
        library.close()


if __name__ == "__main__":
    sys.exit(main())
