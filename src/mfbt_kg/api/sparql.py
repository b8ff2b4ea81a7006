"""/sparql: the SPARQL 1.1 Protocol query operation, read only, bounded in time and size.

GET ``?query=``, POST form-encoded and POST ``application/sparql-query``; the
protocol's dataset (``default-graph-uri`` / ``named-graph-uri``) selects among
the dataset's own graphs and is never fetched; answers by content negotiation
(or ``?format=``). Without a query: the service description, or for a browser
the query page. Updates are refused whichever way they come.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from mfbt_kg.api import caching
from mfbt_kg.api.description import service_description
from mfbt_kg.api.query_page import render_page
from mfbt_kg.sparql.answers import json_term
from mfbt_kg.sparql.media import CONTENT_TYPE, GRAPH_FORMS, NotAcceptable, choose, negotiate, negotiate_rdf
from mfbt_kg.sparql.guard import MAX_QUERY_BYTES, QueryRefused
from mfbt_kg.service.workers import QueryTimeout, WorkerCrashed

router = APIRouter(tags=["sparql"])

READ_ONLY = "this endpoint is read-only: SPARQL Update is not accepted"
DATASET_PARAMS = ("default-graph-uri", "named-graph-uri")


class ProtocolError(ValueError):
    """A request that breaks the protocol: a status and a message a user can act on."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


@router.head("/sparql", include_in_schema=False)
@router.get("/sparql", summary="SPARQL query by GET; without a query: the service description or the query page")
async def sparql_get(request: Request) -> Response:
    try:
        params = _params(request.url.query)
    except ProtocolError as exc:
        return error(exc.status, str(exc))
    if "query" not in params:
        return await _description_or_page(request, params)
    return await _answer(request, params)


@router.post("/sparql", summary="SPARQL query by POST: form-encoded, or the query as application/sparql-query")
async def sparql_post(request: Request) -> Response:
    try:
        params = await _post_params(request)
    except ProtocolError as exc:
        return error(exc.status, str(exc))
    return await _answer(request, params)


# --- reading the request ------------------------------------------------------

async def _post_params(request: Request) -> dict[str, list[str]]:
    content_type = request.headers.get("content-type", "")
    media, _, options = content_type.partition(";")
    media = media.strip().lower()
    charset = next((o.split("=", 1)[1].strip().strip('"').lower() for o in options.split(";") if "charset=" in o.lower()), "utf-8")
    if charset not in ("utf-8", "utf8"):
        raise ProtocolError(415, "send the request in UTF-8")
    if media == "application/sparql-update":
        raise ProtocolError(403, READ_ONLY)
    if media not in ("application/sparql-query", "application/x-www-form-urlencoded"):
        raise ProtocolError(415, "send the query as application/sparql-query or application/x-www-form-urlencoded")
    url_params = _params(request.url.query)
    body = _decode(await request.body())
    if media == "application/sparql-query":
        if "query" in url_params:
            raise ProtocolError(400, "give the query once: in the body, not also in the URL")
        return {**url_params, "query": [body]}
    form = _params(body)
    if "query" not in form:
        raise ProtocolError(400, "missing 'query' parameter")
    merged = dict(url_params)
    for key, values in form.items():
        if key in ("query", "update") and key in merged:
            raise ProtocolError(400, f"'{key}' given more than once")
        merged[key] = merged.get(key, []) + values
    return merged


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(400, "request is not valid UTF-8") from None


def _params(query_string: str) -> dict[str, list[str]]:
    """Parameters by name; a repeated or mixed query/update is a protocol error."""
    try:
        pairs = parse_qsl(query_string, keep_blank_values=True, errors="strict", max_num_fields=200)
    except UnicodeDecodeError:
        raise ProtocolError(400, "request is not valid UTF-8") from None
    except ValueError:
        raise ProtocolError(400, "too many parameters") from None
    params: dict[str, list[str]] = {}
    for key, value in pairs:
        params.setdefault(key, []).append(value)
    if "query" in params and "update" in params:
        raise ProtocolError(400, "give either 'query' or 'update', not both (and this endpoint is read-only)")
    if "update" in params or any(k.startswith("using-") for k in params):
        raise ProtocolError(403, READ_ONLY)
    if len(params.get("query", [])) > 1:
        raise ProtocolError(400, "'query' given more than once")
    return params


def _dataset(params: dict[str, list[str]]) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """The protocol's dataset, if given: names of graphs (an unknown name is an empty graph)."""
    if not any(key in params for key in DATASET_PARAMS):
        return None, None
    found = []
    for key in DATASET_PARAMS:
        iris = tuple(params.get(key, ()))
        for iri in iris:
            try:
                ox.NamedNode(iri)
            except ValueError:
                raise QueryRefused(f"{key} must be an absolute IRI") from None
            if ":" not in iri:
                raise QueryRefused(f"{key} must be an absolute IRI")
        found.append(iris)
    return found[0], found[1]


# --- answering ----------------------------------------------------------------

async def _answer(request: Request, params: dict[str, list[str]]) -> Response:
    service = request.app.state.service
    query = params["query"][0]
    base = str(request.url_for("sparql_get"))  # relative IRIs in a query resolve against the endpoint
    snapshot = service.snapshot
    try:
        if len(query.encode("utf-8", "surrogatepass")) > MAX_QUERY_BYTES:
            return await _fail(request, query, 413, f"query longer than {MAX_QUERY_BYTES // 1024} KiB")
        checked = await service.inspect(query, base)
        fmt = choose(request.headers.get("accept"), checked.form, params.get("format", [""])[-1], allow_html=True)
        default_graphs, named_graphs = _dataset(params)
    except QueryRefused as exc:
        return await _fail(request, query, 400, str(exc))
    except NotAcceptable as exc:
        return error(406, str(exc))
    if caching.not_modified(request, snapshot.version, snapshot.modified, fmt):
        return caching.not_modified_response(snapshot.version, snapshot.modified, fmt)
    engine_format = fmt if fmt != "html" else ("nt" if checked.form in GRAPH_FORMS else "json")
    try:
        outcome, used = await service.run(query, engine_format, default_graphs, named_graphs, base, checked)
    except QueryTimeout:
        return await _fail(request, query, 503, f"the query did not finish within the time limit "
                           f"({service.settings.timeout:g} s)", {"Retry-After": "1"})
    except WorkerCrashed:
        return await _fail(request, query, 503, "the query stopped before it finished "
                           "(it needed more memory than a query may use)")
    except QueryRefused as exc:
        return await _fail(request, query, 400, str(exc))
    if not outcome.ok:
        return await _fail(request, query, outcome.status, outcome.error)
    headers = caching.headers(used.version, used.modified, fmt)
    headers["X-Result-Rows"] = str(outcome.rows)
    if outcome.capped:
        headers["X-Result-Capped"] = "true"
    if fmt == "html":
        results = _html_results(outcome.body, engine_format)
        page = await render_page(service, request, query, results, outcome.capped, service.settings.max_rows)
        return HTMLResponse(page, headers=headers)
    return Response(outcome.body, media_type=CONTENT_TYPE[fmt], headers=headers)


async def _fail(request: Request, query: str, status: int, message: str,
                headers: dict[str, str] | None = None) -> Response:
    """JSON for programs; for a browser, the query page again with the message above it."""
    if not _wants_html(request):
        return error(status, message, headers)
    service = request.app.state.service
    page = await render_page(service, request, query, None, False, service.settings.max_rows, error=message)
    return HTMLResponse(page, status_code=status, headers=headers)


def _wants_html(request: Request) -> bool:
    try:
        return negotiate(request.headers.get("accept"), "SELECT", allow_html=True) == "html"
    except NotAcceptable:
        return False


def _html_results(body: bytes, engine_format: str) -> dict[str, Any]:
    """Rows (SPARQL JSON) or triples (N-Triples) as one table model for the page."""
    if engine_format == "json":
        return json.loads(body)
    triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    return {"head": {"vars": ["subject", "predicate", "object"]},
            "results": {"bindings": [{"subject": json_term(t.subject), "predicate": json_term(t.predicate),
                                      "object": json_term(t.object)} for t in triples]}}


async def _description_or_page(request: Request, params: dict[str, list[str]]) -> Response:
    service = request.app.state.service
    snapshot = service.snapshot
    try:
        fmt = negotiate_rdf(request.headers.get("accept"), allow_html=True)
    except NotAcceptable as exc:
        return error(406, str(exc))
    if fmt == "html":
        return HTMLResponse(await render_page(service, request, "", None, False, service.settings.max_rows),
                            headers={"Vary": "Accept"})
    variant = "sd-" + fmt
    if caching.not_modified(request, snapshot.version, snapshot.modified, variant):
        return caching.not_modified_response(snapshot.version, snapshot.modified, variant)
    endpoint = str(request.url.replace(query=""))
    body = service_description(endpoint, fmt, snapshot, service.settings)
    return Response(body, media_type=CONTENT_TYPE[fmt], headers=caching.headers(snapshot.version, snapshot.modified, variant))
