"""/sparql: the SPARQL 1.1 Protocol query operation, read only, bounded in time and size."""

from __future__ import annotations

import asyncio
import html
import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from ..media import CONTENT_TYPE, NotAcceptable, negotiate
from ..namespaces import SD
from ..sparql_guard import QueryRefused
from ..workers import QueryTimeout

router = APIRouter(tags=["sparql"])

SD_RESULT_FORMATS = ("http://www.w3.org/ns/formats/SPARQL_Results_JSON", "http://www.w3.org/ns/formats/SPARQL_Results_XML",
                     "http://www.w3.org/ns/formats/SPARQL_Results_CSV", "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
                     "http://www.w3.org/ns/formats/Turtle", "http://www.w3.org/ns/formats/N-Triples",
                     "http://www.w3.org/ns/formats/JSON-LD", "http://www.w3.org/ns/formats/RDF_XML")


class ProtocolError(ValueError):
    """A request that breaks the protocol; status and a generic message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


@router.get("/sparql", summary="SPARQL query (GET), service description, or the query page")
async def sparql_get(request: Request) -> Response:
    try:
        params = _single_params(request.url.query)
        query = params.get("query")
        if "update" in params:
            raise ProtocolError(400, "this endpoint is read-only: SPARQL Update is not accepted")
    except ProtocolError as exc:
        return error(exc.status, str(exc))
    if query is None:
        return _description_or_page(request)
    return await _answer(request, query, params)


@router.post("/sparql", summary="SPARQL query (POST form or application/sparql-query)")
async def sparql_post(request: Request) -> Response:
    try:
        query, params = await _post_query(request)
    except ProtocolError as exc:
        return error(exc.status, str(exc))
    return await _answer(request, query, params)


async def _post_query(request: Request) -> tuple[str, dict[str, str]]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    text = _decode(body)
    url_params = _single_params(request.url.query)
    if media == "application/sparql-query":
        return text, url_params
    if media == "application/sparql-update":
        raise ProtocolError(400, "this endpoint is read-only: SPARQL Update is not accepted")
    if media == "application/x-www-form-urlencoded":
        params = _single_params(text)
        if "update" in params or "update" in url_params:
            raise ProtocolError(400, "this endpoint is read-only: SPARQL Update is not accepted")
        if "query" not in params:
            raise ProtocolError(400, "missing 'query' parameter")
        return params["query"], {**url_params, **params}
    raise ProtocolError(415, "send the query as application/sparql-query or application/x-www-form-urlencoded")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(400, "request is not valid UTF-8") from None


def _single_params(query_string: str) -> dict[str, str]:
    """Parameters, refusing a repeated query/update and graph parameters outside our dataset."""
    try:
        pairs = parse_qsl(query_string, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise ProtocolError(400, "request is not valid UTF-8") from None
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in ("query", "update") and key in params:
            raise ProtocolError(400, f"'{key}' given more than once")
        if key in ("default-graph-uri", "named-graph-uri"):
            params[key] = f"{params[key]} {value}" if key in params else value  # IRIs have no spaces
            continue
        params[key] = value
    if "query" in params and "update" in params:
        raise ProtocolError(400, "give either 'query' or 'update', not both")
    return params


async def _answer(request: Request, query: str, params: dict[str, str]) -> Response:
    service = request.app.state.service
    try:
        checked = service.check(query)
        fmt = negotiate(request.headers.get("accept"), checked.form, allow_html=True)
        default_graphs, named_graphs = _graphs(params, "default-graph-uri"), _graphs(params, "named-graph-uri")
    except QueryRefused as exc:
        return error(400, str(exc))
    except NotAcceptable as exc:
        return error(406, str(exc))
    if request.headers.get("if-none-match") == service.etag:
        return Response(status_code=304, headers=_cache_headers(service))
    try:
        base = str(request.url_for("sparql_get"))  # relative IRIs in a query resolve against the endpoint
        outcome = await service.run(query, "json" if fmt == "html" else fmt, default_graphs, named_graphs, base)
    except (QueryTimeout, asyncio.TimeoutError):
        return error(503, f"query did not finish within {service.settings.timeout:g} s")
    except QueryRefused as exc:
        return error(400, str(exc))
    if not outcome.ok:
        return error(400, outcome.error)
    headers = _cache_headers(service)
    if outcome.capped:
        headers["X-Result-Capped"] = "true"
    if fmt == "html":
        return HTMLResponse(_page(service, query, json.loads(outcome.body)), headers=headers)
    return Response(outcome.body, media_type=CONTENT_TYPE[fmt], headers=headers)


def _graphs(params: dict[str, str], key: str) -> tuple[str, ...]:
    """Protocol-specified graphs: names of graphs in the dataset, never fetched (an unknown one is empty)."""
    iris = tuple(params.get(key, "").split())
    for iri in iris:
        if not iri.startswith(("http://", "https://", "urn:")) or any(c in iri for c in '<>"{}|^`\\'):
            raise QueryRefused(f"{key} must be an absolute IRI")
    return iris


def _cache_headers(service: Any) -> dict[str, str]:
    return {"ETag": service.etag, "Last-Modified": service.last_modified, "Cache-Control": "public, max-age=60"}


def _description_or_page(request: Request) -> Response:
    service = request.app.state.service
    accept = request.headers.get("accept", "")
    if "text/html" in accept:
        return HTMLResponse(_page(service, "", None))
    endpoint = URIRef(str(request.url_for("sparql_get")))
    graph = Graph()
    graph.bind("sd", SD)
    node = BNode()
    graph.add((node, RDF.type, SD.Service))
    graph.add((node, SD.endpoint, endpoint))
    graph.add((node, SD.supportedLanguage, SD.SPARQL11Query))
    for fmt in SD_RESULT_FORMATS:
        graph.add((node, SD.resultFormat, URIRef(fmt)))
    graph.add((node, SD.feature, SD.UnionDefaultGraph))
    graph.add((node, URIRef("http://purl.org/dc/terms/description"),
               Literal("Read-only SPARQL 1.1 endpoint; SERVICE, LOAD, FROM and updates are refused.", lang="en")))
    return Response(graph.serialize(format="turtle"), media_type=CONTENT_TYPE["turtle"])


def _page(service: Any, query: str, results: dict[str, Any] | None) -> str:
    """A query page that works offline: a form, the catalogue as examples, results as a table."""
    examples = "".join(
        f"<li><a href=\"/sparql?query={html.escape(_quote(q.sparql))}\">{html.escape(q.title_en)}</a></li>"
        for q in service.catalogue.values() if not any(p.required for p in q.parameters)
    )
    table = _table(results) if results is not None else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>mfbt-kg SPARQL</title>
<style>body{{font-family:system-ui,sans-serif;margin:1rem;max-width:70rem}}textarea{{width:100%;height:14rem;font-family:monospace}}
table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2rem .4rem;text-align:left;vertical-align:top}}</style></head>
<body><header><h1>mfbt-kg SPARQL endpoint</h1></header><main>
<form method="get" action="/sparql"><label for="q">SPARQL query</label>
<textarea id="q" name="query">{html.escape(query)}</textarea><button type="submit">Run</button></form>
{table}<section><h2>Examples from the query catalogue</h2><ul>{examples}</ul></section></main></body></html>"""


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _table(results: dict[str, Any]) -> str:
    if "boolean" in results:
        return f"<section><h2>Result</h2><p>{'true' if results['boolean'] else 'false'}</p></section>"
    variables = results["head"]["vars"]
    head = "".join(f'<th scope="col">{html.escape(v)}</th>' for v in variables)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(b.get(v, {}).get('value', ''))}</td>" for v in variables) + "</tr>"
        for b in results["results"]["bindings"]
    )
    return f"<section><h2>Results</h2><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>"
