"""Backend "server" against a local OpenAI-compatible server that validates requests like SGLang and vLLM.

Also the hostile side (issue 16 item 8): oversized, stalled and malformed replies are one clear line each,
within the deadline, and nothing is stored.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile

from moss_music.analysis import get_analyzer_class
from moss_music.analysis.server import ServerError
from moss_music.analysis.tasks.definitions import DEFAULT_TASKS
from moss_music.audio import AudioData
from tests.audio_fixtures import write_song
from tests.model.conftest import noise
from tests.model.openai_server import OpenAIServer

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server():
    fake = OpenAIServer("sglang")
    yield fake
    fake.close()


@pytest.fixture
def vllm():
    fake = OpenAIServer("vllm")
    yield fake
    fake.close()


def analyzer_for(server, **options):
    return get_analyzer_class("server").from_options({"server_url": server.url, "server_model": "moss-music",
                                                      "api_key": "secret", "backoff": 0.01, **options})


def test_default_request_is_accepted_by_an_audio_url_only_server(server):
    result = analyzer_for(server).analyze(AudioData(noise(3.0), 16000), ["chords", "structure", "key", "ask"],
                                          params={"question": "What is it?", "seed": 7})
    assert [(c.start, c.end, c.label) for c in result.chords] == [(0.0, 1.0, "A:min"), (1.0, 2.0, "F")]
    assert [s.function for s in result.sections] == ["verse", "chorus"]
    assert (str(result.key), result.tempo.bpm, str(result.time_signature)) == ("C major", 90.0, "3/4")
    assert (result.answers[0].answer, result.answers[0].reasoning) == ("Noise.", "It sounds like noise.")
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer secret"
    body = request["body"]
    assert body["model"] == "moss-music" and body["seed"] == 7
    assert (body["temperature"], body["top_p"], body["top_k"]) == (1.0, 0.8, 50)
    part = body["messages"][0]["content"][0]
    assert part["type"] == "audio_url" and part["audio_url"]["url"].startswith("data:audio/wav;base64,")
    samples, rate = soundfile.read(io.BytesIO(base64.b64decode(part["audio_url"]["url"].split(",", 1)[1])))
    assert rate == 16000 and len(samples) == 48000


def test_default_tasks_run_and_untimed_lyrics_are_kept(server):
    result = analyzer_for(server).analyze(AudioData(noise(3.0), 16000), list(DEFAULT_TASKS))
    assert set(result.raw) == set(DEFAULT_TASKS) and not result.unparsed
    assert [(line.start, line.end, line.text) for line in result.lyrics] == [(0.0, 0.0, "hello world"),
                                                                            (0.0, 0.0, "second line")]


def test_input_audio_is_refused_by_sglang_and_accepted_by_vllm(server, vllm):
    with pytest.raises(ServerError, match="HTTP 400: .*unsupported content part type 'input_audio'"):
        analyzer_for(server, audio_mode="input_audio").analyze(AudioData(noise(1.0), 16000), ["key"])
    analyzer_for(vllm, audio_mode="input_audio").analyze(AudioData(noise(1.0), 16000), ["key"])
    part = vllm.requests[0]["body"]["messages"][0]["content"][0]
    assert part["type"] == "input_audio" and part["input_audio"]["format"] == "wav"


def test_the_test_server_rejects_bad_sampling_fields(server):
    analyzer = analyzer_for(server)
    with pytest.raises(ServerError, match="HTTP 400: top_p"):
        analyzer.analyze(AudioData(noise(1.0), 16000), ["key"], params={"top_p": 1.5})


def test_thinking_servers_get_the_reasoning_budget_on_top(server):
    analyzer_for(server, thinking=True).analyze(AudioData(noise(1.0), 16000), ["key"])
    assert server.requests[0]["body"]["max_tokens"] == 96 + 512


def test_transient_errors_are_retried(server):
    server.fail_first = 2
    result = analyzer_for(server, retries=2).analyze(AudioData(noise(1.0), 16000), ["key"])
    assert str(result.key) == "C major" and len(server.requests) == 3


def test_client_errors_are_reported_with_the_servers_message(server):
    server.fail_first, server.fail_status = 1, 400
    with pytest.raises(ServerError, match="HTTP 400: model is warming up"):
        analyzer_for(server).analyze(AudioData(noise(1.0), 16000), ["key"])
    assert len(server.requests) == 1


def test_unreachable_server_is_a_clear_error():
    closed = OpenAIServer()
    closed.close()
    analyzer = get_analyzer_class("server").from_options({"server_url": closed.url, "retries": 1, "backoff": 0.01,
                                                          "timeout": 2})
    with pytest.raises(ServerError, match="cannot reach the server"):
        analyzer.analyze(AudioData(noise(1.0), 16000), ["key"])


def test_bad_url_and_timeout_are_refused_up_front():
    with pytest.raises(ValueError, match="not an http"):
        get_analyzer_class("server").from_options({"server_url": "ftp://x"})
    with pytest.raises(ValueError, match="timeout"):
        get_analyzer_class("server").from_options({"server_url": "http://x", "timeout": "soon"})


def test_an_oversized_reply_is_refused_without_reading_it_all(server):
    server.reply_bytes = b'{"choices": [{"message": {"content": "' + b"a" * 3_000_000 + b'"}}]}'
    with pytest.raises(ServerError, match="over the 1,000,000-byte limit"):
        analyzer_for(server, max_reply_bytes=1_000_000).analyze(AudioData(noise(1.0), 16000), ["key"])


def test_a_stalled_server_hits_the_total_deadline(server):
    server.reply_bytes = json.dumps({"choices": [{"message": {"content": "Key: C major"}}]}).encode()
    server.drip = 0.2  # one byte every 0.2 s: no single read ever times out
    started = time.monotonic()
    with pytest.raises(ServerError, match=r"no complete reply within .*\(1\.5 s"):
        analyzer_for(server, timeout=1.5).analyze(AudioData(noise(1.0), 16000), ["key"])
    assert time.monotonic() - started < 4.0


@pytest.mark.parametrize(("reply", "message"), [
    (b"\xff\xfe\x00garbage", "not UTF-8 text"),
    (b"<html>502 Bad Gateway</html>", "not JSON"),
    (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
    (b"[1, 2, 3]", "not an object"),
    (b'{"choices": []}', "no choices"),
    (b'{"choices": [{"message": {"content": 42}}]}', "not text"),
])
def test_malformed_replies_are_one_clear_error(server, reply, message):
    server.reply_bytes = reply
    with pytest.raises(ServerError, match=message) as error:
        analyzer_for(server).analyze(AudioData(noise(1.0), 16000), ["key"])
    assert "\n" not in str(error.value) and len(str(error.value)) < 400


def cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MOSS_MUSIC_HOME": str(home), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "moss_music.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_cli_default_tasks_then_bad_replies_store_nothing_and_honour_the_settings_timeout(server, tmp_path):
    song = write_song(tmp_path / "song.wav")
    home = tmp_path / "home"
    done = cli("analyze", str(song), "--backend", "server", "--server-url", server.url, "--json", home=home)
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)[0]["annotations"]["raw"]["raw"]) == set(DEFAULT_TASKS)

    other = write_song(tmp_path / "other.wav", bpm=90.0)
    server.reply_bytes = b"\xff not json"
    done = cli("analyze", str(other), "--backend", "server", "--server-url", server.url, home=home)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if line.strip()] == [
        f"failed: {other}: {server.url}/chat/completions: the reply is not UTF-8 text (byte 0)"]

    server.reply_bytes, server.drip = b'{"choices": []}', 0.3
    (home / "settings.json").write_text(json.dumps({"backends": {"server": {"timeout": 1}}}))
    started = time.monotonic()
    done = cli("analyze", str(other), "--backend", "server", "--server-url", server.url, home=home)
    assert done.returncode == 1 and "no complete reply within" in done.stderr and "(1 s;" in done.stderr
    assert time.monotonic() - started < 30
    done = cli("analyze", str(other), "--backend", "server", "--server-url", server.url, "--timeout", "0.5",
               home=home)
    assert done.returncode == 1 and "(0.5 s;" in done.stderr

    server.reply_bytes, server.drip = None, None  # a sane server again: nothing was stored, so nothing is cached
    done = cli("analyze", str(other), "--backend", "server", "--server-url", server.url, "--json", home=home)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["cached"] is False
