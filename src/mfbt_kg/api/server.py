"""Running the service: uvicorn on loopback by default, one process.

Queries go to worker processes (``service/workers.py``), so a slow query never
stalls the event loop. ``kill -HUP`` re-reads the data of an embedded service.
"""

from __future__ import annotations

import json
import logging

from mfbt_kg.api.app import create_app
from mfbt_kg.api.limits import URL_TOO_LONG
from mfbt_kg.service.settings import Settings


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until stopped."""
    import uvicorn  # the web stack loads only for this command

    logging.basicConfig(level=logging.INFO, format="mfbt-kg: %(message)s")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False,
                timeout_graceful_shutdown=5, http=_http_protocol(settings.max_url_bytes))


def _http_protocol(max_url_bytes: int) -> type | str:
    """uvicorn's fast HTTP parser, answering 414 for a URL longer than the limit while it is still
    arriving — a megabyte request line would otherwise end as the parser's bare 400."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # no httptools: uvicorn's h11 parser, with its own limits
        return "auto"


    class URLTooLong(Exception):
        pass

    class BoundedHttpToolsProtocol(HttpToolsProtocol):  # type: ignore[misc]
        url_too_long = False

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.url_too_long = False

        def on_url(self, url: bytes) -> None:
            if len(self.url) + len(url) > max_url_bytes:
                self.url_too_long = True
                raise URLTooLong()  # stops the parser; uvicorn then calls send_400_response
            super().on_url(url)

        def send_400_response(self, msg: str) -> None:
            if not self.url_too_long:
                super().send_400_response(msg)
                return
            body = json.dumps({"error": URL_TOO_LONG}).encode()
            self.transport.write(b"HTTP/1.1 414 URI Too Long\r\ncontent-type: application/json\r\n"
                                 b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)
            self.transport.close()

    return BoundedHttpToolsProtocol
