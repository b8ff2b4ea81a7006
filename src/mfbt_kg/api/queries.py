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

from mfbt_kg.api import caching, errors
from mfbt_kg.api.deps import ServiceDep
from mfbt_kg.api.errors import Failed
from mfbt_kg.sparql.catalogue import bound_text
from mfbt_kg.sparql.media import CONTENT_TYPE, choose

router = APIRouter(prefix="/api/queries", tags=["queries"])
RESERVED = ("format",)  # query-string names that are not query parameters


@router.head("", include_in_schema=False)
@router.get(
    "", summary="The query catalogue: every question with its header (titles, description, parameters, example)"
)
async def list_queries(request: Request, service: ServiceDep) -> Response:
    body = json.dumps([q.header() for q in service.catalogue.values()], ensure_ascii=False).encode("utf-8")
    tag = hashlib.sha256(body).hexdigest()[:16]
    if caching.not_modified(request, tag, None, "catalogue"):
        return caching.not_modified_response(tag, None, "catalogue")
    return Response(body, media_type="application/json", headers=caching.headers(tag, None, "catalogue"))


@router.head("/{name}", include_in_schema=False)
@router.get("/{name}", summary="Run one catalogue query; its parameters as query-string values")
async def run_query(name: str, request: Request, service: ServiceDep) -> Response:
    query = service.catalogue.get(name)
    if query is None:
        raise Failed(404, f"no query named '{name}' (see /api/queries)")
    values = {}
    for key, value in request.query_params.multi_items():
        if key in RESERVED:
            continue
        if key in values:
            raise Failed(400, f"parameter '{key}' given twice")
        values[key] = value
    snapshot = service.snapshot
    assert snapshot is not None
    # ParameterError, CatalogueError, QueryRefused, NotAcceptable: answered by api/errors.py
    text = await asyncio.to_thread(bound_text, query, values, snapshot.store)
    checked = await service.inspect(text)
    fmt = choose(request.headers.get("accept"), checked.form, request.query_params.get("format"))
    if caching.not_modified(request, snapshot.version, snapshot.modified, fmt):
        return caching.not_modified_response(snapshot.version, snapshot.modified, fmt)
    outcome, used = await service.run(text, fmt, checked=checked)
    errors.raise_for(outcome)
    return Response(
        outcome.body,
        media_type=CONTENT_TYPE[fmt],
        headers=caching.answer_headers(outcome, used.version, used.modified, fmt),
    )
