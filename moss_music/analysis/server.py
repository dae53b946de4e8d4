"""Backend "server": the same tasks through an OpenAI-compatible chat-completions endpoint.

vLLM (native ``moss_audio``) and SGLang serve MOSS-Music/MOSS-Audio behind
``POST /v1/chat/completions``. The audio goes as base64 WAV in an
``input_audio`` part (or an ``audio_url`` data URI); tasks of one window are
sent concurrently so the server can batch them and reuse its prefix cache.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, ClassVar
from urllib.parse import urlparse

import numpy as np
import soundfile

from moss_music.analysis.base import CancelCheck, ProgressCallback
from moss_music.analysis.tasks.definitions import TASK_NAMES
from moss_music.analysis.tasks.runner import Cancelled, run_tasks
from moss_music.annotations import TrackAnnotations
from moss_music.audio import MODEL_SAMPLE_RATE, AudioData
from moss_music.model.options import TaskOutput, TaskRequest
from moss_music.model.thinking import split_thinking

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
AUDIO_MODES = ("input_audio", "audio_url")


class ServerError(Exception):
    """The server could not be reached or answered with an error; the message says which and why."""


class ServerAnalyzer:
    backend: ClassVar[str] = "server"
    sample_rate: ClassVar[int] = MODEL_SAMPLE_RATE
    tasks: ClassVar[tuple[str, ...]] = TASK_NAMES

    def __init__(self, server_url: str, *, server_model: str | None = None, api_key: str | None = None,
                 timeout: float = 600.0, retries: int = 2, backoff: float = 1.0, audio_mode: str = "input_audio",
                 concurrency: int = 4, window_seconds: float = 600.0, overlap_seconds: float = 30.0,
                 prompts_dir: str | None = None) -> None:
        parsed = urlparse(server_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"server_url {server_url!r} is not an http(s) URL")
        if audio_mode not in AUDIO_MODES:
            raise ValueError(f"audio_mode must be one of {', '.join(AUDIO_MODES)}")
        self.endpoint = _endpoint(server_url)
        self.server_model = server_model
        self.api_key = api_key
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.audio_mode, self.concurrency = audio_mode, max(1, concurrency)
        self.window_seconds, self.overlap_seconds = window_seconds, overlap_seconds
        self.prompts_dir = prompts_dir

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> ServerAnalyzer:
        url = options.get("server_url")
        if not url:
            raise ValueError("the server backend needs server_url (e.g. http://gpu-box:8000/v1)")
        known = ("server_model", "api_key", "timeout", "retries", "backoff", "audio_mode", "concurrency",
                 "window_seconds", "overlap_seconds", "prompts_dir")
        return cls(url, **{k: options[k] for k in known if options.get(k) is not None})

    @property
    def model_id(self) -> str:
        return self.server_model or "server-default"

    @property
    def model_revision(self) -> str:
        return hashlib.sha256(f"{self.endpoint}|{self.server_model}".encode()).hexdigest()[:16]

    def analyze(self, audio: AudioData, tasks: Sequence[str], *, params: dict[str, Any] | None = None,
                progress: ProgressCallback | None = None,
                should_cancel: CancelCheck | None = None) -> TrackAnnotations:
        params = params or {}
        seed = params.get("seed")

        def generate(samples: np.ndarray, requests: Sequence[TaskRequest], on_token, cancel) -> list[TaskOutput]:
            audio_part = self._audio_part(samples)
            results: dict[str, TaskOutput] = {}
            pool = ThreadPoolExecutor(max_workers=self.concurrency)
            try:
                futures = {pool.submit(self._complete, audio_part, r, seed): r for r in requests}
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
        body: dict[str, Any] = {
            "messages": [{"role": "user", "content": [audio_part, {"type": "text", "text": request.question}]}],
            "max_tokens": options.max_new_tokens,
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

    def _complete(self, audio_part: dict[str, Any], request: TaskRequest, seed: int | None) -> TaskOutput:
        reply = self._post(self.payload(audio_part, request, seed))
        try:
            choice = reply["choices"][0]
            message = choice.get("message") or {}
            content = message.get("content") or ""
            if isinstance(content, list):
                content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
            reasoning = message.get("reasoning_content") or message.get("reasoning") or ""
        except (KeyError, IndexError, TypeError, AttributeError) as error:
            raise ServerError(f"{self.endpoint}: reply without choices[0].message ({error})") from error
        split = split_thinking(str(content))
        finish = {"stop": "stop", "length": "length"}.get(str(choice.get("finish_reason")), "stop")
        raw = f"<think>{reasoning}</think>{content}" if reasoning else str(content)
        usage = reply.get("usage") or {}
        return TaskOutput(request.name, split.answer, str(reasoning or split.reasoning), raw, [], finish,
                          int(usage.get("prompt_tokens", 0) or 0))

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last_error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(self.endpoint, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as error:
                detail = _error_detail(error)
                last_error = f"HTTP {error.code}: {detail}"
                if error.code not in RETRY_STATUS:
                    raise ServerError(f"{self.endpoint}: {last_error}") from error
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
                last_error = f"cannot reach the server ({getattr(error, 'reason', error)})"
            except json.JSONDecodeError as error:
                raise ServerError(f"{self.endpoint}: the reply is not JSON ({error})") from error
        raise ServerError(f"{self.endpoint}: {last_error} (after {self.retries + 1} attempts)")


def _endpoint(url: str) -> str:
    url = url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if not url.endswith("/v1"):
        url += "/v1"
    return url + "/chat/completions"


def _error_detail(error: urllib.error.HTTPError) -> str:
    try:
        body = error.read().decode("utf-8", "replace")
        data = json.loads(body)
        message = data.get("error", data)
        return str(message.get("message", message) if isinstance(message, dict) else message)[:500]
    except (ValueError, OSError, AttributeError):
        return str(error.reason)
