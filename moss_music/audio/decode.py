"""Decoding any common audio file into mono float32 blocks.

libsndfile (soundfile) handles WAV/AIFF/FLAC/OGG/Opus/MP3 fastest; everything
else goes through FFmpeg (PyAV). Both paths yield fixed-size mono blocks so a
two-hour file is never held at its original rate and channel count: callers
resample or reduce block by block.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from moss_music.audio.errors import AudioError

BLOCK_FRAMES = 1 << 16
SOUNDFILE_EXTENSIONS = {".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".oga", ".opus", ".mp3"}
FFMPEG_EXTENSIONS = {".m4a", ".mp4", ".aac", ".alac", ".wma", ".ac3", ".mka", ".webm", ".caf", ".ape", ".wv", ".mpc"}
AUDIO_EXTENSIONS = SOUNDFILE_EXTENSIONS | FFMPEG_EXTENSIONS
# Below this share of the length the header promises, a file is reported as truncated.
TRUNCATION_TOLERANCE = 0.9
STREAMED_CHUNK_SIZE = 0xFFFFFFFF
_SHORT_CHUNK = re.compile(r"^(?:data|SSND)\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)


@dataclass(frozen=True)
class AudioInfo:
    """What a file says about itself, read without decoding the whole stream."""

    path: str
    duration: float
    sample_rate: int
    channels: int
    format: str
    codec: str


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """Read the stream properties; raises AudioError for files that are not usable audio."""
    path = _check_readable(path)
    try:
        handle = sf.SoundFile(path)
    except Exception:  # noqa: BLE001 - libsndfile refuses many formats; FFmpeg gets the next try
        handle = None
    if handle is not None:
        with handle:
            if handle.frames <= 0 or handle.samplerate <= 0:
                raise AudioError(path, "empty", "the file holds no audio samples")
            _raise_if_header_promises_more(handle, path)
            return AudioInfo(path, handle.frames / handle.samplerate, handle.samplerate, handle.channels,
                             handle.format.lower(), handle.subtype.lower())
    with _open_container(path) as container:
        stream = _audio_stream(container, path)
        duration = _container_duration(container, stream)
        if duration <= 0:
            raise AudioError(path, "empty", "the file holds no audio samples")
        return AudioInfo(path, duration, stream.codec_context.sample_rate, stream.codec_context.channels,
                         container.format.name, stream.codec_context.name)


def iter_mono_blocks(path: str | os.PathLike[str], block_frames: int = BLOCK_FRAMES, *,
                     invalid: str = "raise") -> tuple[int, Iterator[np.ndarray]]:
    """(native sample rate, iterator of mono float32 blocks); errors surface on open or while iterating.

    Blocks never hold NaN or infinite samples (float WAV/AIFF/FLAC can store them): they are
    zeroed before anyone sees them. With ``invalid="raise"`` the iterator then ends with an
    AudioError that calls the file damaged — an analysis of made-up silence would be a wrong
    result; ``"zero"`` is for drawing the waveform of such a file anyway.
    """
    if invalid not in ("raise", "zero"):
        raise ValueError(f"invalid must be 'raise' or 'zero', not {invalid!r}")
    path = _check_readable(path)
    try:
        handle = sf.SoundFile(path)
    except Exception:  # noqa: BLE001
        handle = None
    if handle is not None:
        if handle.frames == 0:
            handle.close()
            raise AudioError(path, "empty", "the file holds no audio samples")
        _raise_if_header_promises_more(handle, path)
        return handle.samplerate, _finite_blocks(_soundfile_blocks(handle, path, block_frames), path,
                                                 handle.samplerate, invalid)
    container = _open_container(path)
    stream = _audio_stream(container, path)
    rate = stream.codec_context.sample_rate
    return rate, _finite_blocks(_ffmpeg_blocks(container, stream, path, block_frames), path, rate, invalid)


def _finite_blocks(blocks: Iterator[np.ndarray], path: str, sample_rate: int, invalid: str) -> Iterator[np.ndarray]:
    """Zero NaN/inf samples in place; afterwards, if asked, report the file as damaged."""
    bad = 0
    first_bad: float | None = None
    position = 0
    for block in blocks:
        finite = np.isfinite(block)
        if not finite.all():
            if first_bad is None:
                first_bad = (position + int(np.argmin(finite))) / sample_rate
            bad += int(block.size - np.count_nonzero(finite))
            block = np.where(finite, block, np.float32(0.0)).astype(np.float32, copy=False)
        position += len(block)
        yield block
    if bad and invalid == "raise":
        raise AudioError(path, "corrupt", f"the audio is damaged: {bad:,} of {position:,} samples are NaN or "
                                          f"infinite (the first at {first_bad:.2f} s)")


def _check_readable(path: str | os.PathLike[str]) -> str:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise AudioError(path, "missing", "the file does not exist (moved or deleted?)")
    if os.path.isdir(path):
        raise AudioError(path, "unsupported", "this is a folder, not an audio file")
    if not os.access(path, os.R_OK):
        raise AudioError(path, "unreadable", "permission denied: the file cannot be read")
    if os.path.getsize(path) == 0:
        raise AudioError(path, "empty", "the file is empty (0 bytes)")
    return path


def _raise_if_header_promises_more(handle: sf.SoundFile, path: str) -> None:
    """libsndfile quietly shortens a cut WAV/AIFF to what is there; its header still tells the truth."""
    match = _SHORT_CHUNK.search(handle.extra_info or "")
    # A size of 0xFFFFFFFF is how recorders and streams say "until the end of the file", not a cut.
    if match and int(match.group(1)) < STREAMED_CHUNK_SIZE and \
            int(match.group(2)) < int(match.group(1)) * TRUNCATION_TOLERANCE:
        share = int(match.group(2)) / int(match.group(1))
        handle.close()
        raise AudioError(path, "truncated", f"the file is truncated: only {share:.0%} of its declared audio data is present")


def _soundfile_blocks(handle: sf.SoundFile, path: str, block_frames: int) -> Iterator[np.ndarray]:
    expected = handle.frames
    decoded = 0
    try:
        with handle:
            while True:
                try:
                    block = handle.read(block_frames, dtype="float32", always_2d=True)
                except Exception as error:
                    raise AudioError(path, "corrupt", f"decoding failed after {decoded} frames: {error}") from error
                if not len(block):
                    break
                decoded += len(block)
                yield block.mean(axis=1) if block.shape[1] > 1 else block[:, 0]
    finally:
        handle.close()
    if decoded == 0:
        raise AudioError(path, "corrupt", "no audio could be decoded from the file")
    if expected > 0 and decoded < expected * TRUNCATION_TOLERANCE:
        raise AudioError(path, "truncated",
                         f"the file is truncated: {decoded / expected:.0%} of its declared length decoded")


def _ffmpeg_blocks(container: av.container.InputContainer, stream: av.AudioStream, path: str,
                   block_frames: int) -> Iterator[np.ndarray]:
    pending: list[np.ndarray] = []
    pending_frames = 0
    decoded = 0
    expected_seconds = _container_duration(container, stream)
    try:
        for frame in _decode_frames(container, stream, path):
            samples = frame.to_ndarray()
            if samples.ndim == 1:
                samples = samples[None, :]
            if not frame.format.is_planar:
                samples = samples.reshape(-1, len(frame.layout.channels)).T
            mono = _to_float(samples).mean(axis=0).astype(np.float32, copy=False)
            pending.append(mono)
            pending_frames += len(mono)
            decoded += len(mono)
            while pending_frames >= block_frames:
                joined = np.concatenate(pending)
                yield joined[:block_frames]
                rest = joined[block_frames:]
                pending, pending_frames = [rest], len(rest)
        if pending_frames:
            yield np.concatenate(pending)
    finally:
        container.close()
    if decoded == 0:
        raise AudioError(path, "corrupt", "no audio could be decoded from the file")
    rate = stream.codec_context.sample_rate or 1
    if expected_seconds > 0 and decoded / rate < expected_seconds * TRUNCATION_TOLERANCE:
        raise AudioError(path, "truncated", f"the file is truncated: {decoded / rate:.1f} s of "
                                            f"{expected_seconds:.1f} s decoded")


def _decode_frames(container: av.container.InputContainer, stream: av.AudioStream, path: str) -> Iterator[av.AudioFrame]:
    try:
        yield from container.decode(stream)
    except av.error.FFmpegError as error:
        raise AudioError(path, "corrupt", f"decoding failed: {error}") from error


def _to_float(samples: np.ndarray) -> np.ndarray:
    if samples.dtype.kind == "f":
        return samples.astype(np.float32, copy=False)
    info = np.iinfo(samples.dtype)
    scale = float(max(abs(info.min), info.max))
    offset = 0.0 if info.min < 0 else (info.max + 1) / 2
    return ((samples.astype(np.float32) - offset) / scale).astype(np.float32)


def _open_container(path: str) -> av.container.InputContainer:
    try:
        return av.open(path, metadata_errors="ignore")
    except av.error.InvalidDataError as error:
        raise AudioError(path, _unknown_kind(path), _unknown_reason(path)) from error
    except av.error.FFmpegError as error:
        raise AudioError(path, "corrupt", f"FFmpeg cannot open the file: {error}") from error


def _audio_stream(container: av.container.InputContainer, path: str) -> av.AudioStream:
    if not container.streams.audio:
        container.close()
        raise AudioError(path, "unsupported", "the file has no audio stream")
    stream = container.streams.audio[0]
    context = stream.codec_context
    # FFmpeg opens a stream in a codec it has no decoder for (WAV format tag 0x1234, 1024-bit PCM) without a context.
    if context is None:
        container.close()
        raise AudioError(path, "unsupported", "the audio is in an encoding no decoder here can read "
                                              "(unknown codec or impossible sample format)")
    if not context.sample_rate or not context.channels:  # a header with no rate or channels: not really audio
        container.close()
        raise AudioError(path, _unknown_kind(path), _unknown_reason(path))
    return stream


def _container_duration(container: av.container.InputContainer, stream: av.AudioStream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0


def _unknown_kind(path: str) -> str:
    return "corrupt" if Path(path).suffix.lower() in AUDIO_EXTENSIONS else "unsupported"


def _unknown_reason(path: str) -> str:
    suffix = Path(path).suffix.lower() or "(no extension)"
    if suffix in AUDIO_EXTENSIONS:
        return f"the file is not valid {suffix} audio (corrupt or mislabelled)"
    return f"unsupported format {suffix}: not an audio file that libsndfile or FFmpeg can read"
