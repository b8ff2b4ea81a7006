"""A larger graph with the real data's shape, for measuring at ×10 and ×100.

Every resource of an instance kind (offers, units, trusts, statements, figures,
table cells, ...) is copied with a suffix; vocabulary kinds (methods, measures,
concepts, regions, guidelines, sources) are shared, so the copies link to the
same vocabulary as the real offers do. The copies are test data for benchmarks
only: they never enter data/ttl/.
"""

from __future__ import annotations

from rdflib import Graph, URIRef

from mfbt_kg.namespaces import ID

SHARED_KINDS = ("concept", "referrer", "measure", "method", "method-category", "diagnosis-group",
                "exclusion-criterion", "region", "guideline", "document", "source", "area")


def _copyable(term: object) -> bool:
    if not isinstance(term, URIRef) or not str(term).startswith(str(ID)):
        return False
    kind = str(term)[len(str(ID)):].split("/", 1)[0]
    return kind not in SHARED_KINDS


def scaled(graph: Graph, factor: int) -> Graph:
    """The graph plus ``factor - 1`` renamed copies of its instance data."""
    out = Graph()
    for triple in graph:
        out.add(triple)
    instance = [t for t in graph if _copyable(t[0])]
    for copy in range(1, factor):
        rename = lambda term: URIRef(f"{term}-x{copy}") if _copyable(term) else term  # noqa: E731
        for s, p, o in instance:
            out.add((rename(s), p, rename(o)))
    return out
