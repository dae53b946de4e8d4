"""moss_music.audio.load: every supported format, mono mixdown, resampling, bad files."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from moss_music.audio import AudioError, load, probe
from tests.audio_fixtures import song_samples, write_corrupt_files, write_song

FORMATS = [".wav", ".flac", ".ogg", ".opus", ".mp3", ".aiff", ".m4a", ".wma", ".alac"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_every_format_decodes_to_the_same_song_length(tmp_path, suffix):
    path = write_song(tmp_path / f"song{suffix}", seconds=3.0)
    audio = load(path, 16_000)
    assert audio.sample_rate == 16_000
    assert audio.samples.ndim == 1 and audio.samples.dtype == np.float32
    # Lossy encoders add priming/padding of some milliseconds, never more.
    assert audio.duration == pytest.approx(3.0, abs=0.08)
    assert 0.05 < float(np.abs(audio.samples).max()) <= 1.0


@pytest.mark.parametrize("suffix", FORMATS)
def test_probe_reads_stream_properties_without_decoding(tmp_path, suffix):
    path = write_song(tmp_path / f"song{suffix}", seconds=2.0)
    info = probe(path)
    assert info.duration == pytest.approx(2.0, abs=0.08)
    assert info.channels == 2
    assert info.sample_rate in (44_100, 48_000)


def test_stereo_is_mixed_down_as_the_mean_of_channels(tmp_path):
    left = np.full(4000, 0.5, dtype=np.float32)
    right = np.full(4000, -0.1, dtype=np.float32)
    sf.write(tmp_path / "lr.wav", np.stack([left, right], axis=1), 8000, subtype="FLOAT")
    audio = load(tmp_path / "lr.wav")
    assert audio.sample_rate == 8000
    np.testing.assert_allclose(audio.samples, 0.2, atol=1e-6)


@pytest.mark.parametrize("rate", [8000, 11_025, 22_050, 32_000, 44_100, 48_000, 88_200, 96_000, 7350])
def test_odd_sample_rates_resample_to_the_target_length(tmp_path, rate):
    tone = np.sin(2 * np.pi * 440 * np.arange(rate * 2) / rate).astype(np.float32) * 0.5
    sf.write(tmp_path / "tone.wav", tone, rate)
    audio = load(tmp_path / "tone.wav", 16_000)
    assert len(audio.samples) == pytest.approx(32_000, abs=2)
    spectrum = np.abs(np.fft.rfft(audio.samples[4000:20000]))
    assert np.argmax(spectrum) * 16_000 / 16_000 == pytest.approx(440, abs=2)


def test_native_rate_is_kept_when_no_target_is_given(tmp_path):
    path = write_song(tmp_path / "song.flac", seconds=1.0, sample_rate=22_050)
    audio = load(path)
    assert audio.sample_rate == 22_050
    assert len(audio.samples) == 22_050


def test_unicode_and_emoji_paths_load(tmp_path):
    path = write_song(tmp_path / "Björk – Jóga 🎵" / "Ünïcödé 歌 🎶.flac", seconds=1.0)
    assert load(path, 16_000).duration == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize(("name", "kind"), [
    ("corrupt", "corrupt"),
    ("truncated", "truncated"),
    ("empty", "empty"),
    ("header_only", "empty"),
    ("not_audio", None),
])
def test_broken_files_raise_one_typed_error_with_path_and_reason(tmp_path, name, kind):
    path = write_corrupt_files(tmp_path)[name]
    with pytest.raises(AudioError) as caught:
        load(path)
    error = caught.value
    assert error.path == str(path)
    assert error.reason and str(path) in str(error)
    if kind:
        assert error.kind == kind
    else:
        assert error.kind in ("corrupt", "unsupported")


def test_wrong_extension_is_decoded_by_content(tmp_path):
    real_wav = write_song(tmp_path / "song.wav", seconds=1.0)
    disguised = real_wav.rename(tmp_path / "song.mp3")
    assert load(disguised).duration == pytest.approx(1.0, abs=0.01)


def test_missing_file_and_folder_are_reported_clearly(tmp_path):
    with pytest.raises(AudioError) as missing:
        load(tmp_path / "nope.wav")
    assert missing.value.kind == "missing"
    with pytest.raises(AudioError) as folder:
        load(tmp_path)
    assert folder.value.kind == "unsupported"


def test_long_files_are_resampled_block_by_block_without_holding_the_original(tmp_path):
    minutes = 6
    path = tmp_path / "long.wav"
    rate = 44_100
    with sf.SoundFile(path, "w", rate, 2, subtype="PCM_16") as handle:
        block = song_samples(10.0, rate, 2)
        for _ in range(minutes * 6):
            handle.write(block)
    original_float_bytes = minutes * 60 * rate * 2 * 4
    tracemalloc.start()
    audio = load(path, 16_000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert audio.duration == pytest.approx(minutes * 60, abs=0.01)
    output_bytes = audio.samples.nbytes
    # The output written in place plus a few blocks; far below the decoded original.
    assert peak < 1.1 * output_bytes + 16 * 2**20
    assert peak < original_float_bytes / 4
