"""Content negotiation: which media types answer which query form, and Accept parsing.

One table per kind of answer (rows and booleans; graphs), so the endpoint, the
catalogue API, the service description and the OpenAPI document all offer the
same formats.
"""

from __future__ import annotations


# media type -> short format name used by the serialisers (first entry: the default)
ROW_TYPES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "rdfxml",
    "text/plain": "nt",
    "application/x-turtle": "turtle",
}
CONTENT_TYPE = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8", "turtle": "text/turtle; charset=utf-8",
    "nt": "application/n-triples", "json-ld": "application/ld+json", "rdfxml": "application/rdf+xml",
    "html": "text/html; charset=utf-8",
}
# ?format= values (links that name their format), per short format name
FORMAT_PARAM = {"json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv", "turtle": "turtle", "ttl": "turtle",
                "nt": "nt", "ntriples": "nt", "jsonld": "json-ld", "json-ld": "json-ld", "rdfxml": "rdfxml"}
ROW_FORMATS = ("json", "xml", "csv", "tsv")
GRAPH_FORMATS = ("turtle", "nt", "json-ld", "rdfxml")
GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")
HTML = "text/html"


class NotAcceptable(ValueError):
    """Nothing the client accepts can carry this answer."""


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges with their q-values, best first: by q, then the more specific range, then
    the client's order. Ranges with q=0 are returned too (they exclude)."""
    ranges = []
    for index, part in enumerate((header or "*/*").split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        if "/" not in media:
            media = "*/*" if media == "*" else media + "/*"
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(value)))
                except ValueError:
                    q = 0.0
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        ranges.append((media, q, -specificity, index))
    ranges.sort(key=lambda r: (-r[1], r[2], r[3]))
    return [(media, q) for media, q, _, _ in ranges]


def table_for(form: str) -> dict[str, str]:
    return GRAPH_TYPES if form in GRAPH_FORMS else ROW_TYPES


def negotiate(accept: str | None, form: str, allow_html: bool = False) -> str:
    """The format name to answer a query of ``form`` with, or NotAcceptable."""
    table = dict(table_for(form))
    if allow_html:
        table[HTML] = "html"
    return _pick(accept, table)


def choose(accept: str | None, form: str, named: str | None = None, allow_html: bool = False) -> str:
    """``named`` (a ``?format=`` value, so a link can name its format) wins over Accept."""
    if named:
        fmt = FORMAT_PARAM.get(named.lower())
        if fmt is None or (fmt in GRAPH_FORMATS) != (form in GRAPH_FORMS):
            raise NotAcceptable(f"format '{named}' cannot carry this answer")
        return fmt
    return negotiate(accept, form, allow_html)


def negotiate_rdf(accept: str | None, allow_html: bool = False) -> str:
    """The format for an RDF document (the service description), Turtle by default."""
    return negotiate(accept, "CONSTRUCT", allow_html)


def _pick(accept: str | None, table: dict[str, str]) -> str:
    ranked = parse_accept(accept)
    refused = {media for media, q in ranked if q == 0}
    offered = [media for media in table if media not in refused and (media != HTML or _names_html(ranked))]
    for media, q in ranked:
        if q == 0:
            continue
        if media in offered:
            return table[media]
        prefix = media[:-1] if media.endswith("/*") else None
        if prefix is not None:
            match = next((m for m in offered if m.startswith(prefix) or prefix == "*/"), None)
            if match is not None:
                return table[match]
    raise NotAcceptable("none of the accepted media types can carry this answer; offered: " + ", ".join(
        m for m in table if m != HTML))


def _names_html(ranked: list[tuple[str, float]]) -> bool:
    """HTML only for a client that names it (a browser), never for ``*/*`` alone."""
    return any(media == HTML and q > 0 for media, q in ranked)
