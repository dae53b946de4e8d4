"""Audio in: decode any common format, mono mixdown, soxr resampling, waveform peaks, content hashes."""

from moss_music.audio.decode import AUDIO_EXTENSIONS, AudioInfo, iter_mono_blocks, probe
from moss_music.audio.errors import AudioError
from moss_music.audio.hashing import content_hash
from moss_music.audio.load import MODEL_SAMPLE_RATE, AudioData, load
from moss_music.audio.peaks import PeakPyramid, cached_peaks, compute_peaks

__all__ = [
    "AUDIO_EXTENSIONS", "MODEL_SAMPLE_RATE", "AudioData", "AudioError", "AudioInfo", "PeakPyramid",
    "cached_peaks", "compute_peaks", "content_hash", "iter_mono_blocks", "load", "probe",
]
