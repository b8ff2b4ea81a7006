"""The OpenAPI document: the routes FastAPI sees, plus what it cannot see.

The SPARQL routes read the raw request (the protocol allows repeated
parameters and two POST bodies), and the catalogue's parameters are data, not
Python signatures; so their parameters, bodies, media types and errors are
added here, and every catalogue query gets a path of its own with its typed
parameters.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mfbt_kg.sparql.catalogue import NamedQuery
from mfbt_kg.sparql.media import FORMAT_PARAM, GRAPH_TYPES, ROW_TYPES

ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
PARAM_SCHEMAS = {
    "resource": {"type": "string", "description": "a slug (e.g. unn-asgard) or a full IRI"},
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "date": {"type": "string", "format": "date"},
}


def _errors(*codes: int) -> dict[str, Any]:
    meaning = {
        304: "not modified (If-None-Match / If-Modified-Since matched the data version)",
        400: "malformed or refused query (the parser's or the guard's message), or a bad parameter",
        403: "an update: this endpoint is read-only",
        404: "no such query",
        406: "no acceptable format for this answer",
        413: "request body too large",
        414: "request URL too long (use POST)",
        415: "unsupported request media type or charset",
        503: "the query overran its time limit (its worker was killed) or its memory",
    }
    return {
        str(c): {
            "description": meaning[c],
            **(
                {}
                if c == 304
                else {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            ),
        }
        for c in codes
    }


def _answers(description: str) -> dict[str, Any]:
    media = {m: {"schema": {"type": "string"}} for m in [*ROW_TYPES, *GRAPH_TYPES, "text/html"]}
    headers = {
        "ETag": {"schema": {"type": "string"}, "description": "the data version and the format"},
        "X-Result-Capped": {"schema": {"type": "string"}, "description": "'true' when rows were cut at the cap"},
        "X-Result-Rows": {"schema": {"type": "integer"}},
    }
    return {"200": {"description": description, "content": media, "headers": headers}}


SPARQL_PARAMS = [
    {
        "name": "query",
        "in": "query",
        "schema": {"type": "string"},
        "description": "a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE); "
        "without it, GET answers with the service description (Turtle, ...) or, for a browser, the query page",
    },
    {
        "name": "default-graph-uri",
        "in": "query",
        "schema": {"type": "array", "items": {"type": "string"}},
        "explode": True,
        "description": "graphs of this dataset to merge as the default graph (never fetched; an unknown name is empty)",
    },
    {
        "name": "named-graph-uri",
        "in": "query",
        "schema": {"type": "array", "items": {"type": "string"}},
        "explode": True,
        "description": "graphs of this dataset the query may name with GRAPH",
    },
    *(
        {
            "name": name,
            "in": "query",
            "schema": {"type": "string"},
            "description": "answer format, a short name ("
            + ", ".join(FORMAT_PARAM)
            + ", and n3, rdf+xml, ...) or a media "
            "type; a value that cannot carry the answer leaves it to Accept; an Accept naming the answer's "
            "own media types wins when it accepts none of the named formats"
            + ("" if name == "format" else f" (the same as format; '{name}' is what some clients send)"),
        }
        for name in ("format", "output", "results")
    ),
]


def install_openapi(app: FastAPI, settings: Any) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        doc.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
        paths = doc["paths"]
        if "/sparql" in paths:
            _sparql(paths["/sparql"])
        service = getattr(app.state, "service", None)
        catalogue: dict[str, NamedQuery] = service.catalogue if service is not None else {}
        if "/api/queries/{name}" in paths:
            _run(paths["/api/queries/{name}"]["get"], sorted(catalogue))
        for query in catalogue.values():
            paths[f"/api/queries/{query.name}"] = {"get": _named(query)}
        if "/health" in paths:
            paths["/health"]["get"]["responses"]["200"]["description"] = "up; the data version and worker state"
        app.openapi_schema = doc
        return doc

    app.openapi = build  # type: ignore[method-assign]


def _sparql(path: dict[str, Any]) -> None:
    get, post = path["get"], path["post"]
    get["description"] = (
        "SPARQL 1.1 Protocol query operation by GET. Refused before any engine sees them: updates, "
        "SERVICE, LOAD, FROM naming graphs outside the dataset, nesting deeper than 64."
    )
    get["parameters"] = SPARQL_PARAMS
    get["responses"] = {
        **_answers("the answer in the negotiated format; or the service description / query page"),
        **_errors(304, 400, 403, 406, 414, 503),
    }
    form = {
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "default-graph-uri": {"type": "array", "items": {"type": "string"}},
            "named-graph-uri": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["query"],
    }
    post["description"] = "SPARQL 1.1 Protocol query operation by POST, form-encoded or the query itself as the body."
    post["parameters"] = SPARQL_PARAMS[1:]
    post["requestBody"] = {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": form},
            "application/sparql-query": {"schema": {"type": "string"}},
        },
    }
    post["responses"] = {**_answers("the answer in the negotiated format"), **_errors(400, 403, 406, 413, 415, 503)}


def _run(operation: dict[str, Any], names: list[str]) -> None:
    operation["description"] = (
        "Run one catalogue query. Its parameters (see /api/queries, or the path of each query "
        "below) go in the query string; answers as /sparql."
    )
    for parameter in operation.get("parameters", []):
        if parameter["name"] == "name":
            parameter["schema"] = {"type": "string", "enum": names}
    operation.setdefault("parameters", []).append(SPARQL_PARAMS[3])
    operation["responses"] = {**_answers("the answer in the negotiated format"), **_errors(304, 400, 404, 406, 503)}


def _named(query: NamedQuery) -> dict[str, Any]:
    parameters = [
        {
            "name": p.name,
            "in": "query",
            "required": p.required,
            "schema": {**PARAM_SCHEMAS[p.type], **({"default": p.default} if p.default is not None else {})},
            "description": p.description + (f" (kind: {', '.join(p.kinds)})" if p.kinds else ""),
        }
        for p in query.parameters
    ]
    return {
        "tags": ["catalogue"],
        "summary": query.title_en,
        "description": f"{query.description}\n\nExample: `{query.example}`",
        "operationId": f"query_{query.name.replace('-', '_')}",
        "parameters": [*parameters, SPARQL_PARAMS[3]],
        "responses": {**_answers("the answer in the negotiated format"), **_errors(304, 400, 406, 503)},
    }
