"""Where queries are answered: one small interface, two implementations.

``EmbeddedStore`` keeps the graph in an in-memory pyoxigraph store (fast to
load, 16–100× faster than rdflib's engine). ``RemoteStore`` speaks the SPARQL
1.1 Protocol and Graph Store Protocol to any server (Oxigraph, Fuseki, ...).
Both return pyoxigraph result objects, so callers never care which is behind.
"""

from __future__ import annotations

import hashlib
import re
import threading
from typing import Protocol, Union

import httpx
import pyoxigraph as ox
from rdflib import Graph

Term = Union[ox.NamedNode, ox.BlankNode, ox.Literal]
Result = Union[ox.QuerySolutions, ox.QueryBoolean, ox.QueryTriples, list]


class StoreError(Exception):
    """A query or load the store refused; the message is safe to show a user."""


class Store(Protocol):
    def query(self, sparql: str, substitutions: dict[str, Term] | None = None) -> Result: ...

    def replace(self, ntriples: bytes) -> None: ...

    def triple_count(self) -> int: ...

    @property
    def version(self) -> str: ...


def to_ntriples(graph: Graph) -> bytes:
    """Sorted N-Triples: the same graph always gives the same bytes (and version)."""
    lines = graph.serialize(format="nt", encoding="utf-8").splitlines()
    return b"\n".join(sorted(line for line in lines if line.strip())) + b"\n"


def data_version(ntriples: bytes) -> str:
    return hashlib.sha256(ntriples).hexdigest()[:16]


class EmbeddedStore:
    """In-memory pyoxigraph. ``replace`` builds a new store and swaps the reference,
    so a running query sees the old graph or the new one, never half."""

    def __init__(self, ntriples: bytes | None = None) -> None:
        self._lock = threading.Lock()
        self._store = ox.Store()
        self._version = data_version(b"")
        if ntriples is not None:
            self.replace(ntriples)

    def replace(self, ntriples: bytes, fmt: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> None:
        fresh = ox.Store()
        try:
            fresh.bulk_load(ntriples, format=fmt)
        except (SyntaxError, ValueError, OSError) as exc:
            raise StoreError(f"cannot load data: {exc}") from None
        with self._lock:
            self._store, self._version = fresh, data_version(ntriples)

    def query(self, sparql: str, substitutions: dict[str, Term] | None = None) -> Result:
        text = inject_values(sparql, substitutions) if substitutions else sparql
        try:
            return self._store.query(text)
        except SyntaxError as exc:
            raise StoreError(f"SPARQL syntax error: {exc}") from None

    def triple_count(self) -> int:
        return len(self._store)

    @property
    def version(self) -> str:
        return self._version


class RemoteStore:
    """A SPARQL 1.1 Protocol + Graph Store Protocol endpoint.

    ``url`` is the query endpoint; updates of the whole default graph go to the
    Graph Store endpoint (``store_url``, Oxigraph's ``/store`` by default).
    """

    def __init__(self, url: str, store_url: str | None = None, timeout: float = 30.0) -> None:
        self.url = url
        self.store_url = store_url or re.sub(r"/(sparql|query)/?$", "/store", url)
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)
        self._version = data_version(b"")

    def replace(self, ntriples: bytes) -> None:
        response = self._client.put(
            self.store_url, params={"default": ""}, content=ntriples,
            headers={"Content-Type": "application/n-triples"},
        )
        if response.status_code >= 300:
            raise StoreError(f"remote store refused the upload (HTTP {response.status_code})")
        self._version = data_version(ntriples)

    def query(self, sparql: str, substitutions: dict[str, Term] | None = None) -> Result:
        text = inject_values(sparql, substitutions) if substitutions else sparql
        response = self._client.post(
            self.url, data={"query": text},
            headers={"Accept": "application/sparql-results+json, application/n-triples;q=0.9"},
        )
        if response.status_code >= 400:
            raise StoreError(f"remote store answered HTTP {response.status_code}")
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media == "application/n-triples":
            return list(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))
        return ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)

    def triple_count(self) -> int:
        result = self.query(COUNT_TRIPLES)
        return int(next(iter(result))["n"].value)

    @property
    def version(self) -> str:
        return self._version


COUNT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

_TOKENS = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|<[^<>"\s]*>|#[^\n]*|\{|\}|\bWHERE\b', re.IGNORECASE)


def inject_values(sparql: str, bindings: dict[str, Term]) -> str:
    """Bind parameters: a VALUES block opening every WHERE group (the outer one and subqueries').

    The values are RDF terms serialised by pyoxigraph (escaped N-Triples syntax),
    never raw user text, so this is binding, not concatenation. Every group gets
    the block because a subquery does not see the outer query's bindings.
    """
    names = sorted(bindings)
    block = " VALUES (" + " ".join(f"?{n}" for n in names) + ") { (" + " ".join(str(bindings[n]) for n in names) + ") } "
    out, last = [], 0
    for position in _where_braces(sparql):
        out.append(sparql[last : position + 1] + block)
        last = position + 1
    return "".join(out) + sparql[last:]


def _where_braces(sparql: str) -> list[int]:
    """Offsets of the '{' opening each WHERE group, plus the outer group of a query
    written without the WHERE keyword (``ASK { ... }``); never a CONSTRUCT template."""
    found, depth, after_where, outer_where, first_brace = [], 0, False, False, None
    for match in _TOKENS.finditer(sparql):
        token = match.group()
        if token.upper() == "WHERE":
            after_where = True
        elif token == "{":
            if after_where:
                found.append(match.start())
                outer_where = outer_where or depth == 0
                after_where = False
            elif depth == 0 and first_brace is None:
                first_brace = match.start()
            depth += 1
        elif token == "}":
            depth -= 1
    if not outer_where:
        if first_brace is None or re.search(r"\bCONSTRUCT\b", sparql[:first_brace], re.IGNORECASE):
            raise StoreError("query has no WHERE clause to bind parameters into")
        found.insert(0, first_brace)
    return found


def open_store(url: str | None, ntriples: bytes | None = None) -> Store:
    """The embedded store by default; a remote one when a URL is given."""
    if url:
        return RemoteStore(url)
    return EmbeddedStore(ntriples)
