"""Backend "server": the same tasks through an OpenAI-compatible chat-completions endpoint.

vLLM (native ``moss_audio``) and SGLang serve MOSS-Music/MOSS-Audio behind
``POST /v1/chat/completions``. The audio goes as a ``data:audio/wav;base64``
URI in an ``audio_url`` part by default: SGLang's MOSS-Music server accepts
only that, vLLM accepts it too (``input_audio`` stays available for servers
that want it). Tasks of one window are sent concurrently so the server can
batch them and reuse its prefix cache. Every request has a total deadline
(``timeout``, retries included) and a reply-size cap; an unusable reply is
one ``ServerError`` line and nothing is stored.
"""

from __future__ import annotations

import base64
import hashlib
import io
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, ClassVar
from urllib.parse import urlparse

import numpy as np
import soundfile

from moss_music.analysis.base import CancelCheck, ProgressCallback
from moss_music.analysis.server_http import (
    PostLimits,
    ServerError,
    ServerHTTPError,
    ServerTimeout,
    abort,
    post_json,
)
from moss_music.analysis.tasks.definitions import DEFAULT_TASKS, TASK_NAMES
from moss_music.analysis.tasks.runner import Cancelled, run_tasks, validate_tasks
from moss_music.annotations import TrackAnnotations
from moss_music.audio import MODEL_SAMPLE_RATE, AudioData
from moss_music.model.options import TaskOutput, TaskRequest
from moss_music.model.thinking import split_thinking

__all__ = ["AUDIO_MODES", "ServerAnalyzer", "ServerError"]

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
AUDIO_MODES = ("audio_url", "input_audio")
DEFAULT_TIMEOUT = 600.0
MAX_REPLY_BYTES = 4 * 2**20
"""A 2,048-token answer is ~10 KB; 4 MiB leaves room for any real reply and refuses a runaway one."""


class ServerAnalyzer:
    backend: ClassVar[str] = "server"
    sample_rate: ClassVar[int] = MODEL_SAMPLE_RATE
    tasks: ClassVar[tuple[str, ...]] = TASK_NAMES
    default_tasks: ClassVar[tuple[str, ...]] = DEFAULT_TASKS

    def __init__(self, server_url: str, *, server_model: str | None = None, api_key: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, retries: int = 2, backoff: float = 1.0,
                 audio_mode: str = "audio_url", concurrency: int = 4, window_seconds: float = 600.0,
                 overlap_seconds: float = 30.0, prompts_dir: str | None = None,
                 max_reply_bytes: int = MAX_REPLY_BYTES, thinking: bool = False) -> None:
        parsed = urlparse(server_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"server_url {server_url!r} is not an http(s) URL")
        if audio_mode not in AUDIO_MODES:
            raise ValueError(f"audio_mode must be one of {', '.join(AUDIO_MODES)}")
        try:
            timeout = float(timeout)
        except (TypeError, ValueError):
            raise ValueError(f"timeout {timeout!r} is not a number of seconds") from None
        if not timeout > 0:
            raise ValueError(f"timeout must be more than 0 seconds (got {timeout:g})")
        self.endpoint = _endpoint(server_url)
        self.server_model = server_model
        self.api_key = api_key
        self.timeout, self.retries, self.backoff = timeout, int(retries), float(backoff)
        """timeout: seconds one task's request may take in all, retries included."""
        self.audio_mode, self.concurrency = audio_mode, max(1, int(concurrency))
        self.window_seconds, self.overlap_seconds = float(window_seconds), float(overlap_seconds)
        self.prompts_dir = prompts_dir
        self.max_reply_bytes = int(max_reply_bytes)
        self.thinking = bool(thinking)
        """The served model reasons first: each request's max_tokens adds the task's thinking budget."""

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> ServerAnalyzer:
        url = options.get("server_url")
        if not url:
            raise ValueError("the server backend needs server_url (e.g. http://gpu-box:8000/v1)")
        known = ("server_model", "api_key", "timeout", "retries", "backoff", "audio_mode", "concurrency",
                 "window_seconds", "overlap_seconds", "prompts_dir", "max_reply_bytes", "thinking")
        return cls(url, **{k: options[k] for k in known if options.get(k) is not None})

    @property
    def model_id(self) -> str:
        return self.server_model or "server-default"

    @property
    def model_revision(self) -> str:
        return hashlib.sha256(f"{self.endpoint}|{self.server_model}".encode()).hexdigest()[:16]

    def validate(self, tasks: Sequence[str], params: dict[str, Any] | None = None) -> None:
        """ValueError for a request that cannot run, before any audio is sent."""
        unknown = sorted(set(tasks) - set(self.tasks))
        if unknown:
            raise ValueError(f"the server backend has no task {', '.join(unknown)} "
                             f"(it offers: {', '.join(self.tasks)})")
        validate_tasks(tasks, params, self.prompts_dir)

    def analyze(self, audio: AudioData, tasks: Sequence[str], *, params: dict[str, Any] | None = None,
                progress: ProgressCallback | None = None,
                should_cancel: CancelCheck | None = None) -> TrackAnnotations:
        params = params or {}
        self.validate(tasks, params)
        seed = params.get("seed")

        def generate(samples: np.ndarray, requests: Sequence[TaskRequest], on_token, cancel) -> list[TaskOutput]:
            audio_part = self._audio_part(samples)
            results: dict[str, TaskOutput] = {}
            connections = OpenConnections()
            pool = ThreadPoolExecutor(max_workers=self.concurrency)
            try:
                futures = {pool.submit(self._complete, audio_part, r, seed, connections): r for r in requests}
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    if cancel():
                        raise Cancelled()
                    for future in done:
                        request = futures[future]
                        results[request.name] = future.result()
                        on_token(request.name, request.options.max_new_tokens, request.options.max_new_tokens)
            finally:
                pool.shutdown(wait=False, cancel_futures=True)
                connections.abort_all()  # a cancel or a failed task stops the other requests now, not at their deadline
            return [results[r.name] for r in requests]

        return run_tasks(generate, audio, tasks, params=params, progress=progress, should_cancel=should_cancel,
                         window_seconds=float(params.get("window_seconds", self.window_seconds)),
                         overlap_seconds=float(params.get("overlap_seconds", self.overlap_seconds)),
                         prompts_dir=self.prompts_dir)

    # ----------------------------------------------------------------- protocol
    def _audio_part(self, samples: np.ndarray) -> dict[str, Any]:
        buffer = io.BytesIO()
        soundfile.write(buffer, samples, MODEL_SAMPLE_RATE, format="WAV", subtype="PCM_16")
        encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
        if self.audio_mode == "audio_url":
            return {"type": "audio_url", "audio_url": {"url": f"data:audio/wav;base64,{encoded}"}}
        return {"type": "input_audio", "input_audio": {"data": encoded, "format": "wav"}}

    def payload(self, audio_part: dict[str, Any], request: TaskRequest, seed: int | None) -> dict[str, Any]:
        options = request.options
        max_tokens = options.max_new_tokens + (int(options.thinking_budget or 0) if self.thinking else 0)
        body: dict[str, Any] = {
            "messages": [{"role": "user", "content": [audio_part, {"type": "text", "text": request.question}]}],
            "max_tokens": max_tokens,
            "temperature": 0.0 if options.greedy else options.temperature,
            "top_p": options.top_p,
            "top_k": options.top_k,
        }
        if options.repetition_penalty != 1.0:
            body["repetition_penalty"] = options.repetition_penalty
        if self.server_model:
            body["model"] = self.server_model
        if seed is not None:
            body["seed"] = int(seed)
        return body

    def _complete(self, audio_part: dict[str, Any], request: TaskRequest, seed: int | None,
                  connections: OpenConnections | None = None) -> TaskOutput:
        reply = self._post(self.payload(audio_part, request, seed), connections)
        choices = reply.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices else None
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            raise ServerError(f"{self.endpoint}: the reply has no choices[0].message")
        content = message.get("content") or ""
        if isinstance(content, list):
            content = "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
        reasoning = message.get("reasoning_content") or message.get("reasoning") or ""
        if not isinstance(content, str) or not isinstance(reasoning, str):
            raise ServerError(f"{self.endpoint}: the reply's message content is not text")
        split = split_thinking(content)
        finish = {"stop": "stop", "length": "length"}.get(str(choice.get("finish_reason")), "stop")
        raw = f"<think>{reasoning}</think>{content}" if reasoning else content
        usage = reply.get("usage") if isinstance(reply.get("usage"), dict) else {}
        prompt_tokens = usage.get("prompt_tokens")
        return TaskOutput(request.name, split.answer, reasoning or split.reasoning, raw, [], finish,
                          prompt_tokens if isinstance(prompt_tokens, int) else 0)

    def _post(self, body: dict[str, Any], connections: OpenConnections | None = None) -> dict[str, Any]:
        """POST with retries for transient failures, all inside one deadline of ``timeout`` seconds."""
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        limits = PostLimits(time.monotonic() + self.timeout, self.max_reply_bytes)
        last_error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                pause = self.backoff * 2 ** (attempt - 1)
                if time.monotonic() + pause >= limits.deadline:
                    break
                time.sleep(pause)
            try:
                return post_json(self.endpoint, body, headers, limits,
                                 on_connection=connections.add if connections is not None else None)
            except ServerTimeout as error:
                raise ServerError(f"{self.endpoint}: {error} ({self.timeout:g} s; raise it with --timeout or "
                                  "the server timeout in Settings)") from error
            except ServerHTTPError as error:
                if error.status not in RETRY_STATUS:
                    raise ServerError(f"{self.endpoint}: {error}") from error
                last_error = str(error)
            except ServerError as error:
                if not str(error).startswith("cannot reach"):
                    raise ServerError(f"{self.endpoint}: {error}") from error
                last_error = str(error)
        raise ServerError(f"{self.endpoint}: {last_error} (after {attempt + 1} attempt(s))")



class OpenConnections:
    """The connections of one window's requests, so a cancel or a failure can stop the others at once."""

    def __init__(self) -> None:
        self._connections: set[Any] = set()
        self._lock = threading.Lock()

    def add(self, conn: Any) -> None:
        with self._lock:
            self._connections = {c for c in self._connections if c.sock is not None}
            self._connections.add(conn)

    def abort_all(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, set()
        for conn in connections:
            abort(conn)


def _endpoint(url: str) -> str:
    url = url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if not url.endswith("/v1"):
        url += "/v1"
    return url + "/chat/completions"
