"""A small demo library synthesised on the spot, so a new user (and CI) can see the app work.

Each song is a real arrangement — drums, bass, chord pad and a simple lead —
with a known key, tempo, chord progression and verse/chorus form, so the
analysis a user sees on it can be checked by ear and by eye. No audio ships
with the app; nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from moss_music.annotations.chords import parse_chord

SAMPLE_RATE = 44_100


@dataclass(frozen=True)
class DemoSong:
    title: str
    bpm: float
    key: str
    verse: tuple[str, ...]
    chorus: tuple[str, ...]
    beats_per_bar: int = 4
    bars_per_section: int = 4
    artist: str = "The MOSS Demo Band"
    album: str = "Studio Demo"
    genre: str = "Pop"


DEMO_SONGS = (
    DemoSong("Harbour Lights", 104.0, "C major", ("C", "Am", "F", "G"), ("F", "G", "C", "Am")),
    DemoSong("Slow Tide", 72.0, "A minor", ("Am", "Dm", "G", "C"), ("F", "G", "Am", "Am")),
    DemoSong("Night Drive", 128.0, "E minor", ("Em", "C", "G", "D"), ("C", "D", "Em", "Em")),
    DemoSong("Waltz for Ana", 90.0, "G major", ("G", "Em", "C", "D"), ("C", "D", "G", "G"), 3),
)
BUNDLED_DEMO = DemoSong("Moss Garden (demo)", 100.0, "D minor", ("Dm", "Bb", "F", "C"), ("Bb", "C", "Dm", "Dm"),
                        bars_per_section=2, artist="MOSS-Music Studio", album="Demo material", genre="Synth pop")
"""The one song the app's empty state offers to open (about 30 s)."""


def synthesise_song(song: DemoSong, seed: int = 0) -> np.ndarray:
    """Intro (chorus chords, quiet) | verse | chorus | verse | chorus | outro, as stereo float32."""
    rng = np.random.default_rng(seed)
    bars_per_section = song.bars_per_section
    beat = 60.0 / song.bpm
    form = [("intro", song.chorus, 0.45), ("verse", song.verse, 0.7), ("chorus", song.chorus, 1.0),
            ("verse", song.verse, 0.7), ("chorus", song.chorus, 1.0), ("outro", song.verse[:2], 0.5)]
    total_bars = sum(bars_per_section if name != "outro" else 2 for name, _, _ in form)
    length = int((total_bars * song.beats_per_bar * beat + 2.0) * SAMPLE_RATE)
    mix = np.zeros(length, dtype=np.float32)
    time = 0.0
    for name, progression, energy in form:
        bars = bars_per_section if name != "outro" else 2
        for bar in range(bars):
            chord = parse_chord(progression[bar % len(progression)])
            bar_start = time + bar * song.beats_per_bar * beat
            _add_bar(mix, chord, bar_start, beat, song.beats_per_bar, energy, name, rng)
        time += bars * song.beats_per_bar * beat
    mix /= max(float(np.abs(mix).max()), 1e-6) / 0.8
    return np.stack([mix * 0.95, mix], axis=1)


def _add_bar(mix, chord, start, beat, beats_per_bar, energy, section, rng) -> None:
    pitch_classes = chord.pitch_classes()
    root = chord.root or 0
    bar_length = beat * beats_per_bar
    # Pad: the triad voiced around middle C for the whole bar.
    pad_notes = [60 + ((pc - 0) % 12) for pc in pitch_classes]
    _add_tone(mix, start, bar_length, pad_notes, 0.10 * energy, harmonics=4, attack=0.05)
    # Bass: root on every beat, an octave below.
    for i in range(beats_per_bar):
        _add_tone(mix, start + i * beat, beat * 0.9, [36 + root], 0.22 * energy, harmonics=3, attack=0.01)
    # Lead (choruses): arpeggiated chord tones an octave up, eighth notes.
    if section == "chorus":
        for i in range(beats_per_bar * 2):
            note = 72 + (pitch_classes[i % len(pitch_classes)] % 12)
            _add_tone(mix, start + i * beat / 2, beat / 2 * 0.8, [note], 0.07, harmonics=2, attack=0.01)
    # Drums: kick on 1 (and 3 in 4/4), snare on the backbeat, hats on eighths.
    for i in range(beats_per_bar):
        onset = start + i * beat
        if i == 0 or (beats_per_bar == 4 and i == 2):
            _add_kick(mix, onset, 0.9 * energy + 0.1)
        elif section != "intro":
            _add_noise(mix, onset, 0.12, 0.35 * energy, rng, decay=0.04)
        _add_noise(mix, onset, 0.03, 0.08 * energy, rng, decay=0.008)
        _add_noise(mix, onset + beat / 2, 0.03, 0.05 * energy, rng, decay=0.008)


def _span(mix: np.ndarray, start: float, duration: float) -> tuple[int, int]:
    first = int(start * SAMPLE_RATE)
    return first, min(first + int(duration * SAMPLE_RATE), len(mix))


def _add_tone(mix, start, duration, midi_notes, level, harmonics, attack) -> None:
    first, last = _span(mix, start, duration)
    if last <= first:
        return
    t = np.arange(last - first) / SAMPLE_RATE
    envelope = np.minimum(t / attack, 1.0) * np.exp(-t * 1.5) * np.minimum((duration - t) / 0.02, 1.0).clip(0)
    for note in midi_notes:
        frequency = 440.0 * 2 ** ((note - 69) / 12)
        wave = sum(np.sin(2 * np.pi * frequency * h * t) / h for h in range(1, harmonics + 1))
        mix[first:last] += (level * envelope * wave).astype(np.float32)


def _add_kick(mix, start, level) -> None:
    first, last = _span(mix, start, 0.25)
    t = np.arange(last - first) / SAMPLE_RATE
    sweep = 50 + 90 * np.exp(-t * 30)
    mix[first:last] += (level * np.sin(2 * np.pi * np.cumsum(sweep) / SAMPLE_RATE) * np.exp(-t * 14)).astype(np.float32)


def _add_noise(mix, start, duration, level, rng, decay) -> None:
    first, last = _span(mix, start, duration)
    t = np.arange(last - first) / SAMPLE_RATE
    mix[first:last] += (level * rng.uniform(-1, 1, last - first) * np.exp(-t / decay)).astype(np.float32)


def write_demo_song(path: str | Path, song: DemoSong, seed: int = 0) -> Path:
    """Render ``song`` to a tagged FLAC; written to a temp name first so a crash leaves no half file."""
    import mutagen.flac

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.stem + ".partial.flac")
    sf.write(partial, synthesise_song(song, seed=seed), SAMPLE_RATE, subtype="PCM_16")
    tags = mutagen.flac.FLAC(partial)
    tags.update({"title": song.title, "artist": song.artist, "album": song.album, "genre": song.genre,
                 "date": "2026", "comment": f"synthesised demo: {song.key}, {song.bpm:g} BPM, "
                                            f"{song.beats_per_bar}/4"})
    tags.save()
    partial.replace(path)
    return path


def write_demo_library(folder: str | Path, songs: tuple[DemoSong, ...] = DEMO_SONGS) -> list[Path]:
    """Write the demo songs as tagged FLAC files into ``folder``; existing files are kept."""
    paths = []
    for number, song in enumerate(songs, start=1):
        path = Path(folder) / f"{number:02d} {song.title}.flac"
        if not path.exists():
            write_demo_song(path, song, seed=number)
            import mutagen.flac

            numbered = mutagen.flac.FLAC(path)
            numbered["tracknumber"] = str(number)
            numbered.save()
        paths.append(path)
    return paths
