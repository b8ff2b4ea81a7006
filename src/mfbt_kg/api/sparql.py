"""/sparql: the SPARQL 1.1 Protocol query operation, read only, bounded in time and size.

GET ``?query=``, POST form-encoded and POST ``application/sparql-query``; the
protocol's dataset (``default-graph-uri`` / ``named-graph-uri``) selects among
the dataset's own graphs and is never fetched; answers by content negotiation
(or ``?format=``). Without a query: the service description, or for a browser
the query page. Updates are refused whichever way they come.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import weakref
from typing import Any
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from mfbt_kg.api import caching, errors
from mfbt_kg.api.deps import ServiceDep
from mfbt_kg.api.description import service_description
from mfbt_kg.api.errors import Failed
from mfbt_kg.api.html import language, remember_language, root_path
from mfbt_kg.api.query_page import render_page
from mfbt_kg.namespaces import sparql_prologue
from mfbt_kg.service.fairness import client_key
from mfbt_kg.service.service import Service
from mfbt_kg.sparql.answers import Job, Outcome, json_term
from mfbt_kg.sparql.guard import MAX_QUERY_BYTES, QueryRefused
from mfbt_kg.sparql.media import CONTENT_TYPE, GRAPH_FORMS, choose, negotiate_rdf


async def query_page_errors(request: Request, service: ServiceDep) -> None:
    """A browser that sent its query from the page gets the page again, with the error above the form."""
    request.state.errors = errors.QUERY_PAGE
    request.state.service = service


router = APIRouter(tags=["sparql"], dependencies=[Depends(query_page_errors)])

READ_ONLY = "this endpoint is read-only: SPARQL Update is not accepted"
DATASET_PARAMS = ("default-graph-uri", "named-graph-uri")


class ProtocolError(Failed):
    """A request that breaks the protocol: a status and a message a user can act on."""


@router.head("/sparql", include_in_schema=False)
@router.get("/sparql", summary="SPARQL query by GET; without a query: the service description or the query page")
async def sparql_get(request: Request, service: ServiceDep) -> Response:
    params = _params(request.url.query)
    if "query" not in params and ("default" in params or "graph" in params):
        # a Graph Store Protocol request sent to the query endpoint: the graph is at /store, not the description
        return RedirectResponse(f"{request.url_for('get_graph')}?{request.url.query}", status_code=303)
    if "query" not in params:
        return await _description_or_page(request, service)
    return await _answer(request, service, params)


@router.post("/sparql", summary="SPARQL query by POST: form-encoded, or the query as application/sparql-query")
async def sparql_post(request: Request, service: ServiceDep) -> Response:
    return await _answer(request, service, await _post_params(request))


# --- reading the request ------------------------------------------------------


async def _post_params(request: Request) -> dict[str, list[str]]:
    content_type = request.headers.get("content-type", "")
    media, _, options = content_type.partition(";")
    media = media.strip().lower()
    charset = next(
        (o.split("=", 1)[1].strip().strip('"').lower() for o in options.split(";") if "charset=" in o.lower()), "utf-8"
    )
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
    """The protocol's dataset, if given: names of graphs (one the data lacks is empty, as in FROM; with a
    remote store, both are refused)."""
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


FORMAT_PARAMS = ("format", "output", "results")  # this service's, Fuseki's and Virtuoso's; SPARQLWrapper sends all


def _format_values(params: dict[str, list[str]]) -> list[str]:
    """Every value of the format parameters, in the order of FORMAT_PARAMS, as sent."""
    return [value for key in FORMAT_PARAMS for value in params.get(key, ())]


# --- answering ----------------------------------------------------------------


def _endpoint(request: Request) -> str:
    """The endpoint's absolute URL as this request reached it. The route's path is looked up once per app:
    ``request.url_for`` walks every router, raising and catching a miss in each, on every query."""
    path = getattr(request.app.state, "sparql_path", None)
    if path is None:
        path = request.app.state.sparql_path = request.app.url_path_for("sparql_get")
    return str(path.make_absolute_url(base_url=request.base_url))


async def _answer(request: Request, service: Service, params: dict[str, list[str]]) -> Response:
    query = params["query"][0]
    request.state.query = query  # an error page shows it again
    base = _endpoint(request)  # relative IRIs in a query resolve against the endpoint
    snapshot = service.snapshot
    assert snapshot is not None
    if len(query.encode("utf-8", "surrogatepass")) > MAX_QUERY_BYTES:
        raise Failed(413, f"query longer than {MAX_QUERY_BYTES // 1024} KiB")
    default_graphs, named_graphs = _dataset(params)  # when given, it takes precedence over FROM / FROM NAMED
    # The project's prefixes are predeclared, as the CLI and the catalogue do: the PREFIX lines of those the
    # query uses and does not declare itself go in front (the box and the error page keep the query as written).
    text = sparql_prologue(query) + query
    checked = await service.inspect(text, base, protocol_dataset=default_graphs is not None)
    fmt = choose(request.headers.get("accept"), checked.form, _format_values(params), allow_html=True)
    # A tag this endpoint gave names a valid query's answer; "*" matches any, so only once the query answered.
    any_tag = "*" in request.headers.get("if-none-match", "")
    if not any_tag and caching.not_modified(request, snapshot.version, snapshot.modified, fmt):
        return caching.not_modified_response(snapshot.version, snapshot.modified, fmt)
    engine_format = fmt if fmt != "html" else ("nt" if checked.form in GRAPH_FORMS else "json")
    outcome, used = await service.run(
        text,
        engine_format,
        default_graphs,
        named_graphs,
        base,
        checked,
        client=client_key(request.client.host if request.client else None),
        user_supplied=True,
    )
    errors.raise_for(outcome)
    if any_tag and caching.not_modified(request, used.version, used.modified, fmt):
        return caching.not_modified_response(used.version, used.modified, fmt)
    headers = caching.answer_headers(outcome, used.version, used.modified, fmt)
    if fmt == "html":
        body = await _results_page(request, service, query, outcome, engine_format, used.version, headers)
        return remember_language(request, HTMLResponse(body, headers=headers))
    return Response(await _encoded(request, outcome.body, headers), media_type=CONTENT_TYPE[fmt], headers=headers)


OFF_LOOP_GZIP_BYTES = 64 * 1024


async def _results_page(
    request: Request,
    service: Service,
    query: str,
    outcome: Outcome,
    engine_format: str,
    version: str,
    headers: dict[str, str],
) -> bytes:
    """The results page: parsed and rendered off the event loop, one at a time, and kept per
    data version (a page of 10,000 rows takes about half a second to render; the same page again is free)."""
    gzipped = len(outcome.body) >= OFF_LOOP_GZIP_BYTES // 4 and _accepts_gzip(request)
    key = Job(
        query,
        f"page:{engine_format}:{language(request)[0]}:{'gzip' if gzipped else 'identity'}",
        outcome.rows,
        base_iri=root_path(request),
    )
    kept = service.pages.get(version, key)
    if kept is None:
        async with _render_slots():  # parsing and rendering hold the GIL: one at a time, off the event loop
            kept = service.pages.get(version, key)  # rendered while this request waited for the slot?
            if kept is None:
                results = await asyncio.to_thread(_html_results, outcome.body, engine_format)
                page = await render_page(request, service, query, results, outcome.capped)
                body = await _encoded(request, page.encode("utf-8"), {}) if gzipped else page.encode("utf-8")
                encoded = gzipped and body[:2] == b"\x1f\x8b"
                kept = Outcome(ok=True, body=body, capped=encoded)  # capped: here, "gzip-encoded"
                service.pages.put(version, key, kept)
    if kept.capped:
        _say_gzip(headers)
    return kept.body


def _accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


def _say_gzip(headers: dict[str, str]) -> None:
    headers["Content-Encoding"] = "gzip"
    vary = headers.get("Vary", "")
    headers["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"


async def _encoded(request: Request, body: bytes, headers: dict[str, str]) -> bytes:
    """A large answer gzipped off the event loop (the gzip middleware would do it on the loop: ~0.1 s
    for a 4 MB page, during which nothing else is answered); small ones are left to the middleware."""
    if len(body) < OFF_LOOP_GZIP_BYTES or not _accepts_gzip(request):
        return body
    _say_gzip(headers)
    return await asyncio.to_thread(gzip.compress, body, 6)


_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _render_slots() -> asyncio.Semaphore:
    """One result page rendered at a time per event loop, so the loop keeps its share of the GIL."""
    loop = asyncio.get_running_loop()
    slots = _SLOTS.get(loop)
    if slots is None:
        slots = _SLOTS[loop] = asyncio.Semaphore(1)
    return slots


def _html_results(body: bytes, engine_format: str) -> dict[str, Any]:
    """Rows (SPARQL JSON) or triples (N-Triples) as one table model for the page."""
    if engine_format == "json":
        return json.loads(body)
    triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    return {
        "head": {"vars": ["subject", "predicate", "object"]},
        "results": {
            "bindings": [
                {"subject": json_term(t.subject), "predicate": json_term(t.predicate), "object": json_term(t.object)}
                for t in triples
            ]
        },
    }


async def _description_or_page(request: Request, service: Service) -> Response:
    snapshot = service.snapshot
    assert snapshot is not None
    fmt = negotiate_rdf(request.headers.get("accept"), allow_html=True)
    if fmt == "html":
        page = await render_page(request, service, "")
        return remember_language(request, HTMLResponse(page, headers={"Vary": "Accept, Cookie"}))
    variant = "sd-" + fmt
    if caching.not_modified(request, snapshot.version, snapshot.modified, variant):
        return caching.not_modified_response(snapshot.version, snapshot.modified, variant)
    endpoint = str(request.url.replace(query=""))
    body = service_description(endpoint, fmt, snapshot, service.settings)
    return Response(
        body, media_type=CONTENT_TYPE[fmt], headers=caching.headers(snapshot.version, snapshot.modified, variant)
    )
