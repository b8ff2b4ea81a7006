"""The event loop keeps its share of the GIL while pages are read (issue 11 item 3: /health p99 under
100 ms during the heavy+light mix of bench/attack.py).

Four things keep it: the dependencies /health and /sparql wait for are ``async`` (FastAPI runs a plain
``def`` dependency in a worker thread, so every request would wait for a thread and the GIL); the pages,
which run their queries and templates in threads holding the GIL, run in at most ``PAGE_THREADS`` threads;
a resource page read again comes from the page cache of its data version instead of being built again;
and ``mfbt-kg serve`` leaves start-up's objects out of the cyclic garbage collector, whose full collections
otherwise stopped the loop for 20-60 ms.
The offer used is the one the mix reads (bench/attack.py); nothing here asserts what the page says.
"""

from __future__ import annotations

import gc
import inspect
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import pytest
from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from conftest import ROOT
from mfbt_kg.api import health, sparql
from mfbt_kg.api.app import PAGE_THREADS, create_app
from mfbt_kg.api.deps import get_service
from mfbt_kg.service.settings import Settings
from mfbt_kg.sparql.store import Store
from pages_app import pages_app

OFFER = "/id/offer/unn-asgard"
HTML = {"Accept": "text/html"}


def _calls(dependant: Dependant) -> list[Callable[..., Any]]:
    found: list[Callable[..., Any]] = [dependant.call] if dependant.call is not None else []
    for sub in dependant.dependencies:
        found.extend(_calls(sub))
    return found


@pytest.mark.parametrize(
    ("router", "path", "method"),
    [(health.router, "/health", "GET"), (sparql.router, "/sparql", "GET"), (sparql.router, "/sparql", "POST")],
)
def test_health_and_sparql_run_nothing_in_a_thread_before_their_handler(
    router: APIRouter, path: str, method: str
) -> None:
    routes = [r for r in router.routes if isinstance(r, APIRoute) and r.path == path and method in (r.methods or ())]
    assert len(routes) == 1
    calls = _calls(routes[0].dependant)  # the handler and what its parameters depend on
    for shared in router.dependencies:  # the router's own dependencies, with theirs
        assert shared.dependency is not None
        calls.extend(_calls(get_dependant(path=path, call=shared.dependency)))
    assert len(calls) >= 2  # the handler and at least the service
    sync = [c.__qualname__ for c in calls if not inspect.iscoroutinefunction(c)]
    assert sync == []


def test_a_resource_page_read_again_comes_from_the_page_cache(store: Store) -> None:
    app = pages_app(store)
    service = app.dependency_overrides[get_service]()
    with TestClient(app) as client:
        before = service.pages.stats()
        first = client.get(OFFER, headers=HTML)
        after_first = service.pages.stats()
        second = client.get(OFFER, headers=HTML)
        after_second = service.pages.stats()
        english = client.get(OFFER + "?lang=en", headers=HTML)
        english_again = client.get(OFFER, headers=HTML)  # the cookie set by ?lang=en
    assert [first.status_code, second.status_code, english.status_code, english_again.status_code] == [200] * 4
    # built once (a miss, then kept), then served as kept: the same bytes and the same headers
    assert (after_first["misses"] - before["misses"], after_first["entries"] - before["entries"]) == (1, 1)
    assert after_second["hits"] - after_first["hits"] == 1
    assert second.content == first.content
    for name in ("content-type", "etag", "vary", "content-language", "cache-control"):
        assert second.headers.get(name) == first.headers.get(name), name
    assert first.headers["content-language"] == "nb"
    # another language is another page: built, then kept on its own
    assert english.headers["content-language"] == "en"
    assert "lang=en" in english.headers.get("set-cookie", "")
    assert english.content != first.content
    assert english_again.headers["content-language"] == "en"
    assert english_again.content == english.content
    assert "set-cookie" not in english_again.headers


@pytest.mark.slow  # starts the service (its query workers)
def test_the_running_app_gives_pages_at_most_page_threads_threads_and_freezes_start_up_objects() -> None:
    async def tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    assert gc.get_freeze_count() == 0
    try:
        with TestClient(create_app(Settings(root=ROOT), freeze_heap=True)) as client:
            assert client.get("/health").status_code == 200
            assert client.portal is not None
            assert client.portal.call(tokens) == PAGE_THREADS == 2
            # start-up's objects (tens of thousands: modules, app, catalogue) are out of the cyclic collector
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()  # this test process goes on with other tests
