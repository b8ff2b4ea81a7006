"""One query's answer as bytes: run, cap, serialise in the negotiated format.

Runs inside a query worker (embedded store) or beside the remote store's client,
so both modes answer byte for byte the same way. Row answers are written here
rather than by pyoxigraph's serialisers because they are capped part-way and a
capped SPARQL JSON answer says so in a ``capped`` field.

Error texts are the engine's first line with any URL blanked: a user learns what
is wrong with the query, never whether a host or file exists.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Callable, TypeVar
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RESULTS_NS = "http://www.w3.org/2005/sparql-results#"
RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "json-ld": ox.RdfFormat.JSON_LD,
               "rdfxml": ox.RdfFormat.RDF_XML}
T = TypeVar("T")
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s>\"']*|\bfile:[^\s>\"']*")


@dataclass(frozen=True)
class Job:
    """A query to run: text, output format, row cap and the protocol's dataset, if any."""

    sparql: str
    fmt: str
    max_rows: int
    default_graphs: tuple[str, ...] | None = None  # None: the query's own dataset (or the store's)
    named_graphs: tuple[str, ...] | None = None
    base_iri: str | None = None
    prefixes: tuple[tuple[str, str], ...] = field(default=())  # for Turtle output


@dataclass(frozen=True)
class Outcome:
    ok: bool
    body: bytes = b""
    capped: bool = False
    rows: int = 0
    status: int = 200
    error: str = ""


def execute(store: Any, job: Job) -> Outcome:
    """Run ``job`` on ``store`` (a pyoxigraph Store, or anything with its ``query`` signature)."""
    kwargs: dict[str, Any] = {"base_iri": job.base_iri}
    if job.default_graphs is not None or job.named_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or ()]
    try:
        result = store.query(job.sparql, **kwargs)
        return _serialize(result, job)
    except SyntaxError as exc:
        return Outcome(ok=False, status=400, error=f"SPARQL syntax error: {_first_line(exc)}")
    except (ValueError, RuntimeError, TypeError) as exc:
        return Outcome(ok=False, status=400, error=f"the query could not be evaluated: {_first_line(exc)}")
    except OSError:
        return Outcome(ok=False, status=502, error="the query could not be evaluated")


def _serialize(result: Any, job: Job) -> Outcome:
    if isinstance(result, ox.QueryBoolean):
        return Outcome(ok=True, body=serialize_boolean(bool(result), job.fmt), rows=1)
    if isinstance(result, ox.QuerySolutions):
        variables = [v.value for v in result.variables]
        rows = [tuple(row) for row in islice(result, job.max_rows + 1)]  # by position: name lookups are slow
        capped = len(rows) > job.max_rows
        del rows[job.max_rows:]
        return Outcome(ok=True, body=serialize_rows(variables, rows, job.fmt, capped), capped=capped, rows=len(rows))
    triples = list(islice(result, job.max_rows + 1))
    capped = len(triples) > job.max_rows
    del triples[job.max_rows:]
    body = ox.serialize(triples, format=RDF_FORMATS[job.fmt], prefixes=dict(job.prefixes) if job.fmt == "turtle" else None)
    return Outcome(ok=True, body=body, capped=capped, rows=len(triples))


def _first_line(exc: BaseException) -> str:
    text = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
    return _URL.sub("<IRI>", text)


def json_term(term: Any) -> dict[str, str]:
    """A term as SPARQL 1.1 Query Results JSON writes it."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def _csv_term(term: Any) -> str:
    if term is None:
        return ""
    value = "_:" + term.value if isinstance(term, ox.BlankNode) else term.value
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


def _tsv_term(term: Any) -> str:
    return "" if term is None else str(term)


def serialize_rows(variables: list[str], rows: list[tuple[Any, ...]], fmt: str, capped: bool) -> bytes:
    """SPARQL JSON (with ``capped`` when cut), XML, CSV or TSV. ``rows``: terms in the order of ``variables``
    (None where unbound). Each distinct term is written once and reused: answers repeat their terms a lot."""
    if fmt == "json":
        write = _memo(json_term)
        bindings = [{v: write(t) for v, t in zip(variables, row) if t is not None} for row in rows]
        doc: dict[str, Any] = {"head": {"vars": variables}, "results": {"bindings": bindings}}
        if capped:
            doc["capped"] = True
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if fmt == "csv":
        write = _memo(_csv_term)
        lines = [",".join(variables)] + [",".join(write(t) for t in row) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")
    if fmt == "tsv":
        write = _memo(_tsv_term)
        lines = ["\t".join("?" + v for v in variables)] + ["\t".join(write(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    return _xml_rows(variables, rows)


def _memo(write: Callable[[Any], T]) -> Callable[[Any], T]:
    """``write`` for each distinct term once (terms are hashable; None, for unbound, too)."""
    written: dict[Any, T] = {}

    def once(term: Any) -> T:
        out = written.get(term)
        if out is None:
            out = written[term] = write(term)
        return out

    return once


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
    if term.datatype.value != XSD_STRING:
        return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
    return f"<literal>{escape(term.value)}</literal>"


def _xml_rows(variables: list[str], rows: list[Any]) -> bytes:
    out = [f'<?xml version="1.0"?>\n<sparql xmlns="{RESULTS_NS}">\n<head>']
    out += [f"<variable name={quoteattr(v)}/>" for v in variables]
    out.append("</head>\n<results>")
    write = _memo(_xml_term)
    for row in rows:
        cells = "".join(f"<binding name={quoteattr(v)}>{write(t)}</binding>" for v, t in zip(variables, row) if t is not None)
        out.append(f"<result>{cells}</result>")
    out.append("</results>\n</sparql>\n")
    return "\n".join(out).encode("utf-8")


def serialize_boolean(value: bool, fmt: str) -> bytes:
    word = "true" if value else "false"
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode("utf-8")
    if fmt == "xml":
        return f'<?xml version="1.0"?>\n<sparql xmlns="{RESULTS_NS}"><head/><boolean>{word}</boolean></sparql>\n'.encode()
    if fmt == "tsv":
        return f"?_askResult\n{word}\n".encode()
    return f"_askResult\r\n{word}\r\n".encode()
