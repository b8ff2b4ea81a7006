"""Where queries are answered: one small interface, typed by answer shape, two implementations.

``EmbeddedStore`` keeps the graph in an in-memory pyoxigraph store (fast to
load, 16–100× faster than rdflib's engine). ``RemoteStore`` speaks the SPARQL
1.1 Protocol and Graph Store Protocol to any server (Oxigraph, Fuseki, Virtuoso, ...).
Both answer a SELECT with a ``Table``, an ASK with a bool and a CONSTRUCT or
DESCRIBE with a list of triples, so callers never care which is behind.
Bindings are RDF terms, put in a VALUES block (``catalogue.inject_values``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections.abc import Sequence
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import DCTERMS, XSD

from mfbt_kg.namespaces import DATASET_IRI, DESCRIPTION
from mfbt_kg.sparql.answers import Table, Term, from_engine, query_form
from mfbt_kg.sparql.catalogue import inject_values, internal
from mfbt_kg.sparql.media import GRAPH_FORMS


class StoreError(Exception):
    """A query or load the store refused; the message is safe to show a user."""


GraphName = ox.NamedNode | str
Bindings = dict[str, Term]


class Store(Protocol):
    """What every store answers. ``bindings``: terms for the query's variables; ``base_iri``,
    ``default_graph``, ``named_graphs``: the protocol's dataset, chosen among the store's graphs."""

    def select(
        self,
        sparql: str,
        bindings: Bindings | None = None,
        *,
        base_iri: str | None = None,
        default_graph: Sequence[GraphName] | None = None,
        named_graphs: Sequence[GraphName] | None = None,
    ) -> Table: ...

    def ask(
        self,
        sparql: str,
        bindings: Bindings | None = None,
        *,
        base_iri: str | None = None,
        default_graph: Sequence[GraphName] | None = None,
        named_graphs: Sequence[GraphName] | None = None,
    ) -> bool: ...

    def construct(
        self,
        sparql: str,
        bindings: Bindings | None = None,
        *,
        base_iri: str | None = None,
        default_graph: Sequence[GraphName] | None = None,
        named_graphs: Sequence[GraphName] | None = None,
    ) -> list[ox.Triple]: ...

    def graph_names(self) -> frozenset[str]: ...

    def replace(self, ntriples: bytes) -> None: ...

    def triple_count(self) -> int: ...

    @property
    def version(self) -> str: ...


def _expect(answer: Any, shape: type, form: str) -> Any:
    if not isinstance(answer, shape):
        raise StoreError(f"expected a {form} query")
    return answer


def to_ntriples(graph: Graph) -> bytes:
    """Sorted N-Triples: the same graph always gives the same bytes (and version)."""
    lines = graph.serialize(format="nt", encoding="utf-8").splitlines()
    return b"\n".join(sorted(line for line in lines if line.strip())) + b"\n"


def data_version(ntriples: bytes) -> str:
    return hashlib.sha256(ntriples).hexdigest()[:16]


class _AnswerShapes:
    """``select``, ``ask`` and ``construct`` over a store's one ``_answer``: the answer's shape is checked once,
    here, for every kind of store."""

    def _answer(
        self,
        sparql: str,
        bindings: Bindings | None,
        base_iri: str | None,
        default_graph: Sequence[GraphName] | None,
        named_graphs: Sequence[GraphName] | None,
    ) -> Any:
        raise NotImplementedError

    def select(
        self,
        sparql: str,
        bindings: Bindings | None = None,
        *,
        base_iri: str | None = None,
        default_graph: Sequence[GraphName] | None = None,
        named_graphs: Sequence[GraphName] | None = None,
    ) -> Table:
        return _expect(self._answer(sparql, bindings, base_iri, default_graph, named_graphs), Table, "SELECT")

    def ask(
        self,
        sparql: str,
        bindings: Bindings | None = None,
        *,
        base_iri: str | None = None,
        default_graph: Sequence[GraphName] | None = None,
        named_graphs: Sequence[GraphName] | None = None,
    ) -> bool:
        return _expect(self._answer(sparql, bindings, base_iri, default_graph, named_graphs), bool, "ASK")

    def construct(
        self,
        sparql: str,
        bindings: Bindings | None = None,
        *,
        base_iri: str | None = None,
        default_graph: Sequence[GraphName] | None = None,
        named_graphs: Sequence[GraphName] | None = None,
    ) -> list[ox.Triple]:
        return _expect(
            self._answer(sparql, bindings, base_iri, default_graph, named_graphs), list, "CONSTRUCT or DESCRIBE"
        )


class EmbeddedStore(_AnswerShapes):
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

    def _answer(
        self,
        sparql: str,
        bindings: Bindings | None,
        base_iri: str | None,
        default_graph: Sequence[GraphName] | None,
        named_graphs: Sequence[GraphName] | None,
    ) -> Any:
        """``default_graph`` / ``named_graphs``: a dataset chosen among the store's graphs (never fetched)."""
        text = inject_values(sparql, bindings) if bindings else sparql
        kwargs: dict[str, Any] = {"base_iri": base_iri}
        if default_graph is not None:
            kwargs["default_graph"] = [_node(g) for g in default_graph]
        if named_graphs is not None:
            kwargs["named_graphs"] = [_node(g) for g in named_graphs]
        try:
            return from_engine(self._store.query(text, **kwargs))
        except SyntaxError as exc:
            raise StoreError(f"SPARQL syntax error: {exc}") from None

    def triple_count(self) -> int:
        return len(self._store)

    def graph_names(self) -> frozenset[str]:
        """The named graphs the store holds (what FROM and default-graph-uri may select)."""
        return frozenset(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    @property
    def version(self) -> str:
        return self._version


class RemoteStore(_AnswerShapes):
    """A SPARQL 1.1 Protocol + Graph Store Protocol endpoint.

    ``url`` is the query endpoint; uploads go to the Graph Store endpoint (``store_url``, Oxigraph's
    ``/store`` by default).

    ``graph``: the named graph that holds the data (named-graph mode), for engines whose default graph is
    not a graph of its own. Virtuoso's default graph is the union of all its graphs, its system graphs
    included, and its Graph Store endpoint refuses ``?default``. An upload then replaces that graph, and
    every query is asked with ``default-graph-uri`` = that graph and ``named-graph-uri`` = the version graph:
    the query sees the data as its default graph and, as on Oxigraph, no named graph but the version marker's.
    A query cannot choose another dataset in this mode (the data is one graph; ``graph_names`` is empty).

    ``user`` / ``password``: credentials for the Graph Store endpoint (HTTP Basic or Digest, as the server
    asks; Virtuoso's ``/sparql-graph-crud-auth`` asks Digest). Never written in code or on a command line:
    the CLI reads the password from the environment.
    """

    def __init__(
        self,
        url: str,
        store_url: str | None = None,
        timeout: float = 30.0,
        *,
        graph: str | None = None,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        self.url = url
        self.store_url = store_url or re.sub(r"/(sparql|query)/?$", "/store", url)
        try:
            self.graph = ox.NamedNode(graph).value if graph else None
        except ValueError:
            raise StoreError(f"the store's data graph must be an IRI, not {graph!r}") from None
        auth = _Credentials(user, password or "") if user else None
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, auth=auth)
        self._version = ""
        self.modified: dt.datetime | None = None

    def replace(self, ntriples: bytes) -> None:
        """Upload the whole data graph (the default graph, or ``graph``) in one Graph Store PUT (one transaction
        on the server), then the version marker the service ties its ETags to."""
        version = data_version(ntriples)
        self._put({"graph": self.graph} if self.graph else {"default": ""}, ntriples)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self._put({"graph": VERSION_GRAPH}, version_marker(version, now))
        self._version, self.modified = version, now

    def _put(self, params: dict[str, str], body: bytes) -> None:
        try:
            response = self._client.put(
                self.store_url, params=params, content=body, headers={"Content-Type": "application/n-triples"}
            )
        except httpx.HTTPError:
            raise StoreError("cannot reach the remote store") from None
        if response.status_code in (401, 403):
            raise StoreError(
                f"remote store refused the upload (HTTP {response.status_code}): give a user with write access "
                "(--store-user, and the password in MFBT_KG_STORE_PASSWORD)"
            )
        if response.status_code >= 300:
            raise StoreError(f"remote store refused the upload (HTTP {response.status_code})")

    def _answer(
        self,
        sparql: str,
        bindings: Bindings | None,
        base_iri: str | None,
        default_graph: Sequence[GraphName] | None,
        named_graphs: Sequence[GraphName] | None,
    ) -> Any:
        """One SPARQL Protocol request. The base IRI travels as a BASE declaration (the protocol has no
        parameter for it); a protocol dataset as default-graph-uri / named-graph-uri."""
        text = inject_values(sparql, bindings) if bindings else sparql
        if base_iri:
            text = f"BASE <{ox.NamedNode(base_iri).value}>\n{text}"
        if self.graph is not None:
            if default_graph is not None or named_graphs is not None:
                raise StoreError("the remote store holds the data in one graph: a query cannot choose another dataset")
            return self._ask(text, [self.graph], [VERSION_GRAPH])
        return self._ask(
            text,
            [_node(g).value for g in default_graph or ()],
            [_node(g).value for g in named_graphs or ()],
        )

    def _ask(self, text: str, default_graph: list[str], named_graphs: list[str]) -> Any:
        form: list[tuple[str, str]] = [("query", text)]
        form += [("default-graph-uri", g) for g in default_graph]
        form += [("named-graph-uri", g) for g in named_graphs]
        # One media type, by the query's form: Virtuoso answers a CONSTRUCT in the first type listed even when
        # it cannot write it there (a JSON results list for a CONSTRUCT fails with HTTP 500).
        accept = "application/n-triples" if query_form(text) in GRAPH_FORMS else "application/sparql-results+json"
        try:
            response = self._client.post(
                self.url,
                content=urlencode(form).encode("ascii"),
                headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
            )
        except httpx.TimeoutException:
            raise TimeoutError("the remote store did not answer in time") from None
        except httpx.HTTPError:
            raise StoreError("cannot reach the remote store") from None
        if response.status_code == 400:
            raise SyntaxError(_remote_message(response))
        if response.status_code == 500 and _VIRTUOSO_TIMED_OUT.match(response.text):
            # Virtuoso ending a query at its MaxQueryExecutionTime: HTTP 500 "Virtuoso S1T00 Error SR171:
            # Transaction timed out" (the first line; the query text follows it). It is the time limit, not a fault.
            raise TimeoutError("the remote store stopped the query at its own time limit")
        if response.status_code >= 400:
            raise StoreError(f"remote store answered HTTP {response.status_code}")
        if response.status_code == 206 or "x-sql-state" in response.headers:
            # Virtuoso's "anytime" answer: cut at its MaxQueryExecutionTime, sent as a success (HTTP 200 or 206)
            # with X-SQL-State; a part of an answer is not the answer.
            raise TimeoutError("the remote store stopped the query at its own time limit (a partial answer)")
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media == "application/n-triples":
            answer = from_engine(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))
        else:
            answer = from_engine(ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON))
        return _canonical_booleans(answer) if _BOOLEAN_IRI in response.content else answer

    def triple_count(self) -> int:
        (count,) = self.select(internal()["count-triples"]).rows[0]
        return int(count.value) if count is not None else 0

    def refresh(self) -> None:
        """Read the version marker an upload left (empty when the data came another way)."""
        rows = self.select(
            internal()["version-marker"], {"graph": ox.NamedNode(VERSION_GRAPH), "dataset": ox.NamedNode(DATASET_IRI)}
        ).records()
        version, modified = (rows[0]["version"], rows[0]["modified"]) if rows else (None, None)
        if version is not None and modified is not None:
            self._version = version.value
            self.modified = dt.datetime.fromisoformat(modified.value.replace("Z", "+00:00"))
        else:
            self._version, self.modified = "", None

    def graph_names(self) -> frozenset[str]:
        names = self.select(internal()["graph-names"]).rows
        return frozenset(g.value for (g,) in names if isinstance(g, ox.NamedNode)) - {VERSION_GRAPH}

    @property
    def version(self) -> str:
        return self._version


# Where an upload records which data it put in a remote store: a named graph of its own,
# so queries over the default graph never see it.
VERSION_GRAPH = str(DESCRIPTION["version"])


def version_marker(version: str, modified: dt.datetime) -> bytes:
    """The two N-Triples of the version graph, written with pyoxigraph (escaped terms)."""
    subject = ox.NamedNode(DATASET_IRI)
    triples = [
        ox.Triple(subject, ox.NamedNode(str(DCTERMS.identifier)), ox.Literal(version)),
        ox.Triple(
            subject,
            ox.NamedNode(str(DCTERMS.modified)),
            ox.Literal(modified.isoformat(), datatype=ox.NamedNode(str(XSD.dateTime))),
        ),
    ]
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


class _Credentials(httpx.Auth):
    """HTTP Basic or Digest, whichever the server's challenge names (Virtuoso's Graph Store endpoint asks
    Digest; Fuseki's and GraphDB's usually Basic). Nothing is sent before the server asks."""

    requires_request_body = True

    def __init__(self, user: str, password: str) -> None:
        self._basic = httpx.BasicAuth(user, password)
        self._digest = httpx.DigestAuth(user, password)

    def auth_flow(self, request: httpx.Request) -> Any:
        response = yield request
        challenge = response.headers.get("www-authenticate", "").lower()
        if response.status_code != 401:
            return
        if challenge.startswith("digest"):
            flow = self._digest.auth_flow(request)
            next(flow)  # the digest flow first sends the request as it is; here, it was sent already
            yield flow.send(response)
        elif challenge.startswith("basic"):
            yield next(self._basic.auth_flow(request))


XSD_BOOLEAN = ox.NamedNode(str(XSD.boolean))
_BOOLEAN_IRI = str(XSD.boolean).encode()  # only an answer naming the type can hold such a term
_CANONICAL = {"1": ox.Literal("true", datatype=XSD_BOOLEAN), "0": ox.Literal("false", datatype=XSD_BOOLEAN)}


def _canonical(term: Any) -> Any:
    if isinstance(term, ox.Literal) and term.datatype == XSD_BOOLEAN and term.value in _CANONICAL:
        return _CANONICAL[term.value]
    return term


def _canonical_booleans(answer: Any) -> Any:
    """xsd:boolean "1" and "0" as "true" and "false": the same values in their canonical form. Virtuoso keeps
    booleans as integers and writes a stored ``true`` as ``"1"^^xsd:boolean``; the embedded engine and the
    project's files write ``true`` (README: answers see canonical terms)."""
    if isinstance(answer, Table):
        return Table(answer.variables, [tuple(_canonical(t) for t in row) for row in answer.rows])
    if isinstance(answer, list):
        return [ox.Triple(t.subject, t.predicate, _canonical(t.object)) for t in answer]
    return answer


# The first line of Virtuoso's answer when a query reaches its MaxQueryExecutionTime (SQL state S1T00).
_VIRTUOSO_TIMED_OUT = re.compile(r"Virtuoso S1T00 Error SR171: Transaction timed out\b")


def _node(graph: GraphName) -> ox.NamedNode:
    return graph if isinstance(graph, ox.NamedNode) else ox.NamedNode(graph)


def _remote_message(response: httpx.Response) -> str:
    """The first line of a remote store's 400 answer (its parser's message)."""
    return (response.text.strip().splitlines() or ["the remote store refused the query"])[0][:300]


def open_store(url: str | None, ntriples: bytes | None = None, graph: str | None = None) -> Store:
    """The embedded store by default; a remote one when a URL is given (``graph``: its named-graph mode)."""
    if url:
        return RemoteStore(url, graph=graph)
    return EmbeddedStore(ntriples)
