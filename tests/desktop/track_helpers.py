"""A synthetic song with a full set of annotations, for the track view and player tests.

The audio is made here with numpy (pad chords, bass, drums, louder choruses)
so that the waveform, sections and energy lanes show real structure; the
annotations describe exactly what was synthesised, stored as two analyses (a
``dsp`` one and a ``moss`` one that disagrees on the key and tempo) the way the
worker would store them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from moss_music.annotations import (
    Answer,
    Beat,
    Caption,
    Chord,
    EnergyCurve,
    Key,
    Loudness,
    LyricLine,
    Section,
    Tempo,
    TimeSignature,
    TrackAnnotations,
    Word,
)
from moss_music.annotations.chords import parse_chord

# (label, function, bars, chords — one per bar, repeated)
FULL_FORM = [
    ("Intro", "intro", 4, ["C", "A:min", "F", "G"]),
    ("Verse 1", "verse", 8, ["C", "G", "A:min", "F"]),
    ("Chorus 1", "chorus", 8, ["F", "G", "C", "A:min"]),
    ("Verse 2", "verse", 8, ["C", "G", "A:min", "F"]),
    ("Chorus 2", "chorus", 8, ["F", "G", "C", "A:min"]),
    ("Bridge", "bridge", 4, ["D:min7", "G:7", "E:min", "A:7"]),
    ("Chorus 3", "chorus", 8, ["F", "G", "C", "A:min"]),
    ("Outro", "outro", 4, ["F", "G", "C", "C"]),
]
SHORT_FORM = [
    ("Intro", "intro", 2, ["C", "A:min"]),
    ("Verse", "verse", 4, ["C", "G", "A:min", "F"]),
    ("Chorus", "chorus", 4, ["F", "G", "C", "A:min"]),
]
LYRICS = {
    "verse": ["walking down the river where the city lights begin",
              "every window humming with the places we have been",
              "counting all the footsteps that we never thought to keep",
              "holding on to morning while the streets are still asleep"],
    "chorus": ["and we sing it loud tonight",
               "underneath the silver light",
               "every heartbeat on the line",
               "you and I are doing fine"],
    "bridge": ["maybe all the roads we ran", "lead us back to where we stand"],
}
LEVELS = {"intro": 0.45, "verse": 0.6, "chorus": 1.0, "bridge": 0.7, "outro": 0.5}


def dispose(widget) -> None:
    """Close a view and delete its Qt objects now.

    Leaving pyqtgraph-heavy widgets to Python's garbage collector crashes PySide 6.12 at exit
    ("none_dealloc"), so every test that opens a track view ends with this.
    """
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    if shiboken6.isValid(widget):
        widget.close()
        if shiboken6.isValid(widget):
            widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def song_plan(form=SHORT_FORM, bpm: float = 120.0, lead_in: float = 0.5):
    """Beats, chords and sections (with bar ranges) of a form, in seconds."""
    beat = 60.0 / bpm
    beats, chords, sections = [], [], []
    t = lead_in
    for label, function, bars, progression in form:
        start = t
        for bar in range(bars):
            chord = progression[bar % len(progression)]
            chords.append(Chord(t, t + 4 * beat, chord, 0.9))
            for position in range(1, 5):
                beats.append(Beat(round(t, 6), position))
                t += beat
        sections.append(Section(start, t, label, function, 0.8))
    return beats, chords, sections, t


def synthesize(form=SHORT_FORM, bpm: float = 120.0, sample_rate: int = 22_050, lead_in: float = 0.5,
               tail: float = 1.0) -> np.ndarray:
    beats, chords, sections, end = song_plan(form, bpm, lead_in)
    total = int((end + tail) * sample_rate)
    out = np.zeros(total, dtype=np.float64)
    beat = 60.0 / bpm
    rng = np.random.default_rng(7)
    for section in sections:
        level = LEVELS.get(section.function, 0.6)
        for chord in (c for c in chords if section.start <= c.start < section.end):
            a, b = int(chord.start * sample_rate), int(chord.end * sample_rate)
            t = np.arange(b - a) / sample_rate
            symbol = parse_chord(chord.label)
            envelope = np.minimum(t / 0.05, 1.0) * np.exp(-t * 0.35)
            for pc in symbol.pitch_classes():
                freq = 261.63 * 2 ** (pc / 12)
                out[a:b] += 0.08 * level * np.sin(2 * np.pi * freq * t) * envelope
            bass = 65.41 * 2 ** (symbol.root / 12)
            beat_phase = (t % beat)
            out[a:b] += 0.22 * level * np.sin(2 * np.pi * bass * t) * np.exp(-beat_phase * 4.0)
    for b in beats:
        section = next(s for s in sections if s.start <= b.time < s.end)
        level = LEVELS.get(section.function, 0.6)
        start = int(b.time * sample_rate)
        n = min(int(0.25 * sample_rate), total - start)
        t = np.arange(n) / sample_rate
        if b.position in (1, 3):
            out[start:start + n] += 0.55 * level * np.sin(2 * np.pi * (50 + 90 * np.exp(-t * 30)) * t) * np.exp(-t * 14)
        else:
            out[start:start + n] += 0.3 * level * rng.uniform(-1, 1, n) * np.exp(-t * 25)
        for half in (0.0, beat / 2):
            h = int((b.time + half) * sample_rate)
            m = min(int(0.04 * sample_rate), total - h)
            out[h:h + m] += 0.08 * level * rng.uniform(-1, 1, m) * np.exp(-np.arange(m) / (0.008 * sample_rate))
    peak = np.max(np.abs(out)) or 1.0
    return (out / peak * 0.9).astype(np.float32)


def write_demo_song(path: str | Path, form=SHORT_FORM, bpm: float = 120.0, sample_rate: int = 22_050,
                    tags: dict[str, str] | None = None) -> Path:
    """WAV or FLAC by extension; FLAC can carry title/artist tags."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, synthesize(form, bpm, sample_rate), sample_rate)
    if tags:
        import mutagen

        audio = mutagen.File(path, easy=True)
        for name, value in tags.items():
            audio[name] = value
        audio.save()
    return path


def _lyrics(sections: list[Section], bpm: float) -> list[LyricLine]:
    beat = 60.0 / bpm
    lines: list[LyricLine] = []
    for section in sections:
        texts = LYRICS.get(section.function)
        if not texts:
            continue
        bars = round((section.end - section.start) / (4 * beat))
        per_line = max(bars // len(texts), 2) if bars >= 2 * len(texts) else 2
        for i, text in enumerate(texts):
            start = section.start + i * per_line * 4 * beat + beat * 0.5
            if start >= section.end - beat:
                break
            words = text.split()
            step = (per_line * 4 - 1.5) * beat / len(words)
            timed = [Word(round(start + k * step, 3), round(start + (k + 0.85) * step, 3), w)
                     for k, w in enumerate(words)]
            lines.append(LyricLine(timed[0].start, timed[-1].end, text, timed))
    return lines


def _energy(samples: np.ndarray, sample_rate: int, hop: float = 0.25) -> EnergyCurve:
    n = int(hop * sample_rate)
    frames = len(samples) // n
    rms = np.sqrt(np.mean(samples[:frames * n].reshape(frames, n) ** 2, axis=1))
    return EnergyCurve(hop, [round(float(v), 4) for v in rms / (rms.max() or 1.0)])


def demo_annotations(form=SHORT_FORM, bpm: float = 120.0, sample_rate: int = 22_050):
    """(dsp annotations, moss annotations) describing ``synthesize(form, bpm)``."""
    beats, chords, sections, end = song_plan(form, bpm)
    duration = end + 1.0
    samples = synthesize(form, bpm, sample_rate)
    dsp = TrackAnnotations(
        duration=duration, beats=beats, tempo=Tempo(bpm, 0.9), time_signature=TimeSignature(4, 4, 0.95),
        key=Key("C", "major", 0.8, runner_up=Key("A", "minor", 0.6)), chords=chords,
        sections=[Section(s.start, s.end, chr(ord("A") + i % 3), s.function, s.confidence)
                  for i, s in enumerate(sections)],
        energy=_energy(samples, sample_rate), loudness=Loudness(-11.2, -0.9),
    )
    moss = TrackAnnotations(
        duration=duration, sections=sections, lyrics=_lyrics(sections, bpm),
        key=Key("A", "minor", 0.7), tempo=Tempo(round(bpm * 0.996, 1), 0.6), time_signature=TimeSignature(4, 4, 0.9),
        caption=Caption(
            text="A bright, mid-tempo pop song built on a four-chord loop, with a punchy kick, "
                 "soft pad and a singalong chorus.",
            aspects={"genre": "pop, synth-pop", "mood": "hopeful, warm", "tempo": "moderate, steady 4/4",
                     "instrumentation": "synth pad, electric bass, drum machine",
                     "harmony": "I–V–vi–IV verses, IV–V–I–vi chorus", "structure": "intro, verse, chorus"},
            tags=["pop", "upbeat", "synth", "singalong"],
            reasoning="The kick lands on beats 1 and 3 with a snare on 2 and 4; the pad outlines C, G, Am, F.",
        ),
        instruments=["synth pad", "bass", "drums"],
        answers=[Answer("What is the chord progression?", "C – G – Am – F in the verse.", "Read from the bass.")],
        raw={"caption": "A bright, mid-tempo pop song ...", "key": "A minor", "tempo": f"{bpm * 0.996:.1f} BPM"},
    )
    return dsp, moss


def add_demo_track(library, folder: str | Path, form=SHORT_FORM, bpm: float = 120.0, name: str = "demo.wav",
                   tags: dict[str, str] | None = None):
    """Write the song, scan it and store both analyses; returns the track id."""
    path = write_demo_song(Path(folder) / name, form, bpm, tags=tags)
    track = library.add_file(path)
    dsp, moss = demo_annotations(form, bpm)
    library.save_analysis(track, backend="dsp", tasks=["beats", "chords", "sections", "key"], annotations=dsp)
    library.save_analysis(track, backend="moss", model_id="OpenMOSS/MOSS-Music", model_revision="test",
                          tasks=["caption", "lyrics", "structure"], annotations=moss)
    return track.id


WAIT_MS = 15_000


def open_view(qtbot, library, track_id, player=None, size: tuple[int, int] = (1440, 900)):
    """Open a track view with a fake sound card and wait until lanes and audio are loaded."""
    from desktop.player import FakeOutput, Player
    from desktop.track_view import open_track_view

    player = player or Player(FakeOutput())
    view = open_track_view(library, track_id, player=player)
    qtbot.addWidget(view)
    view.resize(*size)
    qtbot.waitUntil(lambda: view.loaded and player.duration > 0, timeout=WAIT_MS)
    return view


def play_for(view, output, seconds: float, frame: float = 1 / 60) -> None:
    """Pull audio like a sound card, a display frame at a time, ticking the view as its timer would."""
    block = int(view.player.sample_rate * frame)
    for _ in range(int(seconds / frame)):
        output.pull(block)
        view.tick()
