"""App factory: loads the graph once, starts the query workers, mounts the routers.

``Service`` is what the routers share: the catalogue, the current *snapshot*
(store, data version, graph names — swapped as one object on reload, so a
request sees one version throughout) and ``run``, which checks a query and runs
it in a killable worker (embedded) or on the remote store, within the time limit.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from mfbt_kg import __version__
from mfbt_kg.api import errors, figures_page, finder, health, pages, queries, question_pages, sparql, store
from mfbt_kg.api.limits import LimitsMiddleware, PublicOrigin
from mfbt_kg.api.openapi import install_openapi
from mfbt_kg.service.service import Service
from mfbt_kg.service.settings import Settings

log = logging.getLogger("mfbt_kg.service")

# Threads that may run the pages (FastAPI runs every plain ``def`` endpoint in one; AnyIO allows 40). A page
# runs its queries on the embedded store and renders in Python, holding the GIL nearly all the time; with
# many such threads the event loop waits for the GIL behind all of them (/health p99 140-180 ms in the
# heavy+light mix of bench/attack.py). With two, the loop waits behind two at most; pages queue on the loop.
PAGE_THREADS = 2


def freeze_start_up_objects() -> None:
    """Leave the objects start-up made out of Python's cyclic garbage collector. A full collection walks
    every object the process holds, holding the GIL: about 70,000 after start-up (modules, the app, the
    first data version's catalogue), 20-60 ms on the 2-core machine of docs/security.md and longer when the
    process loses its core meanwhile; they come more often the more requests allocate, and /health waits.
    Frozen, they are never walked again; objects made later are collected as before. What start-up made
    and later becomes cyclic garbage is never freed: at most start-up's objects, once."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None, *, freeze_heap: bool = False) -> FastAPI:
    """``freeze_heap`` (``mfbt-kg serve``): ``freeze_start_up_objects`` once the service has started."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = PAGE_THREADS  # this loop's limiter
        service = await asyncio.to_thread(Service, settings)
        await service.start()
        app.state.service = service
        if freeze_heap:
            freeze_start_up_objects()
        loop = asyncio.get_running_loop()
        background: list[asyncio.Task[None]] = []
        if service.remote is not None:
            background.append(asyncio.create_task(service.watch_remote()))
        with suppress(NotImplementedError, RuntimeError):  # SIGHUP: re-read the data (embedded)
            loop.add_signal_handler(signal.SIGHUP, lambda: background.append(asyncio.create_task(_reload(service))))
        yield
        for task in background:
            task.cancel()
        service.close()

    # No /docs or /redoc: FastAPI's pages load their scripts from a CDN; every page here works offline.
    app = FastAPI(
        title="mfbt-kg",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="Read-only SPARQL 1.1 endpoint and query catalogue for Norway's medication-free "
        "mental-health treatment offers (MFBT). Queries are checked before they run, have a "
        f"time limit ({settings.timeout:g} s here) and a row cap ({settings.max_rows} here).",
    )
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST"],
        # what browser clients send: YASGUI, jQuery-style (X-Requested-With), fetch with revalidation
        allow_headers=[
            "Accept",
            "Accept-Language",
            "Content-Language",
            "Content-Type",
            "If-None-Match",
            "If-Modified-Since",
            "X-Requested-With",
            "Cache-Control",
            "Pragma",
        ],
        expose_headers=["ETag", "X-Result-Capped", "X-Result-Rows"],
        max_age=600,
    )
    app.add_middleware(LimitsMiddleware, max_url_bytes=settings.max_url_bytes, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(PublicOrigin, base_url=settings.public_base_url)  # outermost: never a client's Host

    errors.install(app)
    app.include_router(pages.router)
    app.include_router(question_pages.router)
    app.include_router(figures_page.router)
    app.include_router(finder.router)
    app.include_router(health.router)
    app.include_router(sparql.router)
    app.include_router(store.router)
    app.include_router(queries.router)
    install_openapi(app, settings)
    return app


async def _reload(service: Service) -> None:
    changed = await service.reload()
    log.info("reload: %s", "new data " + service.version if changed else "data unchanged")
