"""Every error a request can meet and how it is answered: one table, installed on the app.

Routers raise, these handlers answer: ``{"error": message}`` as JSON for programs; a
browser that sent its query from the ``/sparql`` page gets that page again with the
message above the form; the pages answer in plain text in the reader's language.
The messages are the ones a user can act on; nothing about paths or the engine.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from mfbt_kg.api.deps import service_of
from mfbt_kg.api.html import language
from mfbt_kg.api.query_page import render_page
from mfbt_kg.pages.texts import texts
from mfbt_kg.service.fairness import OverBudget
from mfbt_kg.service.service import DataNotHeld, NetworkNotIsolated, Service
from mfbt_kg.service.workers import QueryTimeout, WorkerCrashed
from mfbt_kg.sparql.answers import Outcome
from mfbt_kg.sparql.catalogue import CatalogueError, ParameterError
from mfbt_kg.sparql.guard import QueryRefused
from mfbt_kg.sparql.media import NotAcceptable, negotiate
from mfbt_kg.sparql.store import StoreError


class Failed(Exception):
    """An answer that cannot be given, with its status: a request that breaks the protocol, a query
    over the size limit, or an error the engine reported for the query."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers


# exception -> (status, message: None for the exception's own words, or a fixed sentence)
STATUS: dict[type[Exception], tuple[int, str | None]] = {
    QueryRefused: (400, None),
    ParameterError: (400, None),
    CatalogueError: (400, None),
    StoreError: (400, None),
    RequestValidationError: (400, "invalid request parameters"),
    NotAcceptable: (406, None),
    DataNotHeld: (404, None),
    QueryTimeout: (503, "the query did not finish within the time limit ({timeout:g} s)"),
    WorkerCrashed: (503, None),  # the message names how the worker died
    OverBudget: (429, None),
    NetworkNotIsolated: (503, None),
}
RETRY_AFTER: dict[type[Exception], str] = {QueryTimeout: "1"}

# How a router's errors read, set by the router (``request.state.errors``): JSON (the default),
# "query-page" (the /sparql page again, for a browser), "page" (plain text in the page's language).
QUERY_PAGE, PAGE = "query-page", "page"


def install(app: FastAPI) -> None:
    """Register one handler per exception of the table, and one for ``Failed``."""
    app.add_exception_handler(Failed, _failed)  # type: ignore[arg-type]
    for kind in STATUS:
        app.add_exception_handler(kind, _known)


async def _failed(request: Request, exc: Failed) -> Response:
    return await answer(request, exc.status, str(exc), exc.headers)


async def _known(request: Request, exc: Exception) -> Response:
    kind = next(k for k in type(exc).__mro__ if k in STATUS)
    status, fixed = STATUS[kind]
    message = fixed.format(timeout=_timeout(request)) if fixed else str(exc)
    retry = RETRY_AFTER.get(kind) or getattr(exc, "retry_after", None)
    return await answer(request, status, message, {"Retry-After": retry} if retry else None)


def raise_for(outcome: Outcome) -> None:
    """An error the engine reported for the query (syntax, evaluation, a remote store's failure)."""
    if not outcome.ok:
        raise Failed(outcome.status, outcome.error)


async def answer(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The error as the asking router's readers expect it."""
    style = getattr(request.state, "errors", "")
    if style == QUERY_PAGE and wants_html(request):
        page = await render_page(request, _service(request), getattr(request.state, "query", ""), error=message)
        return HTMLResponse(page, status_code=status, headers=headers)
    if style == PAGE:
        lead = texts(language(request)[0])["not_acceptable"] + ": " if status == 406 else ""
        return PlainTextResponse(f"{lead}{message}\n", status_code=status, headers=headers)
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def wants_html(request: Request) -> bool:
    try:
        return negotiate(request.headers.get("accept"), "SELECT", allow_html=True) == "html"
    except NotAcceptable:
        return False


def _timeout(request: Request) -> float:
    return _service(request).settings.timeout


def _service(request: Request) -> Service:
    """The service the failed request was given (a router keeps it on ``request.state``; tests may have
    swapped it in), else the app's."""
    kept: Service | None = getattr(request.state, "service", None)
    return kept if kept is not None else service_of(request)
