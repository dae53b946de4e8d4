"""The track view's playback side: output device, transport, the display-refresh tick, loops, practice settings.

A mixin of ``TrackViewWindow`` (it uses the window's player, transport,
timeline, practice panel and chord sheet). Without a sound card the player
runs on its clock-only output, so every control here keeps working and the
transport says, where the eye is, that nothing will be heard.
"""

from __future__ import annotations

import threading

from desktop.player import COUNT_IN, PLAYING, SoundDeviceOutput, list_output_devices, open_default_output
from desktop.player.outputs import OutputError

STRETCHING = "Preparing stretched audio…"


class PlaybackMixin:
    # -- output device ------------------------------------------------------------------------------------

    def _start_output_search(self) -> None:
        def find() -> None:
            output, reason = open_default_output()
            devices = list_output_devices()
            self._from_thread("devices", output, devices, reason)

        threading.Thread(target=find, name="track-view-audio", daemon=True).start()

    def _devices_found(self, output, devices, reason: str) -> None:
        self.player.set_output(output, reason)
        self.transport.set_devices(devices, output is not None)
        self._show_playback_status()

    def choose_device(self, index) -> None:
        try:
            output = SoundDeviceOutput(index)
        except OutputError as error:
            self.transport.set_status(f"Cannot use that device: {error}")
            return
        self.player.set_output(output)
        self._show_playback_status()

    def _show_playback_status(self) -> None:
        """Play always works (silently on the clock without a device); the badge says when nothing is heard."""
        audible = self.player.available
        reason = self.player.unavailable_reason
        self.transport.set_sound(audible, reason)
        if self.transport.status.text() == reason or audible:
            self.transport.set_status("")

    # -- transport ------------------------------------------------------------------------------------------

    def toggle_play(self) -> None:
        if self.player.state in (PLAYING, COUNT_IN):
            self.player.pause()
        elif not self.player.play() and self.player.error:
            self.transport.set_status(self.player.error)

    def stop(self) -> None:
        self.player.stop()
        self._show_position(self.player.position())

    def seek(self, t: float) -> None:
        self.player.seek(t)
        self._show_position(self.player.position())

    def _step(self, direction: int, bars: bool) -> None:
        if self.doc is not None:
            self.seek(self.doc.neighbour_beat(self.player.position(), direction, bars))

    def _relay_player_event(self, event: str) -> None:
        """Called on the audio/loader thread: hop onto the UI thread unless the view is gone."""
        self._from_thread("event", event)

    def _from_thread(self, signal: str, *args) -> None:
        """Emit one of ``_events``' signals from a worker thread, never racing the view's shutdown: the check
        and the (queued, non-blocking) emit happen under the lock ``shutdown`` takes to mark the view gone."""
        with self._alive_lock:
            if self._alive:
                getattr(self._events, signal).emit(*args)

    def _player_event(self, event: str) -> None:
        if event in ("state", "ended", "loaded"):
            playing = self.player.state in (PLAYING, COUNT_IN)
            self.transport.set_playing(playing)
            if playing and not self.frame_timer.isActive():
                self.frame_timer.start()
            elif not playing:
                self.frame_timer.stop()
                self._show_position(self.player.position())
        if event == "error" and self.player.error:
            self.transport.set_status(self.player.error)

    def tick(self) -> None:
        """One display frame while playing: move the playhead, follow it, update the practice panel."""
        playing = self.player.state in (PLAYING, COUNT_IN)
        self._show_position(self.player.position(), playing)
        status = STRETCHING if self.player.buffering else ""
        if status or self.transport.status.text() == STRETCHING:
            self.transport.set_status(status)

    def _show_position(self, t: float, playing: bool = False) -> None:
        self.timeline.set_position(t, playing)
        self.sheet.show_time(t, self.timeline.follow)
        self.practice.show_time(t, self.player.count_in_remaining())
        self.lyric_sync.show_time(t)
        if self.doc is not None:
            self.transport.set_time(t, self.doc.duration)

    def _set_follow(self, on: bool) -> None:
        self.timeline.follow = on

    # -- loops ------------------------------------------------------------------------------------------------

    def set_loop(self, start: float | None, end: float | None, name: str = "") -> None:
        try:
            self.player.set_loop(start, end)
        except ValueError as error:
            self.transport.set_status(str(error))
            return
        loop = self.player.loop
        self.loop_name = name if loop else ""
        a, b = (loop.start, loop.end) if loop else (None, None)
        self.timeline.show_loop(a, b)
        self.sheet.show_loop(a, b)
        self.transport.set_loop(a, b, self.loop_name)
        self._show_position(self.player.position())

    def clear_loop(self) -> None:
        self.set_loop(None, None)

    def set_loop_point(self, which: str) -> None:
        now = self.player.position()
        loop = self.player.loop
        duration = self.doc.duration if self.doc else self.player.duration
        if which == "start":
            end = loop.end if loop and loop.end > now + 0.05 else min(now + 4.0, duration)
            self.set_loop(now, end, "A–B")
        else:
            start = loop.start if loop and loop.start < now - 0.05 else max(now - 4.0, 0.0)
            self.set_loop(start, now, "A–B")

    def loop_block(self, kind: str, index: int) -> None:
        doc = self.doc
        block = {"chords": doc.annotations.chords, "sections": doc.annotations.sections,
                 "lyrics": doc.annotations.lyrics}[kind][index]
        loop = self.player.loop
        if loop and abs(loop.start - block.start) < 1e-3 and abs(loop.end - block.end) < 1e-3:
            self.clear_loop()
            return
        name = {"chords": lambda: doc.settings.chord_name(block.label), "sections": lambda: block.label,
                "lyrics": lambda: "lyric line"}[kind]()
        self.set_loop(block.start, block.end, name)

    def loop_current_section(self) -> None:
        if self.doc is None:
            return
        index = self.doc.section_index_at(self.player.position())
        if index is not None:
            self.loop_block("sections", index)

    # -- practice settings --------------------------------------------------------------------------------------

    def _transpose(self, semitones: int) -> None:
        self.player.set_transpose(semitones)
        self._display_changed(transpose=semitones)

    def _capo(self, fret: int) -> None:
        self._display_changed(capo=fret)

    def _spelling(self, prefer_flats) -> None:
        self._display_changed(prefer_flats=prefer_flats)

    def _simplify(self, on: bool) -> None:
        if self.doc is None:
            return
        self.doc.settings.simplify = on
        self.sheet.set_document(self.doc)
        self._display_changed()

    def _display_changed(self, **changes) -> None:
        if self.doc is None:
            return
        for name, value in changes.items():
            setattr(self.doc.settings, name, value)
        self.timeline.item("chords").refresh_names()
        self.sheet.refresh_names()
        self.practice.set_document(self.doc)
        self._update_chips()
        self._show_position(self.player.position())

    def _count_in(self, bars: int) -> None:
        beats_per_bar = self.doc.annotations.time_signature.numerator if self.doc and \
            self.doc.annotations.time_signature else 4
        self.player.set_count_in(bars * beats_per_bar)
