"""Decode a song for playback in stereo (analysis decodes to mono; a listener hears both channels).

libsndfile reads WAV/FLAC/AIFF/OGG straight to (frames, channels); anything
else goes through FFmpeg (PyAV) with its resampler asked for interleaved
stereo float. Files that are missing, truncated or not audio at all fall back
to ``moss_music.audio.load``, which explains exactly what is wrong (and a
file only it can read still plays, in mono).
"""

from __future__ import annotations

import numpy as np
import soundfile as sf
import soxr

from moss_music.audio import load as load_mono

MAX_CHANNELS = 2


def _soundfile_stereo(path: str) -> tuple[np.ndarray, int]:
    data, rate = sf.read(path, dtype="float32", always_2d=True)
    if not len(data):
        raise ValueError("no audio frames")
    if data.shape[1] > MAX_CHANNELS:  # surround: front left/right carry the mix a listener expects
        data = data[:, :MAX_CHANNELS]
    return data, int(rate)


def _ffmpeg_stereo(path: str) -> tuple[np.ndarray, int]:
    import av

    with av.open(path) as container:
        stream = next(s for s in container.streams if s.type == "audio")
        rate = int(stream.codec_context.sample_rate)
        resampler = av.AudioResampler(format="flt", layout="stereo", rate=rate)
        chunks = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1, 2))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1, 2))
    if not chunks:
        raise ValueError("no audio frames")
    return np.concatenate(chunks).astype(np.float32, copy=False), rate


def load_stereo(path: str, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """(samples of shape (frames, 1 or 2), rate); resampled with soxr when ``sample_rate`` is given."""
    try:
        try:
            samples, rate = _soundfile_stereo(path)
        except RuntimeError:  # not a format libsndfile reads (soundfile.LibsndfileError)
            samples, rate = _ffmpeg_stereo(path)
    except Exception:  # noqa: BLE001 - the mono loader says precisely why (missing, truncated, not audio)
        audio = load_mono(path, sample_rate)
        return audio.samples[:, None], audio.sample_rate
    # NaN/inf samples (a damaged float file) would reach the sound card as full-scale noise: play silence.
    np.nan_to_num(samples, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    if sample_rate and sample_rate != rate:
        samples = soxr.resample(samples, rate, sample_rate).astype(np.float32, copy=False)
        rate = sample_rate
    np.clip(samples, -1.0, 1.0, out=samples)
    return np.ascontiguousarray(samples), rate
