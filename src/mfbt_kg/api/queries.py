"""/api/queries: the catalogue as JSON, and running one query with parameters.

Parameters are bound by the catalogue (typed terms checked against the graph),
so the errors are the CLI's own sentences, as HTTP 4xx with a JSON body. The
bound query then goes the same way as any /sparql query: guard, worker, cap.
"""

from __future__ import annotations

import asyncio
import hashlib
import json

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from mfbt_kg.api import caching
from mfbt_kg.sparql.catalogue import ParameterError, bind
from mfbt_kg.sparql.media import CONTENT_TYPE, NotAcceptable, choose
from mfbt_kg.sparql.guard import QueryRefused
from mfbt_kg.sparql.store import StoreError, inject_values
from mfbt_kg.service.workers import QueryTimeout, WorkerCrashed
from mfbt_kg.api.sparql import error

router = APIRouter(prefix="/api/queries", tags=["queries"])
RESERVED = ("format",)  # query-string names that are not query parameters


@router.head("", include_in_schema=False)
@router.get("", summary="The query catalogue: every question with its header (titles, description, parameters, example)")
async def list_queries(request: Request) -> Response:
    service = request.app.state.service
    body = json.dumps([q.header() for q in service.catalogue.values()], ensure_ascii=False).encode("utf-8")
    tag = hashlib.sha256(body).hexdigest()[:16]
    if caching.not_modified(request, tag, None, "catalogue"):
        return caching.not_modified_response(tag, None, "catalogue")
    return Response(body, media_type="application/json", headers=caching.headers(tag, None, "catalogue"))


@router.head("/{name}", include_in_schema=False)
@router.get("/{name}", summary="Run one catalogue query; its parameters as query-string values")
async def run_query(name: str, request: Request) -> Response:
    service = request.app.state.service
    query = service.catalogue.get(name)
    if query is None:
        return JSONResponse({"error": f"no query named '{name}' (see /api/queries)"}, status_code=404)
    values = {}
    for key, value in request.query_params.multi_items():
        if key in RESERVED:
            continue
        if key in values:
            return error(400, f"parameter '{key}' given twice")
        values[key] = value
    snapshot = service.snapshot
    try:
        terms = await asyncio.to_thread(bind, query, values, snapshot.store)
        text = inject_values(query.sparql, terms) if terms else query.sparql
        checked = await service.inspect(text)
        fmt = choose(request.headers.get("accept"), checked.form, request.query_params.get("format"))
    except ParameterError as exc:
        return error(400, str(exc))
    except (QueryRefused, StoreError) as exc:
        return error(400, str(exc))
    except NotAcceptable as exc:
        return error(406, str(exc))
    if caching.not_modified(request, snapshot.version, snapshot.modified, fmt):
        return caching.not_modified_response(snapshot.version, snapshot.modified, fmt)
    try:
        outcome, used = await service.run(text, fmt, checked=checked)
    except QueryRefused as exc:
        return error(400, str(exc))
    except QueryTimeout:
        return error(503, f"the query did not finish within the time limit ({service.settings.timeout:g} s)",
                     {"Retry-After": "1"})
    except WorkerCrashed:
        return error(503, "the query stopped before it finished (it needed more memory than a query may use)")
    if not outcome.ok:
        return error(outcome.status, outcome.error)
    headers = caching.headers(used.version, used.modified, fmt)
    headers["X-Result-Rows"] = str(outcome.rows)
    if outcome.capped:
        headers["X-Result-Capped"] = "true"
    return Response(outcome.body, media_type=CONTENT_TYPE[fmt], headers=headers)
