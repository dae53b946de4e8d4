"""Render the DSP development set: POP909 songs in six arrangements, with exact annotations beside the audio.

    .venv/bin/python benchmarks/render_devset.py OUT_DIR [--songs 144] [--seconds 100] [--jobs 1] [--holdout N]

Needs FluidSynth and a General MIDI soundfont (Debian: ``apt-get install fluidsynth fluid-soundfont-gm``).
Renders go to OUT_DIR, which must lie outside the repository (the compositions are not ours to ship). Per
render: ``NAME.flac`` (22.05 kHz mono), ``NAME.chords.lab``, ``NAME.beats.txt`` (time, bar position),
``NAME.sections.lab`` (human phrase labels) and ``NAME.meta.json`` (key, tempo, metre, arrangement,
split). Songs are shuffled with a fixed seed and dealt round-robin to the arrangements; within each
arrangement every second song goes to the test half, so the split is by song and balanced.
``--holdout N`` renders N further songs in each of the three arrangements of ``devset_holdout.py``
instead (split 'holdout'; use another OUT_DIR): material the analyzer is scored on but never tuned on.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import mido
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.devset_arrangements import ARRANGEMENTS, DRUM, Arranged, Arrangement  # noqa: E402
from benchmarks.devset_holdout import HOLDOUT  # noqa: E402
from benchmarks.devset_pop909 import SourceChord, SourceSong, load_song, song_ids  # noqa: E402

SOURCE = ROOT.parent / "shared" / "eval" / "pop909_symbolic"
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SR = 22050
TPB = 480
SEED = 909


def time_map(meter: int):
    """Source beat (4/4) -> output beat. A 4/4 bar becomes two 3/4 bars in the waltz, so half-bar chord
    changes land on downbeats."""
    if meter == 4:
        return lambda b: b
    return lambda b: (b // 4) * 6 + 1.5 * (b % 4)


def map_song(song: SourceSong, meter: int) -> tuple[list[SourceChord], list[tuple[float, float, int]], int]:
    """(chords, melody, beats per source bar) in output beats."""
    f = time_map(meter)
    chords = []
    for c in song.chords:
        s, e = round(f(c.start)), round(f(c.end))
        if e > s:
            chords.append(SourceChord(s, e, c.label, c.root, c.tones, c.bass))
    melody = []
    for s, d, p in song.melody:
        start = round(f(s) * 2) / 2 if meter == 3 else s
        melody.append((start, d * (1.5 if meter == 3 else 1.0), p))
    return chords, melody, 4 if meter == 4 else 6


def _swing(t: float, ratio: float) -> float:
    whole, frac = divmod(t, 1.0)
    if ratio == 0.5:
        return t
    frac = frac / 0.5 * ratio if frac < 0.5 else ratio + (frac - 0.5) / 0.5 * (1 - ratio)
    return whole + frac


def write_midi(path: Path, arranged: Arranged, bpm: float, meter: int, end_beat: float, rng) -> None:
    events: list[tuple[int, int, mido.Message | mido.MetaMessage]] = []
    global_cents = float(rng.uniform(10, 35) * rng.choice([-1, 1])) if rng.random() < 0.2 else 0.0
    for part in arranged.parts:
        ch = part.channel
        events.append((0, 0, mido.Message("program_change", channel=ch, program=part.program)))
        events.append((0, 0, mido.Message("control_change", channel=ch, control=7, value=part.volume)))
        events.append((0, 0, mido.Message("control_change", channel=ch, control=91, value=part.reverb)))
        events.append((0, 0, mido.Message("control_change", channel=ch, control=93, value=part.chorus)))
        cents = part.detune_cents + (global_cents if ch != DRUM else 0.0)
        if cents:
            events.append((0, 0, mido.Message("pitchwheel", channel=ch, pitch=int(np.clip(cents / 200 * 8191, -8191, 8191)))))
    for n in arranged.notes:
        if n.start >= end_beat:
            continue
        start = _swing(n.start, arranged.swing) if arranged.swing != 0.5 else n.start
        jitter = rng.normal(0, 0.004 if n.channel == DRUM else 0.008) * bpm / 60
        on = max(int(round((start + jitter) * TPB)), 0)
        off = max(int(round(min(start + n.dur, end_beat + 1) * TPB)), on + 10)
        events.append((on, 2, mido.Message("note_on", channel=n.channel, note=int(np.clip(n.pitch, 0, 127)), velocity=n.vel)))
        events.append((off, 1, mido.Message("note_off", channel=n.channel, note=int(np.clip(n.pitch, 0, 127)), velocity=0)))
    if arranged.extra.get("pedal"):
        starts = sorted({n.start for n in arranged.notes if n.channel == 1 and n.pitch < 55})
        for s in starts:
            t = int(round(s * TPB))
            events.append((max(t - 20, 0), 0, mido.Message("control_change", channel=1, control=64, value=0)))
            events.append((t + 10, 3, mido.Message("control_change", channel=1, control=64, value=100)))
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    track.append(mido.MetaMessage("time_signature", numerator=meter, denominator=4, time=0))
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    mid = mido.MidiFile(ticks_per_beat=TPB)
    mid.tracks.append(track)
    mid.save(path)


def render_one(song: SourceSong, arrangement: Arrangement, split: str, out: Path, seconds: float, seed: int) -> str:
    rng = np.random.default_rng(seed)
    meter = arrangement.meter
    bpm = float(round(rng.uniform(*arrangement.bpm_range)))
    spb = 60.0 / bpm
    chords, melody, beats_per_source_bar = map_song(song, meter)
    lead_in = float(round(rng.uniform(0.5, 2.0), 2))
    bars = int((seconds - lead_in) / (meter * spb))
    end_beat = min(bars * meter, int(chords[-1].end))
    section_beats = [p.start_bar * beats_per_source_bar for p in song.phrases]
    arranged = arrangement.build(chords, melody, section_beats, meter, rng)
    detuned = [p for p in arranged.parts if p.channel != DRUM]
    if rng.random() < 0.5 and detuned:
        detuned[int(rng.integers(len(detuned)))].detune_cents = float(rng.uniform(8, 20) * rng.choice([-1, 1]))
    name = f"{song.song_id}_{arrangement.name}"
    with tempfile.TemporaryDirectory() as tmp:
        mid = Path(tmp) / "song.mid"
        wav = Path(tmp) / "song.wav"
        write_midi(mid, arranged, bpm, meter, end_beat, rng)
        # one tempo event at tick 0, so seconds = beats * spb; the lead-in is added after rendering
        subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", str(SR), "-F", str(wav), str(SOUNDFONT), str(mid)],
                       check=True, capture_output=True)
        audio, sr = sf.read(wav, dtype="float32")
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    total = lead_in + end_beat * spb + 1.0
    mono = np.concatenate([np.zeros(int(lead_in * sr), dtype=np.float32), mono])[: int(total * sr)]
    mono = np.pad(mono, (0, max(int(total * sr) - len(mono), 0)))
    fade = int(0.8 * sr)
    mono[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
    peak = float(np.max(np.abs(mono))) or 1.0
    mono *= 10 ** (rng.uniform(-9, -1) / 20) / peak
    sf.write(out / f"{name}.flac", mono, sr, subtype="PCM_16")

    def sec(beat: float) -> float:
        return lead_in + beat * spb

    rows = [f"0.000000\t{lead_in:.6f}\tN"]
    for c in chords:
        if c.start >= end_beat:
            break
        rows.append(f"{sec(c.start):.6f}\t{sec(min(c.end, end_beat)):.6f}\t{c.label}")
    rows.append(f"{sec(end_beat):.6f}\t{total:.6f}\tN")
    (out / f"{name}.chords.lab").write_text("\n".join(rows) + "\n")
    (out / f"{name}.beats.txt").write_text("".join(f"{sec(b):.6f}\t{b % meter + 1}\n" for b in range(end_beat)))
    sections = []
    for p in song.phrases:
        s, e = p.start_bar * beats_per_source_bar, (p.start_bar + p.bars) * beats_per_source_bar
        if s >= end_beat:
            break
        sections.append(f"{sec(s):.6f}\t{sec(min(e, end_beat)):.6f}\t{p.letter}")
    (out / f"{name}.sections.lab").write_text("\n".join(sections) + "\n")
    meta = {"id": name, "song": song.song_id, "arrangement": arrangement.name, "split": split, "tempo_bpm": bpm,
            "source_tempo_bpm": song.bpm, "time_signature": f"{meter}/4", "key": song.key, "lead_in_seconds": lead_in,
            "duration": total, "n_sections": len(sections),
            "parts": [{"channel": p.channel, "program": p.program, "volume": p.volume, "reverb": p.reverb,
                       "detune_cents": p.detune_cents} for p in arranged.parts],
            "swing": arranged.swing}
    (out / f"{name}.meta.json").write_text(json.dumps(meta, indent=1))
    return name


def _usable_songs() -> Iterator[SourceSong]:
    """The source songs in the set's fixed shuffled order, skipping unreadable ones and those under 16 bars."""
    ids = song_ids(SOURCE)
    np.random.default_rng(SEED).shuffle(ids)
    return (song for song in (load_song(SOURCE / song_id) for song_id in ids)
            if song is not None and song.beats >= 64)


def plan(n_songs: int) -> list[tuple[SourceSong, Arrangement, str, int]]:
    """Which song gets which arrangement and split: deterministic for a given source folder.

    Triple-metre songs (``SourceSong.triple``) are left out: the arrangements play in 4/4 bars, so their
    bar and phrase annotations would be wrong. Each one's place (arrangement and split) goes to the next
    usable song after the ones already dealt, so leaving them out changes no other song's assignment."""
    usable = _usable_songs()
    dealt = [song for _, song in zip(range(n_songs), usable)]
    spares = (song for song in usable if not song.triple)
    chosen: list[tuple[SourceSong, Arrangement, str, int]] = []
    for k, song in enumerate(dealt):
        if song.triple:
            song = next(spares)
        arrangement = ARRANGEMENTS[k % len(ARRANGEMENTS)]
        split = "test" if (k // len(ARRANGEMENTS)) % 2 else "tune"
        chosen.append((song, arrangement, split, SEED * 1000 + int(song.song_id)))
    return chosen


def plan_holdout(per_arrangement: int, main_songs: int) -> list[tuple[SourceSong, Arrangement, str, int]]:
    """Songs for the held-out arrangements (``devset_holdout``), split 'holdout': the next usable songs of
    the same shuffle after every song of the main set, so no song is in both."""
    used = {song.song_id for song, *_ in plan(main_songs)}
    songs = (song for song in _usable_songs() if song.song_id not in used and not song.triple)
    picked = [song for _, song in zip(range(per_arrangement * len(HOLDOUT)), songs)]
    return [(song, HOLDOUT[k % len(HOLDOUT)], "holdout", SEED * 1000 + int(song.song_id))
            for k, song in enumerate(picked)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--songs", type=int, default=144)
    parser.add_argument("--seconds", type=float, default=100.0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--holdout", type=int, default=0, metavar="N",
                        help="render N songs per held-out arrangement (devset_holdout.py) instead of the main set")
    args = parser.parse_args()
    out = args.out.resolve()
    if ROOT in out.parents or out == ROOT:
        parser.error("render outside the repository")
    out.mkdir(parents=True, exist_ok=True)
    planned = plan_holdout(args.holdout, args.songs) if args.holdout else plan(args.songs)
    todo = [p for p in planned if not (out / f"{p[0].song_id}_{p[1].name}.meta.json").exists()]
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(render_one, song, arr, split, out, args.seconds, seed) for song, arr, split, seed in todo]
        for f in futures:
            print(f.result(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
