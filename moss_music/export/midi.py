"""A Standard MIDI File a DAW can lay under the audio: tempo map, bars, markers, chords, lyrics; and a .kar.

Format 1, 960 ticks per quarter. Track 0 carries a tempo change at every
detected beat, so the DAW's grid follows the performance and its bar lines fall
on the detected downbeats (time signature changes absorb pickups and odd bars),
plus the key signature and a Marker per section. Track 1 holds the lyric
events; track 2 names each chord and can play it.

What readers were seen to do, and what follows from it:

* MuseScore 3 takes the key signature from the track whose notes it
  notates, so the key is written in the chord track as well as in track 0.
* MuseScore takes every Text event (FF 01) and Lyric event (FF 05) in a track
  as a lyric, so chord names are Cue Point events (FF 07), which no notation
  program reads as lyrics and DAWs show on the item.
* MuseScore hangs a lyric only on a note that starts at the same tick. The
  analysis has no melody, so the lyrics track carries a quiet guide note per
  word (velocity 1, the root of the chord sounding then, C4..B4; its own
  channel) unless ``midi_lyric_notes`` is off. It marks where words fall; it
  is not the sung melody.
* Lyric events carry their spaces (a space before every word but a line's
  first), so karaoke lines do not run words together. The .kar variant also
  marks lines the karaoke way: '/' before the first word of a new line, '\\'
  before the first word of a new paragraph (a new section); TiMidity breaks
  lines there. In a .mid, MuseScore and TiMidity both print those marks as
  text, so they are off unless ``midi_lyric_marks`` asks for them.
* Text encoding: .mid text is UTF-8 (MuseScore's default; mido and
  pretty_midi need ``charset='utf-8'``), or Latin-1 by option. The .kar
  variant is Latin-1 whenever the text fits (what karaoke players, mido and
  pretty_midi read by default) and UTF-8 with a warning otherwise.
"""

from __future__ import annotations

import bisect
import io
from dataclasses import dataclass, field

import mido

from moss_music.annotations import Beat, Key, LyricLine, Section, TrackAnnotations, parse_chord
from moss_music.annotations.keys import key_from_annotation
from moss_music.export.base import ExportOptions, TrackInfo, Writer
from moss_music.export.naming import chord_name, is_no_chord, meter, section_names, tempo_bpm, track_end

PPQ = 960
DEFAULT_BPM = 120.0
MAX_TEMPO_US = 0xFFFFFF
CHORD_CHANNEL = 0
LYRIC_CHANNEL = 1
LYRIC_NOTE_LOW = 60     # C4: guide notes sit in C4..B4
LYRIC_NOTE_VELOCITY = 1
BASS_RANGE_LOW = 36    # C2: the bass note of each block chord sits in C2..B2
CHORD_RANGE_LOW = 55   # G3: chord tones in G3..F#4, a close voicing around middle C
TEXT_ENCODINGS = ("utf-8", "latin-1")
KAR_NEW_LINE = "/"
KAR_NEW_PARAGRAPH = "\\"
# Events at one tick: time signature and tempo before markers, note-offs before note-ons.
_ORDER = {"track_name": 0, "time_signature": 1, "key_signature": 2, "set_tempo": 3, "marker": 4, "cue_marker": 5,
          "text": 6, "lyrics": 7, "program_change": 8, "note_off": 9, "note_on": 10}


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
    """mido's key signature name ('Eb', 'F#m'), or None for modes a key signature cannot state.

    The key's own signature spelling (``MusicalKey.short``) is always one mido accepts.
    """
    musical = key_from_annotation(key)
    return musical.transposed(transpose).short() if musical else None


def karaoke_syllables(lines: list[LyricLine], sections: list[Section], per_word: bool,
                      marks: bool = True) -> list[tuple[float, str]]:
    """(time, text) lyric events in the .kar conventions: ' word', '/first word of a line', '\\new paragraph'.

    A paragraph starts at the song's first line and at the first line of each new section. Without
    ``marks`` a line's first word has no '/' or '\\' (the spaces stay).
    """
    events: list[tuple[float, str]] = []
    starts = sorted(s.start for s in sections)
    previous_section = None
    for index, line in enumerate(sorted(lines, key=lambda item: item.start)):
        section = bisect.bisect_right(starts, line.start + 1e-6)
        mark = KAR_NEW_PARAGRAPH if index == 0 or section != previous_section else KAR_NEW_LINE
        mark = mark if marks else ""
        previous_section = section
        words = [w for w in line.words if w.text.strip()] if per_word else []
        if words:
            for k, word in enumerate(words):
                events.append((word.start, (mark if k == 0 else " ") + " ".join(word.text.split())))
        elif line.text.strip():
            events.append((line.start, mark + " ".join(line.text.split())))
    return events


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
    group = "Music software"
    label = "MIDI for DAWs and notation"
    extension = ".mid"
    description = ("Standard MIDI file: tempo map whose bars fall on the downbeats, section markers, key, "
                   "chords (played and named), lyrics")
    needs = ("beats", "tempo", "sections", "chords", "lyrics", "key")
    binary = True
    timed_lyrics_only = True
    karaoke = False
    _guide: list[tuple[int, int, int]] = []

    def render(self, annotations: TrackAnnotations, info: TrackInfo, options: ExportOptions) -> bytes:
        midi = self.build(annotations, info, options)
        buffer = io.BytesIO()
        midi.save(file=buffer)
        return buffer.getvalue()

    def text_encoding(self, texts: list[str], options: ExportOptions) -> str:
        """The charset for this file's text events (see the module docstring)."""
        if options.midi_text_encoding not in TEXT_ENCODINGS:
            raise ValueError(f"unknown MIDI text encoding {options.midi_text_encoding!r}; "
                             f"choose from {', '.join(TEXT_ENCODINGS)}")
        wanted = "latin-1" if self.karaoke else options.midi_text_encoding
        if wanted == "latin-1" and not all(_fits_latin1(t) for t in texts):
            self.warn("some text does not fit Latin-1, so the file's text is UTF-8: players that read "
                      "Latin-1 show those characters garbled")
            return "utf-8"
        return wanted

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
        key_name = midi_key_name(annotations.key, options.transpose) if annotations.key else None
        if key_name:
            conductor.append((0, mido.MetaMessage("key_signature", key=key_name)))
        sections = sorted(annotations.sections, key=lambda s: s.start)
        if not self.karaoke:  # karaoke players print markers inside the lyric line ('(Verse 1)Hello')
            for section, name in zip(sections, section_names(sections)):
                conductor.append((tempo_map.tick_at(section.start), mido.MetaMessage("marker", text=name)))
        chords_track = self._chords_track(annotations, options, tempo_map, conductor, key_name)
        timed = karaoke_syllables(self.timed_lyrics(annotations), sections, options.midi_lyrics_per_word,
                                  marks=self.karaoke or options.midi_lyric_marks)
        syllables = [(tempo_map.tick_at(t), text) for t, text in timed]
        self._guide = _guide_notes(timed, annotations, tempo_map, options) if options.midi_lyric_notes else []
        texts = [m.text for _, m in conductor + chords_track if hasattr(m, "text")] + [t for _, t in syllables]
        texts += [info.title, info.artist]
        midi = mido.MidiFile(type=1, ticks_per_beat=PPQ, charset=self.text_encoding(texts, options))
        # Lyrics right after the conductor: karaoke players expect the words there, and MuseScore hangs the
        # lyrics on the first note track whose notes meet them (the guide notes, not the chords).
        for events in (conductor, *self._lyrics_tracks(syllables, info), chords_track):
            midi.tracks.append(_to_track(events, end_tick))
        return midi

    def _chords_track(self, annotations: TrackAnnotations, options: ExportOptions, tempo_map: TempoMap,
                      conductor: list, key_name: str | None) -> list:
        """Chord names as cue points (and markers when asked), the key signature, and the block chords."""
        events = [(0, mido.MetaMessage("track_name", name="Chords"))]
        if key_name:
            events.append((0, mido.MetaMessage("key_signature", key=key_name)))
        if options.midi_block_chords:
            events.append((0, mido.Message("program_change", channel=CHORD_CHANNEL, program=0)))
        for chord in sorted(annotations.chords, key=lambda c: c.start):
            if is_no_chord(chord):
                continue
            start, stop = tempo_map.tick_at(chord.start), tempo_map.tick_at(chord.end)
            label = chord_name(chord.label, options, annotations.key)
            events.append((start, mido.MetaMessage("cue_marker", text=label)))
            if options.chord_markers and not self.karaoke:
                conductor.append((start, mido.MetaMessage("marker", text=label)))
            if options.midi_block_chords:
                stop = max(stop, start + 1)
                for note in block_chord_notes(chord.label, options.transpose):
                    velocity = 90 if note < CHORD_RANGE_LOW else 76
                    events.append((start, mido.Message("note_on", channel=CHORD_CHANNEL, note=note,
                                                       velocity=velocity)))
                    events.append((stop, mido.Message("note_off", channel=CHORD_CHANNEL, note=note, velocity=0)))
        return events

    def _lyrics_tracks(self, syllables: list[tuple[int, str]], info: TrackInfo) -> list[list]:
        """One track of Lyric events (FF 05)."""
        events = [(0, mido.MetaMessage("track_name", name="Lyrics"))]
        events += [(tick, mido.MetaMessage("lyrics", text=text)) for tick, text in syllables]
        if self._guide:
            events.append((0, mido.Message("program_change", channel=LYRIC_CHANNEL, program=52)))  # Choir Aahs
        for start, stop, note in self._guide:
            events.append((start, mido.Message("note_on", channel=LYRIC_CHANNEL, note=note,
                                               velocity=LYRIC_NOTE_VELOCITY)))
            events.append((stop, mido.Message("note_off", channel=LYRIC_CHANNEL, note=note, velocity=0)))
        return [events]


class KaraokeWriter(MidiWriter):
    """The Soft Karaoke (.kar) layout karaoke players look for: an '@KMIDI KARAOKE FILE' track, then a
    'Words' track of Text events (FF 01) that starts with '@' header lines."""

    name = "kar"
    group = "Lyrics"
    label = "Karaoke MIDI (.kar)"
    extension = ".kar"
    description = "Karaoke MIDI (.kar): the MIDI file with the lyrics laid out the way karaoke players read them"
    needs = ("lyrics",)
    karaoke = True

    def _lyrics_tracks(self, syllables: list[tuple[int, str]], info: TrackInfo) -> list[list]:
        marker = [(0, mido.MetaMessage("track_name", name="Soft Karaoke")),
                  (0, mido.MetaMessage("text", text="@KMIDI KARAOKE FILE"))]
        words = [(0, mido.MetaMessage("track_name", name="Words"))]
        for header in (info.title, info.artist):
            if header:
                words.append((0, mido.MetaMessage("text", text=f"@T{' '.join(header.split())}")))
        words += [(tick, mido.MetaMessage("text", text=text)) for tick, text in syllables]
        return [marker, words]


def _guide_notes(timed: list[tuple[float, str]], annotations: TrackAnnotations, tempo_map: TempoMap,
                 options: ExportOptions) -> list[tuple[int, int, int]]:
    """(start tick, stop tick, note) per lyric event: the sounding chord's root in C4..B4, lasting until the
    next word (at most a quarter note, never overlapping it)."""
    chords = sorted((c for c in annotations.chords if not is_no_chord(c)), key=lambda c: c.start)
    starts = [c.start for c in chords]
    ticks = [tempo_map.tick_at(t) for t, _ in timed]
    notes = []
    for k, (time, _text) in enumerate(timed):
        j = bisect.bisect_right(starts, time + 1e-6) - 1
        pitch_class = 0
        if j >= 0:
            try:
                pitch_class = parse_chord(chords[j].label).transposed(options.transpose).root or 0
            except ValueError:
                pitch_class = 0
        start = ticks[k]
        following = ticks[k + 1] if k + 1 < len(ticks) else start + PPQ
        stop = max(start + 1, min(following - 1, start + PPQ))
        notes.append((start, stop, LYRIC_NOTE_LOW + pitch_class % 12))
    return notes


def _fits_latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


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
