"""Request size limits and generic errors, before any router sees a request.

A plain ASGI middleware (no per-request task or body buffering): the URL is
measured before routing (414), the body is counted as it arrives, so a chunked
upload without Content-Length is cut off too (413), and an unexpected exception
becomes a generic JSON 500 — never a trace, path or host name.

``PublicOrigin`` makes every URL the service builds (the service description's
endpoint, redirects, the base IRI of queries) start with the service's own
address — ``--public-base-url``, or else the address the connection came in on —
and never with the Host header a client sent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("mfbt_kg.api")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

URL_TOO_LONG = "request URL too long: send a long query with POST"
BODY_TOO_LARGE = "request body too large"
INTERNAL = "internal error: the request could not be answered"


class BodyTooLarge(Exception):
    """Raised from ``receive`` once a body passes the limit; turned into a 413 here."""


async def send_json(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"access-control-allow-origin", b"*"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class LimitsMiddleware:
    def __init__(self, app: ASGIApp, max_url_bytes: int, max_body_bytes: int) -> None:
        self.app, self.max_url_bytes, self.max_body_bytes = app, max_url_bytes, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        url_length = len(scope.get("raw_path") or scope["path"].encode("utf-8")) + len(scope.get("query_string", b""))
        if url_length > self.max_url_bytes:
            await send_json(send, 414, URL_TOO_LONG)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await send_json(send, 413, BODY_TOO_LARGE)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await send_json(send, 413, BODY_TOO_LARGE)
        except Exception as exc:  # the last line of defence: log the type, answer generically
            log.error("unexpected %s on %s %s", type(exc).__name__, scope.get("method"), scope.get("path"))
            if not started:
                await send_json(send, 500, INTERNAL)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class PublicOrigin:
    """The Host header and scheme replaced by the service's own (see the module text)."""

    def __init__(self, app: ASGIApp, base_url: str | None = None) -> None:
        self.app = app
        self.scheme: str | None = None
        self.netloc: str | None = None
        if base_url:
            parts = urlsplit(base_url)
            self.scheme, self.netloc = parts.scheme, parts.netloc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            netloc = self.netloc or _own_address(scope)
            if netloc is not None:
                scope = dict(scope)
                scope["headers"] = [(k, v) for k, v in scope.get("headers", []) if k != b"host"]
                scope["headers"].append((b"host", netloc.encode("ascii")))
                if self.scheme:
                    scope["scheme"] = self.scheme
        await self.app(scope, receive, send)


def _own_address(scope: Scope) -> str | None:
    """host[:port] of the socket the request came in on (what the service listens on), if known."""
    server = scope.get("server")
    if not server or server[1] is None:
        return None
    host, port = server
    if ":" in host:
        host = f"[{host}]"
    default = 443 if scope.get("scheme") == "https" else 80
    return host if port == default else f"{host}:{port}"
