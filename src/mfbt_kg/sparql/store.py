"""Where queries are answered: one small interface, typed by answer shape, two implementations.

``EmbeddedStore`` keeps the graph in an in-memory pyoxigraph store (fast to
load, 16–100× faster than rdflib's engine). ``RemoteStore`` speaks the SPARQL
1.1 Protocol and Graph Store Protocol to any server (Oxigraph, Fuseki, ...).
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
from mfbt_kg.sparql.answers import Table, Term, from_engine
from mfbt_kg.sparql.catalogue import inject_values, internal


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

    ``url`` is the query endpoint; updates of the whole default graph go to the
    Graph Store endpoint (``store_url``, Oxigraph's ``/store`` by default).
    """

    def __init__(self, url: str, store_url: str | None = None, timeout: float = 30.0) -> None:
        self.url = url
        self.store_url = store_url or re.sub(r"/(sparql|query)/?$", "/store", url)
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
        self._version = ""
        self.modified: dt.datetime | None = None

    def replace(self, ntriples: bytes) -> None:
        """Upload the whole default graph in one Graph Store PUT (one transaction on the server),
        then the version marker the service ties its ETags to."""
        version = data_version(ntriples)
        self._put({"default": ""}, ntriples)
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
        form: list[tuple[str, str]] = [("query", text)]
        form += [("default-graph-uri", _node(g).value) for g in default_graph or ()]
        form += [("named-graph-uri", _node(g).value) for g in named_graphs or ()]
        try:
            response = self._client.post(
                self.url,
                content=urlencode(form).encode("ascii"),
                headers={
                    "Accept": "application/sparql-results+json, application/n-triples;q=0.9",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
        except httpx.TimeoutException:
            raise TimeoutError("the remote store did not answer in time") from None
        except httpx.HTTPError:
            raise StoreError("cannot reach the remote store") from None
        if response.status_code == 400:
            raise SyntaxError(_remote_message(response))
        if response.status_code >= 400:
            raise StoreError(f"remote store answered HTTP {response.status_code}")
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media == "application/n-triples":
            return from_engine(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))
        return from_engine(ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON))

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


def _node(graph: GraphName) -> ox.NamedNode:
    return graph if isinstance(graph, ox.NamedNode) else ox.NamedNode(graph)


def _remote_message(response: httpx.Response) -> str:
    """The first line of a remote store's 400 answer (its parser's message)."""
    return (response.text.strip().splitlines() or ["the remote store refused the query"])[0][:300]


def open_store(url: str | None, ntriples: bytes | None = None) -> Store:
    """The embedded store by default; a remote one when a URL is given."""
    if url:
        return RemoteStore(url)
    return EmbeddedStore(ntriples)
