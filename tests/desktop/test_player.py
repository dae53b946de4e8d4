"""Player logic driven through a fake sound card and a hand-moved clock."""

from __future__ import annotations

import time

import numpy as np
import pytest

from desktop.player import COUNT_IN, PLAYING, STOPPED, FakeOutput, Player

RATE = 8_000


class ManualTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def ramp(seconds: float) -> np.ndarray:
    """Each sample's value tells where in the song it came from."""
    return (np.arange(int(seconds * RATE)) / (seconds * RATE)).astype(np.float32)


def tone(seconds: float, freq: float, rate: int = 22_050) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


@pytest.fixture
def clock():
    return ManualTime()


def make_player(samples, clock, rate=RATE, **kwargs):
    output = FakeOutput(**kwargs)
    player = Player(output, time_fn=clock)
    player.set_audio(samples, rate)
    return player, output


def pull_until(output: FakeOutput, player: Player, condition, frames=512, limit=2000, timeout_s=60.0):
    """Pull blocks like a sound card would until ``condition``; background rendering may take seconds."""
    blocks = []
    deadline = time.monotonic() + timeout_s
    pulls = 0
    while not condition() and time.monotonic() < deadline:
        pulls += 1
        if pulls > limit and player.buffering is False:
            break
        blocks.append(output.pull(frames)[:, 0].copy())
        time.sleep(0.0005)
    return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)


def test_position_follows_the_clock_between_callbacks(clock):
    player, output = make_player(ramp(4.0), clock)
    assert player.play()
    output.pull(800)  # 0.1 s handed to the card at t=100
    clock.now += 0.05
    assert player.position() == pytest.approx(0.05, abs=1e-6)
    clock.now += 1.0
    assert player.position() == pytest.approx(0.1), "never runs past what the card was given"


def test_output_latency_delays_the_playhead(clock):
    player, output = make_player(ramp(4.0), clock, latency=0.2)
    player.play()
    output.pull(4000)
    clock.now += 0.3
    assert player.position() == pytest.approx(0.1, abs=1e-6)


def test_seek_plays_from_the_new_position(clock):
    player, output = make_player(ramp(4.0), clock)
    player.seek(2.0)
    assert player.position() == 2.0
    player.play()
    block = output.pull(100)[:, 0]
    assert block[0] == pytest.approx(0.5, abs=1e-3)
    assert np.all(np.diff(block) > 0)


def test_a_b_loop_wraps_back_to_a(clock):
    player, output = make_player(ramp(4.0), clock)
    player.seek(1.0)
    player.set_loop(1.0, 1.5)
    player.play()
    audio = np.concatenate([output.pull(1000)[:, 0] for _ in range(10)])  # 1.25 s of output
    wraps = np.flatnonzero(np.diff(audio) < 0)
    assert len(wraps) == 2, "0.5 s loop over 1.25 s wraps twice"
    assert audio[wraps[0]] == pytest.approx(1.5 / 4, abs=1e-3)
    assert audio[wraps[0] + 1] == pytest.approx(1.0 / 4, abs=1e-3)
    assert 1.0 <= player.position() < 1.5


def test_setting_a_loop_elsewhere_moves_the_playhead_into_it(clock):
    player, _ = make_player(ramp(4.0), clock)
    player.seek(3.0)
    player.set_loop(1.0, 2.0)
    assert player.position() == 1.0
    player.set_loop(None)
    assert player.loop is None


def test_a_loop_shorter_than_50_ms_is_refused(clock):
    player, _ = make_player(ramp(4.0), clock)
    with pytest.raises(ValueError, match="at least"):
        player.set_loop(1.0, 1.01)


def test_stop_returns_to_the_loop_start(clock):
    player, output = make_player(ramp(4.0), clock)
    player.set_loop(2.0, 3.0)
    player.play()
    output.pull(2000)
    player.stop()
    assert player.state == STOPPED and player.position() == 2.0
    assert not output.running


def test_end_of_song_stops_and_reports_ended(clock):
    events = []
    player, output = make_player(ramp(0.5), clock)
    player.add_listener(events.append)
    player.play()
    for _ in range(6):
        output.pull(1000)
    assert player.state == STOPPED and "ended" in events
    assert not output.running
    assert player.position() == pytest.approx(0.5)
    assert player.play(), "play at the end starts over"
    assert output.pull(10)[5, 0] == pytest.approx(5 / (0.5 * RATE))


def test_pause_keeps_the_heard_position(clock):
    player, output = make_player(ramp(4.0), clock, latency=0.1)
    player.play()
    output.pull(1600)  # 0.2 s handed over, 0.1 s of it heard after 0.2 s
    clock.now += 0.2
    player.pause()
    assert player.position() == pytest.approx(0.1, abs=1e-6)
    player.play()
    assert output.pull(10)[0, 0] == pytest.approx(0.1 / 4, abs=1e-3)


def test_without_an_output_playback_runs_silently_on_the_clock():
    """No sound card: play still moves the playhead, loops wrap and the count-in counts (nothing is heard)."""
    player = Player(None, unavailable_reason="Playback unavailable: no sound card.")
    player.set_audio(ramp(3.0), RATE)
    assert not player.available
    assert "no sound card" in player.unavailable_reason
    player.set_beats([0.0, 0.1, 0.2, 0.3], [True, False, False, False])
    player.set_count_in(2)
    assert player.play() is True
    assert player.state == COUNT_IN
    deadline = time.monotonic() + 3.0
    while player.state == COUNT_IN and time.monotonic() < deadline:
        time.sleep(0.01)
    assert player.state == PLAYING, "the count-in ends on the clock"
    time.sleep(0.3)
    assert 0.1 < player.position() < 1.0
    player.set_loop(0.5, 0.7)
    time.sleep(0.5)
    assert 0.5 <= player.position() <= 0.7 + 1e-3, "the loop wraps without a sound card"
    player.pause()
    held = player.position()
    time.sleep(0.1)
    assert player.position() == held
    player.close()


def test_metronome_clicks_land_on_the_beat_grid(clock):
    player, output = make_player(np.zeros(RATE * 2, np.float32), clock)
    player.set_beats([0.25, 0.75, 1.25], [True, False, False])
    player.set_metronome(True)
    player.play()
    audio = np.concatenate([output.pull(300)[:, 0] for _ in range(10)])  # 3000 frames = 0.375 s
    audio = np.concatenate([audio, np.concatenate([output.pull(300)[:, 0] for _ in range(20)])])
    onsets = np.flatnonzero(np.abs(audio) > 1e-4)
    assert onsets[0] == pytest.approx(0.25 * RATE, abs=2)
    second = onsets[onsets > 0.5 * RATE][0]
    assert second == pytest.approx(0.75 * RATE, abs=2)
    assert np.max(np.abs(audio[:int(0.4 * RATE)])) > np.max(np.abs(audio[int(0.7 * RATE):int(0.9 * RATE)])), \
        "the downbeat is accented"


def test_count_in_clicks_before_the_music_and_holds_the_playhead(clock):
    player, output = make_player(np.full(RATE * 4, 0.25, np.float32), clock)
    player.set_beats([0.0, 0.5, 1.0, 1.5, 2.0], [True, False, False, False, True])
    player.set_count_in(2)
    player.play()
    assert player.state == COUNT_IN and player.count_in_remaining() == 2
    first = np.concatenate([output.pull(400)[:, 0] for _ in range(10)])  # 0.5 s: first count-in beat
    assert player.count_in_remaining() == 1
    assert player.position() == 0.0
    assert np.abs(first[:40]).max() > 0.3 and np.all(first[-100:] == 0), "a click, then silence"
    output.pull(4000)
    assert player.state == PLAYING
    assert output.pull(10)[0, 0] == pytest.approx(0.25)


@pytest.mark.slow
def test_half_speed_keeps_the_pitch_and_halves_the_clock_rate(clock):
    rate = 22_050
    player, output = make_player(tone(4.0, 440.0, rate), clock, rate=rate)
    player.set_speed(0.5)
    assert player.speed == 0.5
    player.play()
    pull_until(output, player, lambda: not player.buffering, frames=256)
    audio = np.concatenate([output.pull(2048)[:, 0] for _ in range(20)])  # ~1.86 s of output
    assert dominant_frequency(audio, rate) == pytest.approx(440.0, rel=0.02)
    heard = player.position()
    assert heard == pytest.approx(len(audio) / rate / 2, rel=0.15)


def test_transposing_an_octave_up_doubles_the_pitch(clock):
    rate = 22_050
    player, output = make_player(tone(3.0, 220.0, rate), clock, rate=rate)
    player.set_transpose(12)
    player.play()
    pull_until(output, player, lambda: not player.buffering, frames=256)
    audio = np.concatenate([output.pull(2048)[:, 0] for _ in range(10)])
    assert dominant_frequency(audio[2048:], rate) == pytest.approx(440.0, rel=0.02)


def test_speed_and_transpose_are_clamped(clock):
    player, _ = make_player(ramp(1.0), clock)
    player.set_speed(3.0)
    player.set_transpose(-30)
    assert player.speed == 1.25 and player.transpose == -12
    player.set_speed(0.1)
    assert player.speed == 0.5
    player.close()


def test_processed_playback_loops_too(clock):
    rate = 22_050
    player, output = make_player(tone(6.0, 330.0, rate), clock, rate=rate)
    player.set_speed(0.8)
    player.set_loop(1.0, 2.0)
    player.play()
    pull_until(output, player, lambda: not player.buffering, frames=256)
    positions = []
    for _ in range(60):  # ~2.8 s of output: more than one 1.25 s pass of the loop
        output.pull(1024)
        positions.append(player.clock._anchor.position)
        time.sleep(0.002)
    assert min(positions) >= 1.0 - 1e-6 and max(positions) < 2.0
    assert any(b < a for a, b in zip(positions, positions[1:], strict=False)), "it wrapped"
    player.close()


def test_a_new_device_that_refuses_the_rate_gets_resampled_audio(clock):
    player, _ = make_player(ramp(1.0), clock)
    player.set_output(FakeOutput(rates=(48_000,)))
    assert player.sample_rate == 48_000
    assert player.duration == pytest.approx(1.0, abs=1e-3)


def test_load_file_decodes_in_the_background(tmp_path, clock):
    from tests.audio_fixtures import write_song

    path = write_song(tmp_path / "song.flac", seconds=1.0)
    player = Player(FakeOutput(rates=(22_050,)), time_fn=clock)
    events = []
    player.add_listener(events.append)
    thread = player.load_file(str(path), native_rate=44_100)
    thread.join(10)
    assert "loaded" in events
    assert player.sample_rate == 22_050 and player.duration == pytest.approx(1.0, abs=0.01)


def test_a_broken_file_reports_an_error_and_keeps_the_player_usable(tmp_path, clock):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF" + bytes(100))
    player = Player(FakeOutput(), time_fn=clock)
    player.load_file(str(bad)).join(10)
    assert player.error.startswith("Cannot play this file")
    assert player.play() is False


def test_stereo_songs_play_in_stereo(clock):
    left, right = tone(0.5, 440.0, RATE), tone(0.5, 1000.0, RATE)
    player, output = make_player(np.stack([left, right], axis=1), clock)
    assert player.channels == 2
    player.play()
    block = output.pull(2000)
    assert np.allclose(block[:, 0], left[:2000]) and np.allclose(block[:, 1], right[:2000])


def test_a_stereo_song_on_a_mono_device_is_mixed_down(clock):
    left, right = tone(0.5, 440.0, RATE), tone(0.5, 1000.0, RATE)
    player, output = make_player(np.stack([left, right], axis=1), clock, channels=1)
    player.play()
    block = output.pull(1000)
    assert np.allclose(block[:, 0], (left[:1000] + right[:1000]) / 2, atol=1e-6)


def test_a_stereo_file_is_decoded_with_both_channels(tmp_path, clock):
    import soundfile as sf

    rate = 22_050
    left, right = tone(1.0, 300.0, rate), tone(1.0, 1200.0, rate)
    path = tmp_path / "stereo.flac"
    sf.write(path, np.stack([left, right], axis=1), rate)
    output = FakeOutput()
    player = Player(output, time_fn=clock)
    player.load_file(str(path)).join(10)
    assert player.channels == 2 and player.sample_rate == rate
    player.play()
    block = output.pull(4096)
    assert dominant_frequency(block[:, 0], rate) == pytest.approx(300.0, abs=10)
    assert dominant_frequency(block[:, 1], rate) == pytest.approx(1200.0, abs=10)


def test_transposed_stereo_keeps_its_channels_apart(clock):
    rate = 22_050
    left, right = tone(3.0, 440.0, rate), tone(3.0, 1000.0, rate)
    player, output = make_player(np.stack([left, right], axis=1), clock, rate=rate)
    player.set_transpose(12)
    player.play()
    blocks = []
    deadline = time.monotonic() + 60
    while sum(len(b) for b in blocks) < rate and time.monotonic() < deadline:
        block = output.pull(1024)
        if np.any(block):
            blocks.append(block)
        time.sleep(0.001)
    audio = np.concatenate(blocks)[:8192]
    assert dominant_frequency(audio[:, 0], rate) == pytest.approx(880.0, rel=0.03)
    assert dominant_frequency(audio[:, 1], rate) == pytest.approx(2000.0, rel=0.03)
    player.close()
