"""Waveform peak pyramid and content hashes."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import soundfile as sf

from moss_music.audio import cached_peaks, compute_peaks, content_hash
from moss_music.audio.peaks import BASE_BIN, FACTOR, PeakPyramid
from tests.audio_fixtures import write_song


def test_level_zero_holds_the_min_and_max_of_each_bin(tmp_path):
    rng = np.random.default_rng(1)
    samples = rng.uniform(-1, 1, BASE_BIN * 300 + 17).astype(np.float32)
    sf.write(tmp_path / "noise.wav", samples, 8000, subtype="FLOAT")
    pyramid = compute_peaks(tmp_path / "noise.wav")
    level = pyramid.levels[0]
    assert level.samples_per_bin == BASE_BIN
    assert len(level.mins) == 301
    np.testing.assert_allclose(level.mins[5], samples[5 * BASE_BIN:6 * BASE_BIN].min())
    np.testing.assert_allclose(level.maxs[5], samples[5 * BASE_BIN:6 * BASE_BIN].max())
    np.testing.assert_allclose(level.maxs[-1], samples[300 * BASE_BIN:].max())
    assert pyramid.total_samples == len(samples)


def test_each_level_merges_the_one_below(tmp_path):
    path = write_song(tmp_path / "song.flac", seconds=20.0)
    pyramid = compute_peaks(path)
    assert len(pyramid.levels) >= 3
    for below, above in zip(pyramid.levels, pyramid.levels[1:]):
        assert above.samples_per_bin == below.samples_per_bin * FACTOR
        assert above.maxs.max() == pytest.approx(below.maxs.max())
        assert above.mins.min() == pytest.approx(below.mins.min())
        assert len(above.mins) == -(-len(below.mins) // FACTOR)


def test_envelope_picks_a_coarser_level_when_zoomed_out(tmp_path):
    pyramid = compute_peaks(write_song(tmp_path / "song.wav", seconds=30.0))
    times_out, _, _ = pyramid.envelope(0.0, 30.0, 1000)
    times_in, mins, maxs = pyramid.envelope(10.0, 11.0, 1000)
    assert len(times_out) < 2 * 1000 * FACTOR
    assert times_in[0] >= 9.9 and times_in[-1] <= 11.1
    assert (maxs >= mins).all()


def test_peaks_are_cached_by_content_hash(tmp_path):
    path = write_song(tmp_path / "song.wav", seconds=5.0)
    digest = content_hash(path)
    first = cached_peaks(path, digest, tmp_path / "cache")
    cache_file = tmp_path / "cache" / f"{digest}.npz"
    assert cache_file.exists()
    path.unlink()  # a cache hit must not need the audio
    again = cached_peaks(path, digest, tmp_path / "cache")
    assert isinstance(again, PeakPyramid)
    np.testing.assert_array_equal(first.levels[1].maxs, again.levels[1].maxs)


def test_a_damaged_cache_file_is_recomputed(tmp_path):
    path = write_song(tmp_path / "song.wav", seconds=2.0)
    digest = content_hash(path)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / f"{digest}.npz").write_bytes(b"not a zip")
    assert cached_peaks(path, digest, tmp_path / "cache").total_samples == 88_200


def test_content_hash_follows_content_not_name(tmp_path):
    path = write_song(tmp_path / "a.flac", seconds=2.0)
    copy = tmp_path / "elsewhere" / "renamed.flac"
    copy.parent.mkdir()
    shutil.copy(path, copy)
    assert content_hash(path) == content_hash(copy)
    other = write_song(tmp_path / "b.flac", seconds=2.0, bpm=90)
    assert content_hash(other) != content_hash(path)


def test_large_files_hash_from_samples_and_still_see_changes(tmp_path):
    big = tmp_path / "big.bin"
    data = bytearray(np.random.default_rng(0).bytes(4 * 2**20))
    big.write_bytes(bytes(data))
    before = content_hash(big)
    data[-10] ^= 0xFF  # inside the sampled tail
    big.write_bytes(bytes(data))
    assert content_hash(big) != before
