"""The pages router in an app of its own, for tests: in-process (TestClient) or served on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI

from mfbt_kg.api.pages import pages_router
from mfbt_kg.publish.dcat import ExportSettings
from mfbt_kg.sparql.store import Store

from conftest import ROOT


class Settings:
    """What the router reads of the app's settings: where the project is."""

    root = ROOT


def pages_app(store: Store, **router_args: Any) -> FastAPI:
    """An app with only the pages router, reading the given store (the real project data)."""
    app = FastAPI()
    app.include_router(pages_router(store, Settings(), router_args.pop("export_settings", ExportSettings()),
                                    **router_args))
    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """uvicorn in a thread, listening on 127.0.0.1 only, stopped by ``stop()``."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    access_log=False, lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        started = time.monotonic()
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() - started > 30:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
