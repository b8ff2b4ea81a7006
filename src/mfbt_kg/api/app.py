"""App factory: loads the graph once, starts the query workers, mounts the routers."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse

from ..catalogue import NamedQuery, load_catalogue
from ..dataset import load_graph, project_root
from ..sparql_guard import CheckedQuery, QueryRefused, check_query
from ..store import EmbeddedStore, RemoteStore, Store, data_version, to_ntriples
from ..workers import DATA_FORMATS, Outcome, WorkerPool, execute

MAX_BODY_BYTES = 64 * 1024
MAX_URL_BYTES = 16 * 1024


@dataclass(frozen=True)
class Settings:
    root: Path | None = None
    store_url: str | None = None
    timeout: float = 10.0
    max_rows: int = 10000
    workers: int = 2
    data_file: Path | None = None  # serve this RDF dataset (N-Quads, TriG, N-Triples) instead of the project graph


class Service:
    """What the routers need: the catalogue, a store for cheap checks, and a way to run queries."""

    def __init__(self, settings: Settings) -> None:
        root = project_root(settings.root)
        self.settings = settings
        self.catalogue: dict[str, NamedQuery] = load_catalogue(root)
        if settings.store_url:
            self.store: Store = RemoteStore(settings.store_url, timeout=settings.timeout)
            self.pool: WorkerPool | None = None
            self.version = data_version(settings.store_url.encode("utf-8"))
        else:
            data, fmt = self._data(root)
            embedded = EmbeddedStore()
            embedded.replace(data, DATA_FORMATS[fmt])
            self.store = embedded
            self.pool = WorkerPool(data, settings.workers, settings.timeout, fmt)
            self.version = data_version(data)
        self.etag = f'"{self.version}"'
        self.last_modified = formatdate(usegmt=True)

    def _data(self, root: Path) -> tuple[bytes, str]:
        path = self.settings.data_file
        if path is None:
            return to_ntriples(load_graph(root)), "nt"
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in DATA_FORMATS:
            raise ValueError(f"{path}: expected one of {', '.join('.' + f for f in DATA_FORMATS)}")
        return path.read_bytes(), fmt

    def check(self, sparql: str) -> CheckedQuery:
        """FROM is safe only where the embedded engine selects graphs it holds; a remote one might fetch."""
        return check_query(sparql, allow_from=self.pool is not None)

    async def run(self, sparql: str, fmt: str, default_graphs: tuple[str, ...] = (),
                  named_graphs: tuple[str, ...] = (), base_iri: str | None = None) -> Outcome:
        """Check, then run in a worker (embedded) or on the remote endpoint, within the time limit."""
        checked = self.check(sparql)
        if self.pool is not None:
            return await self.pool.run(checked.text, fmt, self.settings.max_rows, default_graphs, named_graphs, base_iri)
        if default_graphs or named_graphs:
            raise QueryRefused("default-graph-uri and named-graph-uri are not accepted in remote mode")
        return await asyncio.wait_for(
            asyncio.to_thread(execute, self.store, checked.text, fmt, self.settings.max_rows),
            timeout=self.settings.timeout,
        )

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = await asyncio.to_thread(Service, settings)
        yield
        app.state.service.close()

    app = FastAPI(title="mfbt-kg", version="0.1.0", lifespan=lifespan,
                  description="SPARQL 1.1 endpoint and query catalogue for Norway's medication-free treatment offers.")
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"],
                       allow_headers=["Accept", "Content-Type", "If-None-Match"], expose_headers=["ETag", "X-Result-Capped"])

    @app.middleware("http")
    async def limits(request: Request, call_next):  # type: ignore[no-untyped-def]
        if len(str(request.url).encode("utf-8")) > MAX_URL_BYTES:
            return JSONResponse({"error": "request URL too long"}, status_code=414)
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return JSONResponse({"error": "request body too large"}, status_code=413)
        return await call_next(request)

    from . import health, queries, resources, sparql  # routers import the app module's types

    app.include_router(resources.router)
    app.include_router(health.router)
    app.include_router(sparql.router)
    app.include_router(queries.router)
    return app


__all__ = ["Settings", "Service", "create_app", "QueryRefused"]
