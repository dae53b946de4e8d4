"""A Standard MIDI File a DAW can lay under the audio: tempo map, bars, markers, chords, lyrics.

Format 1, 960 ticks per quarter. Track 0 carries a tempo change at every
detected beat, so the DAW's grid follows the performance and its bar lines fall
on the detected downbeats (time signature changes absorb pickups and odd bars),
plus the key signature and a Marker per section. Track 1 names each chord (text
events) and can play it; track 2 holds lyric events.
"""

from __future__ import annotations

import bisect
import io
from dataclasses import dataclass, field

import mido

from moss_music.annotations import Beat, Key, TrackAnnotations, parse_chord
from moss_music.annotations.chords import note_to_pitch_class
from moss_music.export.base import ExportOptions, TrackInfo, Writer
from moss_music.export.keys import MAJOR_NAMES, MINOR_NAMES, standard_key
from moss_music.export.naming import chord_name, is_no_chord, meter, section_names, tempo_bpm, track_end

PPQ = 960
DEFAULT_BPM = 120.0
MAX_TEMPO_US = 0xFFFFFF
CHORD_CHANNEL = 0
BASS_RANGE_LOW = 36    # C2: the bass note of each block chord sits in C2..B2
CHORD_RANGE_LOW = 55   # G3: chord tones in G3..F#4, a close voicing around middle C
_MIDO_KEYS = set(MAJOR_NAMES) | set(MINOR_NAMES) | {"Cb", "Gb", "C#", "Abm", "D#m", "A#m"}
# Events at one tick: time signature and tempo before markers, note-offs before note-ons.
_ORDER = {"track_name": 0, "time_signature": 1, "key_signature": 2, "set_tempo": 3, "marker": 4, "text": 5,
          "lyrics": 6, "program_change": 7, "note_off": 8, "note_on": 9}


@dataclass
class TempoMap:
    """Seconds <-> ticks as a reader of the file will compute them (integer tempos included)."""

    times: list[float] = field(default_factory=list)
    ticks: list[int] = field(default_factory=list)
    tempos: list[int] = field(default_factory=list)
    """Microseconds per quarter note from each knot on; the last one holds to the end."""
    signatures: list[tuple[int, int, int]] = field(default_factory=list)
    """(tick, numerator, denominator)."""

    def tick_at(self, seconds: float) -> int:
        if seconds <= 0:
            return 0
        j = max(0, bisect.bisect_right(self.times, seconds) - 1)
        return self.ticks[j] + round((seconds - self.times[j]) * 1e6 * PPQ / self.tempos[j])

    def seconds_at(self, tick: int) -> float:
        j = max(0, bisect.bisect_right(self.ticks, tick) - 1)
        return self.times[j] + (tick - self.ticks[j]) * self.tempos[j] / PPQ / 1e6


def build_tempo_map(annotations: TrackAnnotations) -> TempoMap:
    """Tempo knots on every beat and time signatures that make bars start on downbeats."""
    numerator, denominator = meter(annotations)
    denominator = denominator if denominator in (1, 2, 4, 8, 16, 32) else 4
    beat_ticks = PPQ * 4 // denominator
    beats = _clean_beats(annotations.beats)
    if len(beats) < 2:
        bpm = tempo_bpm(annotations) or DEFAULT_BPM
        tempo = _clamp_tempo(60.0 / bpm * 1e6 * 4 / denominator)
        return TempoMap([0.0], [0], [tempo], [(0, numerator, denominator)])
    first_gap = beats[1].time - beats[0].time
    lead = round(beats[0].time / first_gap) if beats[0].time > 0.001 else 0
    # Knots: (target seconds, tick). Without lead-in beats the first beat is pulled back to 0 s.
    knots = [(0.0, 0)] if lead else []
    for k, beat in enumerate(beats):
        knots.append((beat.time if (k or lead) else 0.0, (lead + k) * beat_ticks))
    tempo_map = TempoMap()
    actual = 0.0
    for j, (_target, tick) in enumerate(knots):
        if j + 1 < len(knots):
            next_target, next_tick = knots[j + 1]
            # Aim at the next knot from where the file really is (rounding never accumulates).
            tempo = _clamp_tempo((next_target - actual) * 1e6 * PPQ / (next_tick - tick))
        else:
            tempo = tempo_map.tempos[-1]
        tempo_map.times.append(actual)
        tempo_map.ticks.append(tick)
        tempo_map.tempos.append(tempo)
        if j + 1 < len(knots):
            actual += tempo * (knots[j + 1][1] - tick) / PPQ / 1e6
    tempo_map.signatures = _signatures(beats, lead, numerator, denominator, beat_ticks)
    return tempo_map


def _clean_beats(beats: list[Beat]) -> list[Beat]:
    """Sorted, strictly increasing by at least 1 ms (a grid cannot hold two beats at one instant)."""
    result: list[Beat] = []
    for beat in sorted(beats, key=lambda b: b.time):
        if beat.time >= 0 and (not result or beat.time - result[-1].time >= 0.001):
            result.append(beat)
    return result


def _clamp_tempo(microseconds: float) -> int:
    return int(min(max(round(microseconds), 1), MAX_TEMPO_US))


def _signatures(beats: list[Beat], lead: int, numerator: int, denominator: int,
                beat_ticks: int) -> list[tuple[int, int, int]]:
    has_bars = any(b.position != beats[0].position for b in beats) or numerator == 1
    downbeats = [k for k, b in enumerate(beats) if b.position == 1] if has_bars else []
    if not downbeats:
        return [(0, numerator, denominator)]
    result: list[tuple[int, int, int]] = []
    before = lead + downbeats[0]
    pickup = before % numerator
    if pickup:
        result.append((0, pickup, denominator))
    if not result or before:
        result.append((pickup * beat_ticks, numerator, denominator))
    current = numerator
    for this, following in zip(downbeats, downbeats[1:]):
        length = following - this
        if length != current:
            result.append(((lead + this) * beat_ticks, length, denominator))
            current = length
    if current != numerator:
        result.append(((lead + downbeats[-1]) * beat_ticks, numerator, denominator))
    return _dedupe_signatures(result)


def _dedupe_signatures(signatures: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    result: list[tuple[int, int, int]] = []
    for tick, num, den in signatures:
        if result and result[-1][0] == tick:
            result[-1] = (tick, num, den)
        elif not result or result[-1][1:] != (num, den):
            result.append((tick, num, den))
    return result


def midi_key_name(key: Key, transpose: int = 0) -> str | None:
    """mido's key signature name ('Eb', 'F#m'), or None for modes a key signature cannot state."""
    name = standard_key(key, transpose)
    if name is None or name in _MIDO_KEYS:
        return name
    pc = note_to_pitch_class(name.rstrip("m"))
    return (MINOR_NAMES if name.endswith("m") else MAJOR_NAMES)[pc]


def block_chord_notes(label: str, transpose: int = 0) -> list[int]:
    """MIDI notes for one chord: its bass in C2..B2, its tones in a close voicing G3..F#4."""
    try:
        symbol = parse_chord(label).transposed(transpose)
    except ValueError:
        return []
    if symbol.is_no_chord:
        return []
    bass = symbol.bass_pitch_class()
    notes = [BASS_RANGE_LOW + (bass - BASS_RANGE_LOW) % 12]
    notes += sorted(CHORD_RANGE_LOW + (pc - CHORD_RANGE_LOW) % 12 for pc in symbol.pitch_classes())
    return notes


class MidiWriter(Writer):
    name = "midi"
    extension = ".mid"
    description = "Standard MIDI file: tempo map, bars, section markers, chords, lyrics"
    needs = ("beats", "tempo", "sections", "chords", "lyrics", "key")
    binary = True

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> bytes:
        midi = self.build(annotations, info, options)
        buffer = io.BytesIO()
        midi.save(file=buffer)
        return buffer.getvalue()

    def build(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> mido.MidiFile:
        tempo_map = build_tempo_map(annotations)
        end_tick = tempo_map.tick_at(track_end(annotations, info.duration))
        conductor = [(0, mido.MetaMessage("track_name", name=info.title or "Song"))]
        for tick, num, den in tempo_map.signatures:
            conductor.append((tick, mido.MetaMessage("time_signature", numerator=num, denominator=den,
                                                     clocks_per_click=24, notated_32nd_notes_per_beat=8)))
        previous = None
        for tick, tempo in zip(tempo_map.ticks, tempo_map.tempos):
            if tempo != previous:
                conductor.append((tick, mido.MetaMessage("set_tempo", tempo=tempo)))
                previous = tempo
        if annotations.key:
            name = midi_key_name(annotations.key, options.transpose)
            if name:
                conductor.append((0, mido.MetaMessage("key_signature", key=name)))
        sections = sorted(annotations.sections, key=lambda s: s.start)
        for section, name in zip(sections, section_names(sections)):
            conductor.append((tempo_map.tick_at(section.start), mido.MetaMessage("marker", text=name)))
        chords_track = [(0, mido.MetaMessage("track_name", name="Chords"))]
        if options.midi_block_chords:
            chords_track.append((0, mido.Message("program_change", channel=CHORD_CHANNEL, program=0)))
        for chord in sorted(annotations.chords, key=lambda c: c.start):
            if is_no_chord(chord):
                continue
            start, stop = tempo_map.tick_at(chord.start), tempo_map.tick_at(chord.end)
            label = chord_name(chord.label, options)
            chords_track.append((start, mido.MetaMessage("text", text=label)))
            if options.chord_markers:
                conductor.append((start, mido.MetaMessage("marker", text=label)))
            if options.midi_block_chords:
                stop = max(stop, start + 1)
                for note in block_chord_notes(chord.label, options.transpose):
                    velocity = 90 if note < CHORD_RANGE_LOW else 76
                    chords_track.append((start, mido.Message("note_on", channel=CHORD_CHANNEL, note=note,
                                                             velocity=velocity)))
                    chords_track.append((stop, mido.Message("note_off", channel=CHORD_CHANNEL, note=note,
                                                            velocity=0)))
        lyrics_track = [(0, mido.MetaMessage("track_name", name="Lyrics"))]
        for line in sorted(annotations.lyrics, key=lambda line: line.start):
            if options.midi_lyrics_per_word and line.words:
                for word in line.words:
                    lyrics_track.append((tempo_map.tick_at(word.start), mido.MetaMessage("lyrics", text=word.text)))
            elif line.text.strip():
                lyrics_track.append((tempo_map.tick_at(line.start), mido.MetaMessage("lyrics", text=line.text)))
        midi = mido.MidiFile(type=1, ticks_per_beat=PPQ, charset="utf-8")
        for events in (conductor, chords_track, lyrics_track):
            midi.tracks.append(_to_track(events, end_tick))
        return midi


def _to_track(events: list[tuple[int, mido.Message | mido.MetaMessage]], end_tick: int) -> mido.MidiTrack:
    """Absolute ticks -> delta times, in a stable order that keeps one tick's events sensible."""
    ordered = sorted(enumerate(events), key=lambda item: (item[1][0], _ORDER.get(item[1][1].type, 10), item[0]))
    track = mido.MidiTrack()
    now = 0
    for _, (tick, message) in ordered:
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end_tick - now)))
    return track
