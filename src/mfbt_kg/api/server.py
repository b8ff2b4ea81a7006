"""Running the service: uvicorn on loopback by default, one process.

Queries go to worker processes (``service/workers.py``), so a slow query never
stalls the event loop. ``kill -HUP`` re-reads the data of an embedded service.

Connections are bounded so that idle or slow clients cannot take the service's
file descriptors: a client has ``--request-timeout`` seconds to send a request's
headers and as long again for its body; an idle kept-alive connection closes after
``--keep-alive`` seconds; and at most ``--max-connections`` are open (lowered to
fit the file-descriptor limit) — a new connection beyond closes the connection
that has been idle longest, so a crowd of idle sockets cannot lock anyone out.
Client addresses come from the socket; ``X-Forwarded-For`` is read only from the
proxies named by ``--trusted-proxy``. Repeated log lines (e.g. one per malformed
request) are rate-limited.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import sys
import time
from typing import Any

from mfbt_kg.api.app import create_app
from mfbt_kg.api.limits import URL_TOO_LONG
from mfbt_kg.service.settings import Settings

# How long a thread holding the GIL (rendering a page, parsing an answer) may keep the event loop
# waiting: Python's default is 5 ms per hand-over, and a request needs many hand-overs.
GIL_SWITCH_SECONDS = 0.001
LOG_LINES_PER_MINUTE = 10  # of one kind (one message template); the rest are counted and said once a minute


def serve(
    settings: Settings, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info", access_log: bool = True
) -> None:
    """Serve until stopped: a start-up line with the address, and (at ``info``) one access-log line per request."""
    import uvicorn  # the web stack loads only for this command

    logging.basicConfig(level=getattr(logging, log_level.upper()), format="mfbt-kg: %(message)s")
    shown = f"[{host}]" if ":" in host else host
    # The start-up line is logged at warning level, so `--log-level warning` (quiet) still says where to look.
    logging.getLogger("mfbt_kg.api").warning(
        "serving http://%s:%s/ (SPARQL endpoint http://%s:%s/sparql%s); kill -HUP %s reloads the data, Ctrl-C stops",
        shown,
        port,
        shown,
        port,
        f", public address {settings.public_base_url}" if settings.public_base_url else "",
        os.getpid(),
    )
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    trusted = list(settings.trusted_proxies)
    config = uvicorn.Config(
        create_app(settings, freeze_heap=True),
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=max(1, round(settings.keep_alive)),
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        http=_http_protocol(settings, connection_limit(settings)),
    )
    rate_limit_logs()
    uvicorn.Server(config).run()


def connection_limit(settings: Settings) -> int:
    """``--max-connections``, lowered to leave file descriptors for the workers' pipes, data files and
    the listening socket (the soft descriptor limit is first raised to the hard one where allowed)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    reserve = 64 + 4 * (settings.workers + settings.fast_workers)
    if soft == resource.RLIM_INFINITY:
        return settings.max_connections
    return max(16, min(settings.max_connections, soft - reserve))


class RateLimitedLog(logging.Filter):
    """At most ``per_minute`` warnings (and worse) of one message template a minute; then one line saying
    how many were left out. Below warning nothing is held back (the start-up line, reloads)."""

    def __init__(self, per_minute: int = LOG_LINES_PER_MINUTE) -> None:
        super().__init__()
        self.per_minute = per_minute
        self._seen: dict[str, list[float]] = {}  # template -> [window start, logged, left out]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = str(record.msg)[:200]
        now = time.monotonic()
        state = self._seen.get(key)
        if state is None or now - state[0] >= 60:
            left_out = int(state[2]) if state else 0
            if len(self._seen) > 1000:
                self._seen.clear()
            self._seen[key] = [now, 1, 0]
            if left_out:
                record.msg = f"{record.msg} ({left_out} more like this in the last minute were not logged)"
            return True
        if state[1] < self.per_minute:
            state[1] += 1
            return True
        state[2] += 1
        return False


def rate_limit_logs(limiter: RateLimitedLog | None = None) -> RateLimitedLog:
    """The one limiter on every handler there is (root's and uvicorn's) and on the loggers that log
    per request, so a flood of bad requests cannot flood the log."""
    limiter = limiter or RateLimitedLog()
    # Not the access log: one line per request is its point (and every line shares one template).
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "mfbt_kg.api", "mfbt_kg.service")
    ]
    for logger in loggers:
        if limiter not in logger.filters:
            logger.addFilter(limiter)
        for handler in logger.handlers:
            if limiter not in handler.filters:
                handler.addFilter(limiter)
    return limiter


def _http_protocol(settings: Settings, max_connections: int) -> type | str:
    """uvicorn's fast HTTP parser with the service's connection rules: 414 for a URL longer than the
    limit while it is still arriving (a megabyte request line would otherwise end as the parser's bare
    400), the request timeouts and the connection limit of the module text."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # no httptools: uvicorn's h11 parser, with its own limits
        return "auto"

    max_url_bytes = settings.max_url_bytes
    request_timeout = settings.request_timeout

    class URLTooLong(Exception):
        pass

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        url_too_long = False
        _timer: Any = None
        _idle_since = 0.0

        # --- connections: a limit, the longest-idle one closed to make room -------------
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._idle_since = time.monotonic()
            self._arm(self._too_slow)
            if len(self.connections) > max_connections:
                self._make_room()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _idle(self) -> bool:
            """No request being answered: none begun, only partial headers, or kept alive after one."""
            cycle = self.cycle
            return (cycle is None or cycle.response_complete) and not self.pipeline

        def _make_room(self) -> None:
            candidates = [
                c
                for c in self.connections
                if c is not self
                and isinstance(c, BoundedHttpToolsProtocol)
                and c._idle()
                and not c.transport.is_closing()
            ]
            if not candidates:
                self.transport.close()  # every other connection is busy: this one waits its turn elsewhere
                return
            oldest = min(candidates, key=lambda c: c._idle_since)
            oldest.transport.close()

        # --- timeouts: headers, then body, each within request_timeout ------------------
        def _arm(self, action: Any) -> None:
            self._disarm()
            self._timer = self.loop.call_later(request_timeout, action)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _too_slow(self) -> None:
            self._timer = None
            if not self.transport.is_closing():
                self.transport.close()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.url_too_long = False
            self._arm(self._too_slow)  # headers must arrive in time

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            self._arm(self._too_slow)  # and then the body

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._idle_since = time.monotonic()

        # --- 414 for a long URL -----------------------------------------------------------
        def on_url(self, url: bytes) -> None:
            if len(self.url) + len(url) > max_url_bytes:
                self.url_too_long = True
                raise URLTooLong()  # stops the parser; uvicorn then calls send_400_response
            super().on_url(url)

        def send_400_response(self, msg: str) -> None:
            self._disarm()
            if not self.url_too_long:
                super().send_400_response(msg)
                return
            body = json.dumps({"error": URL_TOO_LONG}).encode()
            self.transport.write(
                b"HTTP/1.1 414 URI Too Long\r\ncontent-type: application/json\r\n"
                b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body
            )
            self.transport.close()

    return BoundedHttpToolsProtocol
