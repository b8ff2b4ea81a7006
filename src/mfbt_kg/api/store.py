"""/store: the SPARQL 1.1 Graph Store HTTP Protocol, read only.

``GET /store?default`` answers the default graph, ``GET /store?graph=IRI`` one named
graph of the dataset, in the RDF format ``Accept`` asks for (Turtle, N-Triples, JSON-LD,
RDF/XML; 406 for anything else); ``HEAD`` the same without the body. A graph the
dataset does not have is 404; the IRI is never fetched. Every write method is 405
with ``Allow: GET, HEAD``: the data changes only by a reload of the files.

The graph is written from the data the service loaded, whole: it is not a query, so
there is no row cap. In remote mode the service does not hold the data (404, as the dump).
"""

from __future__ import annotations

import asyncio
import hashlib
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from mfbt_kg.api import caching
from mfbt_kg.api.deps import ServiceDep
from mfbt_kg.api.errors import Failed
from mfbt_kg.service.service import Snapshot
from mfbt_kg.sparql.media import CONTENT_TYPE, data_file_format, named, negotiate_rdf

router = APIRouter(tags=["graph store"])

ALLOW = "GET, HEAD"
READ_ONLY = "the graph store is read-only here: GET or HEAD a graph (the data changes only by a reload)"


@router.head("/store", include_in_schema=False)
@router.get("/store", summary="Graph Store Protocol, read only: ?default or ?graph=IRI, by Accept")
async def get_graph(request: Request, service: ServiceDep) -> Response:
    graph = _target(request.url.query)
    snapshot = service.snapshot
    assert snapshot is not None
    fmt = negotiate_rdf(request.headers.get("accept"))  # NotAcceptable: 406
    if graph is not None and graph not in snapshot.graphs:
        raise Failed(404, "no such graph in this dataset (the service description lists them); nothing is fetched")
    variant = "store-" + ("default" if graph is None else hashlib.sha256(graph.encode()).hexdigest()[:12]) + "-" + fmt
    if caching.not_modified(request, snapshot.version, snapshot.modified, variant):
        return caching.not_modified_response(snapshot.version, snapshot.modified, variant)
    body = await asyncio.to_thread(_graph_bytes, snapshot, graph, fmt)
    headers = caching.headers(snapshot.version, snapshot.modified, variant)
    return Response(body, media_type=CONTENT_TYPE[fmt], headers=headers)


@router.api_route("/store", methods=["PUT", "POST", "DELETE", "PATCH"], include_in_schema=False)
async def write_graph() -> Response:
    raise Failed(405, READ_ONLY, {"Allow": ALLOW})


def _target(query_string: str) -> str | None:
    """None for ``?default``, the IRI for ``?graph=``; 400 for neither, both, or a relative IRI."""
    params = parse_qsl(query_string, keep_blank_values=True)
    keys = [key for key, _ in params if key in ("default", "graph")]
    if len(keys) != 1:
        raise Failed(400, "name one graph: ?default or ?graph=IRI")
    if keys[0] == "default":
        return None
    iri = next(value for key, value in params if key == "graph")
    try:
        ox.NamedNode(iri)
    except ValueError:
        raise Failed(400, "graph must be an absolute IRI") from None
    if ":" not in iri:
        raise Failed(400, "graph must be an absolute IRI")
    return iri


def _graph_bytes(snapshot: Snapshot, graph: str | None, fmt: str) -> bytes:
    """The triples of one graph of the loaded data, in ``fmt`` (computed once per data version)."""

    def make() -> bytes:
        if snapshot.data is None:
            snapshot.ntriples()  # raises DataNotHeld (404): a remote store's data is not held here
        assert snapshot.data is not None
        source = data_file_format(snapshot.data_format)
        assert source is not None and isinstance(source.oxigraph, ox.RdfFormat)
        wanted = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
        triples = [q.triple for q in ox.parse(snapshot.data, format=source.oxigraph) if q.graph_name == wanted]
        target = named(fmt).oxigraph
        assert isinstance(target, ox.RdfFormat)
        return ox.serialize(triples, format=target) or b""  # None only when given an output to write to

    return snapshot.kept(f"store:{graph or ''}:{fmt}", make)
