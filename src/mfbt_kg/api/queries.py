"""/api/queries: the catalogue as JSON, and running one query with parameters."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from ..catalogue import ParameterError, bind
from ..media import CONTENT_TYPE, NotAcceptable, negotiate
from ..store import inject_values
from ..workers import QueryTimeout
from .sparql import error

router = APIRouter(prefix="/api/queries", tags=["queries"])


@router.get("", summary="The query catalogue: every question with its header")
async def list_queries(request: Request) -> list[dict[str, object]]:
    return [q.header() for q in request.app.state.service.catalogue.values()]


@router.get("/{name}", summary="Run one catalogue query; parameters as query-string values")
async def run_query(name: str, request: Request) -> Response:
    service = request.app.state.service
    query = service.catalogue.get(name)
    if query is None:
        return JSONResponse({"error": f"no query named '{name}'"}, status_code=404)
    values = {k: v for k, v in request.query_params.items() if k != "format"}
    try:
        bound = await asyncio.to_thread(bind, query, values, service.store)
        text = inject_values(query.sparql, bound) if bound else query.sparql
        form = service.check(text).form
        fmt = _format(request, form)
    except ParameterError as exc:
        return error(400, str(exc))
    except NotAcceptable as exc:
        return error(406, str(exc))
    try:
        outcome = await service.run(text, fmt)
    except (QueryTimeout, asyncio.TimeoutError):
        return error(503, f"query did not finish within {service.settings.timeout:g} s")
    if not outcome.ok:
        return error(400, outcome.error)
    headers = {"ETag": service.etag, "Last-Modified": service.last_modified}
    if outcome.capped:
        headers["X-Result-Capped"] = "true"
    return Response(outcome.body, media_type=CONTENT_TYPE[fmt], headers=headers)


def _format(request: Request, form: str) -> str:
    """?format= wins over Accept, so a link can name its format."""
    wanted = request.query_params.get("format")
    if wanted:
        from ..media import FORMAT_PARAM

        if wanted not in FORMAT_PARAM:
            raise NotAcceptable(f"unknown format {wanted!r}")
        return FORMAT_PARAM[wanted]
    return negotiate(request.headers.get("accept"), form)
