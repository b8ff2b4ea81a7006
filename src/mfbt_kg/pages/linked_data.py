"""Linked data from the store: which IRIs a URL may name, what the store says about them, RDF bodies.

The pages, the RDF answers and the tests need the same things — the slug rule checked
before any query, the page queries (``queries/pages/*.rq``, run with the resource bound
as a term), and one label per node and language — and none of them is about HTTP, so
they live here rather than in the router.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from mfbt_kg.namespaces import BASE, ID, KINDS, MFBT, ONTOLOGY_IRI, PREFIXES
from mfbt_kg.sparql.answers import Term
from mfbt_kg.sparql.catalogue import QueryFiles
from mfbt_kg.sparql.media import named
from mfbt_kg.sparql.store import Store

# The shapes' SlugRule: lowercase ASCII words joined by '-', compound keys (table cells) by '--'.
SLUG = re.compile(r"^[a-z0-9]+(-{1,2}[a-z0-9]+)*$")
MAX_SLUG = 200
PAGE_QUERIES = "queries/pages"


def resource_iri(kind: str, slug: str) -> str | None:
    """The canonical IRI for ``/id/{kind}/{slug}``, or None when the path breaks the identifier rule.

    Checked before any query, so nothing that is not a well-formed identifier reaches the store.
    """
    if kind not in KINDS or len(slug) > MAX_SLUG or not SLUG.fullmatch(slug):
        return None
    return f"{ID}{kind}/{slug}"


def kind_prefix(kind: str) -> str:
    return f"{ID}{kind}/"


def split_name(name: str) -> tuple[str, str | None]:
    """``unn-asgard.ttl`` -> (``unn-asgard``, ``ttl``); ``unn-asgard`` -> (``unn-asgard``, None)."""
    stem, dot, ext = name.partition(".")
    return stem, (ext if dot else None)


def local_path(iri: str) -> str | None:
    """The path this service answers an IRI of the project's namespace at, or None for other IRIs."""
    return "/" + iri[len(BASE) :] if iri.startswith(BASE) else None


class PageQueries(QueryFiles):
    """The page queries (``queries/pages/*.rq``), read once at start-up: a missing file fails before the
    service answers."""

    def __init__(self, root: Path) -> None:
        super().__init__(root / PAGE_QUERIES, "page", required=("describe", "labels"))


Row = dict[str, Any]


def select(store: Store, text: str, bindings: dict[str, Term] | None = None) -> list[Row]:
    """Rows of a SELECT as dicts of pyoxigraph terms (None where unbound)."""
    return store.select(text, bindings or None).records()


def construct(store: Store, text: str, bindings: dict[str, Term] | None = None) -> list[ox.Triple]:
    """Triples of a CONSTRUCT."""
    return store.construct(text, bindings or None)


def describe(store: Store, queries: PageQueries, iri: str) -> list[ox.Triple]:
    """What the store says about ``iri`` and what points at it; empty when the graph does not know it."""
    return construct(store, queries["describe"], {"resource": ox.NamedNode(iri)})


def ontology_graph(store: Store, queries: PageQueries) -> list[ox.Triple]:
    """The vocabulary as the store holds it: the ontology resource and every ``mfbt:`` term."""
    return construct(
        store, queries["ontology-graph"], {"resource": ox.NamedNode(ONTOLOGY_IRI), "ns": ox.Literal(str(MFBT))}
    )


def serialize(triples: Iterable[ox.Triple], fmt: str) -> bytes:
    """Turtle, JSON-LD, N-Triples or RDF/XML, sorted so the same graph gives the same bytes.

    The IRIs stay the canonical w3id ones whatever host serves them.
    """
    rdf_format = named(fmt).rdf
    ordered = sorted(set(triples), key=str)
    if fmt not in ("turtle", "rdfxml"):
        return ox.serialize(ordered, format=rdf_format) or b""
    iris = {
        term.value for t in ordered for term in (t.subject, t.predicate, t.object) if isinstance(term, ox.NamedNode)
    }
    iris |= {t.object.datatype.value for t in ordered if isinstance(t.object, ox.Literal)}
    prefixes = {p: str(ns) for p, ns in PREFIXES.items() if any(iri.startswith(str(ns)) for iri in iris)}
    return ox.serialize(ordered, format=rdf_format, prefixes=prefixes) or b""


# Language preference: Norwegian (Bokmål, Nynorsk, unspecified Norwegian) first; English in English mode.
LANGUAGE_ORDER = {"nb": ("nb", "nn", "no", "", "en"), "en": ("en", "nb", "nn", "no", "")}


@dataclass(frozen=True)
class Label:
    text: str
    lang: str | None  # the label's language tag, None when untagged


class LabelIndex:
    """One label per node and page language, from one query, kept until the data version changes.

    The pages name hundreds of nodes; asking the store once per node would be hundreds of
    queries per page, asking once per data version is one.
    """

    def __init__(self, store: Store, queries: PageQueries) -> None:
        self._store, self._queries = store, queries
        self._lock = threading.Lock()
        self._version: str | None = None
        self._best: dict[str, dict[str, Label]] = {}
        self._all: dict[str, list[Label]] = {}

    def _refresh(self) -> None:
        version = self._store.version
        if version == self._version:
            return
        with self._lock:
            if version == self._version:
                return
            candidates: dict[str, list[tuple[int, Label]]] = {}
            for row in select(self._store, self._queries["labels"]):
                node, label = row["node"], row["label"]
                if isinstance(node, ox.NamedNode) and isinstance(label, ox.Literal):
                    candidates.setdefault(node.value, []).append(
                        (int(row["rank"].value), Label(label.value, label.language or None))
                    )
            self._best = {
                lang: {iri: _choose(found, lang) for iri, found in candidates.items()} for lang in LANGUAGE_ORDER
            }
            self._all = {iri: _distinct(found) for iri, found in candidates.items()}
            self._version = version

    def get(self, iri: str, lang: str) -> Label | None:
        self._refresh()
        return self._best[lang].get(iri)

    def every(self, iri: str) -> list[Label]:
        """All of a node's names (labels, preferred labels, titles), each once."""
        self._refresh()
        return self._all.get(iri, [])


def _choose(found: list[tuple[int, Label]], lang: str) -> Label:
    order = LANGUAGE_ORDER[lang]

    def key(item: tuple[int, Label]) -> tuple[int, int, str]:
        rank, label = item
        tag = (label.lang or "").split("-")[0]
        return (order.index(tag) if tag in order else len(order), rank, label.text)

    return min(found, key=key)[1]


def _distinct(found: list[tuple[int, Label]]) -> list[Label]:
    seen: dict[tuple[str, str | None], Label] = {}
    for _, label in sorted(found, key=lambda item: (item[0], item[1].lang or "", item[1].text)):
        seen.setdefault((label.text, label.lang), label)
    return list(seen.values())
