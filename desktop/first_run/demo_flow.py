"""'Open the demo song': render it, add it to the library, analyse it with DSP, then open it.

The analysis runs in this process on a pool thread (the DSP backend takes well
under a second for the 30-second song), so the first thing a new user sees works
even before the queue's consumers have started, and its progress is reported
stage by stage. A demo already analysed is reused as stored.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop.first_run.demo import ensure_demo_song
from desktop.services import BackgroundRunner, describe_error
from moss_music.paths import DataDir

DEMO_BACKEND = "dsp"


class DemoController(QObject):
    progress = Signal(float, str)
    """(0..1, what is happening); emitted from the pool thread, delivered queued."""
    ready = Signal(int)
    """The demo's track id: in the library and analysed."""
    failed = Signal(str)

    def __init__(self, library, data_dir: DataDir, runner: BackgroundRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.data_dir = data_dir
        self.runner = runner
        self.running = False
        self.track_id: int | None = None

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        library, data_dir, progress = self.library, self.data_dir, self.progress

        def work() -> int:
            from moss_music.analysis import get_analyzer_class
            from moss_music.analysis.pipeline import analyze_track

            progress.emit(0.0, "Creating the demo song…")
            path = ensure_demo_song(data_dir)
            progress.emit(0.15, "Adding it to the library…")
            library.scan([path])
            track = library.resolve_track(str(path))
            analyzer_class = get_analyzer_class(DEMO_BACKEND)
            analyzer = analyzer_class.from_options({})

            def step(fraction: float, stage: str) -> None:
                progress.emit(0.2 + 0.8 * max(0.0, min(1.0, fraction)), f"Analysing: {stage}…")

            analyze_track(library, analyzer, track, analyzer_class.tasks, progress=step)
            progress.emit(1.0, "Opening the demo song…")
            return track.id

        self.runner.submit(work, self._done, self._failed)

    def _done(self, track_id: int) -> None:
        self.running = False
        self.track_id = track_id
        self.ready.emit(track_id)

    def _failed(self, error: BaseException) -> None:
        self.running = False
        self.failed.emit(f"Could not prepare the demo song: {describe_error(error)}")
