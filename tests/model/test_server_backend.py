"""Backend "server" against a small local OpenAI-compatible HTTP server running in a thread."""

from __future__ import annotations

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import soundfile

from moss_music.analysis import get_analyzer_class
from moss_music.analysis.server import ServerError
from moss_music.audio import AudioData
from tests.model.conftest import noise

ANSWERS = {
    "chords": "0.0 - 1.0: Am\n1.0 - 2.0: F",
    "structure": "[0.0 - 1.5] verse\n[1.5 - 3.0] chorus",
    "key": "Key: C major\nTempo: 90 BPM\nTime signature: 3/4",
    "ask": "<think>It sounds like noise.</think>Noise.",
}


class FakeServer:
    """Answers chat completions by the prompt's first word; can fail a number of times first."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.fail_first = 0
        self.fail_status = 503
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                if outer.fail_first > 0:
                    outer.fail_first -= 1
                    self._reply(outer.fail_status, {"error": {"message": "model is warming up"}})
                    return
                prompt = body["messages"][0]["content"][1]["text"]
                task = next((t for t, key in (("chords", "chords"), ("structure", "Segment"), ("key", "key, the tempo"))
                             if key in prompt), "ask")
                self._reply(200, {"choices": [{"message": {"role": "assistant", "content": ANSWERS[task]},
                                               "finish_reason": "stop"}], "usage": {"prompt_tokens": 42}})

            def _reply(self, status, data):
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    fake = FakeServer()
    yield fake
    fake.close()


def analyzer_for(server, **options):
    return get_analyzer_class("server").from_options({"server_url": server.url, "server_model": "moss-music",
                                                      "api_key": "secret", "backoff": 0.01, **options})


def test_tasks_round_trip_through_the_chat_completions_protocol(server):
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
    audio_part = body["messages"][0]["content"][0]
    assert audio_part["type"] == "input_audio" and audio_part["input_audio"]["format"] == "wav"
    samples, rate = soundfile.read(io.BytesIO(base64.b64decode(audio_part["input_audio"]["data"])))
    assert rate == 16000 and len(samples) == 48000


def test_audio_can_go_as_a_data_uri(server):
    analyzer_for(server, audio_mode="audio_url").analyze(AudioData(noise(1.0), 16000), ["key"])
    part = server.requests[0]["body"]["messages"][0]["content"][0]
    assert part["type"] == "audio_url" and part["audio_url"]["url"].startswith("data:audio/wav;base64,")


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
    closed = FakeServer()
    closed.close()
    analyzer = get_analyzer_class("server").from_options({"server_url": closed.url, "retries": 1, "backoff": 0.01,
                                                          "timeout": 2})
    with pytest.raises(ServerError, match="cannot reach the server"):
        analyzer.analyze(AudioData(noise(1.0), 16000), ["key"])


def test_bad_url_is_refused_up_front():
    with pytest.raises(ValueError, match="not an http"):
        get_analyzer_class("server").from_options({"server_url": "ftp://x"})
