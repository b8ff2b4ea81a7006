"""Query worker processes that can be killed at the deadline.

Neither pyoxigraph nor rdflib can interrupt a running query, so each query runs
in a worker process holding the whole graph in memory; a query that overruns
has its worker killed and replaced, and the service answers 503 while the
other workers go on. Results are serialised (and capped) inside the worker, so
only bytes cross the process boundary.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
from dataclasses import dataclass
from itertools import islice
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "json-ld": ox.RdfFormat.JSON_LD,
               "rdfxml": ox.RdfFormat.RDF_XML}


@dataclass(frozen=True)
class Outcome:
    ok: bool
    body: bytes = b""
    capped: bool = False
    rows: int = 0
    error: str = ""


class QueryTimeout(Exception):
    """The query overran its time limit; its worker was killed."""


# --- inside the worker -------------------------------------------------------

DATA_FORMATS = {"nt": ox.RdfFormat.N_TRIPLES, "nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
                "ttl": ox.RdfFormat.TURTLE}


def _worker_main(conn: Any, data: bytes, fmt: str) -> None:
    store = ox.Store()
    store.bulk_load(data, format=DATA_FORMATS[fmt])
    conn.send("ready")
    while True:
        job = conn.recv()
        if job is None:
            return
        conn.send(execute(store, *job))


def execute(store: Any, sparql: str, fmt: str, max_rows: int,
            default_graphs: tuple[str, ...] = (), named_graphs: tuple[str, ...] = (), base_iri: str | None = None) -> Outcome:
    """Run and serialise; a protocol-specified dataset (graph IRIs) replaces the query's own."""
    try:
        options: dict[str, Any] = {"base_iri": base_iri} if base_iri else {}
        if default_graphs or named_graphs:
            options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
            options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        result = store.query(sparql, **options)  # a remote store takes no options: none are set for it
    except SyntaxError as exc:
        return Outcome(ok=False, error=f"SPARQL syntax error: {_first_line(exc)}")
    except (ValueError, OSError, RuntimeError) as exc:
        return Outcome(ok=False, error=f"query failed: {_first_line(exc)}")
    if isinstance(result, ox.QueryBoolean):
        return Outcome(ok=True, body=serialize_boolean(bool(result), fmt))
    if isinstance(result, ox.QuerySolutions):
        variables = [v.value for v in result.variables]
        rows = list(islice(result, max_rows + 1))
        capped = len(rows) > max_rows
        rows = rows[:max_rows]
        return Outcome(ok=True, body=serialize_rows(variables, rows, fmt, capped), capped=capped, rows=len(rows))
    triples = list(islice(result, max_rows + 1))
    capped = len(triples) > max_rows
    triples = triples[:max_rows]
    return Outcome(ok=True, body=ox.serialize(triples, format=RDF_FORMATS[fmt]), capped=capped, rows=len(triples))


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


def _json_term(term: Any) -> dict[str, str]:
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


def _text_term(term: Any, tsv: bool) -> str:
    if term is None:
        return ""
    if not tsv:
        value = term.value
        return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value
    return str(term)


def serialize_rows(variables: list[str], rows: list[Any], fmt: str, capped: bool) -> bytes:
    if fmt == "json":
        bindings = [{v: _json_term(row[v]) for v in variables if row[v] is not None} for row in rows]
        doc: dict[str, Any] = {"head": {"vars": variables}, "results": {"bindings": bindings}}
        if capped:
            doc["capped"] = True
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if fmt in ("csv", "tsv"):
        tsv = fmt == "tsv"
        sep, end = ("\t", "\n") if tsv else (",", "\r\n")
        head = sep.join(("?" + v) if tsv else v for v in variables)
        lines = [head] + [sep.join(_text_term(row[v], tsv) for v in variables) for row in rows]
        return (end.join(lines) + end).encode("utf-8")
    return _xml_rows(variables, rows)


def _xml_rows(variables: list[str], rows: list[Any]) -> bytes:
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
    out += [f"<variable name={quoteattr(v)}/>" for v in variables]
    out.append("</head>\n<results>")
    for row in rows:
        out.append("<result>")
        for v in variables:
            term = row[v]
            if term is None:
                continue
            if isinstance(term, ox.NamedNode):
                inner = f"<uri>{escape(term.value)}</uri>"
            elif isinstance(term, ox.BlankNode):
                inner = f"<bnode>{escape(term.value)}</bnode>"
            elif term.language:
                inner = f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
            elif term.datatype.value != XSD_STRING:
                inner = f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
            else:
                inner = f"<literal>{escape(term.value)}</literal>"
            out.append(f"<binding name={quoteattr(v)}>{inner}</binding>")
        out.append("</result>")
    out.append("</results>\n</sparql>\n")
    return "\n".join(out).encode("utf-8")


def serialize_boolean(value: bool, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode("utf-8")
    if fmt == "xml":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                f"<boolean>{'true' if value else 'false'}</boolean></sparql>\n").encode("utf-8")
    return ("_askResult\n" + ("true" if value else "false") + "\n").encode("utf-8")


# --- in the service process --------------------------------------------------

class Worker:
    """One worker process and the pipe to it."""

    def __init__(self, data: bytes, fmt: str = "nt") -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, data, fmt), daemon=True)
        self.process.start()
        child.close()
        if self.conn.recv() != "ready":
            raise RuntimeError("query worker failed to start")

    def call(self, job: tuple, timeout: float) -> Outcome:
        self.conn.send(job)
        if self.conn.poll(timeout):
            return self.conn.recv()
        raise QueryTimeout()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.kill()


class WorkerPool:
    """A fixed number of workers; a query waits for an idle one, runs, or is killed at its deadline."""

    def __init__(self, data: bytes, size: int, timeout: float, fmt: str = "nt") -> None:
        self.data, self.fmt, self.size, self.timeout = data, fmt, size, timeout
        self._idle: asyncio.Queue[Worker] = asyncio.Queue()
        for _ in range(size):
            self._idle.put_nowait(Worker(data, fmt))

    async def run(self, sparql: str, fmt: str, max_rows: int, default_graphs: tuple[str, ...] = (),
                  named_graphs: tuple[str, ...] = (), base_iri: str | None = None) -> Outcome:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout=self.timeout)
        except asyncio.TimeoutError:
            raise QueryTimeout() from None
        remaining = max(0.05, deadline - loop.time())
        try:
            outcome = await asyncio.to_thread(worker.call, (sparql, fmt, max_rows, default_graphs, named_graphs, base_iri), remaining)
        except QueryTimeout:
            worker.kill()
            loop.run_in_executor(None, self._replace, loop)
            raise
        self._idle.put_nowait(worker)
        return outcome

    def _replace(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start a fresh worker (off the event loop) and hand it back to the pool."""
        fresh = Worker(self.data, self.fmt)
        loop.call_soon_threadsafe(self._idle.put_nowait, fresh)

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().stop()
