"""The track view's lyrics side: import (file or tags) and tap-to-sync, both as undoable edits.

A mixin of ``TrackViewWindow``. Reading a lyrics file or the audio file's tags
happens on a worker thread (file I/O only); the lines come back to the UI
thread and are saved by the edit session, so the import is one step in the
undo history and the view itself never writes to the database. Plain text and
unsynced tags come back *untimed* from the readers (start == end == 0), shown
as text until the user taps them into place.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from moss_music.annotations.lyric_sync import untimed_count


class LyricsMixin:
    def _ask_lyrics_source(self, from_file: bool) -> None:
        if not from_file:
            self.import_lyrics(None)
            return
        path, _ = QFileDialog.getOpenFileName(self, "Import lyrics", "",
                                              "Lyrics (*.lrc *.srt *.vtt *.txt);;All files (*)")
        if path:
            self.import_lyrics(path)

    def import_lyrics(self, path: str | None) -> None:
        """Replace the lyric lane with a lyrics file (or the audio file's own lyric tags).

        Read off the UI thread; saved as the user's lyric layer through the edit session (undoable; the
        machine lyrics stay and "Revert to machine result" brings them back).
        """
        from moss_music.export import lyrics_from_tags, read_lyrics_file

        if self.doc is None:
            return
        audio_path, duration = self.doc.path, self.doc.annotations.duration or self.doc.duration
        source = Path(path).name if path else "the file's tags"

        def work() -> None:
            try:
                lines = read_lyrics_file(path, duration) if path else lyrics_from_tags(audio_path, duration)
                message = "" if lines else "the file's tags hold no lyrics"
            except (OSError, ValueError) as error:
                lines, message = [], str(error) or type(error).__name__
            self._from_thread("lyrics_read", lines, message, source)

        threading.Thread(target=work, name="track-view-lyrics", daemon=True).start()

    def _lyrics_read(self, lines: list, message: str, source: str) -> None:
        if message or self.edits is None:
            self.transport.set_status(f"Lyrics not imported: {message or 'the track is not open'}")
            return
        self.edits.replace_lyrics(lines, f"Import lyrics from {source}")
        untimed = untimed_count(lines)
        if untimed:
            self.tabs.setCurrentWidget(self.lyric_sync)
            self.transport.set_status(f"{untimed} untimed lines imported: tap to sync them (Lyrics tab)")
        else:
            self.transport.set_status(f"Lyrics imported from {source} (Ctrl+Z to undo)")

    # -- tap to sync -----------------------------------------------------------------------------------------

    def _sync_started(self) -> None:
        """Rewind and play: every Space from now on stamps the next line."""
        self.tabs.setCurrentWidget(self.lyric_sync)
        self.seek(0.0)
        if self.player.state not in ("playing", "count-in"):
            self.player.play()

    def sync_tap(self) -> None:
        self.lyric_sync.tap(self.player.position())

    def _sync_applied(self, lines: list) -> None:
        if self.edits is not None:
            self.edits.replace_lyrics(lines, "Time lyrics by tapping")
            self.transport.set_status("Lyric times saved (Ctrl+Z to undo)")

    def _space(self) -> None:
        """Space plays/pauses, or taps while syncing lyrics."""
        if self.lyric_sync.active:
            self.sync_tap()
        else:
            self.toggle_play()
