"""The pages router in an app of its own, for tests: in-process (TestClient) or served on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from conftest import ROOT
from mfbt_kg.api import errors, finder, pages
from mfbt_kg.api.deps import get_service
from mfbt_kg.publish.settings import PublishSettings
from mfbt_kg.service.service import Service
from mfbt_kg.service.settings import Settings
from mfbt_kg.sparql.store import Store


def pages_app(store: Store, publish: PublishSettings | None = None, data: bytes | None = None) -> FastAPI:
    """An app with only the pages router, whose service answers from the given store (the real project
    data; ``data``: the N-Triples it holds, for /dataset and /dump), swapped in as the app's dependency."""
    service = Service.over(store, Settings(root=ROOT, publish=publish or PublishSettings()), data)
    app = FastAPI()
    errors.install(app)
    app.include_router(pages.router)
    app.include_router(finder.router)
    app.dependency_overrides[get_service] = lambda: service
    return app


@pytest.fixture(scope="module")
def app(store: Store) -> FastAPI:
    """The pages app over the session's store (the real project data), one per test module."""
    return pages_app(store)


@pytest.fixture()
def client(app: FastAPI) -> TestClient:
    """A fresh client on the module's app: no language cookie from another test."""
    return TestClient(app)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """uvicorn in a thread, listening on 127.0.0.1 only, stopped by ``stop()``."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False, lifespan="off")
        )
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
