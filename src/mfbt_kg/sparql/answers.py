"""Answers: their shapes, running a query for one, and writing it as bytes or as a table.

A query answers with rows (SELECT: a ``Table``), a boolean (ASK) or triples (CONSTRUCT,
DESCRIBE). The service (inside a query worker, or beside the remote store's client) and
the CLI write every answer with the serialisers here, so the same answer in the same
format is the same bytes whichever asked. Rows are written here rather than by
pyoxigraph's serialisers because the service caps them part-way, and a capped SPARQL
JSON answer says so in a ``capped`` field.

Error texts are the engine's first line with any URL blanked: a user learns what
is wrong with the query, never whether a host or file exists.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from mfbt_kg.sparql.media import GRAPH_FORMS, named

if TYPE_CHECKING:
    from mfbt_kg.sparql.store import Store

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RESULTS_NS = "http://www.w3.org/2005/sparql-results#"
T = TypeVar("T")
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s>\"']*|\bfile:[^\s>\"']*")

Term = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass(frozen=True)
class Table:
    """A SELECT answer: the variables, and each row's terms in their order (None where unbound)."""

    variables: tuple[str, ...]
    rows: list[tuple[Term | None, ...]]

    def records(self) -> list[dict[str, Term | None]]:
        """The rows as dicts by variable name, for code that reads columns by name."""
        return [dict(zip(self.variables, row, strict=False)) for row in self.rows]


Answer = bool | Table | list[ox.Triple]

_SKIP = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|<[^<>"\s]*>|#[^\n]*')
_FORM = re.compile(r"(?<![\w:?$])(SELECT|ASK|CONSTRUCT|DESCRIBE)(?![\w:-])", re.IGNORECASE)


def query_form(sparql: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first form keyword outside strings, IRIs and comments
    (SELECT when none is named: the engine will say what is wrong)."""
    match = _FORM.search(_SKIP.sub(" ", sparql))
    return match.group(1).upper() if match else "SELECT"


def fetch(store: Store, sparql: str, bindings: dict[str, Term] | None = None, **dataset: Any) -> Answer:
    """Run ``sparql`` on a project ``Store`` and return its answer in the shape its form gives
    (``dataset``: ``base_iri``, ``default_graph``, ``named_graphs`` as the store takes them)."""
    form = query_form(sparql)
    if form == "ASK":
        return store.ask(sparql, bindings, **dataset)
    if form in GRAPH_FORMS:
        return store.construct(sparql, bindings, **dataset)
    return store.select(sparql, bindings, **dataset)


def from_engine(result: Any, limit: int | None = None) -> Answer:
    """A pyoxigraph query result as an answer, reading at most ``limit`` rows or triples."""
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        variables = tuple(v.value for v in result.variables)
        return Table(variables, [tuple(row) for row in islice(result, limit)])  # by position: name lookups are slow
    return [ox.Triple(t.subject, t.predicate, t.object) for t in islice(result, limit)]


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


def execute(store: ox.Store | Store, job: Job) -> Outcome:
    """Run ``job`` on a pyoxigraph Store (a query worker) or a project ``Store`` (the remote one), cap it at
    ``job.max_rows`` and write it in ``job.fmt``."""
    try:
        if isinstance(store, ox.Store):
            kwargs: dict[str, Any] = {"base_iri": job.base_iri}
            if job.default_graphs is not None or job.named_graphs is not None:
                kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
                kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or ()]
            answer = from_engine(store.query(job.sparql, **kwargs), job.max_rows + 1)
        else:
            answer = fetch(
                store,
                job.sparql,
                base_iri=job.base_iri,
                default_graph=list(job.default_graphs) if job.default_graphs is not None else None,
                named_graphs=list(job.named_graphs) if job.named_graphs is not None else None,
            )
        return _outcome(answer, job)
    except SyntaxError as exc:
        return Outcome(ok=False, status=400, error=f"SPARQL syntax error: {_first_line(exc)}")
    except (ValueError, RuntimeError, TypeError) as exc:
        return Outcome(ok=False, status=400, error=f"the query could not be evaluated: {_first_line(exc)}")
    except TimeoutError:
        raise  # a remote store's own time limit (an OSError too): the caller answers with its time-limit 503
    except OSError:
        return Outcome(ok=False, status=502, error="the query could not be evaluated")


def _outcome(answer: Answer, job: Job) -> Outcome:
    if isinstance(answer, bool):
        return Outcome(ok=True, body=serialize_boolean(answer, job.fmt), rows=1)
    if isinstance(answer, Table):
        rows = answer.rows[: job.max_rows]
        capped = len(answer.rows) > job.max_rows
        return Outcome(
            ok=True, body=serialize_rows(list(answer.variables), rows, job.fmt, capped), capped=capped, rows=len(rows)
        )
    triples = answer[: job.max_rows]
    return Outcome(
        ok=True,
        body=serialize_graph(triples, job.fmt, job.prefixes),
        capped=len(answer) > job.max_rows,
        rows=len(triples),
    )


def write(answer: Answer, fmt: str, prefixes: Iterable[tuple[str, str]] = ()) -> bytes:
    """The whole answer (no cap) in ``fmt``: the bytes the service sends for it, uncapped."""
    if isinstance(answer, bool):
        return serialize_boolean(answer, fmt)
    if isinstance(answer, Table):
        return serialize_rows(list(answer.variables), answer.rows, fmt, False)
    return serialize_graph(answer, fmt, tuple(prefixes))


def serialize_graph(triples: list[ox.Triple], fmt: str, prefixes: tuple[tuple[str, str], ...] = ()) -> bytes:
    """Triples in a graph format, in the engine's order; ``prefixes`` are written into Turtle."""
    return ox.serialize(triples, format=named(fmt).rdf, prefixes=dict(prefixes) if fmt == "turtle" else None) or b""


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
        write_json = _memo(json_term)
        bindings = [{v: write_json(t) for v, t in zip(variables, row, strict=False) if t is not None} for row in rows]
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
        cells = "".join(
            f"<binding name={quoteattr(v)}>{write(t)}</binding>"
            for v, t in zip(variables, row, strict=False)
            if t is not None
        )
        out.append(f"<result>{cells}</result>")
    out.append("</results>\n</sparql>\n")
    return "\n".join(out).encode("utf-8")


def serialize_boolean(value: bool, fmt: str) -> bytes:
    word = "true" if value else "false"
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode("utf-8")
    if fmt == "xml":
        return (
            f'<?xml version="1.0"?>\n<sparql xmlns="{RESULTS_NS}"><head/><boolean>{word}</boolean></sparql>\n'.encode()
        )
    if fmt == "tsv":
        return f"?_askResult\n{word}\n".encode()
    return f"_askResult\r\n{word}\r\n".encode()


def render_table(answer: Answer, label: Callable[[str], str | None]) -> str:
    """A fixed-width table for a terminal; each IRI shows the label ``label`` gives it beside it
    (a boolean as ``true``/``false``, triples as Turtle)."""
    if isinstance(answer, bool):
        return "true" if answer else "false"
    if not isinstance(answer, Table):
        return serialize_graph(answer, "turtle").decode("utf-8")
    cells = [[_text_cell(term, label) for term in row] for row in answer.rows]
    widths = [max([len(v)] + [len(c[i]) for c in cells]) for i, v in enumerate(answer.variables)]
    out = io.StringIO()
    out.write("  ".join(v.ljust(w) for v, w in zip(answer.variables, widths, strict=False)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip() + "\n")
    out.write(f"({len(cells)} row{'s' if len(cells) != 1 else ''})\n")
    return out.getvalue()


def _text_cell(term: Term | None, label: Callable[[str], str | None]) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        name = label(term.value)
        return f"{name} <{term.value}>" if name else f"<{term.value}>"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)
