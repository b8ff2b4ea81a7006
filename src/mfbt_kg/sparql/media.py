"""Formats and content negotiation: the one table of every format the project reads or writes, and Accept parsing.

Each ``Format`` says everything one syntax is known by — the short name (``--format``,
``?format=``, cache keys), its media type and file extension, its pyoxigraph and rdflib
names, its entry in the W3C formats registry (service description, VoID) and in the EU
file-type table (DCAT-AP-NO) — so the endpoint, the catalogue API, the CLI, the pages, the
export, the service description and the OpenAPI document all offer and name the same formats.

"xml" is SPARQL Query Results XML; RDF/XML is "rdfxml".
"""

from __future__ import annotations

from collections.abc import Sequence
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
    w3c: str = ""  # local name in http://www.w3.org/ns/formats/ ("": none)
    eu_file_type: str = ""  # entry of the EU file-type authority table ("": none used)
    oxigraph: ox.RdfFormat | ox.QueryResultsFormat | None = None
    rdflib: str = ""  # rdflib's parser/serialiser name ("": rdflib does not write it here)
    accepts: tuple[str, ...] = ()  # other media types an Accept header may name it by
    aliases: tuple[str, ...] = ()  # other short names (?format=, --format)
    extensions: tuple[str, ...] = ()  # other file extensions read as this format
    data_file: bool = False  # the service can serve a dataset file in it (``serve --data``)

    @property
    def rdf(self) -> ox.RdfFormat:
        """pyoxigraph's RDF format, for a graph or dataset syntax."""
        if not isinstance(self.oxigraph, ox.RdfFormat):
            raise ValueError(f"{self.name} is not an RDF syntax")
        return self.oxigraph

    @property
    def content_type(self) -> str:
        """The Content-Type header: text types say their charset."""
        return self.media_type + ("; charset=utf-8" if self.media_type.startswith("text/") else "")


FORMATS: tuple[Format, ...] = (
    Format(
        "json",
        "application/sparql-results+json",
        "srj",
        ROWS,
        "SPARQL JSON",
        "SPARQL_Results_JSON",
        oxigraph=ox.QueryResultsFormat.JSON,
        accepts=("application/json",),
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        "srx",
        ROWS,
        "SPARQL XML",
        "SPARQL_Results_XML",
        oxigraph=ox.QueryResultsFormat.XML,
        accepts=("application/xml", "text/xml"),
    ),
    Format("csv", "text/csv", "csv", ROWS, "CSV", "SPARQL_Results_CSV", "CSV", ox.QueryResultsFormat.CSV),
    Format(
        "tsv", "text/tab-separated-values", "tsv", ROWS, "TSV", "SPARQL_Results_TSV", oxigraph=ox.QueryResultsFormat.TSV
    ),
    Format(
        "turtle",
        "text/turtle",
        "ttl",
        GRAPH,
        "Turtle",
        "Turtle",
        "RDF_TURTLE",
        ox.RdfFormat.TURTLE,
        "turtle",
        accepts=("application/x-turtle",),
        aliases=("ttl",),
        data_file=True,
    ),
    Format(
        "nt",
        "application/n-triples",
        "nt",
        GRAPH,
        "N-Triples",
        "N-Triples",
        "RDF_N_TRIPLES",
        ox.RdfFormat.N_TRIPLES,
        "nt",
        accepts=("text/plain",),
        aliases=("ntriples",),
        data_file=True,
    ),
    Format(
        "json-ld",
        "application/ld+json",
        "jsonld",
        GRAPH,
        "JSON-LD",
        "JSON-LD",
        "JSON_LD",
        ox.RdfFormat.JSON_LD,
        "json-ld",
        aliases=("jsonld",),
    ),
    Format(
        "rdfxml",
        "application/rdf+xml",
        "rdf",
        GRAPH,
        "RDF/XML",
        "RDF_XML",
        "RDF_XML",
        ox.RdfFormat.RDF_XML,
        "xml",
        extensions=("owl",),
    ),
    Format(
        "nq",
        "application/n-quads",
        "nq",
        DATASET,
        "N-Quads",
        "N-Quads",
        oxigraph=ox.RdfFormat.N_QUADS,
        rdflib="nquads",
        data_file=True,
    ),
    Format(
        "trig",
        "application/trig",
        "trig",
        DATASET,
        "TriG",
        "TriG",
        oxigraph=ox.RdfFormat.TRIG,
        rdflib="trig",
        data_file=True,
    ),
    Format("html", "text/html", "html", PAGE, "HTML"),
)
BY_NAME: dict[str, Format] = {name: f for f in FORMATS for name in (f.name, *f.aliases)}
BY_EXTENSION: dict[str, Format] = {ext: f for f in FORMATS for ext in (f.extension, *f.extensions)}


def named(name: str) -> Format:
    """The format a short name (or alias) names; KeyError for an unknown one."""
    return BY_NAME[name]


def answering(*kinds: str) -> tuple[Format, ...]:
    """The formats that carry answers (or files) of these kinds, in table order."""
    return tuple(f for f in FORMATS if f.answers in kinds)


def for_extension(ext: str, *kinds: str, aliases: bool = False) -> Format | None:
    """The format of ``kinds`` a URL or file extension (without the dot) names: its own extension, and with
    ``aliases`` the others it is read by too (``.owl`` for RDF/XML); None for any other."""
    found = BY_EXTENSION.get(ext.lower()) if aliases else next((f for f in FORMATS if f.extension == ext.lower()), None)
    return found if found is not None and found.answers in kinds else None


def _media_table(kind: str) -> dict[str, str]:
    """media type -> format name for one kind of answer: every primary type first (in table order), then
    the other types Accept may name; the first entry is the default."""
    formats = answering(kind)
    return {**{f.media_type: f.name for f in formats}, **{m: f.name for f in formats for m in f.accepts}}


def for_media_type(media_type: str) -> Format | None:
    """The format a media type names first (parameters such as ``charset`` ignored)."""
    bare = media_type.split(";")[0].strip().lower()
    return next((f for f in FORMATS if f.media_type == bare), None)


def data_file_format(ext: str) -> Format | None:
    """The format of a dataset file the service can serve (``--data``), by its extension; None for others."""
    found = for_extension(ext, GRAPH, DATASET)
    return found if found is not None and found.data_file else None


DATA_FILE_EXTENSIONS = tuple(f.extension for f in FORMATS if f.data_file)

# Derived views of the one table (the negotiation below and the OpenAPI document read them).
ROW_TYPES = _media_table(ROWS)
GRAPH_TYPES = _media_table(GRAPH)
CONTENT_TYPE = {f.name: f.content_type for f in FORMATS}
FORMAT_PARAM = {name: f.name for name, f in BY_NAME.items() if f.answers in (ROWS, GRAPH)}
# Short names other clients send in ``format`` / ``output`` / ``results`` (SPARQLWrapper, Virtuoso, Fuseki):
# "n3" is answered in Turtle (every Turtle document is N3); "xml" and "json" name the form's own XML or JSON.
CLIENT_NAMES: dict[str, tuple[str, ...]] = {
    "n3": ("turtle",),
    "rdf": ("rdfxml",),
    "rdf+xml": ("rdfxml",),
    "ld+json": ("json-ld",),
    "srj": ("json",),
    "srx": ("xml",),
    "n-triples": ("nt",),
    "xml": ("xml", "rdfxml"),
    "json": ("json", "json-ld"),
}
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
    """media type -> format name for an answer of ``form``. An ASK has no CSV or TSV: the CSV/TSV results
    format defines SELECT results only, and a client would read a boolean written as a table as one row."""
    if form in GRAPH_FORMS:
        return GRAPH_TYPES
    if form == "ASK":
        return {m: name for m, name in ROW_TYPES.items() if name not in ("csv", "tsv")}
    return ROW_TYPES


def negotiate(accept: str | None, form: str, allow_html: bool = False) -> str:
    """The format name to answer a query of ``form`` with, or NotAcceptable."""
    table = dict(table_for(form))
    if allow_html:
        table[HTML] = "html"
    return _pick(accept, table)


def named_formats(value: str, form: str) -> list[str]:
    """The formats of ``form``'s answers one ``format`` / ``output`` / ``results`` value names, best first: a short
    name (``csv``, ``ttl``, ``n3``, ``rdf+xml``), or one or more media types separated by commas."""
    table = table_for(form)
    value = value.strip().lower()
    if "/" in value:
        return [table[m] for m in (part.split(";")[0].strip() for part in value.split(",")) if m in table]
    names = CLIENT_NAMES.get(value, ()) + ((FORMAT_PARAM[value],) if value in FORMAT_PARAM else ())
    offered = set(table.values())
    return [name for name in names if name in offered]


def choose(accept: str | None, form: str, named: str | Sequence[str] | None = None, allow_html: bool = False) -> str:
    """The format to answer with, from the format parameters (``named``: every ``format``, ``output`` and
    ``results`` value, in the order sent) and the Accept header.

    A parameter names the format (so a link or a form can), and wins over a browser's or a wildcard Accept.
    An Accept that names formats of this answer by their own media types (not a browser's, which names
    HTML) is the client's choice: among the parameters' formats, the first it accepts; if it accepts none
    of them, Accept is honoured as if no parameter had been sent. A value that names nothing that can carry
    the answer is ignored; with none left, the answer is negotiated by Accept alone (406 only when Accept
    cannot be met)."""
    values = [named] if isinstance(named, str) else list(named or ())
    candidates = list(dict.fromkeys(f for v in values if v for f in named_formats(v, form)))
    if not candidates:
        return negotiate(accept, form, allow_html)
    if accept is None:
        return candidates[0]
    ranked = parse_accept(accept)
    own = {f.media_type: f.name for f in FORMATS if f.name in table_for(form).values()}
    refused = {own[m] for m, q in ranked if q == 0 and m in own}
    browser = any(m == HTML and q > 0 for m, q in ranked)
    explicit = [] if browser else [own[m] for m, q in ranked if q > 0 and m in own and own[m] not in refused]
    if explicit:
        wanted = next((f for f in candidates if f in explicit), None)
        return wanted if wanted is not None else negotiate(accept, form, allow_html)
    allowed = [f for f in candidates if f not in refused]
    return allowed[0] if allowed else negotiate(accept, form, allow_html)


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
    raise NotAcceptable(
        "none of the accepted media types can carry this answer; offered: " + ", ".join(m for m in table if m != HTML)
    )


def _names_html(ranked: list[tuple[str, float]]) -> bool:
    """HTML only for a client that names it (a browser), never for ``*/*`` alone."""
    return any(media == HTML and q > 0 for media, q in ranked)
