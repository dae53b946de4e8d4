"""One JSON POST with hard limits: a total deadline, a reply-size cap, and one clear error per failure.

``urllib``'s timeout is per socket read, so a server that sends one byte a
second never times out, and it reads any reply whole into memory. Here a
watchdog shuts the socket when the deadline passes (headers included), the
body is read in pieces and refused past ``max_bytes``, and every way a reply
can be unusable (not UTF-8, not JSON, nested too deep, not an object) becomes
one ``ServerError`` sentence instead of a traceback.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

READ_PIECE = 65536


class ServerError(OSError):
    """The server could not be reached or answered unusably; the message says which and why in one line.

    An OSError, like any network failure, so every command reports it as one line."""


class ServerTimeout(ServerError):
    """No complete reply within the deadline."""


class ServerHTTPError(ServerError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status


@dataclass(frozen=True)
class PostLimits:
    deadline: float
    """time.monotonic() by which the whole reply must have arrived."""
    max_bytes: int


def post_json(url: str, body: dict[str, Any], headers: dict[str, str], limits: PostLimits,
              on_connection: Any = None) -> dict[str, Any]:
    """POST ``body`` as JSON and return the JSON object the server answers, within ``limits``.

    ``on_connection(conn)`` (optional) is told the open connection so a canceller can ``abort()`` it."""
    parsed = urlparse(url)
    remaining = limits.deadline - time.monotonic()
    if remaining <= 0:
        raise ServerTimeout("no complete reply before the deadline")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if parsed.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parsed.hostname, port, timeout=remaining, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(parsed.hostname, port, timeout=remaining)
    watchdog = threading.Timer(remaining, abort, args=(conn,))
    watchdog.daemon = True
    watchdog.start()
    if on_connection is not None:
        on_connection(conn)
    path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    try:
        conn.request("POST", path, body=json.dumps(body).encode("utf-8"),
                     headers={"Content-Type": "application/json", "Accept": "application/json", **headers})
        response = conn.getresponse()
        payload = _read_capped(response, limits)
    except ServerError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as error:
        if time.monotonic() >= limits.deadline - 0.01:
            raise ServerTimeout("no complete reply within the time limit (the server is too slow or stalled)") \
                from error
        raise ServerError(f"cannot reach the server ({_reason(error)})") from error
    finally:
        watchdog.cancel()
        conn.close()
    if response.status >= 400:
        raise ServerHTTPError(response.status, _error_detail(payload, response.reason))
    return decode_reply(payload)


def _read_capped(response: http.client.HTTPResponse, limits: PostLimits) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes:
        raise ServerError(f"the reply is {int(declared):,} bytes, over the {limits.max_bytes:,}-byte limit")
    pieces: list[bytes] = []
    size = 0
    while True:
        piece = response.read1(READ_PIECE)
        if not piece:
            if time.monotonic() >= limits.deadline - 0.01:  # the watchdog shut the socket: not a whole reply
                raise ServerTimeout("no complete reply within the time limit (the server is too slow or stalled)")
            return b"".join(pieces)
        size += len(piece)
        if size > limits.max_bytes:
            raise ServerError(f"the reply is over the {limits.max_bytes:,}-byte limit; nothing was kept")
        pieces.append(piece)
        if time.monotonic() >= limits.deadline:
            raise ServerTimeout("no complete reply within the time limit (the server is too slow or stalled)")


def decode_reply(payload: bytes) -> dict[str, Any]:
    """The reply as a JSON object, or one ServerError saying what it was instead."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ServerError(f"the reply is not UTF-8 text (byte {error.start})") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise ServerError("the reply is JSON nested too deeply to read") from None
    except ValueError as error:
        raise ServerError(f"the reply is not JSON ({str(error)[:120]})") from None
    if not isinstance(data, dict):
        raise ServerError(f"the reply is JSON but not an object (a {type(data).__name__})")
    return data


def abort(conn: http.client.HTTPConnection) -> None:
    """Wake a thread blocked on this connection (from any thread): shut the socket down."""
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _error_detail(payload: bytes, reason: str) -> str:
    try:
        data = json.loads(payload[:65536].decode("utf-8", "replace"))
        message = data.get("error", data) if isinstance(data, dict) else data
        if isinstance(message, dict):
            message = message.get("message", message)
        return " ".join(str(message).split())[:300]
    except (ValueError, RecursionError):
        text = " ".join(payload[:300].decode("utf-8", "replace").split())
        return text or str(reason)


def _reason(error: BaseException) -> str:
    return " ".join(str(getattr(error, "reason", None) or error or type(error).__name__).split())[:200]
