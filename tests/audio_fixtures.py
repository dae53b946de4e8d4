"""Audio the tests generate: a short deterministic 'song' in any format, and broken files.

Everything is synthesised (numpy) and written with soundfile or PyAV, so no
audio is shipped in the repository.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import soundfile as sf

SOUNDFILE_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".mp3": "MP3", ".aiff": "AIFF", ".opus": "OGG"}
SOUNDFILE_SUBTYPES = {".ogg": "VORBIS", ".opus": "OPUS", ".mp3": "MPEG_LAYER_III"}
# extension -> (container, codec, sample format the encoder takes)
PYAV_CODECS = {".m4a": ("ipod", "aac", "fltp"), ".wma": ("asf", "wmav2", "fltp"), ".alac": ("ipod", "alac", "s16p")}


def song_samples(seconds: float = 3.0, sample_rate: int = 44_100, channels: int = 2, bpm: float = 120.0,
                 seed: int = 0) -> np.ndarray:
    """A chord (A minor triad) with a click on every beat: [frames, channels] float32."""
    rng = np.random.default_rng(seed)
    frames = int(round(seconds * sample_rate))
    t = np.arange(frames) / sample_rate
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 261.63, 329.63)) / 3 * 0.3
    clicks = np.zeros(frames)
    beat = 60.0 / bpm
    for onset in np.arange(0.0, seconds, beat):
        start = int(onset * sample_rate)
        length = min(int(0.03 * sample_rate), frames - start)
        clicks[start:start + length] += rng.uniform(-0.5, 0.5, length) * np.exp(-np.arange(length) / 200)
    mono = (chord + clicks).astype(np.float32)
    if channels == 1:
        return mono[:, None]
    pan = np.linspace(0.8, 1.0, channels, dtype=np.float32)
    return (mono[:, None] * pan[None, :]).astype(np.float32)


def write_song(path: str | Path, seconds: float = 3.0, sample_rate: int = 44_100, channels: int = 2,
               bpm: float = 120.0, tags: dict[str, str] | None = None) -> Path:
    """Write the test song in the format the extension names; optional easy tags via mutagen."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = song_samples(seconds, sample_rate, channels, bpm)
    suffix = path.suffix.lower()
    if suffix in PYAV_CODECS:
        _write_with_pyav(path, data, sample_rate)
    else:
        rate = 48_000 if suffix == ".opus" else sample_rate
        if rate != sample_rate:
            import soxr

            data = soxr.resample(data, sample_rate, rate)
        sf.write(path, data, rate, format=SOUNDFILE_FORMATS[suffix], subtype=SOUNDFILE_SUBTYPES.get(suffix))
    if tags:
        _write_tags(path, tags)
    return path


def _write_with_pyav(path: Path, data: np.ndarray, sample_rate: int) -> None:
    container_format, codec, sample_format = PYAV_CODECS[path.suffix.lower()]
    layout = "stereo" if data.shape[1] == 2 else "mono"
    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=sample_rate)
        stream.layout = layout
        stream.bit_rate = 128_000
        planar = np.ascontiguousarray(data.T)
        if sample_format == "s16p":
            planar = (np.clip(planar, -1, 1) * 32767).astype(np.int16)
        step = 1024
        for start in range(0, planar.shape[1], step):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(planar[:, start:start + step]),
                                               format=sample_format, layout=layout)
            frame.sample_rate = sample_rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def _write_tags(path: Path, tags: dict[str, str]) -> None:
    import mutagen

    audio = mutagen.File(path, easy=True)
    if audio is None:
        raise ValueError(f"mutagen cannot tag {path}")
    if audio.tags is None:
        audio.add_tags()
    for name, value in tags.items():
        audio[name] = value
    audio.save()


def write_corrupt_files(folder: str | Path) -> dict[str, Path]:
    """Bad inputs by name: corrupt, truncated, zero-length, header-only, wrong extension, not audio."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    good = write_song(folder / "_source.wav", seconds=2.0)
    raw = good.read_bytes()
    good.unlink()
    files = {
        "corrupt": folder / "corrupt.flac",
        "truncated": folder / "truncated.wav",
        "empty": folder / "empty.mp3",
        "header_only": folder / "header_only.wav",
        "not_audio": folder / "notes.ogg",
    }
    files["corrupt"].write_bytes(b"fLaC" + bytes(range(256)) * 40)
    files["truncated"].write_bytes(raw[: len(raw) // 3])
    files["empty"].write_bytes(b"")
    files["header_only"].write_bytes(raw[:44])
    files["not_audio"].write_text("These are my notes, not a song.\n" * 50)
    return files
