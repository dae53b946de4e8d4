"""Audio front end: 16 kHz mono waveform -> Whisper log-mel (no 30 s padding) and the token-count arithmetic.

The model was trained on transformers' Whisper log-mel computed on the raw
waveform, so we call that computation rather than re-deriving it; the only
difference from Whisper's own use is that nothing is padded to 30 seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from transformers import WhisperFeatureExtractor

TOKENS_PER_SECOND = 12.5
"""Audio tokens per second of audio: 100 mel frames/s halved three times by the conv stem."""


@dataclass(frozen=True)
class MelSettings:
    """``mel_config`` of processor_config.json (keys mel_sr, mel_dim, mel_n_fft, mel_hop_length)."""

    sample_rate: int = 16000
    num_mel_bins: int = 128
    n_fft: int = 400
    hop_length: int = 160

    @classmethod
    def from_dict(cls, data: dict | None) -> MelSettings:
        data = data or {}
        return cls(
            sample_rate=int(data.get("mel_sr", cls.sample_rate)),
            num_mel_bins=int(data.get("mel_dim", cls.num_mel_bins)),
            n_fft=int(data.get("mel_n_fft", cls.n_fft)),
            hop_length=int(data.get("mel_hop_length", cls.hop_length)),
        )

    def to_dict(self) -> dict[str, int]:
        return {"mel_sr": self.sample_rate, "mel_dim": self.num_mel_bins, "mel_n_fft": self.n_fft,
                "mel_hop_length": self.hop_length}


@lru_cache(maxsize=4)
def _extractor(settings: MelSettings) -> WhisperFeatureExtractor:
    return WhisperFeatureExtractor(
        feature_size=settings.num_mel_bins,
        sampling_rate=settings.sample_rate,
        hop_length=settings.hop_length,
        n_fft=settings.n_fft,
    )


def log_mel(waveform: np.ndarray, settings: MelSettings = MelSettings()) -> np.ndarray:
    """[num_mel_bins, len(waveform) // hop] float32 log-mel, normalised exactly as Whisper does."""
    wav = np.asarray(waveform, dtype=np.float32)
    if wav.ndim == 2:  # [channels, samples] -> mono mean, like the rest of the app
        wav = wav.mean(axis=0)
    if wav.ndim != 1:
        raise ValueError(f"expected a mono waveform, got an array of shape {wav.shape}")
    if len(wav) < settings.hop_length:
        raise ValueError(
            f"the audio is too short to be represented: {len(wav)} samples, need at least {settings.hop_length}"
        )
    features = _extractor(settings)._np_extract_fbank_features(wav[None, :], device="cpu")
    return np.ascontiguousarray(features[0], dtype=np.float32)


def conv_output_length(length: int) -> int:
    """One 3x3 stride-2 padding-1 convolution along time."""
    return (length - 1) // 2 + 1


def audio_token_count(mel_frames: int) -> int:
    """Audio tokens for ``mel_frames`` frames: three stride-2 convolutions (12.5 tokens per second)."""
    for _ in range(3):
        mel_frames = conv_output_length(mel_frames)
    return max(mel_frames, 0)
