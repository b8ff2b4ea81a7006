"""Formats and content negotiation: the one table of every format the project reads or writes, and Accept parsing.

Each ``Format`` says everything one syntax is known by — the short name (``--format``,
``?format=``, cache keys), its media type and file extension, its pyoxigraph and rdflib
names, its entry in the W3C formats registry (service description, VoID) and in the EU
file-type table (DCAT-AP-NO) — so the endpoint, the catalogue API, the CLI, the pages, the
export, the service description and the OpenAPI document all offer and name the same formats.

"xml" is SPARQL Query Results XML; RDF/XML is "rdfxml".
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

ROWS, GRAPH, DATASET, PAGE = "rows", "graph", "dataset", "page"


@dataclass(frozen=True)
class Format:
    name: str  # the short name: --format, ?format=, cache keys
    media_type: str
    extension: str  # without the dot
    answers: str  # ROWS (SELECT, ASK), GRAPH (CONSTRUCT, DESCRIBE), DATASET (quads: files only), PAGE (HTML)
    display: str  # what a person calls it
    w3c: str | None = None  # local name in http://www.w3.org/ns/formats/
    eu_file_type: str | None = None  # entry of the EU file-type authority table
    oxigraph: ox.RdfFormat | ox.QueryResultsFormat | None = None
    rdflib: str | None = None  # rdflib's parser/serialiser name
    accepts: tuple[str, ...] = ()  # other media types an Accept header may name it by
    aliases: tuple[str, ...] = ()  # other short names (?format=, --format)
    extensions: tuple[str, ...] = ()  # other file extensions read as this format

    @property
    def content_type(self) -> str:
        """The Content-Type header: text types say their charset."""
        return self.media_type + ("; charset=utf-8" if self.media_type.startswith("text/") else "")


FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "srj", ROWS, "SPARQL JSON", "SPARQL_Results_JSON",
           oxigraph=ox.QueryResultsFormat.JSON, accepts=("application/json",)),
    Format("xml", "application/sparql-results+xml", "srx", ROWS, "SPARQL XML", "SPARQL_Results_XML",
           oxigraph=ox.QueryResultsFormat.XML, accepts=("application/xml", "text/xml")),
    Format("csv", "text/csv", "csv", ROWS, "CSV", "SPARQL_Results_CSV", "CSV", ox.QueryResultsFormat.CSV),
    Format("tsv", "text/tab-separated-values", "tsv", ROWS, "TSV", "SPARQL_Results_TSV", oxigraph=ox.QueryResultsFormat.TSV),
    Format("turtle", "text/turtle", "ttl", GRAPH, "Turtle", "Turtle", "RDF_TURTLE", ox.RdfFormat.TURTLE, "turtle",
           accepts=("application/x-turtle",), aliases=("ttl",)),
    Format("nt", "application/n-triples", "nt", GRAPH, "N-Triples", "N-Triples", "RDF_N_TRIPLES", ox.RdfFormat.N_TRIPLES,
           "nt", accepts=("text/plain",), aliases=("ntriples",)),
    Format("json-ld", "application/ld+json", "jsonld", GRAPH, "JSON-LD", "JSON-LD", "JSON_LD", ox.RdfFormat.JSON_LD,
           "json-ld", aliases=("jsonld",)),
    Format("rdfxml", "application/rdf+xml", "rdf", GRAPH, "RDF/XML", "RDF_XML", "RDF_XML", ox.RdfFormat.RDF_XML, "xml",
           extensions=("owl",)),
    Format("nq", "application/n-quads", "nq", DATASET, "N-Quads", "N-Quads", oxigraph=ox.RdfFormat.N_QUADS, rdflib="nquads"),
    Format("trig", "application/trig", "trig", DATASET, "TriG", "TriG", oxigraph=ox.RdfFormat.TRIG, rdflib="trig"),
    Format("html", "text/html", "html", PAGE, "HTML"),
)
BY_NAME: dict[str, Format] = {name: f for f in FORMATS for name in (f.name, *f.aliases)}
BY_EXTENSION: dict[str, Format] = {ext: f for f in FORMATS for ext in (f.extension, *f.extensions)}


def named(name: str) -> Format:
    """The format a short name (or alias) names; KeyError for an unknown one."""
    return BY_NAME[name]


def answering(kind: str) -> tuple[Format, ...]:
    return tuple(f for f in FORMATS if f.answers == kind)


def _media_table(kind: str) -> dict[str, str]:
    """media type -> format name for one kind of answer: every primary type first (in table order), then
    the other types Accept may name; the first entry is the default."""
    formats = answering(kind)
    return {**{f.media_type: f.name for f in formats}, **{m: f.name for f in formats for m in f.accepts}}


# Derived views of the one table (the negotiation below and the OpenAPI document read them).
ROW_TYPES = _media_table(ROWS)
GRAPH_TYPES = _media_table(GRAPH)
CONTENT_TYPE = {f.name: f.content_type for f in FORMATS}
FORMAT_PARAM = {name: f.name for name, f in BY_NAME.items() if f.answers in (ROWS, GRAPH)}
ROW_FORMATS = tuple(f.name for f in answering(ROWS))
GRAPH_FORMATS = tuple(f.name for f in answering(GRAPH))
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
