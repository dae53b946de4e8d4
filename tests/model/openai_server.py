"""A local OpenAI-compatible chat-completions server that checks requests the way real engines do.

``mode="sglang"``: like SGLang's MOSS-Music server, content parts may be ``text``
or ``audio_url`` (``image_url`` too); an ``input_audio`` part is an HTTP 400.
``mode="vllm"``: ``input_audio`` is accepted as well. Both check what their
pydantic request models check: roles, part shapes, the data URI / base64 WAV,
and the types and ranges of the sampling fields. Behaviours for hostile tests:
``reply_bytes`` (raw bytes to send instead of an answer), ``drip`` (seconds per
byte), ``fail_first`` / ``fail_status``.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import soundfile

ANSWERS = {
    "chords": "0.0 - 1.0: Am\n1.0 - 2.0: F",
    "structure": "[0.0 - 1.5] verse\n[1.5 - 3.0] chorus",
    "key": "Key: C major\nTempo: 90 BPM\nTime signature: 3/4",
    "caption": "Genre: ambient\nMood: calm\nTags: ambient, calm, noise",
    "lyrics": "hello world\nsecond line",
    "instruments": "- synth pad\n- noise",
    "ask": "<think>It sounds like noise.</think>Noise.",
}
PART_TYPES = {"sglang": {"text", "audio_url", "image_url"}, "vllm": {"text", "audio_url", "input_audio", "image_url"}}
NUMBER_FIELDS = {"temperature": (0.0, 2.0), "top_p": (1e-9, 1.0), "repetition_penalty": (1e-9, 10.0),
                 "presence_penalty": (-2.0, 2.0), "frequency_penalty": (-2.0, 2.0)}


class RequestError(Exception):
    pass


def validate_request(body: Any, mode: str) -> list[dict]:
    """Raise RequestError like the engines' request models; return the decoded audio clips."""
    if not isinstance(body, dict):
        raise RequestError("request body must be a JSON object")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("messages: field required (a non-empty list)")
    clips = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("system", "user", "assistant"):
            raise RequestError(f"messages.{index}.role: must be system, user or assistant")
        content = message.get("content")
        if isinstance(content, str):
            continue
        if not isinstance(content, list):
            raise RequestError(f"messages.{index}.content: must be a string or a list of parts")
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind not in PART_TYPES[mode]:
                raise RequestError(f"messages.{index}.content: unsupported content part type {kind!r}")
            if kind == "text" and not isinstance(part.get("text"), str):
                raise RequestError("text part: 'text' must be a string")
            if kind == "audio_url":
                url = (part.get("audio_url") or {}).get("url") if isinstance(part.get("audio_url"), dict) else None
                if not isinstance(url, str) or not url.startswith("data:audio/") or ";base64," not in url:
                    raise RequestError("audio_url part: 'audio_url.url' must be a data:audio/...;base64, URI")
                clips.append(_decode_audio(url.split(";base64,", 1)[1]))
            if kind == "input_audio":
                audio = part.get("input_audio")
                if not isinstance(audio, dict) or audio.get("format") not in ("wav", "mp3") \
                        or not isinstance(audio.get("data"), str):
                    raise RequestError("input_audio part: needs 'data' (base64) and 'format' wav or mp3")
                clips.append(_decode_audio(audio["data"]))
    if not clips:
        raise RequestError("no audio in the request")
    max_tokens = body.get("max_tokens", 16)
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise RequestError("max_tokens: must be a positive integer")
    for name, (low, high) in NUMBER_FIELDS.items():
        if name in body:
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise RequestError(f"{name}: must be a number in [{low}, {high}]")
    top_k = body.get("top_k", -1)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < -1:
        raise RequestError("top_k: must be an integer >= -1")
    if "seed" in body and (isinstance(body["seed"], bool) or not isinstance(body["seed"], int)):
        raise RequestError("seed: must be an integer")
    if "model" in body and not isinstance(body["model"], str):
        raise RequestError("model: must be a string")
    return clips


def _decode_audio(data: str) -> dict:
    try:
        raw = base64.b64decode(data, validate=True)
        samples, rate = soundfile.read(io.BytesIO(raw))
    except (binascii.Error, ValueError, RuntimeError, soundfile.LibsndfileError) as error:
        raise RequestError(f"audio could not be decoded ({error})") from error
    return {"samples": len(samples), "rate": rate}


class OpenAIServer:
    def __init__(self, mode: str = "sglang") -> None:
        self.mode = mode
        self.requests: list[dict] = []
        self.fail_first = 0
        self.fail_status = 503
        self.reply_bytes: bytes | None = None
        self.drip: float | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                try:
                    clips = validate_request(body, outer.mode)
                except RequestError as error:
                    self._reply(400, {"object": "error", "message": str(error), "type": "BadRequestError",
                                      "code": 400})
                    return
                outer.requests[-1]["clips"] = clips
                if outer.fail_first > 0:
                    outer.fail_first -= 1
                    self._reply(outer.fail_status, {"error": {"message": "model is warming up"}})
                    return
                if outer.reply_bytes is not None:
                    self._send(200, outer.reply_bytes)
                    return
                prompt = next(p["text"] for p in body["messages"][-1]["content"] if p["type"] == "text")
                task = next((t for t, key in (("chords", "chords"), ("structure", "Segment"),
                                              ("key", "key, the tempo"), ("caption", "describe"),
                                              ("lyrics", "lyrics"), ("instruments", "instruments"))
                             if key in prompt), "ask")
                self._reply(200, {"id": "chatcmpl-1", "object": "chat.completion",
                                  "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWERS[task]},
                                               "finish_reason": "stop"}],
                                  "usage": {"prompt_tokens": 42, "completion_tokens": 7}})

            def _reply(self, status: int, data: dict) -> None:
                self._send(status, json.dumps(data).encode())

            def _send(self, status: int, payload: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if outer.drip:
                        for offset in range(len(payload)):
                            self.wfile.write(payload[offset : offset + 1])
                            self.wfile.flush()
                            time.sleep(outer.drip)
                    else:
                        self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
