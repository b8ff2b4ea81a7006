"""Content negotiation: which media types answer which query form, and Accept parsing."""

from __future__ import annotations

from typing import Sequence

# media type -> short format name used by the serialisers
ROW_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "rdfxml",
}
CONTENT_TYPE = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8", "turtle": "text/turtle; charset=utf-8",
    "nt": "application/n-triples", "json-ld": "application/ld+json", "rdfxml": "application/rdf+xml",
    "html": "text/html; charset=utf-8",
}
FORMAT_PARAM = {"json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv", "turtle": "turtle", "ttl": "turtle",
                "nt": "nt", "ntriples": "nt", "jsonld": "json-ld", "json-ld": "json-ld", "rdfxml": "rdfxml"}


class NotAcceptable(ValueError):
    """Nothing the client accepts can carry this answer."""


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges with their q-values, best first (ties keep the client's order)."""
    ranges = []
    for index, part in enumerate((header or "*/*").split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for param in fields[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((fields[0].lower(), q, index))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(media, q) for media, q, _ in ranges if q > 0]


def negotiate(accept: str | None, form: str, allow_html: bool = False) -> str:
    """The format name to answer a query of ``form`` with, or NotAcceptable."""
    table = GRAPH_TYPES if form in ("CONSTRUCT", "DESCRIBE") else ROW_TYPES
    default = "turtle" if table is GRAPH_TYPES else "json"
    for media, _ in parse_accept(accept):
        if allow_html and media == "text/html":
            return "html"
        if media in table:
            return table[media]
        if media in ("*/*", "application/*", "text/*"):
            return default
    raise NotAcceptable("none of the accepted media types can carry this answer")


def candidates(form: str) -> Sequence[str]:
    return list((GRAPH_TYPES if form in ("CONSTRUCT", "DESCRIBE") else ROW_TYPES).keys())
