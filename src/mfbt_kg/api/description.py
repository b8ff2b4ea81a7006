"""The SPARQL service description (what ``GET /sparql`` without a query returns).

Says what the endpoint is and is not: SPARQL 1.1 Query only, the result
formats it negotiates, the dataset (its default graph and the named graphs
FROM / default-graph-uri may select), and its limits — no federation, no
update, a time limit and a row cap.
"""

from __future__ import annotations

from functools import lru_cache

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID, XSD

from mfbt_kg.namespaces import SD, W3C_FORMATS
from mfbt_kg.service.service import Snapshot
from mfbt_kg.service.settings import Settings
from mfbt_kg.sparql.media import GRAPH, ROWS, answering, named


def service_description(endpoint: str, fmt: str, snapshot: Snapshot, settings: Settings) -> bytes:
    return _cached(
        endpoint,
        fmt,
        snapshot.version,
        snapshot.triples,
        tuple(sorted(snapshot.graphs)),
        settings.timeout,
        settings.max_rows,
    )


@lru_cache(maxsize=32)
def _cached(
    endpoint: str, fmt: str, version: str, triples: int | None, graphs: tuple[str, ...], timeout: float, max_rows: int
) -> bytes:
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("formats", W3C_FORMATS)
    graph.bind("void", VOID)
    graph.bind("dcterms", DCTERMS)
    service = BNode("service")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, URIRef(endpoint)))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for answer_format in answering(ROWS, GRAPH):  # every format an answer can take (sparql/media.py)
        graph.add((service, SD.resultFormat, W3C_FORMATS[answer_format.w3c]))
    graph.add(
        (
            service,
            DCTERMS.description,
            Literal(
                f"Read-only SPARQL 1.1 Query endpoint. SERVICE, LOAD and updates are refused; FROM, FROM NAMED, "
                f"default-graph-uri and named-graph-uri select among this dataset's graphs only and never fetch. "
                f"Each query has {timeout:g} s; answers hold at most {max_rows} rows (a capped answer says so).",
                lang="en",
            ),
        )
    )
    dataset = BNode("dataset")
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    if version:
        graph.add((dataset, DCTERMS.identifier, Literal(version)))
    default = BNode("default-graph")
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    if triples is not None:
        graph.add((default, VOID.triples, Literal(triples, datatype=XSD.integer)))
    for name in graphs:
        node = BNode()
        graph.add((dataset, SD.namedGraph, node))
        graph.add((node, RDF.type, SD.NamedGraph))
        graph.add((node, SD.name, URIRef(name)))
    return graph.serialize(format=named(fmt).rdflib, encoding="utf-8")
